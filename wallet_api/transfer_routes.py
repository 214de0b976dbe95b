"""Routes for sending money to another resident. Thin: pick the coin, call the service."""

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from kit.auth import CurrentResident
from kit.errors import Code
from kit.idempotency import Db, IdempotentRoute
from kit.problems import problem_response
from kit.refusal_docs import refusals
from ledger.clock import Clock
from ledger.errors import Code as LedgerCode
from wallet_api.resident_coins import resident_coin
from wallet_api.residents import wallet_of
from wallet_api.rules import get_rules
from wallet_api.step_up import step_up_refusal
from wallet_api.transfer_schemas import TransferCreate, TransferPublic
from wallet_api.transfers import send_money

router = APIRouter(route_class=IdempotentRoute, tags=["residents"])


@router.post(
    "/wallet/transfers",
    status_code=201,
    response_model=TransferPublic,
    responses=refusals(
        Code.COIN_ACCEPTANCE_ENDED,
        LedgerCode.INSUFFICIENT_FUNDS,
        Code.TIER_NOT_ALLOWED,
        Code.COIN_NOT_FOUND,
        Code.WALLET_NOT_FOUND,
        Code.TRANSFER_TO_SELF,
        Code.LIMIT_EXCEEDED,
        Code.PIN_REQUIRED,
        Code.PIN_INCORRECT,
        Code.RESIDENT_LOCKED,
    ),
)
def create_transfer(
    body: TransferCreate, db: Db, resident_id: CurrentResident, request: Request
) -> TransferPublic | JSONResponse:
    """Sends money to another resident's wallet in the same coin (verified wallets only).

    Points and premium never move between people. Refusals: 403
    ``tier_not_allowed``, 404 ``wallet_not_found``, 422 ``transfer_to_self``,
    422 ``limit_exceeded`` (above the coin's largest payment, or the
    recipient's cap), 402 ``insufficient_funds``; from the coin's step-up amount
    on, 401 ``pin_required`` without ``pin``, 403 ``pin_incorrect``, 423
    ``resident_locked``.
    """
    coin = resident_coin(db, resident_id=resident_id, code=body.coin)
    clock: Clock = request.app.state.clock
    rules = get_rules(db, coin_id=coin.id)
    refused = step_up_refusal(
        db,
        rules=rules,
        amount=body.amount,
        resident_id=resident_id,
        pin=body.pin,
        hasher=request.app.state.pin_hasher,
        at=clock.now(),
    )
    if refused is not None:
        return problem_response(refused.code, refused.detail)
    transfer = send_money(
        db,
        rules=rules,
        sender=wallet_of(db, coin_id=coin.id, resident_id=resident_id),
        to_wallet_public_id=body.to_wallet_id,
        amount=body.amount,
        at=clock.now(),
    )
    return TransferPublic(
        id=transfer.public_id,
        from_wallet_id=transfer.from_wallet_public_id,
        to_wallet_id=transfer.to_wallet_public_id,
        amount=transfer.amount,
        coin=coin.code,
        created_at=transfer.created_at.isoformat(),
    )
