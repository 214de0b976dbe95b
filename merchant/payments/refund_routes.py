"""Refunds of a merchant's charges (HTTP); the rules are in merchant/payments/refunds.py."""

from typing import Annotated, Any, Self

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field, model_validator

from kit.errors import Code
from kit.idempotency import Db, IdempotentRoute
from kit.refusal_docs import refusals
from ledger.clock import Clock
from ledger.errors import Code as LedgerCode
from ledger.limits import AMOUNT_MAX
from merchant.accounts.merchant_auth import AnyMerchantKey
from merchant.pages import PAGE_DEFAULT, PAGE_MAX
from merchant.payments.refunds import (
    Refund,
    charge_of_intent,
    find_refund,
    refund_charge,
    refunds_page,
)

router = APIRouter(route_class=IdempotentRoute, tags=["charges"])


class RefundCreate(BaseModel):
    """Exactly one of ``charge_id`` and ``payment_intent_id``."""

    charge_id: str | None = Field(default=None, description="ch_…", max_length=40)
    payment_intent_id: str | None = Field(default=None, description="pi_…", max_length=40)
    amount: int | None = Field(
        default=None,
        description="Coin to give back; default: all that is left.",
        gt=0,
        le=AMOUNT_MAX,
    )
    reason: str | None = Field(default=None, min_length=1, max_length=200)

    @model_validator(mode="after")
    def one_charge(self) -> Self:
        if (self.charge_id is None) == (self.payment_intent_id is None):
            raise ValueError("send exactly one of charge_id and payment_intent_id")
        return self


class RestoredLotPublic(BaseModel):
    kind: str = Field(description="money, premium or points.")
    amount: int
    expires_at: str | None = Field(description="The lot's original expiry (ISO 8601); null: never.")


class RefundPublic(BaseModel):
    id: str = Field(description="re_…")
    object: str = "refund"
    charge_id: str
    merchant_id: str
    amount: int
    fee_refunded: int = Field(description="The part of the charge's fee given back.")
    reason: str | None
    restored: list[RestoredLotPublic] = Field(description="The resident's lots it went back to.")
    status: str = Field(description="succeeded.")
    created_at: str = Field(description="ISO 8601, UTC.")


class RefundPage(BaseModel):
    data: list[RefundPublic] = Field(description="Newest first.")
    has_more: bool


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
