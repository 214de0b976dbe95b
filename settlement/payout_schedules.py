"""Merchants' automatic cash-outs (自動換金): a schedule, and the payouts it makes when due.

A schedule says how often (``daily``, ``weekly`` on one weekday, or
``month_end``) and the least worth paying (``min_amount``). When a batch
closes for a business date on which a merchant's schedule is due and the
merchant's available coin is at least ``min_amount``, a payout of all its
available coin is asked for (source ``schedule``) and joins that batch.

Due dates, for a batch's business date ``d``:
- daily: every batch;
- weekly: ``d`` falls on the weekday (0 = Monday … 6 = Sunday);
- month_end: ``d`` is the month's last bank business day (no business day
  follows it in the same month), so a month whose last days are a weekend
  still pays once.

A suspended merchant is skipped, as is one whose whole balance would be fee.

Refusals (setting a schedule): ``weekday_invalid`` (422) when a weekly
schedule has no weekday or another frequency has one; ``merchant_not_found``
(404) for a merchant of another coin.
"""

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Connection, text

from jp_banking.business_days import is_business_day, next_business_day
from kit.errors import Code
from kit.problems import Problem
from ledger.records import RecordColumns
from merchant.accounts.merchants import Merchant, get_merchant
from merchant.payouts.payouts import Payout, PayoutSource, request_payout


class Frequency(StrEnum):
    DAILY = "daily"
    WEEKLY = "weekly"
    MONTH_END = "month_end"


@dataclass(frozen=True, slots=True)
class PayoutSchedule:
    """Attributes:
    merchant_id: the merchant it pays.
    frequency: how often it is due.
    weekday: for weekly, the day (0 = Monday … 6 = Sunday); None otherwise.
    min_amount: the least available coin worth a payout.
    """

    merchant_id: int
    frequency: Frequency
    weekday: int | None
    min_amount: int

    def as_json(self, merchant_public_id: str) -> dict[str, Any]:
        return {
            "merchant_id": merchant_public_id,
            "frequency": self.frequency.value,
            "weekday": self.weekday,
            "min_amount": self.min_amount,
        }

    def is_due(self, day: date) -> bool:
        if self.frequency is Frequency.DAILY:
            return True
        if self.frequency is Frequency.WEEKLY:
            return day.weekday() == self.weekday
        return is_business_day(day) and next_business_day(day).month != day.month


def set_schedule(
    conn: Connection,
    *,
    merchant: Merchant,
    frequency: Frequency,
    weekday: int | None,
    min_amount: int,
    at: datetime,
) -> PayoutSchedule:
    """Sets (or replaces) the merchant's schedule."""
    if (frequency is Frequency.WEEKLY) != (weekday is not None):
        raise Problem(
            Code.WEEKDAY_INVALID,
            "a weekly schedule names its weekday (0-6); daily and month_end ones do not",
        )
    conn.execute(
        text(
            "INSERT INTO payout_schedules (coin_id, merchant_id, frequency, weekday, min_amount,"
            " updated_at) VALUES (:coin, :merchant, :frequency, :weekday, :min, :at)"
            " ON CONFLICT (coin_id, merchant_id) DO UPDATE SET frequency = EXCLUDED.frequency,"
            " weekday = EXCLUDED.weekday, min_amount = EXCLUDED.min_amount,"
            " updated_at = EXCLUDED.updated_at"
        ),
        {
            "coin": merchant.coin_id,
            "merchant": merchant.id,
            "frequency": frequency.value,
            "weekday": weekday,
            "min": min_amount,
            "at": at,
        },
    )
    return PayoutSchedule(merchant.id, frequency, weekday, min_amount)


_SCHEDULE = RecordColumns(PayoutSchedule, frequency=Frequency)


def schedules_of(conn: Connection, *, coin_id: int) -> list[tuple[PayoutSchedule, int]]:
    """Each schedule of the coin's active merchants, with the merchant's available coin."""
    rows = conn.execute(
        text(
            f"SELECT {_SCHEDULE.select('s')},"
            " (sum(b.posted) - sum(b.held))::bigint AS available FROM payout_schedules s"
            " JOIN merchants m ON m.coin_id = s.coin_id AND m.id = s.merchant_id"
            " JOIN account_balances b ON b.coin_id = m.coin_id AND b.account_id = m.account_id"
            " WHERE s.coin_id = :coin AND m.status = 'active'"
            " GROUP BY s.merchant_id, s.frequency, s.weekday, s.min_amount ORDER BY s.merchant_id"
        ),
        {"coin": coin_id},
    ).all()
    return [(_SCHEDULE.read(row), row.available) for row in rows]


_NOT_THIS_TIME = frozenset(
    {Code.PAYOUT_BELOW_FEE, Code.PAYOUT_BELOW_MINIMUM, Code.PAYOUTS_PENDING_LIMIT}
)


def request_scheduled_payouts(
    conn: Connection, *, coin_id: int, business_date: date, at: datetime
) -> list[Payout]:
    """Asks for the payouts the schedules owe on this business date; returns them."""
    payouts: list[Payout] = []
    for schedule, available in schedules_of(conn, coin_id=coin_id):
        if not schedule.is_due(business_date) or available < schedule.min_amount:
            continue
        merchant = get_merchant(conn, coin_id=coin_id, merchant_id=schedule.merchant_id)
        try:
            payouts.append(
                request_payout(
                    conn,
                    merchant=merchant,
                    amount=available,
                    source=PayoutSource.SCHEDULE,
                    at=at,
                )
            )
        except Problem as refusal:
            # All fee, under the coin's smallest cash-out, or enough already waiting:
            # nothing to pay this time; the refusal happens before any write.
            if refusal.code not in _NOT_THIS_TIME:
                raise
    return payouts
