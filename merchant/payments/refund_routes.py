"""Refunds of a merchant's charges (HTTP); the rules are in merchant/payments/refunds.py."""

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from kit.errors import Code
from kit.idempotency import Db, IdempotentRoute
from kit.refusal_docs import refusals
from ledger.clock import Clock
from ledger.errors import Code as LedgerCode
from merchant.accounts.merchant_auth import AnyMerchantKey
from merchant.pages import PAGE_DEFAULT, PAGE_MAX
from merchant.payments.refunds import (
    Refund,
    charge_of_intent,
    find_refund,
    refund_charge,
    refunds_page,
)
from merchant.payments.schemas import RefundCreate, RefundPage, RefundPublic

router = APIRouter(route_class=IdempotentRoute, tags=["charges"])


def _public(refund: Refund, merchant_public_id: str) -> RefundPublic:
    body: dict[str, Any] = refund.as_json(merchant_public_id)
    return RefundPublic.model_validate(body)


@router.post(
    "/refunds",
    status_code=201,
    response_model=RefundPublic,
    responses=refusals(
        LedgerCode.INSUFFICIENT_FUNDS,
        Code.CHARGE_NOT_FOUND,
        Code.PAYMENT_INTENT_NOT_FOUND,
        Code.PAYMENT_INTENT_NOT_PAID,
        Code.REFUND_EXCEEDS_CHARGE,
        Code.TERMINAL_KEY_NOT_ALLOWED,
    ),
)
def create_refund(
    body: RefundCreate, db: Db, caller: AnyMerchantKey, request: Request
) -> RefundPublic:
    """Gives back all or part of a charge to the resident's wallet, into the lots it came from.

    Refusals: 404 ``charge_not_found`` / ``payment_intent_not_found``, 409
    ``payment_intent_not_paid``, 409 ``refund_exceeds_charge``, 402
    ``insufficient_funds`` (the merchant's wallet cannot cover it).
    """
    merchant = caller.merchant
    charge_public_id = body.charge_id
    if charge_public_id is None:
        assert body.payment_intent_id is not None, "the body's validator"
        charge_public_id = charge_of_intent(
            db,
            coin_id=merchant.coin_id,
            merchant_id=merchant.id,
            intent_public_id=body.payment_intent_id,
        )
    clock: Clock = request.app.state.clock
    refund = refund_charge(
        db,
        merchant=merchant,
        charge_public_id=charge_public_id,
        amount=body.amount,
        reason=body.reason,
        terminal_id=caller.terminal_id,
        at=clock.now(),
    )
    return _public(refund, merchant.public_id)


@router.get("/refunds", response_model=RefundPage, responses=refusals(Code.CURSOR_INVALID))
def list_refunds(
    db: Db,
    caller: AnyMerchantKey,
    limit: Annotated[int, Query(ge=1, le=PAGE_MAX)] = PAGE_DEFAULT,
    starting_after: Annotated[str | None, Query(max_length=40)] = None,
) -> RefundPage:
    """The merchant's own refunds, newest first."""
    refunds, has_more = refunds_page(
        db, merchant=caller.merchant, limit=limit, starting_after=starting_after
    )
    return RefundPage(
        data=[_public(refund, caller.merchant.public_id) for refund in refunds],
        has_more=has_more,
    )


@router.get(
    "/refunds/{refund_id}", response_model=RefundPublic, responses=refusals(Code.REFUND_NOT_FOUND)
)
def get_refund(refund_id: str, db: Db, caller: AnyMerchantKey) -> RefundPublic:
    """One of the merchant's own refunds; another's is 404 ``refund_not_found``."""
    refund = find_refund(db, merchant=caller.merchant, refund_public_id=refund_id)
    return _public(refund, caller.merchant.public_id)
