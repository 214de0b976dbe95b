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

UTF-8 with a byte-order mark: Excel, which most city offices open CSV
files with, reads Japanese category names right only with it.
"""

import csv
import io

from kit.spreadsheet_cells import spreadsheet_text
from settlement.kpi import Kpi

HEADER = ("metric", "date", "category", "value")
BOM = "\ufeff"


def kpi_rows(figures: Kpi) -> list[tuple[str, str, str, str]]:
    def row(
        metric: str, value: int | None, *, day: str = "", category: str = ""
    ) -> tuple[str, str, str, str]:
        return (metric, day, category, "" if value is None else str(value))

    rows = [
        row("period_from", None, day=figures.date_from.isoformat()),
        row("period_to", None, day=figures.date_to.isoformat()),
        row("outstanding", figures.outstanding, day=figures.date_to.isoformat()),
        row("topups_count", figures.topups_count),
        row("topups_amount", figures.topups_amount),
        row("payments_count", figures.payments_count),
        row("payments_amount", figures.payments_amount),
        row("active_residents", figures.active_residents),
        row("btob_amount", figures.btob_amount),
        row("cashout_amount", figures.cashout_amount),
        row("btob_share_bp", figures.btob_share_bp),
        row("points_granted", figures.points_granted),
        row("points_expired", figures.points_expired),
    ]
    for category in figures.payments:
        rows.append(row("payments_count", category.count, category=category.category))
        rows.append(row("payments_amount", category.amount, category=category.category))
    for day in figures.daily:
        rows.append(row("outstanding_daily", day.outstanding, day=day.day.isoformat()))
    return rows


def kpi_csv(figures: Kpi) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADER)
    writer.writerows([spreadsheet_text(cell) for cell in row] for row in kpi_rows(figures))
    return BOM + out.getvalue()
