"""Bodies of transfers between residents and of opening a wallet in another coin."""

from typing import Literal

from pydantic import BaseModel, Field

from kit.request_body import RequestBody
from ledger.limits import AMOUNT_MAX


class TransferCreate(RequestBody):
    to_wallet_id: str = Field(description="The recipient's wallet (wal_…).", max_length=40)
    amount: int = Field(description="Coin to send; money only.", gt=0, le=AMOUNT_MAX)
    coin: str | None = Field(
        default=None,
        description="The coin's code; default: the coin the resident signed up in.",
        min_length=2,
        max_length=16,
    )
    pin: str | None = Field(
        default=None,
        description="The resident's PIN: required from the coin's step-up amount on.",
        pattern=r"^[0-9]{4,6}$",
    )


class TransferPublic(BaseModel):
    id: str
    from_wallet_id: str
    to_wallet_id: str
    amount: int
    coin: str
    created_at: str = Field(description="ISO 8601, UTC.")


class WalletCreate(RequestBody):
    coin: str = Field(description="The code of the coin to open a wallet in.", max_length=16)


class WalletOpened(BaseModel):
    wallet_id: str
    coin: str
    tier: Literal["basic", "verified"]
