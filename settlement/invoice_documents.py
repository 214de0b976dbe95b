"""A qualified invoice as documents: printable HTML (the browser prints it or saves
a PDF) and CSV for the merchant's accounting software.

Both carry every item the law asks for (qualified_invoice.py) and the same
figures; the HTML is self-contained (its style inline, nothing loaded), so it
prints the same offline. The Japanese text uses full-width brackets, as
Japanese invoices print them.
"""

# ruff: noqa: RUF001

import csv
import html
import io

from kit.spreadsheet_cells import spreadsheet_text
from settlement.fee_statement import StatementKind
from settlement.qualified_invoice import QualifiedInvoice

KIND_NAMES = {
    StatementKind.PAYMENT: "決済手数料",
    StatementKind.CASHOUT: "換金手数料",
    StatementKind.BTOB: "事業者間送金手数料",
    StatementKind.OTHER: "その他手数料",
}


def percent(rate_bp: int) -> str:
    """10% for 1000 basis points; 7.5% for 750."""
    whole, part = divmod(rate_bp, 100)
    return f"{whole}%" if part == 0 else f"{whole}.{part:02d}".rstrip("0") + "%"


def yen(amount: int) -> str:
    return f"{amount:,}円"


_STYLE = """
body { font-family: "Noto Sans CJK JP", sans-serif; color: #111; margin: 2rem; max-width: 48rem; }
h1 { font-size: 1.6rem; letter-spacing: .3em; text-align: center; }
table { border-collapse: collapse; width: 100%; margin: 1rem 0; }
th, td { border: 1px solid #444; padding: .3rem .5rem; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
.parties { display: flex; justify-content: space-between; gap: 2rem; }
.total { font-size: 1.3rem; font-weight: bold; }
.note { font-size: .85rem; }
.provisional { color: #a00; font-weight: bold; }
"""


def invoice_html(invoice: QualifiedInvoice) -> str:
    """The printable invoice, in Japanese."""
    e = html.escape
    lines = (
        "".join(
            f"<tr><td>{KIND_NAMES[line.kind]}</td><td class=n>{line.count}</td>"
            f"<td class=n>{percent(line.rate_bp)}</td><td class=n>{yen(line.amount)}</td></tr>"
            for line in invoice.lines
        )
        or "<tr><td colspan=4>この期間の手数料はありません</td></tr>"
    )
    rates = "".join(
        f"<tr><td>{percent(rate.rate_bp)}対象</td><td class=n>{yen(rate.base)}</td>"
        f"<td class=n>{yen(rate.tax)}</td><td class=n>{yen(rate.base + rate.tax)}</td></tr>"
        for rate in invoice.rates
    )
    provisional = (
        '<p class="provisional">月の途中のため速報値です（月末まで変わります）。</p>'
        if invoice.provisional
        else ""
    )
    return f"""<!doctype html>
<html lang="ja"><head><meta charset="utf-8">
<title>適格請求書 {e(invoice.number)}</title><style>{_STYLE}</style></head>
<body>
<h1>請求書</h1>
<p>（適格請求書）</p>
{provisional}
<div class="parties">
  <div><p class="total">{e(invoice.merchant_name)} 御中</p>
  <p>加盟店番号 {e(invoice.merchant_id)}</p></div>
  <div><p>{e(invoice.issuer_name)}</p>
  <p>登録番号 <span id="registration-number">{e(invoice.registration_number)}</span></p>
  <p>請求書番号 {e(invoice.number)}</p>
  <p>発行日 {invoice.issued_on:%Y年%m月%d日}</p></div>
</div>
<p>対象期間 {invoice.month:%Y年%m月%d日}～{invoice.period_end:%Y年%m月%d日}</p>
<p class="total">ご請求額（税込） <span id="invoice-total">{yen(invoice.total)}</span></p>
<table>
<thead><tr><th>内容</th><th>件数</th><th>税率</th><th>金額（税抜）</th></tr></thead>
<tbody>{lines}</tbody>
</table>
<table>
<thead><tr><th>税率区分</th><th>対価の額（税抜）</th><th>消費税額</th><th>税込</th></tr></thead>
<tbody>{rates}</tbody>
<tfoot><tr><th>合計</th><td class=n>{yen(invoice.base)}</td>
<td class=n id="invoice-tax">{yen(invoice.tax)}</td>
<td class=n>{yen(invoice.total)}</td></tr></tfoot>
</table>
<p class="note">手数料（税抜）は取引ごとに計上した金額の合計です。
消費税は税率ごとに合計額から一回だけ計算し、円未満を切り捨てています。
取引ごとに切り捨てた場合の消費税額は {yen(invoice.per_transaction_tax)}
で、この請求書との差は {yen(invoice.rounding_difference)} です。</p>
</body></html>
"""


CSV_HEADER = ("項目", "内容", "税率", "件数", "税抜金額", "消費税額", "税込金額")


def invoice_csv(invoice: QualifiedInvoice) -> str:
    """The invoice as CSV rows: the parties and period, one row per line, one per rate,
    the totals and the rounding note; amounts as plain integers (yen)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    for label, value in (
        ("請求書番号", invoice.number),
        ("発行者", invoice.issuer_name),
        ("登録番号", invoice.registration_number),
        ("宛先", invoice.merchant_name),
        ("加盟店番号", invoice.merchant_id),
        ("対象期間", f"{invoice.month.isoformat()}/{invoice.period_end.isoformat()}"),
        ("発行日", invoice.issued_on.isoformat()),
    ):
        writer.writerow([label, spreadsheet_text(value), "", "", "", "", ""])
    for line in invoice.lines:
        writer.writerow(
            ["明細", KIND_NAMES[line.kind], percent(line.rate_bp), line.count, line.amount, "", ""]
        )
    for rate in invoice.rates:
        writer.writerow(
            ["税率別合計", "", percent(rate.rate_bp), "", rate.base, rate.tax, rate.base + rate.tax]
        )
    writer.writerow(["合計", "", "", "", invoice.base, invoice.tax, invoice.total])
    writer.writerow(
        ["取引ごとに切り捨てた消費税額", "", "", "", "", invoice.per_transaction_tax, ""]
    )
    writer.writerow(["端数処理の差", "", "", "", "", invoice.rounding_difference, ""])
    return out.getvalue()
