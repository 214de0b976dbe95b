"""Bodies of payments: charges at the till, refunds, payment intents, residents' QR
payments and a day's sales (separate Create and Public shapes)."""

from datetime import date, datetime
from typing import Literal, Self

from pydantic import BaseModel, Field, model_validator

from kit.request_body import RequestBody
from ledger.limits import AMOUNT_MAX
from merchant.payments.daily_sales import DaySales
from merchant.payments.payment_preview import PaymentPreview
from merchant.payments.receipts import Receipt
from merchant.qr.emvco_qr import PAYLOAD_LENGTH_MAX

IntentStatusName = Literal[
    "requires_payment", "requires_capture", "succeeded", "canceled", "expired"
]


class PaymentIntentCreate(RequestBody):
    amount: int = Field(description="Coin to collect (1 coin = 1 yen).", gt=0, le=AMOUNT_MAX)
    reference: str = Field(
        description="Your booking or certificate number; shown back on the intent and its charge.",
        min_length=1,
        max_length=100,
    )
    capture_method: Literal["automatic", "manual"] = Field(
        default="automatic",
        description="automatic: paid is captured. manual: paid is held for you to capture.",
    )
    description: str | None = Field(default=None, min_length=1, max_length=500)
    expires_at: datetime | None = Field(
        default=None,
        description="ISO 8601 with offset; when an unpaid intent expires. Default 15 minutes,"
        " at most 7 days.",
    )


class PaymentIntentPublic(BaseModel):
    id: str = Field(description="pi_…; also the reference label of its QR.")
    object: Literal["payment_intent"] = "payment_intent"
    amount: int
    amount_capturable: int = Field(description="What a capture may take now.")
    amount_captured: int
    reference: str
    description: str | None
    capture_method: Literal["automatic", "manual"]
    status: IntentStatusName
    qr_payload: str = Field(description="The dynamic EMVCo merchant-presented payload.")
    merchant_id: str
    customer_id: str | None = Field(
        description="Who paid, as this merchant knows them (cus_…, the same resident at"
        " another shop has another id); null until paid."
    )
    charge_id: str | None = Field(description="The charge it became; refund this.")
    created_at: str
    expires_at: str
    paid_at: str | None
    capture_before: str | None = Field(description="A held intent's capture deadline.")
    canceled_at: str | None
    cancellation_reason: (
        Literal["requested_by_merchant", "abandoned", "duplicate", "capture_expired"] | None
    )


class PaymentIntentList(BaseModel):
    data: list[PaymentIntentPublic]
    has_more: bool


class PaymentIntentCapture(RequestBody):
    amount: int | None = Field(
        default=None,
        description="Coin to capture; default all that is held. The rest is released.",
        gt=0,
        le=AMOUNT_MAX,
    )


class PaymentIntentCancel(RequestBody):
    cancellation_reason: Literal["requested_by_merchant", "abandoned", "duplicate"] = (
        "requested_by_merchant"
    )


class WalletPaymentPreviewCreate(RequestBody):
    qr_payload: str = Field(
        description="The merchant-presented code as scanned.",
        min_length=1,
        max_length=PAYLOAD_LENGTH_MAX,
    )
    amount: int | None = Field(
        default=None,
        description="Required for a static code; a dynamic code carries its own (a preview"
        " checks it against the coin's largest payment).",
        gt=0,
        le=AMOUNT_MAX,
    )


class WalletPaymentCreate(WalletPaymentPreviewCreate):
    """What the preview took, and the PIN."""

    pin: str | None = Field(
        default=None,
        description="The resident's PIN: required from the coin's step-up amount on.",
        pattern=r"^[0-9]{4,6}$",
    )


class WalletPaymentPreviewPublic(BaseModel):
    merchant_id: str = Field(description="The registered payee (mer_…).")
    merchant_name: str = Field(description="Its registered name: show this, not the code's.")
    category: str
    coin: str = Field(description="The coin's code.")
    coin_name: str
    amount: int | None = Field(description="The intent's amount, or the one sent; else null.")
    reference: str | None = Field(description="The intent's booking or certificate number.")
    description: str | None = Field(description="The intent's text for the payer.")
    payment_intent_id: str | None
    expires_at: str | None = Field(description="Until when the intent can be paid.")
    step_up_amount: int = Field(description="From this amount on, the payment carries the PIN.")
    pin_required: bool = Field(description="Whether this payment (its amount) needs the PIN.")

    @classmethod
    def of(cls, preview: PaymentPreview) -> "WalletPaymentPreviewPublic":
        return cls(
            merchant_id=preview.merchant_id,
            merchant_name=preview.merchant_name,
            category=preview.category,
            coin=preview.coin,
            coin_name=preview.coin_name,
            amount=preview.amount,
            reference=preview.reference,
            description=preview.description,
            payment_intent_id=preview.payment_intent_id,
            expires_at=None if preview.expires_at is None else preview.expires_at.isoformat(),
            step_up_amount=preview.step_up_amount,
            pin_required=preview.pin_required,
        )


class WalletPaymentPublic(BaseModel):
    id: str = Field(description="The charge (ch_…), or the intent (pi_…) while only held.")
    object: Literal["payment"] = "payment"
    status: Literal["succeeded", "requires_capture"]
    amount: int
    coin: str
    merchant_id: str
    merchant_name: str
    wallet_id: str
    charge_id: str | None
    payment_intent_id: str | None
    created_at: str


class ChargeCreate(RequestBody):
    """Exactly one of ``payment_token`` (a phone's QR) and ``card`` (a printed card) + ``pin``."""

    payment_token: str | None = Field(
        default=None, description="The token the resident's app showed.", max_length=200
    )
    card: str | None = Field(
        default=None, description="The text of the scanned card QR.", max_length=100
    )
    pin: str | None = Field(
        default=None, description="The card holder's PIN, typed at the till.", max_length=6
    )
    amount: int = Field(description="Coin to charge.", gt=0, le=AMOUNT_MAX)
    reference: str | None = Field(
        default=None, description="The merchant's own reference.", min_length=1, max_length=100
    )

    @model_validator(mode="after")
    def one_way_to_pay(self) -> Self:
        if (self.payment_token is None) == (self.card is None):
            raise ValueError("send exactly one of payment_token and card")
        if (self.card is None) != (self.pin is None):
            raise ValueError("a card needs its pin, and only a card takes one")
        return self


class ChargePublic(BaseModel):
    id: str = Field(description="ch_…")
    object: str = "charge"
    amount: int
    fee: int = Field(description="The payment fee kept from the amount (rounded down).")
    net: int = Field(description="What the merchant received: amount - fee.")
    refunded: int
    status: str = Field(description="succeeded, partially_refunded or refunded.")
    source: str = Field(description="payment_token, card, static_qr or payment_intent.")
    reference: str | None
    merchant_id: str
    customer_id: str = Field(
        description="Who paid, as this merchant knows them (cus_…): stable here, different at"
        " every other shop, never the resident's wallet id."
    )
    created_at: str = Field(description="ISO 8601, UTC.")


class ChargePage(BaseModel):
    data: list[ChargePublic] = Field(description="Newest first.")
    has_more: bool


class RefundCreate(RequestBody):
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


class HourSalesPublic(BaseModel):
    hour: int = Field(ge=0, le=23, description="The Tokyo wall-clock hour.")
    count: int
    amount: int
    refunded: int


class DaySalesPublic(BaseModel):
    business_date: date = Field(description="The business date in Asia/Tokyo.")
    count: int = Field(description="Charges taken that day.")
    amount: int = Field(description="Their total amount.")
    refunded: int = Field(description="Refunded of those charges, whenever refunded.")
    fee: int = Field(description="Fees kept on them, less fees given back with refunds.")
    net: int = Field(description="amount - refunded - fee: what the merchant keeps.")
    hours: list[HourSalesPublic] = Field(description="Always 24 buckets, hour 0 to 23.")

    @classmethod
    def of(cls, sales: DaySales) -> "DaySalesPublic":
        return cls(
            business_date=sales.business_date,
            count=sales.count,
            amount=sales.amount,
            refunded=sales.refunded,
            fee=sales.fee,
            net=sales.net,
            hours=[
                HourSalesPublic(hour=h.hour, count=h.count, amount=h.amount, refunded=h.refunded)
                for h in sales.hours
            ],
        )


class ReceiptPublic(BaseModel):
    """A payment's receipt, as the counter prints it for the resident."""

    number: str = Field(description="The receipt number: the charge's id (ch_…).")
    payee: str = Field(description="Who was paid: the merchant (the city, at a counter).")
    department: str | None = Field(description="The store (a city's department), if any.")
    window: str | None = Field(description="The terminal (a counter window) that took it.")
    amount: int
    refunded: int
    paid_at: str = Field(description="ISO 8601, Tokyo time (+09:00).")
    coin_name: str
    issuer_name: str
    reference: str | None = Field(description="What was paid for, as the clerk entered it.")

    @classmethod
    def of(cls, receipt: Receipt) -> "ReceiptPublic":
        return cls(
            number=receipt.number,
            payee=receipt.payee,
            department=receipt.department,
            window=receipt.window,
            amount=receipt.amount,
            refunded=receipt.refunded,
            paid_at=receipt.paid_at.isoformat(),
            coin_name=receipt.coin_name,
            issuer_name=receipt.issuer_name,
            reference=receipt.reference,
        )
