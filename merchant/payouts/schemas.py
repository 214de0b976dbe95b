"""Bodies of cash-out requests (換金): asking for one, reading them."""

from pydantic import BaseModel, Field

from kit.request_body import RequestBody
from ledger.limits import AMOUNT_MAX


class PayoutCreate(RequestBody):
    amount: int = Field(
        description="Coin to cash out; the fee comes out of it.", gt=0, le=AMOUNT_MAX
    )


class PayoutPublic(BaseModel):
    id: str = Field(description="po_…")
    object: str = "payout"
    merchant_id: str
    source: str = Field(description="request or schedule.")
    amount: int
    fee: int = Field(description="The cash-out fee (rounded down), fixed when asked.")
    net: int = Field(description="The yen the bank transfers: amount - fee.")
    status: str = Field(description="pending, in_batch, paid, returned or canceled.")
    requested_at: str = Field(description="ISO 8601, UTC.")


class PayoutPage(BaseModel):
    data: list[PayoutPublic] = Field(description="Newest first.")
    has_more: bool
