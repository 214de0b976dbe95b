"""Customer-presented QR: a resident's wallet issues a payment token and draws it.

``POST /v1/wallet/payment_tokens`` signs a token for the caller's wallet in one
coin (the home coin unless ``coin`` names another); the merchant's terminal
scans it and charges it once, within ``TOKEN_TTL_S`` seconds. The images are
drawn from the token itself, for the caller's own live tokens only.
"""

from typing import Annotated

from fastapi import APIRouter, Body, Depends, Request, Response
from sqlalchemy import Connection

from kit.auth import CurrentResident
from kit.errors import Code
from kit.idempotency import Db, IdempotentRoute
from kit.problems import Problem
from kit.qr_images import render_png, render_svg
from kit.refusal_docs import refusals
from kit.request_clock import request_clock
from ledger.clock import Clock
from ledger.errors import LedgerError
from wallet_api.payment_tokens import (
    TOKEN_CHARS,
    TOKEN_TTL_S,
    Claims,
    TokenError,
    issue_token,
    verify_token,
)
from wallet_api.resident_coins import resident_coin
from wallet_api.residents import Wallet, wallet_of
from wallet_api.schemas import PaymentTokenCreate, PaymentTokenPublic
from wallet_api.token_keys import TokenKeys, claimed_coin_id, token_keys

router = APIRouter(route_class=IdempotentRoute, tags=["payment tokens"])

Keys = Annotated[TokenKeys, Depends(token_keys)]
assert TOKEN_TTL_S == 60, "the route's description says a minute"
# A token is a bearer credential for a minute: no cache may keep its image.
_NO_STORE = {"Cache-Control": "no-store"}


def _not_found() -> Problem:
    return Problem(Code.PAYMENT_TOKEN_NOT_FOUND, "no such live token of yours")


@router.post(
    "/wallet/payment_tokens",
    status_code=201,
    response_model=PaymentTokenPublic,
    responses=refusals(Code.COIN_NOT_FOUND, Code.WALLET_NOT_FOUND),
)
def create_payment_token(
    db: Db,
    resident_id: CurrentResident,
    keys: Keys,
    request: Request,
    body: Annotated[PaymentTokenCreate | None, Body()] = None,
) -> PaymentTokenPublic:
    """A signed, single-use token for the caller's wallet, valid for 60 seconds.

    The wallet shows ``qr_payload`` as a QR code (or fetches it as an image);
    a merchant of the same coin scans it and charges the wallet once.
    """
    coin = resident_coin(db, resident_id=resident_id, code=body.coin if body else None)
    wallet = wallet_of(db, coin_id=coin.id, resident_id=resident_id)
    issued = issue_token(
        signer=keys.signer_for(coin.id),
        coin_id=coin.id,
        wallet_id=wallet.id,
        clock=request_clock(request),
    )
    return PaymentTokenPublic(
        token=issued.token,
        qr_payload=issued.qr_payload,
        expires_at=issued.expires_at.isoformat(),
        coin=coin.code,
        wallet_id=wallet.public_id,
    )


def _own_live_token(
    conn: Connection, *, token: str, resident_id: int, keys: TokenKeys, clock: Clock
) -> str:
    """The token, if it is genuine, alive and of one of the caller's wallets; else 404."""
    if len(token) != TOKEN_CHARS:
        raise _not_found()
    try:
        coin_id = claimed_coin_id(token)
        claims: Claims = verify_token(
            token, verifier=keys.verifier_for(coin_id), coin_id=coin_id, clock=clock
        )
        wallet: Wallet = wallet_of(conn, coin_id=claims.coin_id, resident_id=resident_id)
    except (TokenError, Problem, LedgerError):
        raise _not_found() from None
    if wallet.id != claims.wallet_id:
        raise _not_found()
    return token


_IMAGE_RESPONSES = refusals(Code.PAYMENT_TOKEN_NOT_FOUND)


@router.get(
    "/wallet/payment_tokens/{token}/qr.png",
    response_class=Response,
    responses={200: {"content": {"image/png": {}}}, **_IMAGE_RESPONSES},
)
def payment_token_png(
    token: str, db: Db, resident_id: CurrentResident, keys: Keys, request: Request
) -> Response:
    """The token as a PNG QR code, for the wallet's screen."""
    own = _own_live_token(
        db, token=token, resident_id=resident_id, keys=keys, clock=request_clock(request)
    )
    return Response(render_png(own), media_type="image/png", headers=_NO_STORE)


@router.get(
    "/wallet/payment_tokens/{token}/qr.svg",
    response_class=Response,
    responses={200: {"content": {"image/svg+xml": {}}}, **_IMAGE_RESPONSES},
)
def payment_token_svg(
    token: str, db: Db, resident_id: CurrentResident, keys: Keys, request: Request
) -> Response:
    """The token as an SVG QR code."""
    own = _own_live_token(
        db, token=token, resident_id=resident_id, keys=keys, clock=request_clock(request)
    )
    return Response(render_svg(own), media_type="image/svg+xml", headers=_NO_STORE)
