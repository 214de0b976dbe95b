"""The Payment Services Act (資金決済法) unused balance (未使用残高) at a base date.

At each base date (3/31 and 9/30) the issuer of a prepaid instrument reports
the unused balance of what it issued for value; when that exceeds the 基準額
of ¥10,000,000 it must secure half of it (発行保証金), and the report is due
within two months of the base date.

What counts, read from the ledger as it stood at the end of the base date in
Asia/Tokyo (the next day's midnight), never from today's balances, so activity
after the base date does not move the figures:

- residents' money lots: coin bought with yen (top-ups, card top-ups, the
  price part of a premium voucher, coin received from another resident);
- residents' premium lots: the bonus part of a premium voucher. It is issued
  for value too: the resident paid the price and the municipality pays the
  rest (receivable:municipality), and the issuer owes its face value in
  goods, so the whole face value counts;
- merchants' wallets: coin a merchant holds and may still re-spend (BtoB) or
  cash out. Counted so the deposit is never understated; the figure is given
  apart so the issuer can follow a narrower reading if its regulator does;
- points (行政ポイント, top-up bonuses) are free, not issued for value: given
  apart, never in the unused balance.

Coin already moved to payable:payout is a yen debt to the merchant, not
prepaid value, and is not counted.

Refusals:

| code | status | when |
| --- | --- | --- |
| ``base_date_invalid`` | 422 | not 3/31 or 9/30 (unless any date is asked for) |
| ``base_date_not_past`` | 422 | the base date has not ended yet in Asia/Tokyo |
"""

import calendar
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Connection, text

from kit.errors import Code
from kit.problems import Problem
from ledger.clock import end_of_business_date
from ledger.lots import LotKind, kind_totals_as_of

BASE_DATES = ((3, 31), (9, 30))
THRESHOLD_YEN = 10_000_000
FILING_MONTHS = 2


@dataclass(frozen=True, slots=True, kw_only=True)
class UnusedBalance:
    """The statutory figures of one coin at one base date, in yen (= coin).

    Attributes:
        base_date: the base date (Asia/Tokyo).
        statutory: is it a statutory base date (3/31 or 9/30)?
        as_of: the instant the figures are taken at (end of the base date, UTC).
        residents_money: residents' money lots.
        residents_premium: residents' premium lots (face value).
        merchants: what merchants' wallets held.
        unused_balance: residents_money + residents_premium + merchants.
        points: free points held, reported apart and not in unused_balance.
        exceeds_threshold: unused_balance > THRESHOLD_YEN.
        security_deposit: half the unused balance rounded up to the yen when
            it exceeds the threshold, else 0.
        filing_deadline: the last day to file (two months after the base date).
    """

    base_date: date
    statutory: bool
    as_of: datetime
    residents_money: int
    residents_premium: int
    merchants: int
    unused_balance: int
    points: int
    exceeds_threshold: bool
    security_deposit: int
    filing_deadline: date


def is_base_date(day: date) -> bool:
    return (day.month, day.day) in BASE_DATES


def check_base_date(day: date, *, any_date: bool, now: datetime) -> None:
    if not any_date and not is_base_date(day):
        raise Problem(
            Code.BASE_DATE_INVALID,
            f"{day} is not a base date: the Act's base dates are 3/31 and 9/30",
        )
    if end_of_business_date(day) > now:
        raise Problem(
            Code.BASE_DATE_NOT_PAST,
            f"{day} has not ended yet in Asia/Tokyo; its figures could still move",
        )


def security_deposit(unused_balance: int) -> int:
    """Half the unused balance, rounded up to the yen, once above the threshold."""
    if unused_balance <= THRESHOLD_YEN:
        return 0
    return (unused_balance + 1) // 2


def filing_deadline(base_date: date) -> date:
    """Two months after the base date, at the month's end when that day does not exist."""
    month_index = base_date.month - 1 + FILING_MONTHS
    year, month = base_date.year + month_index // 12, month_index % 12 + 1
    last_day = calendar.monthrange(year, month)[1]
    return date(year, month, min(base_date.day, last_day))


def merchants_balance_as_of(conn: Connection, *, coin_id: int, at: datetime) -> int:
    """What all merchants' wallets held just before ``at``: today's balances less
    what was posted to them since (so only the later postings are read)."""
    row = conn.execute(
        text(
            "WITH m AS (SELECT id FROM accounts WHERE coin_id = :coin"
            "           AND starts_with(code, 'wallet:merchant:'))"
            " SELECT (SELECT coalesce(sum(b.posted), 0) FROM account_balances b"
            "          WHERE b.coin_id = :coin AND b.account_id IN (SELECT id FROM m))::bigint,"
            "        (SELECT coalesce(sum(p.amount), 0) FROM postings p"
            "          WHERE p.coin_id = :coin AND p.account_id IN (SELECT id FROM m)"
            "            AND p.posted_at >= :at)::bigint"
        ),
        {"coin": coin_id, "at": at},
    ).one()
    current, since = row
    # Wallets are liabilities: a credit (negative amount) raised them.
    return int(current) + int(since)


def unused_balance(
    conn: Connection, *, coin_id: int, base_date: date, now: datetime, any_date: bool = False
) -> UnusedBalance:
    check_base_date(base_date, any_date=any_date, now=now)
    at = end_of_business_date(base_date)
    lots = kind_totals_as_of(conn, coin_id=coin_id, at=at)
    merchants = merchants_balance_as_of(conn, coin_id=coin_id, at=at)
    unused = lots[LotKind.MONEY] + lots[LotKind.PREMIUM] + merchants
    return UnusedBalance(
        base_date=base_date,
        statutory=is_base_date(base_date),
        as_of=at,
        residents_money=lots[LotKind.MONEY],
        residents_premium=lots[LotKind.PREMIUM],
        merchants=merchants,
        unused_balance=unused,
        points=lots[LotKind.POINTS],
        exceeds_threshold=unused > THRESHOLD_YEN,
        security_deposit=security_deposit(unused),
        filing_deadline=filing_deadline(base_date),
    )
