"""The KPI as open data: one CSV a city can publish as it is.

Long format, one figure per row, so a new figure is a new row rather than a
new column and every row reads the same way:

    metric,date,category,value

``date`` is set on the period's bounds, the closing outstanding and the
daily series; ``category`` on payments by merchant category only. Every
value is an integer (the BtoB share in basis points; empty when it is
undefined). The file is built from the Kpi record
alone, which holds counts, sums and categories and nothing about any person
or shop, so no personal data can reach it.

Small cells are hidden (統計の秘匿): a figure drawn from fewer than
``SMALL_CELL_MIN`` residents is published as ``x``, as Japan's official
statistics mark a suppressed cell: the active residents, and each merchant
category's payments (count and amount). When exactly one category is hidden
the next smallest is hidden too, or the totals less the others would give it
away. And the file covers at least ``PERIOD_DAYS_MIN`` days
(``period_too_short``): a day's figures of a small town can single a person out.

UTF-8 with a byte-order mark: Excel, which most city offices open CSV
files with, reads Japanese category names right only with it.
"""

import csv
import io
from datetime import date

from kit.errors import Code
from kit.problems import Problem
from kit.spreadsheet_cells import spreadsheet_text
from settlement.kpi import CategoryPayments, Kpi

HEADER = ("metric", "date", "category", "value")
BOM = "\ufeff"
SMALL_CELL_MIN = 10
SUPPRESSED = "x"
PERIOD_DAYS_MIN = 7


def check_open_period(date_from: date, date_to: date) -> None:
    """Open data covers a week or more (both days counted)."""
    if (date_to - date_from).days + 1 < PERIOD_DAYS_MIN:
        raise Problem(
            Code.PERIOD_TOO_SHORT,
            f"open data covers at least {PERIOD_DAYS_MIN} days;"
            " the city's own figures (/v1/reports/kpi) take any period",
        )


def hidden_categories(payments: list[CategoryPayments]) -> set[str]:
    """The categories whose figures are suppressed (see the module doc)."""
    small = {p.category for p in payments if p.residents < SMALL_CELL_MIN}
    if len(small) == 1 and len(payments) > 1:
        rest = sorted((p for p in payments if p.category not in small), key=lambda p: p.residents)
        small.add(rest[0].category)
    return small


def kpi_rows(figures: Kpi) -> list[tuple[str, str, str, str]]:
    def row(
        metric: str, value: int | None, *, day: str = "", category: str = "", hide: bool = False
    ) -> tuple[str, str, str, str]:
        shown = SUPPRESSED if hide else ("" if value is None else str(value))
        return (metric, day, category, shown)

    hidden = hidden_categories(figures.payments)

    rows = [
        row("period_from", None, day=figures.date_from.isoformat()),
        row("period_to", None, day=figures.date_to.isoformat()),
        row("outstanding", figures.outstanding, day=figures.date_to.isoformat()),
        row("topups_count", figures.topups_count),
        row("topups_amount", figures.topups_amount),
        row("payments_count", figures.payments_count),
        row("payments_amount", figures.payments_amount),
        row(
            "active_residents",
            figures.active_residents,
            hide=figures.active_residents < SMALL_CELL_MIN,
        ),
        row("btob_amount", figures.btob_amount),
        row("cashout_amount", figures.cashout_amount),
        row("btob_share_bp", figures.btob_share_bp),
        row("points_granted", figures.points_granted),
        row("points_expired", figures.points_expired),
    ]
    for category in figures.payments:
        hide = category.category in hidden
        name = category.category
        rows.append(row("payments_count", category.count, category=name, hide=hide))
        rows.append(row("payments_amount", category.amount, category=name, hide=hide))
    for day in figures.daily:
        rows.append(row("outstanding_daily", day.outstanding, day=day.day.isoformat()))
    return rows


def kpi_csv(figures: Kpi) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADER)
    writer.writerows([spreadsheet_text(cell) for cell in row] for row in kpi_rows(figures))
    return BOM + out.getvalue()
