"""Cash-out requests (換金) by the merchant's own key (HTTP).

A terminal's key is refused (403 ``terminal_key_not_allowed``): a stolen till
must not empty the wallet. The settlement batch pays pending payouts; see
merchant/payouts/payouts.py for the rules.
"""

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from kit.errors import Code
from kit.idempotency import Db, IdempotentRoute
from kit.refusal_docs import refusals
from ledger.clock import Clock
from ledger.errors import Code as LedgerCode
from merchant.accounts.merchant_auth import MerchantOwnerKey
from merchant.pages import PAGE_DEFAULT, PAGE_MAX
from merchant.payouts.payouts import (
    Payout,
    PayoutSource,
    cancel_payout,
    find_payout,
    payouts_page,
    request_payout,
)
from merchant.payouts.schemas import PayoutCreate, PayoutPage, PayoutPublic

router = APIRouter(route_class=IdempotentRoute, tags=["charges", "payouts"])


def _public(payout: Payout, merchant_public_id: str) -> PayoutPublic:
    body: dict[str, Any] = payout.as_json(merchant_public_id)
    return PayoutPublic.model_validate(body)


@router.post(
    "/payouts",
    status_code=201,
    response_model=PayoutPublic,
    responses=refusals(
        LedgerCode.INSUFFICIENT_FUNDS,
        Code.TERMINAL_KEY_NOT_ALLOWED,
        Code.MERCHANT_SUSPENDED,
        Code.AMOUNT_INVALID,
        Code.PAYOUT_BELOW_FEE,
        Code.PAYOUT_BELOW_MINIMUM,
        Code.PAYOUTS_PENDING_LIMIT,
    ),
)
def create_payout(
    body: PayoutCreate, db: Db, caller: MerchantOwnerKey, request: Request
) -> PayoutPublic:
    """Asks for coin to be cashed out to the merchant's bank account in the next batch.

    Refusals: 403 ``terminal_key_not_allowed``, 422 ``payout_below_fee``, 403
    ``merchant_suspended``, 402 ``insufficient_funds``.
    """
    clock: Clock = request.app.state.clock
    payout = request_payout(
        db,
        merchant=caller.merchant,
        amount=body.amount,
        source=PayoutSource.REQUEST,
        at=clock.now(),
    )
    return _public(payout, caller.merchant.public_id)


@router.get(
    "/payouts",
    response_model=PayoutPage,
    responses=refusals(Code.TERMINAL_KEY_NOT_ALLOWED, Code.CURSOR_INVALID),
)
def list_payouts(
    db: Db,
    caller: MerchantOwnerKey,
    limit: Annotated[int, Query(ge=1, le=PAGE_MAX)] = PAGE_DEFAULT,
    starting_after: Annotated[str | None, Query(max_length=40)] = None,
) -> PayoutPage:
    """The merchant's payouts, newest first."""
    payouts, has_more = payouts_page(
        db, merchant=caller.merchant, limit=limit, starting_after=starting_after
    )
    return PayoutPage(
        data=[_public(payout, caller.merchant.public_id) for payout in payouts],
        has_more=has_more,
    )


@router.get(
    "/payouts/{payout_id}",
    response_model=PayoutPublic,
    responses=refusals(Code.TERMINAL_KEY_NOT_ALLOWED, Code.PAYOUT_NOT_FOUND),
)
def get_payout(payout_id: str, db: Db, caller: MerchantOwnerKey) -> PayoutPublic:
    """One of the merchant's payouts; another's is 404 ``payout_not_found``."""
    merchant = caller.merchant
    payout = find_payout(
        db, coin_id=merchant.coin_id, merchant_id=merchant.id, payout_public_id=payout_id
    )
    return _public(payout, merchant.public_id)


@router.post(
    "/payouts/{payout_id}/cancel",
    response_model=PayoutPublic,
    responses=refusals(
        Code.TERMINAL_KEY_NOT_ALLOWED, Code.PAYOUT_NOT_FOUND, Code.PAYOUT_NOT_PENDING
    ),
)
def cancel(payout_id: str, db: Db, caller: MerchantOwnerKey, request: Request) -> PayoutPublic:
    """Cancels a pending payout: its hold is voided and the coin is available again.

    Refusals: 404 ``payout_not_found``, 409 ``payout_not_pending``.
    """
    clock: Clock = request.app.state.clock
    payout = cancel_payout(db, merchant=caller.merchant, payout_public_id=payout_id, at=clock.now())
    return _public(payout, caller.merchant.public_id)
