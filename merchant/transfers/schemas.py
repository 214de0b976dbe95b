"""Bodies of transfers out of a merchant's wallet: to another merchant (BtoB) and to a resident."""

from pydantic import BaseModel, Field

from kit.request_body import RequestBody
from ledger.limits import AMOUNT_MAX
from merchant.transfers.resident_payments import PaymentReason


class MerchantTransferCreate(RequestBody):
    to_merchant_id: str = Field(description="The receiving merchant (mer_…).", max_length=40)
    amount: int = Field(
        description="Coin taken from the sender; the fee comes out of it.", gt=0, le=AMOUNT_MAX
    )


class MerchantTransferPublic(BaseModel):
    id: str = Field(description="mtr_…")
    object: str = "merchant_transfer"
    direction: str = Field(description="sent or received, as the caller sees it.")
    from_merchant_id: str
    to_merchant_id: str
    amount: int
    fee: int = Field(description="The BtoB fee (rounded down), kept from the amount.")
    net: int = Field(description="What the receiver got: amount - fee.")
    created_at: str = Field(description="ISO 8601, UTC.")


class MerchantTransferPage(BaseModel):
    data: list[MerchantTransferPublic] = Field(description="Newest first.")
    has_more: bool


class ResidentPaymentCreate(RequestBody):
    wallet_id: str = Field(description="The resident's wallet (wal_…).", max_length=40)
    amount: int = Field(description="Coin to credit, as money.", gt=0, le=AMOUNT_MAX)
    reason: PaymentReason


class ResidentPaymentPublic(BaseModel):
    id: str = Field(description="rpy_…")
    object: str = "resident_payment"
    merchant_id: str
    wallet_id: str
    amount: int
    reason: PaymentReason
    created_at: str = Field(description="ISO 8601, UTC.")


class ResidentPaymentPage(BaseModel):
    data: list[ResidentPaymentPublic] = Field(description="Newest first.")
    has_more: bool
