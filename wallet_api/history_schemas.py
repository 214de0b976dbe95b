"""Bodies of a wallet's history: one line per change of the balance, in a resident's words."""

from pydantic import BaseModel, Field


class HistoryItem(BaseModel):
    id: str = Field(description="The line's cursor: pass it as starting_after for older lines.")
    amount: int = Field(description="Signed coin: positive came in, negative went out.")
    kind: str = Field(description="What happened, as the ledger names it (topup.counter, p2p…).")
    description: str = Field(description="What happened, in words a resident understands.")
    created_at: str = Field(description="ISO 8601, UTC.")


class HistoryPagePublic(BaseModel):
    data: list[HistoryItem] = Field(description="Newest first.")
    has_more: bool = Field(description="Are there older lines after the last one?")
