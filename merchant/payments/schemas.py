"""Bodies of payment intents and of residents' QR payments (separate Create and Public shapes)."""

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from ledger.limits import AMOUNT_MAX
from merchant.qr.emvco_qr import PAYLOAD_LENGTH_MAX

IntentStatusName = Literal[
    "requires_payment", "requires_capture", "succeeded", "canceled", "expired"
]


class PaymentIntentCreate(BaseModel):
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
    wallet_id: str | None = Field(description="The wallet that paid; null until paid.")
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


class PaymentIntentCapture(BaseModel):
    amount: int | None = Field(
        default=None,
        description="Coin to capture; default all that is held. The rest is released.",
        gt=0,
        le=AMOUNT_MAX,
    )


class PaymentIntentCancel(BaseModel):
    cancellation_reason: Literal["requested_by_merchant", "abandoned", "duplicate"] = (
        "requested_by_merchant"
    )


class WalletPaymentCreate(BaseModel):
    qr_payload: str = Field(
        description="The merchant-presented code as scanned.",
        min_length=1,
        max_length=PAYLOAD_LENGTH_MAX,
    )
    amount: int | None = Field(
        default=None,
        description="Required for a static code; a dynamic code carries its own.",
        gt=0,
        le=AMOUNT_MAX,
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
