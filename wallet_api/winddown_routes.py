"""A coin's wind-down over HTTP: the issuer asks, a second issuer key approves, residents
claim their refund (wallet_api/winddown.py has the rules and the law behind them).

Refusals: ``winddown_exists`` (409), ``winddown_invalid`` (422),
``winddown_not_announced`` (404), ``winddown_claims_closed`` (409),
``winddown_claimed`` (409), ``nothing_to_refund`` (409), ``winddown_not_over``
(409), and the bank account's codes as at merchant onboarding.
"""

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from kit.auth import CurrentResident, InstitutionKey, IssuerKey, IssuerOrOperatorKey
from kit.errors import Code
from kit.idempotency import Db, IdempotentRoute
from kit.problems import Problem
from kit.refusal_docs import refusals
from kit.request_clock import request_clock
from wallet_api.approvals import Kind, open_approval, pending_answer
from wallet_api.resident_coins import resident_coin
from wallet_api.residents import find_resident, wallet_of
from wallet_api.winddown import (
    RefundAccount,
    check_dates,
    checked_account,
    claim_refund,
    close_winddown,
    find_winddown,
    pending_winddown,
    refundable_outstanding,
    winddown_report,
)
from wallet_api.winddown_schemas import (
    RefundBankAccount,
    WinddownClaimCreate,
    WinddownClaimPublic,
    WinddownCreate,
    WinddownReport,
)

router = APIRouter(route_class=IdempotentRoute, tags=["issuance"])

_ACCOUNT_REFUSALS = (
    Code.BANK_CODE_INVALID,
    Code.BANK_NOT_FOUND,
    Code.BRANCH_CODE_INVALID,
    Code.BRANCH_NOT_FOUND,
    Code.ACCOUNT_TYPE_INVALID,
    Code.ACCOUNT_NUMBER_INVALID,
    Code.HOLDER_KANA_INVALID,
    Code.HOLDER_KANA_TOO_LONG,
)


@router.post(
    "/coin/winddown",
    status_code=202,
    responses=refusals(Code.WINDDOWN_EXISTS, Code.WINDDOWN_INVALID),
)
def ask_winddown(body: WinddownCreate, db: Db, key: IssuerKey, request: Request) -> JSONResponse:
    """Asks to wind the coin down (払戻し). Always 202 ``pending_approval``: another issuer
    key approves it (``POST /v1/approvals/{id}/approve``), and that approval is the
    notice, from which the claims stay open at least 60 days."""
    now = request_clock(request).now()
    if find_winddown(db, coin_id=key.coin_id) is not None or pending_winddown(
        db, coin_id=key.coin_id
    ):
        raise Problem(Code.WINDDOWN_EXISTS, "the coin's wind-down is asked for or announced")
    check_dates(
        issuance_ends_at=body.issuance_ends_at,
        acceptance_ends_at=body.acceptance_ends_at,
        claims_close_at=body.claims_close_at,
        at=now,
    )
    approval = open_approval(
        db,
        kind=Kind.WINDDOWN,
        amount=refundable_outstanding(db, coin_id=key.coin_id),
        request=body.model_dump(mode="json"),
        requested_by=key,
        at=now,
    )
    return JSONResponse(pending_answer(approval), status_code=202)


@router.get(
    "/coin/winddown",
    response_model=WinddownReport,
    responses=refusals(Code.WINDDOWN_NOT_ANNOUNCED),
)
def read_winddown(db: Db, key: InstitutionKey) -> WinddownReport:
    """The notice's dates and the statutory figures: claims made and their total, what is
    owed on them, what is still refundable, and what went unclaimed."""
    return WinddownReport.model_validate(winddown_report(db, coin_id=key.coin_id))


@router.post(
    "/coin/winddown/close",
    response_model=WinddownReport,
    responses=refusals(Code.WINDDOWN_NOT_ANNOUNCED, Code.WINDDOWN_NOT_OVER),
)
def close_coin_winddown(db: Db, key: IssuerOrOperatorKey, request: Request) -> WinddownReport:
    """After the claims close: what wallets still hold goes to breakage (the holders who
    did not claim are excluded from the refund). Again: the same answer, nothing moves."""
    close_winddown(db, coin_id=key.coin_id, at=request_clock(request).now())
    return WinddownReport.model_validate(winddown_report(db, coin_id=key.coin_id))


def _account(body: RefundBankAccount) -> RefundAccount:
    return checked_account(**body.model_dump())


@router.post(
    "/wallet/winddown_claims",
    status_code=201,
    response_model=WinddownClaimPublic,
    responses=refusals(
        Code.WINDDOWN_NOT_ANNOUNCED,
        Code.WINDDOWN_CLAIMS_CLOSED,
        Code.WINDDOWN_CLAIMED,
        Code.NOTHING_TO_REFUND,
        *_ACCOUNT_REFUSALS,
    ),
)
def claim_in_wallet(
    body: WinddownClaimCreate,
    db: Db,
    resident_id: CurrentResident,
    request: Request,
    coin: Annotated[str | None, Query(description="The coin's code; default: home.")] = None,
) -> WinddownClaimPublic:
    """The resident claims the refund of their money and premium, to their bank account."""
    the_coin = resident_coin(db, resident_id=resident_id, code=coin)
    wallet = wallet_of(db, coin_id=the_coin.id, resident_id=resident_id)
    claimed = claim_refund(
        db,
        wallet=wallet,
        account=_account(body.bank_account),
        via="wallet",
        at=request_clock(request).now(),
    )
    return WinddownClaimPublic.model_validate(claimed)


@router.post(
    "/residents/{resident_id}/winddown_claims",
    status_code=201,
    response_model=WinddownClaimPublic,
    responses=refusals(
        Code.RESIDENT_NOT_FOUND,
        Code.WINDDOWN_NOT_ANNOUNCED,
        Code.WINDDOWN_CLAIMS_CLOSED,
        Code.WINDDOWN_CLAIMED,
        Code.NOTHING_TO_REFUND,
        *_ACCOUNT_REFUSALS,
    ),
)
def claim_at_counter(
    resident_id: str, body: WinddownClaimCreate, db: Db, key: IssuerKey, request: Request
) -> WinddownClaimPublic:
    """The counter takes a resident's claim after checking who they are (issuer key)."""
    resident = find_resident(db, resident_id)
    wallet = wallet_of(db, coin_id=key.coin_id, resident_id=resident.id)
    claimed = claim_refund(
        db,
        wallet=wallet,
        account=_account(body.bank_account),
        via="counter",
        at=request_clock(request).now(),
    )
    return WinddownClaimPublic.model_validate(claimed)
