"""Bodies of the issuer's printed QR cards: issuing one, blocking it, reading it."""

from typing import Literal

from pydantic import BaseModel, Field

from kit.request_body import RequestBody
from wallet_api.cards import BLOCK_REASON_CHARS_MAX


class CardBlock(RequestBody):
    reason: str = Field(
        description="Why, e.g. lost, stolen, damaged.",
        min_length=1,
        max_length=BLOCK_REASON_CHARS_MAX,
    )


class CardPublic(BaseModel):
    card_id: str
    wallet_id: str
    status: Literal["active", "blocked"]
    issued_at: str = Field(description="ISO 8601, UTC.")
    blocked_at: str | None = Field(description="ISO 8601, UTC; null while active.")
    block_reason: str | None = Field(
        description="Why it was blocked; `reissued` when a new card replaced it."
    )


class CardIssued(CardPublic):
    qr_payload: str = Field(
        description="What to print as the card's QR code. Shown once: only a hash is kept."
    )
