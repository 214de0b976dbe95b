"""Bodies of qualified invoices and the coin's consumption tax rates."""

import datetime as dt

from pydantic import BaseModel, Field

from kit.request_body import RequestBody
from settlement.qualified_invoice import QualifiedInvoice


class InvoiceLinePublic(BaseModel):
    kind: str = Field(description="payment, cashout, btob or other.")
    rate_bp: int = Field(description="The consumption tax rate, basis points (1000 is 10%).")
    amount: int = Field(description="Fees of that kind at that rate, excluding tax, yen.")
    count: int


class RateTotalPublic(BaseModel):
    rate_bp: int
    base: int = Field(description="Fees at the rate, excluding tax.")
    tax: int = Field(description="Tax on ``base``, computed once, rounded down.")
    per_transaction_tax: int = Field(description="The tax rounded down fee by fee, compared.")


class InvoicePublic(BaseModel):
    number: str
    issuer_name: str
    registration_number: str
    merchant_id: str
    merchant_name: str
    month: str = Field(description="YYYY-MM")
    period_end: dt.date
    issued_on: dt.date
    provisional: bool = Field(description="The month is not over: the figures still move.")
    lines: list[InvoiceLinePublic]
    rates: list[RateTotalPublic]
    base: int
    tax: int
    total: int
    per_transaction_tax: int
    rounding_difference: int = Field(description="tax - per_transaction_tax.")

    @classmethod
    def of(cls, invoice: QualifiedInvoice) -> "InvoicePublic":
        return cls(
            number=invoice.number,
            issuer_name=invoice.issuer_name,
            registration_number=invoice.registration_number,
            merchant_id=invoice.merchant_id,
            merchant_name=invoice.merchant_name,
            month=f"{invoice.month:%Y-%m}",
            period_end=invoice.period_end,
            issued_on=invoice.issued_on,
            provisional=invoice.provisional,
            lines=[
                InvoiceLinePublic(
                    kind=line.kind.value, rate_bp=line.rate_bp, amount=line.amount, count=line.count
                )
                for line in invoice.lines
            ],
            rates=[
                RateTotalPublic(
                    rate_bp=r.rate_bp,
                    base=r.base,
                    tax=r.tax,
                    per_transaction_tax=r.per_transaction_tax,
                )
                for r in invoice.rates
            ],
            base=invoice.base,
            tax=invoice.tax,
            total=invoice.total,
            per_transaction_tax=invoice.per_transaction_tax,
            rounding_difference=invoice.rounding_difference,
        )


class InvoiceList(BaseModel):
    month: str
    data: list[InvoicePublic] = Field(description="One per merchant with fees, by merchant id.")


class TaxRateIn(RequestBody):
    effective_from: dt.date = Field(description="The first Tokyo day; today or later.")
    rate_bp: int = Field(description="Basis points: 1000 is 10%.")


class TaxRatePublic(BaseModel):
    effective_from: dt.date
    rate_bp: int


class TaxRateList(BaseModel):
    data: list[TaxRatePublic] = Field(description="Oldest first; the standard 10% first.")
