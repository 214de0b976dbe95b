"""What a scanned code pays, from our records, before the resident pays it.

The wallet's confirm screen shows this and nothing read from the code itself:
the registered payee's name and category, the coin, and for a payment
intent its amount, description and deadline. A code whose names are not the
registered payee's is refused here as at payment (``invalid_qr`` naming the
field), so the resident never sees a forged name next to a pay button.
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection

from merchant.accounts.merchants import require_active
from merchant.payments.charges import check_amount
from merchant.payments.payment_context import payment_context
from merchant.payments.qr_payments import check_payee, payable_intent, read_qr
from merchant.qr.emvco_qr import Initiation
from merchant.qr.qr_settings import check_template_accepted


@dataclass(frozen=True, slots=True)
class PaymentPreview:
    """Attributes:
    merchant_id, merchant_name, category: the registered payee.
    coin, coin_name: the coin paid in.
    amount: the intent's amount, or the amount the resident typed; None for a
        static code without one yet.
    reference: the intent's booking or certificate number; None otherwise.
    description: the intent's text for the payer; None otherwise.
    payment_intent_id, expires_at: the intent paid, and until when; None for a static code.
    step_up_amount: from this amount on the payment carries the PIN.
    available: what the resident's wallet can spend now.
    """

    merchant_id: str
    merchant_name: str
    category: str
    coin: str
    coin_name: str
    amount: int | None
    reference: str | None
    description: str | None
    payment_intent_id: str | None
    expires_at: datetime | None
    step_up_amount: int

    @property
    def pin_required(self) -> bool:
        return self.amount is not None and self.amount >= self.step_up_amount


def preview_qr(
    conn: Connection, *, resident_id: int, qr_payload: str, amount: int | None, at: datetime
) -> PaymentPreview:
    """The payee and amount of the code, checked as a payment would check them; nothing
    is written."""
    qr = read_qr(qr_payload)
    known = payment_context(
        conn,
        coin_code=qr.coin_code,
        merchant_public_id=qr.merchant_id,
        resident_id=resident_id,
        at=at,
    )
    coin, merchant, rules = known.coin, known.merchant, known.rules
    check_payee(qr, merchant)
    check_template_accepted(conn, coin_id=coin.id, qr=qr, at=at)
    require_active(merchant)
    reference = description = intent_id = expires_at = None
    if qr.initiation is not Initiation.STATIC:
        intent = payable_intent(conn, known=known, qr=qr, amount=amount, at=at, for_update=False)
        amount, reference, description = intent.amount, intent.reference, intent.description
        intent_id, expires_at = intent.public_id, intent.expires_at
    elif amount is not None:
        check_amount(rules, amount, at)
    return PaymentPreview(
        merchant_id=merchant.public_id,
        merchant_name=merchant.name,
        category=merchant.category,
        coin=coin.code,
        coin_name=coin.name,
        amount=amount,
        reference=reference,
        description=description,
        payment_intent_id=intent_id,
        expires_at=expires_at,
        step_up_amount=rules.step_up_amount,
    )
