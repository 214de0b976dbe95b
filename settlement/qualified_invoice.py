"""A merchant's monthly qualified invoice (適格請求書) for the fees it paid.

What 消費税法第57条の4 asks of one, and where each comes from:

- the issuer's name and registration number (T + 13 digits): the coin's
  issuer and ``settlement_settings.invoice_registration_number``;
- the period: a calendar month, Asia/Tokyo dates;
- what was supplied: the fees by kind (payment, cash-out, BtoB, other), from
  the ledger: every posting to revenue:fees whose entry names the merchant,
  as the fee statement counts them (fee_statement.py), so the invoice's fees
  are the per-transaction fees to the yen;
- the total per tax rate and the rate: fees are grouped by the rate in force
  on their Tokyo posting date (consumption_tax.py);
- the tax per rate, computed once on that total and rounded down;
- the recipient: the merchant's name.

Reconciliation: the invoice's fees excluding tax equal the sum of the fees
posted per transaction, exactly. Only the tax is rounded, once per rate; the
invoice also states what tax rounded per transaction would have come to
(``per_transaction_tax``) and the difference (``rounding_difference`` =
invoice tax - per-transaction tax, never negative for charges: one rounding
loses less than a yen, many lose up to a yen each).

An invoice of a month not yet over is ``provisional``: its figures still move.

Refusals: ``month_invalid`` (422); ``registration_number_not_set`` (409).
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import Connection, text

from kit.errors import Code
from kit.problems import Problem
from ledger.chart import Standard, standard_account
from ledger.clock import business_date
from ledger.coins import Coin
from merchant.accounts.merchants import Merchant
from settlement.consumption_tax import TaxRate, rate_on, tax_on, tax_rates
from settlement.fee_statement import StatementKind, month_bounds, statement_kind


@dataclass(frozen=True, slots=True, kw_only=True)
class InvoiceLine:
    """Attributes:
    kind: the kind of fee.
    rate_bp: the tax rate it is charged at, in basis points.
    amount: the fees of that kind at that rate, excluding tax, in yen.
    count: how many postings make it up.
    """

    kind: StatementKind
    rate_bp: int
    amount: int
    count: int


@dataclass(frozen=True, slots=True, kw_only=True)
class RateTotal:
    """Attributes:
    rate_bp: the tax rate, in basis points (1000 is 10%).
    base: the fees at that rate, excluding tax.
    tax: the tax on ``base``, computed once and rounded down.
    per_transaction_tax: the tax rounded down fee by fee, for comparison.
    """

    rate_bp: int
    base: int
    tax: int
    per_transaction_tax: int


@dataclass(frozen=True, slots=True, kw_only=True)
class QualifiedInvoice:
    """Attributes:
    number: the invoice's number, ``{coin}-{YYYYMM}-{merchant id}``: one per
        merchant and month, the same however often it is downloaded.
    issuer_name: the issuing institution (the coin's issuer).
    registration_number: its registration number, T + 13 digits.
    merchant_id, merchant_name: the recipient.
    month: the first day of the invoiced month.
    period_end: its last day.
    issued_on: the day after the month (the invoice's date).
    provisional: the month is not over yet.
    lines: fees by kind and rate, in kind order.
    rates: totals per tax rate, lowest rate first.
    """

    number: str
    issuer_name: str
    registration_number: str
    merchant_id: str
    merchant_name: str
    month: date
    period_end: date
    issued_on: date
    provisional: bool
    lines: list[InvoiceLine]
    rates: list[RateTotal]

    @property
    def base(self) -> int:
        return sum(rate.base for rate in self.rates)

    @property
    def tax(self) -> int:
        return sum(rate.tax for rate in self.rates)

    @property
    def total(self) -> int:
        return self.base + self.tax

    @property
    def per_transaction_tax(self) -> int:
        return sum(rate.per_transaction_tax for rate in self.rates)

    @property
    def rounding_difference(self) -> int:
        return self.tax - self.per_transaction_tax


def registration_number(conn: Connection, *, coin_id: int) -> str:
    number: str | None = conn.execute(
        text("SELECT invoice_registration_number FROM settlement_settings WHERE coin_id = :coin"),
        {"coin": coin_id},
    ).scalar_one_or_none()
    if number is None:
        raise Problem(
            Code.REGISTRATION_NUMBER_NOT_SET,
            "set the issuer's registration number (POST /v1/settlement/settings) first",
        )
    return number


def fee_postings(
    conn: Connection, *, coin_id: int, merchant_public_id: str | None, month: date
) -> list[tuple[str, date, int]]:
    """(entry kind, Tokyo posting date, fee in yen) of every fee posting of the month;
    one merchant's, or every merchant's when ``merchant_public_id`` is None."""
    start, end = month_bounds(month)
    fees = standard_account(conn, coin_id=coin_id, code=Standard.REVENUE_FEES)
    rows = conn.execute(
        text(
            "SELECT e.kind, p.posted_at, -p.amount"
            " FROM postings p JOIN entries e ON e.coin_id = p.coin_id AND e.id = p.entry_id"
            " WHERE p.coin_id = :coin AND p.account_id = :fees"
            "   AND p.posted_at >= :start AND p.posted_at < :end"
            "   AND (CAST(:merchant AS text) IS NULL OR e.metadata->>'merchant' = :merchant)"
            " ORDER BY p.posted_at, p.entry_id"
        ),
        {
            "coin": coin_id,
            "fees": fees.id,
            "start": start,
            "end": end,
            "merchant": merchant_public_id,
        },
    ).all()
    return [(kind, business_date(at), amount) for kind, at, amount in rows]


def merchants_with_fees(conn: Connection, *, coin_id: int, month: date) -> list[str]:
    """The public ids of the merchants whose entries posted fees in the month."""
    start, end = month_bounds(month)
    fees = standard_account(conn, coin_id=coin_id, code=Standard.REVENUE_FEES)
    return list(
        conn.execute(
            text(
                "SELECT DISTINCT e.metadata->>'merchant' FROM postings p"
                " JOIN entries e ON e.coin_id = p.coin_id AND e.id = p.entry_id"
                " WHERE p.coin_id = :coin AND p.account_id = :fees"
                "   AND p.posted_at >= :start AND p.posted_at < :end"
                "   AND e.metadata ? 'merchant' ORDER BY 1"
            ),
            {"coin": coin_id, "fees": fees.id, "start": start, "end": end},
        ).scalars()
    )


def tax_by_merchant(conn: Connection, *, coin_id: int, month: date) -> dict[str, int]:
    """The tax each merchant's invoice of the month carries, by public id."""
    rates = tax_rates(conn, coin_id=coin_id)
    taxes = {}
    for public_id in merchants_with_fees(conn, coin_id=coin_id, month=month):
        postings = fee_postings(conn, coin_id=coin_id, merchant_public_id=public_id, month=month)
        _, totals = invoice_figures(postings, rates)
        taxes[public_id] = sum(total.tax for total in totals)
    return taxes


def invoice_figures(
    postings: list[tuple[str, date, int]], rates: list[TaxRate]
) -> tuple[list[InvoiceLine], list[RateTotal]]:
    """The lines and the per-rate totals of the postings: the pure arithmetic."""
    amounts: dict[tuple[StatementKind, int], int] = defaultdict(int)
    counts: dict[tuple[StatementKind, int], int] = defaultdict(int)
    per_transaction: dict[int, int] = defaultdict(int)
    for entry_kind, day, amount in postings:
        rate_bp = rate_on(rates, day)
        key = (statement_kind(entry_kind), rate_bp)
        amounts[key] += amount
        counts[key] += 1
        per_transaction[rate_bp] += tax_on(amount, rate_bp)
    kind_order = list(StatementKind)
    lines = [
        InvoiceLine(
            kind=kind,
            rate_bp=rate_bp,
            amount=amounts[(kind, rate_bp)],
            count=counts[(kind, rate_bp)],
        )
        for kind, rate_bp in sorted(amounts, key=lambda k: (kind_order.index(k[0]), k[1]))
    ]
    bases: dict[int, int] = defaultdict(int)
    for (_, rate_bp), amount in amounts.items():
        bases[rate_bp] += amount
    totals = [
        RateTotal(
            rate_bp=rate_bp,
            base=base,
            tax=tax_on(base, rate_bp),
            per_transaction_tax=per_transaction[rate_bp],
        )
        for rate_bp, base in sorted(bases.items())
    ]
    return lines, totals


def qualified_invoice(
    conn: Connection, *, coin: Coin, merchant: Merchant, month: date, at: datetime
) -> QualifiedInvoice:
    """The merchant's invoice for ``month`` (its first day), as of ``at``."""
    number = registration_number(conn, coin_id=coin.id)
    postings = fee_postings(
        conn, coin_id=coin.id, merchant_public_id=merchant.public_id, month=month
    )
    lines, totals = invoice_figures(postings, tax_rates(conn, coin_id=coin.id))
    _, end = month_bounds(month)
    following = business_date(end)
    return QualifiedInvoice(
        number=f"{coin.code}-{month:%Y%m}-{merchant.public_id}",
        issuer_name=coin.issuer_name,
        registration_number=number,
        merchant_id=merchant.public_id,
        merchant_name=merchant.name,
        month=month,
        period_end=following - timedelta(days=1),
        issued_on=following,
        provisional=at < end,
        lines=lines,
        rates=totals,
    )
