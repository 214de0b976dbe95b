"""Residents paying a merchant's QR (HTTP): a static sticker or a payment intent's code.

A resident's route (the caller is ``CurrentResident``) whose service lives
with the merchant's payments. Thin: the resident's token,
``qr_payments.pay_qr``, the answer. The busiest route of the API:
merchant/router.py includes it first and the app includes that side first,
because routes are matched one after another in the order they were included.
"""

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool

from kit.auth import CurrentResident
from kit.idempotency import Db, IdempotentRoute
from ledger.clock import Clock
from merchant.payments.qr_payments import pay_qr
from merchant.payments.schemas import WalletPaymentCreate, WalletPaymentPublic

router = APIRouter(route_class=IdempotentRoute, tags=["payment_intents"])


@router.post(
    "/wallet/payments",
    status_code=201,
    response_model=WalletPaymentPublic,
    tags=["residents"],
    responses={
        402: {"description": "insufficient_funds"},
        404: {"description": "merchant_not_found, wallet_not_found, payment_intent_not_found"},
        409: {
            "description": "payment_intent_already_paid, payment_intent_canceled,"
            " payment_intent_expired"
        },
        422: {"description": "invalid_qr, amount_required, amount_mismatch, limit_exceeded"},
    },
)
async def create_wallet_payment(
    body: WalletPaymentCreate, db: Db, resident_id: CurrentResident, request: Request
) -> WalletPaymentPublic:
    """Pays a merchant's QR you scanned: a static code (send ``amount``) or a dynamic
    one of a payment intent (its amount is inside). Paid from your wallet in the code's coin."""
    clock: Clock = request.app.state.clock

    def pay() -> WalletPaymentPublic:
        payment = pay_qr(
            db,
            resident_id=resident_id,
            qr_payload=body.qr_payload,
            amount=body.amount,
            at=clock.now(),
        )
        return WalletPaymentPublic.model_validate(payment.as_json())

    # A plain function would cost two hops to the thread pool, one for the work
    # and one for checking the answer against its model; here the answer is
    # checked on the event loop and the work is the request's one hop.
    return await run_in_threadpool(pay)
