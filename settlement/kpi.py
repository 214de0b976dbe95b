"""The municipality's figures (KPI) for a period of Tokyo business dates, from..to inclusive.

- outstanding: coin held in all wallets (residents and merchants) at the end
  of the period, and at the end of each day for a chart. Read from the coin's
  own accounts (every entry sums to zero, so what the wallets gained is what
  the other accounts gave): today's wallet total less what those accounts
  moved since each day ended.
- top-ups: count and yen of top-ups recorded in the period (bank channels
  from ``topups`` by business date; card top-ups by their entry's date).
  Premium purchases are sales of vouchers, not top-ups, and are not in it.
- payments: count and coin of residents' payments (``charges``) by the
  merchant's category, gross of later refunds.
- active residents: distinct resident wallets that paid at least once.
- BtoB re-spend share: what merchants paid other merchants (``btob``
  entries, gross of fee) over that plus what they cashed out (``payout.close``
  entries, gross of fee), in basis points rounded down; None when neither
  happened. It says how much of the coin merchants chose to keep in the
  town rather than turn into yen.
- points: granted (``points.grant`` and ``points.topup_bonus`` entries) and
  expired (``lot.expired`` of points lots) in the period.

Nothing here names a resident, a wallet or a merchant: figures are counts
and sums, payments are by category only, so the figures can be published.

Refusals:

| code | status | when |
| --- | --- | --- |
| ``period_invalid`` | 422 | ``to`` before ``from``, or longer than 366 days |
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import Connection, text

from kit.errors import Code
from kit.problems import Problem
from ledger.accounts import sum_balances
from ledger.clock import end_of_business_date
from ledger.records import Column, RecordColumns

PERIOD_DAYS_MAX = 366
BP_PER_UNIT = 10_000


@dataclass(frozen=True, slots=True)
class DayOutstanding:
    """Attributes:
    day: a Tokyo business date.
    outstanding: coin held in all wallets at the end of it.
    """

    day: date
    outstanding: int


@dataclass(frozen=True, slots=True)
class CategoryPayments:
    """Attributes:
    category: the merchants' category (``food``, ``retail``, …).
    count: payments made to merchants of it.
    amount: coin paid to them, gross of refunds.
    residents: distinct wallets that paid them (open data hides small cells).
    """

    category: str
    count: int
    amount: int
    residents: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class Kpi:
    """The period's figures; every amount in coin (= yen).

    Attributes:
        date_from, date_to: the period, inclusive.
        outstanding: coin in all wallets at the end of date_to.
        daily: the outstanding coin at the end of each day, oldest first.
        topups_count, topups_amount: top-ups in the period.
        payments: by merchant category, by name.
        active_residents: distinct resident wallets that paid.
        btob_amount, cashout_amount: merchants' BtoB payments and cash-outs.
        btob_share_bp: btob / (btob + cashout) in bp, rounded down; None if both are 0.
        points_granted, points_expired: points credited and expired.
    """

    date_from: date
    date_to: date
    outstanding: int
    daily: list[DayOutstanding]
    topups_count: int
    topups_amount: int
    payments: list[CategoryPayments]
    active_residents: int
    btob_amount: int
    cashout_amount: int
    points_granted: int
    points_expired: int

    @property
    def payments_count(self) -> int:
        return sum(p.count for p in self.payments)

    @property
    def payments_amount(self) -> int:
        return sum(p.amount for p in self.payments)

    @property
    def btob_share_bp(self) -> int | None:
        whole = self.btob_amount + self.cashout_amount
        return None if whole == 0 else self.btob_amount * BP_PER_UNIT // whole


def check_period(date_from: date, date_to: date) -> None:
    if date_to < date_from or (date_to - date_from).days >= PERIOD_DAYS_MAX:
        raise Problem(
            Code.PERIOD_INVALID,
            f"a period runs from a date to the same or a later one, at most {PERIOD_DAYS_MAX} days",
        )


def kpi(conn: Connection, *, coin_id: int, date_from: date, date_to: date) -> Kpi:
    check_period(date_from, date_to)
    start = end_of_business_date(date_from - timedelta(days=1))
    end = end_of_business_date(date_to)
    daily = outstanding_by_day(conn, coin_id=coin_id, date_from=date_from, date_to=date_to)
    topups_count, topups_amount = _topups(conn, coin_id, date_from, date_to)
    payments, active = _payments(conn, coin_id, date_from, date_to)
    flows = _entry_flows(conn, coin_id, start, end)
    return Kpi(
        date_from=date_from,
        date_to=date_to,
        outstanding=daily[-1].outstanding,
        daily=daily,
        topups_count=topups_count,
        topups_amount=topups_amount,
        payments=payments,
        active_residents=active,
        btob_amount=flows.get("btob", 0),
        cashout_amount=flows.get("payout.close", 0),
        points_granted=flows.get("points.grant", 0) + flows.get("points.topup_bonus", 0),
        points_expired=_points_expired(conn, coin_id, start, end),
    )


def outstanding_by_day(
    conn: Connection, *, coin_id: int, date_from: date, date_to: date
) -> list[DayOutstanding]:
    """Coin in all wallets at the end of each day, from the coin's own accounts.

    Reads only the postings of the few non-wallet accounts made since the
    period began (through their (account, posted_at) index).
    """
    now_total = sum_balances(conn, coin_id=coin_id, code_prefix="wallet:")
    rows = conn.execute(
        text(
            "SELECT (p.posted_at AT TIME ZONE 'Asia/Tokyo')::date, sum(p.amount)::bigint"
            " FROM accounts a JOIN postings p ON p.coin_id = a.coin_id AND p.account_id = a.id"
            " WHERE a.coin_id = :coin AND NOT starts_with(a.code, 'wallet:')"
            "   AND p.posted_at >= :start GROUP BY 1"
        ),
        {"coin": coin_id, "start": end_of_business_date(date_from - timedelta(days=1))},
    ).all()
    # What the other accounts gave the wallets on each day: a debit to them
    # (positive amount) is coin credited to some wallet.
    change: dict[date, int] = {row[0]: int(row[1]) for row in rows}
    after_period = sum(amount for day, amount in change.items() if day > date_to)
    total = now_total - after_period
    days = []
    day = date_to
    while day >= date_from:
        days.append(DayOutstanding(day, total))
        total -= change.get(day, 0)
        day -= timedelta(days=1)
    return days[::-1]


def _topups(conn: Connection, coin_id: int, date_from: date, date_to: date) -> tuple[int, int]:
    start = end_of_business_date(date_from - timedelta(days=1))
    end = end_of_business_date(date_to)
    row = conn.execute(
        text(
            "SELECT (SELECT count(*) FROM topups WHERE coin_id = :coin"
            "         AND business_date BETWEEN :from AND :to AND channel <> 'card')"
            "     + (SELECT count(*) FROM card_topups c JOIN entries e"
            "         ON e.coin_id = c.coin_id AND e.id = c.entry_id"
            "        WHERE c.coin_id = :coin AND e.posted_at >= :start AND e.posted_at < :end),"
            "       (SELECT coalesce(sum(amount), 0) FROM topups WHERE coin_id = :coin"
            "         AND business_date BETWEEN :from AND :to AND channel <> 'card')"
            "     + (SELECT coalesce(sum(c.amount), 0) FROM card_topups c JOIN entries e"
            "         ON e.coin_id = c.coin_id AND e.id = c.entry_id"
            "        WHERE c.coin_id = :coin AND e.posted_at >= :start AND e.posted_at < :end)"
        ),
        {"coin": coin_id, "from": date_from, "to": date_to, "start": start, "end": end},
    ).one()
    return int(row[0]), int(row[1])


# Per category of merchant (m), its charges (c).
_CATEGORY_PAYMENTS = RecordColumns(
    CategoryPayments,
    count=Column("count(*)"),
    amount=Column("sum(c.amount)::bigint"),
    residents=Column("count(DISTINCT c.wallet_id)"),
)


def _payments(
    conn: Connection, coin_id: int, date_from: date, date_to: date
) -> tuple[list[CategoryPayments], int]:
    params = {"coin": coin_id, "from": date_from, "to": date_to}
    rows = conn.execute(
        text(
            f"SELECT {_CATEGORY_PAYMENTS.select('m')} FROM charges c"
            " JOIN merchants m ON m.coin_id = c.coin_id AND m.id = c.merchant_id"
            " WHERE c.coin_id = :coin AND c.business_date BETWEEN :from AND :to"
            " GROUP BY 1 ORDER BY 1"
        ),
        params,
    ).all()
    active: int = conn.execute(
        text(
            "SELECT count(DISTINCT wallet_id) FROM charges"
            " WHERE coin_id = :coin AND business_date BETWEEN :from AND :to"
        ),
        params,
    ).scalar_one()
    return [_CATEGORY_PAYMENTS.read(row) for row in rows], active


def _entry_flows(conn: Connection, coin_id: int, start: datetime, end: datetime) -> dict[str, int]:
    """Per kind, the coin the period's BtoB, cash-out and points entries moved.

    An entry's debits sum to what it moved (its credits split that between
    the receiver and the fee), so the debits are summed.
    """
    rows = conn.execute(
        text(
            "SELECT e.kind, coalesce(sum(p.amount) FILTER (WHERE p.amount > 0), 0)::bigint"
            " FROM entries e JOIN postings p ON p.coin_id = e.coin_id AND p.entry_id = e.id"
            " WHERE e.coin_id = :coin"
            "   AND e.kind IN ('btob', 'payout.close', 'points.grant', 'points.topup_bonus')"
            "   AND e.posted_at >= :start AND e.posted_at < :end"
            " GROUP BY 1"
        ),
        {"coin": coin_id, "start": start, "end": end},
    ).all()
    return {row[0]: int(row[1]) for row in rows}


def _points_expired(conn: Connection, coin_id: int, start: datetime, end: datetime) -> int:
    expired: int = conn.execute(
        text(
            "SELECT coalesce(sum(p.amount), 0)::bigint"
            " FROM entries e JOIN postings p ON p.coin_id = e.coin_id AND p.entry_id = e.id"
            " JOIN lots l ON l.coin_id = p.coin_id AND l.id = p.lot_id"
            " WHERE e.coin_id = :coin AND e.kind = 'lot.expired' AND l.kind = 'points'"
            "   AND e.posted_at >= :start AND e.posted_at < :end"
        ),
        {"coin": coin_id, "start": start, "end": end},
    ).scalar_one()
    return expired
