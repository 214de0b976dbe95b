"""Changing a coin's rules: the issuer sets caps, limits and the charge bonus.

Only the fields given change; the others keep their values. The rules apply
from the next request on: a top-up or payment already recorded keeps what it
was recorded with. Caps that a wallet already exceeds after a cap is lowered
block further credits to it, never take coin away.
"""

from collections.abc import Mapping

from sqlalchemy import Connection, text

from kit.errors import Code
from kit.problems import Problem
from ledger.limits import AMOUNT_MAX
from wallet_api.rules import CoinRules, get_rules

AMOUNT_RULES = (
    "basic_balance_cap",
    "verified_balance_cap",
    "payment_max",
    "daily_topup_max",
    "step_up_amount",
    "approval_threshold",
    "daily_issuance_max_per_key",
    "cashout_min",
    "btob_min",
    "pending_payouts_max",
)
# A budget is a running total, not one amount: it may pass AMOUNT_MAX.
POINTS_BUDGET_MAX = 10**15
BONUS_BP_MAX = 10_000
# Transaction and verification records are kept seven years (Act on Prevention of
# Transfer of Criminal Proceeds); an issuer may keep them longer, never shorter.
RETENTION_YEARS_MIN = 7
RETENTION_YEARS_MAX = 30
TOPUP_CHANNELS = frozenset({"counter", "atm", "bank_account", "card"})


def change_rules(conn: Connection, *, coin_id: int, changes: Mapping[str, object]) -> CoinRules:
    """Applies ``changes`` (rule name → new value) and returns the coin's rules.

    Refuses with ``rules_invalid`` (422) a change that leaves the rules
    inconsistent; nothing changes then.
    """
    current = get_rules(conn, coin_id=coin_id)
    merged: dict[str, object] = {
        "basic_balance_cap": current.basic_balance_cap,
        "verified_balance_cap": current.verified_balance_cap,
        "payment_max": current.payment_max,
        "daily_topup_max": current.daily_topup_max,
        "topup_bonus_bp": current.topup_bonus_bp,
        "topup_bonus_excluded_channels": sorted(current.topup_bonus_excluded_channels),
        "merchant_to_resident_allowed": current.merchant_to_resident_allowed,
        "step_up_amount": current.step_up_amount,
        "approval_threshold": current.approval_threshold,
        "points_budget": current.points_budget,
        "daily_issuance_max_per_key": current.daily_issuance_max_per_key,
        "cashout_min": current.cashout_min,
        "btob_min": current.btob_min,
        "fee_min": current.fee_min,
        "pending_payouts_max": current.pending_payouts_max,
        "retention_years": current.retention_years,
    }
    unknown = set(changes) - set(merged)
    assert not unknown, f"the schema lets no other rule through: {unknown}"
    merged.update(changes)
    if "topup_bonus_excluded_channels" in changes:
        merged["topup_bonus_excluded_channels"] = sorted(
            set(changes["topup_bonus_excluded_channels"])  # type: ignore[call-overload]
        )
    _check(merged)
    conn.execute(
        text(
            "UPDATE coin_rules SET basic_balance_cap = :basic_balance_cap,"
            " verified_balance_cap = :verified_balance_cap, payment_max = :payment_max,"
            " daily_topup_max = :daily_topup_max, topup_bonus_bp = :topup_bonus_bp,"
            " topup_bonus_excluded_channels = :topup_bonus_excluded_channels,"
            " merchant_to_resident_allowed = :merchant_to_resident_allowed,"
            " step_up_amount = :step_up_amount, approval_threshold = :approval_threshold,"
            " points_budget = :points_budget,"
            " daily_issuance_max_per_key = :daily_issuance_max_per_key,"
            " cashout_min = :cashout_min, btob_min = :btob_min, fee_min = :fee_min,"
            " pending_payouts_max = :pending_payouts_max, retention_years = :retention_years"
            " WHERE coin_id = :coin"
        ),
        {"coin": coin_id, **merged},
    )
    return get_rules(conn, coin_id=coin_id)


def _check(rules: Mapping[str, object]) -> None:
    for name in AMOUNT_RULES:
        value = rules[name]
        if not (isinstance(value, int) and 0 < value <= AMOUNT_MAX):
            _refuse(f"{name} is 1 to {AMOUNT_MAX} coin")
    fee_min = rules["fee_min"]
    if not (isinstance(fee_min, int) and 0 <= fee_min <= AMOUNT_MAX):
        _refuse(f"fee_min is 0 to {AMOUNT_MAX} coin")
    budget = rules["points_budget"]
    if budget is not None and not (isinstance(budget, int) and 0 <= budget <= POINTS_BUDGET_MAX):
        _refuse(f"points_budget is 0 to {POINTS_BUDGET_MAX} coin")
    basic, verified = rules["basic_balance_cap"], rules["verified_balance_cap"]
    assert isinstance(basic, int) and isinstance(verified, int)
    if basic > verified:
        _refuse("basic_balance_cap is at most verified_balance_cap")
    years = rules["retention_years"]
    if not (isinstance(years, int) and RETENTION_YEARS_MIN <= years <= RETENTION_YEARS_MAX):
        _refuse(f"retention_years is {RETENTION_YEARS_MIN} to {RETENTION_YEARS_MAX}")
    bonus_bp = rules["topup_bonus_bp"]
    if not (isinstance(bonus_bp, int) and 0 <= bonus_bp <= BONUS_BP_MAX):
        _refuse(f"topup_bonus_bp is 0 to {BONUS_BP_MAX} basis points")
    if not isinstance(rules["merchant_to_resident_allowed"], bool):
        _refuse("merchant_to_resident_allowed is true or false")
    channels = rules["topup_bonus_excluded_channels"]
    assert isinstance(channels, list)
    if not set(channels) <= TOPUP_CHANNELS:
        _refuse(f"topup_bonus_excluded_channels are among {sorted(TOPUP_CHANNELS)}")


def _refuse(detail: str) -> None:
    raise Problem(Code.RULES_INVALID, detail)
