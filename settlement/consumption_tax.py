"""Consumption tax on merchant fees: the coin's rates over time, and the tax of an invoice.

Fee rates (fee plans, overrides) are set excluding tax; the fees posted per
transaction are those excluding-tax amounts, exact integers as before. The tax
is computed once per qualified invoice and per rate, on the total of the fees
at that rate, rounded down: the 適格請求書 rule allows one rounding per rate per
invoice (消費税法施行令第70条の10), and rounding down never charges a merchant
more than the rate.

A coin's rates are rows of ``consumption_tax_rates`` (rate in basis points
from an effective Tokyo date), set by the issuer (``POST /v1/settlement/tax_rates``).
Before and without them, ``STANDARD_RATE`` applies: 10% since 2019-10-01, the standard
rate of 消費税法 (fees are not food, so the reduced 8% never applies).

Refusal: ``tax_rate_invalid`` (422) for a rate outside 0-10000 basis points
or an effective date before today (an invoiced month is never re-taxed).
"""

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Connection, text

from kit.errors import Code
from kit.problems import Problem

BP_PER_UNIT = 10_000


@dataclass(frozen=True, slots=True)
class TaxRate:
    """Attributes:
    effective_from: the first Tokyo day the rate applies.
    rate_bp: the rate in basis points (1000 is 10%).
    """

    effective_from: date
    rate_bp: int


STANDARD_RATE = TaxRate(date(2019, 10, 1), 1_000)


def tax_rates(conn: Connection, *, coin_id: int) -> list[TaxRate]:
    """The coin's rates, oldest first, after the standard rate (recorded rates start
    today or later, so they follow it)."""
    rows = conn.execute(
        text(
            "SELECT effective_from, rate_bp FROM consumption_tax_rates WHERE coin_id = :coin"
            " ORDER BY effective_from"
        ),
        {"coin": coin_id},
    ).all()
    return [STANDARD_RATE, *(TaxRate(*row) for row in rows)]


def rate_on(rates: list[TaxRate], day: date) -> int:
    """The rate in force on ``day``: the last one effective by then (0 before the first)."""
    applying = [rate.rate_bp for rate in rates if rate.effective_from <= day]
    return applying[-1] if applying else 0


def tax_on(base_yen: int, rate_bp: int) -> int:
    """The tax on ``base_yen`` at ``rate_bp``, rounded toward zero (down for a charge)."""
    assert 0 <= rate_bp <= BP_PER_UNIT
    magnitude = abs(base_yen) * rate_bp // BP_PER_UNIT
    return magnitude if base_yen >= 0 else -magnitude


def record_tax_rate(
    conn: Connection, *, coin_id: int, rate: TaxRate, today: date, at: datetime
) -> list[TaxRate]:
    """Adds (or replaces) the rate from its effective date on; returns the coin's rates."""
    if not 0 <= rate.rate_bp <= BP_PER_UNIT:
        raise Problem(Code.TAX_RATE_INVALID, f"rate {rate.rate_bp} is not 0 to 10000 basis points")
    if rate.effective_from < today:
        raise Problem(
            Code.TAX_RATE_INVALID,
            f"{rate.effective_from} is past: invoiced months are never re-taxed",
        )
    conn.execute(
        text(
            "INSERT INTO consumption_tax_rates (coin_id, effective_from, rate_bp, recorded_at)"
            " VALUES (:coin, :day, :bp, :at) ON CONFLICT (coin_id, effective_from)"
            " DO UPDATE SET rate_bp = EXCLUDED.rate_bp, recorded_at = EXCLUDED.recorded_at"
        ),
        {"coin": coin_id, "day": rate.effective_from, "bp": rate.rate_bp, "at": at},
    )
    return tax_rates(conn, coin_id=coin_id)
