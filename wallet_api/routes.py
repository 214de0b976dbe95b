"""The resident side's HTTP routes. Thin: parse, authorize, call a service, shape the answer."""

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy import Connection

from kit.access_tokens import revoke_token
from kit.auth import CurrentResident, IssuerKey
from kit.caller import bearer_of, identified
from kit.credentials import Role
from kit.errors import Code
from kit.idempotency import Db, IdempotentRoute
from kit.problems import Problem, problem_response
from kit.rate_limits import LOGIN_FAILURES, give_back, limit_for, take
from kit.rate_limits import refusal as rate_limit_refusal
from kit.refusal_docs import refusals
from kit.request_clock import request_clock
from ledger.unit_of_work import run_in_transaction
from wallet_api.approvals import Kind
from wallet_api.balances import wallet_balance
from wallet_api.issuance import issue_or_hold
from wallet_api.pins import PinHasher
from wallet_api.resident_coins import coin_by_code, home_coin_id, resident_coin
from wallet_api.residents import (
    find_resident,
    find_resident_by_id,
    log_in,
    resident_public_id_for,
    sign_up,
    verify_identity,
    wallet_of,
)
from wallet_api.schemas import (
    Balance,
    Lot,
    PinChange,
    PinReset,
    PinResetDone,
    ResidentCreate,
    ResidentCreated,
    ResidentPublic,
    TokenRequest,
    TokenResponse,
    TopupCreate,
    TopupPublic,
    VerificationCreate,
    WalletPublic,
)
from wallet_api.sessions import change_pin, reset_pin
from wallet_api.signup_limit import client_address, limit_signups
from wallet_api.winddown import public_notices
from wallet_api.winddown_schemas import WinddownNotice

router = APIRouter(route_class=IdempotentRoute, tags=["residents"])
auth_router = APIRouter(tags=["residents"])


@router.post(
    "/residents",
    status_code=201,
    response_model=ResidentCreated,
    responses=refusals(Code.COIN_NOT_FOUND, Code.RATE_LIMITED),
)
def create_resident(
    body: ResidentCreate, db: Db, request: Request
) -> ResidentCreated | JSONResponse:
    """Public sign-up: a resident and a basic wallet in the coin.

    Rate-limited per client address: 429 ``rate_limited`` with Retry-After;
    not when the coin's issuer key signs a resident up at the counter."""
    coin = coin_by_code(db, body.coin)
    caller = identified(request)
    at_the_counter = (
        caller is not None
        and caller.key is not None
        and caller.key.role is Role.ISSUER
        and caller.key.coin_id == coin.id
    )
    if not at_the_counter:
        limited = limit_signups(request, db, coin_id=coin.id, at=request_clock(request).now())
        if limited is not None:
            return limited
    hasher: PinHasher = request.app.state.pin_hasher
    resident, wallet = sign_up(
        db,
        coin=coin,
        display_name=body.display_name,
        pin=body.pin,
        hasher=hasher,
        at=request_clock(request).now(),
    )
    return ResidentCreated(
        resident_id=resident.public_id,
        wallet_id=wallet.public_id,
        resident_number=resident.resident_number,
    )


@auth_router.post(
    "/auth/token",
    response_model=TokenResponse,
    responses=refusals(Code.CREDENTIALS_INVALID, Code.RESIDENT_LOCKED, Code.RATE_LIMITED),
)
def create_token(body: TokenRequest, request: Request) -> TokenResponse | JSONResponse:
    """PIN log-in. Repeated wrong PINs lock the resident for a while (423)."""
    ttl = timedelta(seconds=request.app.state.access_token_ttl_s)
    now = request_clock(request).now()
    # Failures per address too: the lockout alone lets one caller try a few PINs each
    # of many residents (kit/rate_limits.py). Counted per address and home coin,
    # like the sign-up limit: one city's residents are what a guesser there goes through.
    engine = request.app.state.engine

    def named(conn: Connection) -> tuple[str, int | None]:
        # A login that names nobody goes through the same steps as a wrong PIN.
        public_id = resident_public_id_for(conn, body.names) or body.names
        return public_id, home_coin_id(conn, resident_public_id=public_id)

    resident_public_id, coin = run_in_transaction(engine, named)
    limit = limit_for(request, LOGIN_FAILURES)
    address = f"{client_address(request)}|coin:{coin}"
    wait_s = take(engine, limit, address, at=now)
    if wait_s is not None:
        return rate_limit_refusal(limit, wait_s, "log-ins from one address")
    outcome = run_in_transaction(
        engine,
        lambda conn: log_in(
            conn,
            resident_public_id=resident_public_id,
            pin=body.pin,
            hasher=request.app.state.pin_hasher,
            at=now,
            ttl=ttl,
            device=body.device,
        ),
    )
    if isinstance(outcome, Problem):
        return problem_response(outcome.code, outcome.detail)
    give_back(engine, limit, address, at=now)
    return TokenResponse(access_token=outcome.token, expires_in=int(ttl.total_seconds()))


@router.get(
    "/wallet",
    response_model=WalletPublic,
    responses=refusals(Code.COIN_NOT_FOUND, Code.WALLET_NOT_FOUND),
)
def get_wallet(
    db: Db,
    resident_id: CurrentResident,
    coin: Annotated[
        str | None, Query(description="The coin's code; default: the home coin.")
    ] = None,
) -> WalletPublic:
    """The resident's own wallet: balance by kind, held, available, and its lots."""
    the_coin = resident_coin(db, resident_id=resident_id, code=coin)
    wallet = wallet_of(db, coin_id=the_coin.id, resident_id=resident_id)
    balance = wallet_balance(db, coin_id=the_coin.id, account_id=wallet.account_id)
    return WalletPublic(
        wallet_id=wallet.public_id,
        coin=the_coin.code,
        resident_number=find_resident_by_id(db, resident_id).resident_number,
        tier=wallet.tier.value,
        balance=Balance(
            total=balance.total,
            available=balance.available,
            money=balance.money,
            premium=balance.premium,
            points=balance.points,
            held=balance.held,
        ),
        lots=[Lot.model_validate(lot) for lot in balance.expiring()],
        winddown=_notice(public_notices(db, coin_ids=[the_coin.id]).get(the_coin.id)),
    )


def _notice(notice: dict[str, str] | None) -> WinddownNotice | None:
    return None if notice is None else WinddownNotice(**notice)


@router.post(
    "/residents/{resident_id}/verify",
    response_model=ResidentPublic,
    responses=refusals(
        Code.RESIDENT_NOT_FOUND, Code.WALLET_NOT_FOUND, Code.INDIVIDUAL_NUMBER_REFUSED
    ),
)
def verify_resident(
    resident_id: str, body: VerificationCreate, db: Db, key: IssuerKey, request: Request
) -> ResidentPublic:
    """The issuer checked the resident's identity: higher cap, transfers allowed."""
    wallet = verify_identity(
        db,
        coin_id=key.coin_id,
        resident_public_id=resident_id,
        method=body.method,
        reference=body.reference,
        at=request_clock(request).now(),
    )
    resident = find_resident(db, resident_id)
    return ResidentPublic(
        resident_id=resident.public_id,
        display_name=resident.display_name,
        wallet_id=wallet.public_id,
        tier=wallet.tier.value,
    )


@router.post(
    "/topups",
    status_code=201,
    response_model=TopupPublic,
    responses=refusals(
        Code.COIN_WINDING_DOWN,
        Code.WALLET_NOT_FOUND,
        Code.INSTITUTION_NOT_FOUND,
        Code.TOPUP_REFERENCE_REUSED,
        Code.AMOUNT_INVALID,
        Code.LIMIT_EXCEEDED,
        Code.ISSUANCE_CEILING_EXCEEDED,
    )
    | {202: {"description": "Above the coin's approval threshold: pending_approval"}},
)
def create_topup(
    body: TopupCreate, db: Db, key: IssuerKey, request: Request
) -> TopupPublic | JSONResponse:
    """A top-up taken at the bank's counter, an ATM, or by debit from a linked account.

    Above the coin's approval_threshold the answer is 202
    ``{"status": "pending_approval", "approval_id"}`` and nothing moves until
    another issuer key approves it (``/v1/approvals``).
    """
    status, answer = issue_or_hold(
        db,
        kind=Kind.TOPUP,
        request=body.model_dump(mode="json"),
        key=key,
        at=request_clock(request).now(),
    )
    if status == 202:
        return JSONResponse(answer, status_code=202)
    return TopupPublic.model_validate(answer)


@auth_router.post(
    "/auth/logout",
    status_code=204,
    responses=refusals(Code.UNAUTHENTICATED),
)
def log_out(request: Request, resident_id: CurrentResident) -> Response:
    """Ends the access token it is called with; the token is refused from then on."""
    token = bearer_of(request)
    assert token is not None, "CurrentResident checked it"
    now = request_clock(request).now()
    run_in_transaction(request.app.state.engine, lambda conn: revoke_token(conn, token, at=now))
    return Response(status_code=204)


@auth_router.post(
    "/auth/pin",
    status_code=204,
    responses=refusals(Code.UNAUTHENTICATED, Code.PIN_INCORRECT, Code.RESIDENT_LOCKED),
)
def change_own_pin(body: PinChange, request: Request, resident_id: CurrentResident) -> Response:
    """Changes the PIN (the current one first); every other session of the resident ends."""
    token = bearer_of(request)
    assert token is not None, "CurrentResident checked it"
    refused = run_in_transaction(
        request.app.state.engine,
        lambda conn: change_pin(
            conn,
            resident_id=resident_id,
            current_pin=body.current_pin,
            new_pin=body.new_pin,
            hasher=request.app.state.pin_hasher,
            token=token,
            at=request_clock(request).now(),
        ),
    )
    if refused is not None:
        return problem_response(refused.code, refused.detail)
    return Response(status_code=204)


@router.post(
    "/residents/{resident_id}/pin_reset",
    response_model=PinResetDone,
    responses=refusals(Code.RESIDENT_NOT_FOUND),
)
def reset_resident_pin(
    resident_id: str, body: PinReset, db: Db, key: IssuerKey, request: Request
) -> PinResetDone:
    """At the counter, after an identity check: a new PIN; wallet and balance stay.

    The lockout is lifted and every session of the resident ends. Issuer key.
    """
    ended = reset_pin(
        db,
        coin_id=key.coin_id,
        resident_public_id=resident_id,
        new_pin=body.new_pin,
        checked_with=body.checked_with,
        hasher=request.app.state.pin_hasher,
        at=request_clock(request).now(),
    )
    return PinResetDone(resident_id=resident_id, sessions_ended=ended)
