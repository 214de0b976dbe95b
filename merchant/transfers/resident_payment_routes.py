"""Merchants paying residents change or cash-back (HTTP); rules in resident_payments.py."""

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from kit.errors import Code
from kit.idempotency import Db, IdempotentRoute
from kit.refusal_docs import refusals
from ledger.clock import Clock
from ledger.errors import Code as LedgerCode
from merchant.accounts.merchant_auth import MerchantOwnerKey
from merchant.pages import PAGE_DEFAULT, PAGE_MAX
from merchant.transfers.resident_payments import (
    ResidentPayment,
    pay_resident,
    resident_payments_page,
)
from merchant.transfers.schemas import (
    ResidentPaymentCreate,
    ResidentPaymentPage,
    ResidentPaymentPublic,
)

router = APIRouter(route_class=IdempotentRoute, tags=["charges", "merchants"])


def _public(payment: ResidentPayment, merchant_public_id: str) -> ResidentPaymentPublic:
    body: dict[str, Any] = payment.as_json(merchant_public_id)
    return ResidentPaymentPublic.model_validate(body)


@router.post(
    "/merchant/resident_payments",
    status_code=201,
    response_model=ResidentPaymentPublic,
    responses=refusals(
        LedgerCode.INSUFFICIENT_FUNDS,
        Code.TERMINAL_KEY_NOT_ALLOWED,
        Code.NOT_ALLOWED_BY_COIN,
        Code.MERCHANT_SUSPENDED,
        Code.WALLET_NOT_FOUND,
        Code.LIMIT_EXCEEDED,
    ),
)
def create_resident_payment(
    body: ResidentPaymentCreate, db: Db, caller: MerchantOwnerKey, request: Request
) -> ResidentPaymentPublic:
    """Pays a resident change or cash-back, where the coin allows it (the merchant's own key).

    Refusals: 403 ``not_allowed_by_coin``, 403 ``terminal_key_not_allowed``,
    422 ``limit_exceeded`` (largest payment or the resident's cap), 404
    ``wallet_not_found``, 402 ``insufficient_funds``.
    """
    clock: Clock = request.app.state.clock
    payment = pay_resident(
        db,
        merchant=caller.merchant,
        wallet_public_id=body.wallet_id,
        amount=body.amount,
        reason=body.reason,
        at=clock.now(),
    )
    return _public(payment, caller.merchant.public_id)


@router.get(
    "/merchant/resident_payments",
    response_model=ResidentPaymentPage,
    responses=refusals(Code.TERMINAL_KEY_NOT_ALLOWED, Code.CURSOR_INVALID),
)
def list_resident_payments(
    db: Db,
    caller: MerchantOwnerKey,
    limit: Annotated[int, Query(ge=1, le=PAGE_MAX)] = PAGE_DEFAULT,
    starting_after: Annotated[str | None, Query(max_length=40)] = None,
) -> ResidentPaymentPage:
    """The merchant's payments to residents, newest first."""
    payments, has_more = resident_payments_page(
        db, merchant=caller.merchant, limit=limit, starting_after=starting_after
    )
    return ResidentPaymentPage(
        data=[_public(payment, caller.merchant.public_id) for payment in payments],
        has_more=has_more,
    )
