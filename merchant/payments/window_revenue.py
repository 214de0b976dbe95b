"""A day's revenue by department and window: the public-money report a city counter owes finance.

A city taking fees at its counters (住民票, 証明書) must account for each
department's takings and, within it, each window's. This sums one business
date's charges (Asia/Tokyo) by store (department) and terminal (window), in
one grouped query; charges taken without a terminal (the merchant's own key,
an online payment intent) form a row with neither. ``refunded`` counts refunds
of that day's charges whenever they were made, as the day's sales summary
does, and ``net`` is what the city keeps of them: amount less refunds, less
the payment fee not given back.
"""

import csv
import io
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Connection, text

from kit.spreadsheet_cells import spreadsheet_text

BOM = "\ufeff"  # Excel reads UTF-8 only with it
HEADER = ("business_date", "department", "window", "count", "amount", "refunded", "fee", "net")


@dataclass(frozen=True, slots=True)
class WindowRevenue:
    department: str | None
    window: str | None
    count: int
    amount: int
    refunded: int
    fee: int

    @property
    def net(self) -> int:
        return self.amount - self.refunded - self.fee


def window_revenue(
    conn: Connection, *, coin_id: int, merchant_id: int, day: date
) -> list[WindowRevenue]:
    rows = conn.execute(
        text(
            "SELECT s.name AS department, t.name AS window, count(*) AS n,"
            " sum(c.amount) AS amount, sum(c.refunded) AS refunded,"
            " sum(c.fee - c.fee_refunded) AS fee"
            " FROM charges c"
            " LEFT JOIN terminals t ON t.coin_id = c.coin_id AND t.id = c.terminal_id"
            " LEFT JOIN stores s ON s.coin_id = t.coin_id AND s.id = t.store_id"
            " WHERE c.coin_id = :coin AND c.merchant_id = :merchant AND c.business_date = :day"
            " GROUP BY s.name, t.name"
            " ORDER BY s.name NULLS LAST, t.name NULLS LAST"
        ),
        {"coin": coin_id, "merchant": merchant_id, "day": day},
    ).all()
    return [
        WindowRevenue(
            row.department, row.window, int(row.n), int(row.amount), int(row.refunded), int(row.fee)
        )
        for row in rows
    ]


def revenue_csv(day: date, rows: list[WindowRevenue]) -> str:
    """The day's rows and a total row, as CSV for the finance department's spreadsheet."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADER)
    for row in rows:
        writer.writerow(
            (
                day.isoformat(),
                _cell(row.department),
                _cell(row.window),
                row.count,
                row.amount,
                row.refunded,
                row.fee,
                row.net,
            )
        )
    writer.writerow(
        (
            day.isoformat(),
            "合計",
            "",
            sum(r.count for r in rows),
            sum(r.amount for r in rows),
            sum(r.refunded for r in rows),
            sum(r.fee for r in rows),
            sum(r.net for r in rows),
        )
    )
    return BOM + out.getvalue()


def _cell(name: str | None) -> str:
    """A name as a spreadsheet shows it: never read as a formula (a window named ``=1+1``)."""
    if name is None:
        return "(窓口なし)"
    return str(spreadsheet_text(name))
