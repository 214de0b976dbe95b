"""Bodies of the operator's calls: a coin's headline figures, and who a key stands for."""

from typing import Literal

from pydantic import BaseModel, Field


class Outstanding(BaseModel):
    """Coin held in wallets (the issuer's liability), in coin (= yen)."""

    residents: int
    merchants: int
    total: int


class LedgerSummary(BaseModel):
    """A coin's headline figures, from the cached balances, all integers of coin."""

    coin: str
    outstanding: Outstanding
    reserve: int
    fees: int
    breakage: int


class Me(BaseModel):
    role: Literal["operator", "issuer", "municipality", "merchant"]
    coin: str = Field(description="The coin's code.")
    coin_name: str
    issuer_name: str
    merchant_id: str | None = Field(description="For a merchant's key, its merchant (mer_…).")
