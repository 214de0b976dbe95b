"""A coin's rules: balance caps by tier, the largest payment, the daily top-up limit."""

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import Connection, text

from kit.errors import Code
from kit.problems import Problem
from ledger.records import RecordColumns


class Tier(StrEnum):
    """basic: right after sign-up (low cap, no transfers between people).
    verified: after the issuer checked the resident's identity."""

    BASIC = "basic"
    VERIFIED = "verified"


@dataclass(frozen=True, slots=True)
class CoinRules:
    """Attributes:
    coin_id: the coin they govern.
    basic_balance_cap, verified_balance_cap: the most a wallet of each tier may hold.
    payment_max: the largest single payment.
    daily_topup_max: the most one wallet may be topped up per business day (Tokyo).
    topup_bonus_bp: points granted on a top-up, in basis points (100 = 1%).
    topup_bonus_excluded_channels: channels that earn no bonus.
    merchant_to_resident_allowed: may merchants pay residents (change, cash-back)?
        Off unless the issuer allows it: giving change counts as refunding
        prepaid value under the Payment Services Act.
    step_up_amount: payments and transfers of this much or more carry the
        resident's PIN (a stolen unlocked phone pays small amounts only).
    approval_threshold: a top-up, or a points grant in total, above this
        waits for a second key's approval (four eyes on money creation).
    points_budget: the most points the municipality may grant in all; None
        until the issuer sets it.
    daily_issuance_max_per_key: the most one key may issue (top-ups and points
        grants) per Tokyo business day, approved issuance counted to its maker.
    cashout_min, btob_min: the smallest cash-out and merchant-to-merchant transfer.
    fee_min: the least fee a cash-out or BtoB transfer pays (0: none).
    pending_payouts_max: cash-outs one merchant may have waiting for a batch.
    issuance_ends_at, acceptance_ends_at: a wind-down's dates (wallet_api/winddown.py):
        no top-ups, points or premium sales from the first, no payments or transfers
        from the second; None while the coin is not winding down.
    retention_years: how long after a wallet's last movement its resident's
        records are kept; erasure is refused before (wallet_api/resident_erasure.py).
    """

    coin_id: int
    basic_balance_cap: int
    verified_balance_cap: int
    payment_max: int
    daily_topup_max: int
    topup_bonus_bp: int
    topup_bonus_excluded_channels: frozenset[str]
    merchant_to_resident_allowed: bool = False
    step_up_amount: int = 10_000
    approval_threshold: int = 300_000
    points_budget: int | None = None
    daily_issuance_max_per_key: int = 10_000_000
    cashout_min: int = 500
    btob_min: int = 100
    fee_min: int = 0
    pending_payouts_max: int = 20
    issuance_ends_at: datetime | None = None
    acceptance_ends_at: datetime | None = None
    retention_years: int = 7

    def check_issuing(self, at: datetime) -> None:
        """Refuses new coin (top-ups, points, premium) once a wind-down stopped issuance."""
        if self.issuance_ends_at is not None and at >= self.issuance_ends_at:
            raise Problem(
                Code.COIN_WINDING_DOWN,
                f"the coin stopped issuing at {self.issuance_ends_at.isoformat()}",
            )

    def check_accepting(self, at: datetime) -> None:
        """Refuses payments and transfers once a wind-down ended acceptance."""
        if self.acceptance_ends_at is not None and at >= self.acceptance_ends_at:
            raise Problem(
                Code.COIN_ACCEPTANCE_ENDED,
                f"the coin is no longer accepted since {self.acceptance_ends_at.isoformat()};"
                " claim the refund in the wallet or at the counter",
            )

    def balance_cap(self, tier: Tier) -> int:
        return self.verified_balance_cap if tier is Tier.VERIFIED else self.basic_balance_cap


# The schemes in use: about 100,000 before an identity check, 2,000,000 after.
DEFAULTS = {
    "basic_balance_cap": 100_000,
    "verified_balance_cap": 2_000_000,
    "payment_max": 500_000,
    "daily_topup_max": 500_000,
    "topup_bonus_bp": 0,
}


def open_rules(conn: Connection, *, coin_id: int) -> None:
    conn.execute(
        text(
            "INSERT INTO coin_rules (coin_id, basic_balance_cap, verified_balance_cap,"
            " payment_max, daily_topup_max, topup_bonus_bp, topup_bonus_excluded_channels)"
            " VALUES (:coin, :basic_balance_cap, :verified_balance_cap, :payment_max,"
            " :daily_topup_max, :topup_bonus_bp, '{}')"
        ),
        {"coin": coin_id, **DEFAULTS},
    )


COIN_RULES = RecordColumns(CoinRules, topup_bonus_excluded_channels=frozenset)


def get_rules(conn: Connection, *, coin_id: int) -> CoinRules:
    row = conn.execute(
        text(f"SELECT {COIN_RULES.sql} FROM coin_rules WHERE coin_id = :coin"), {"coin": coin_id}
    ).one()
    return COIN_RULES.read(row)
