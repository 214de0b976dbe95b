"""Qualified invoices for fees, and the coin's consumption tax rates (HTTP).

| call | keys |
| --- | --- |
| ``GET /v1/merchant/invoice?month=YYYY-MM&format=json\\|html\\|csv`` | the merchant's own key |
| ``GET /v1/settlement/invoices?month=YYYY-MM`` | issuer, operator |
| ``GET /v1/settlement/tax_rates``, ``POST /v1/settlement/tax_rates`` | issuer |

Refusals: ``month_invalid``, ``tax_rate_invalid`` (422);
``registration_number_not_set`` (409); ``terminal_key_not_allowed`` (403).
"""

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from kit.auth import IssuerKey, IssuerOrOperatorKey
from kit.errors import Code
from kit.idempotency import Db, IdempotentRoute
from kit.refusal_docs import refusals
from ledger.clock import business_date
from ledger.coins import get_coin
from merchant.accounts.merchant_auth import MerchantOwnerKey
from merchant.accounts.merchants import find_merchant
from settlement.consumption_tax import TaxRate, record_tax_rate, tax_rates
from settlement.fee_statement import parse_month
from settlement.invoice_documents import invoice_csv, invoice_html
from settlement.invoice_schemas import (
    InvoiceList,
    InvoicePublic,
    TaxRateIn,
    TaxRateList,
    TaxRatePublic,
)
from settlement.qualified_invoice import merchants_with_fees, qualified_invoice

router = APIRouter(route_class=IdempotentRoute, tags=["invoices"])


@router.get(
    "/merchant/invoice",
    response_model=InvoicePublic,
    responses={
        **refusals(
            Code.MONTH_INVALID, Code.REGISTRATION_NUMBER_NOT_SET, Code.TERMINAL_KEY_NOT_ALLOWED
        ),
        200: {
            "content": {"text/html": {}, "text/csv": {}},
            "description": "The invoice as JSON, printable HTML or CSV (``format``).",
        },
    },
)
def get_own_invoice(
    month: str,
    db: Db,
    caller: MerchantOwnerKey,
    request: Request,
    format: Annotated[Literal["json", "html", "csv"], Query()] = "json",
) -> InvoicePublic | Response:
    """The calling merchant's qualified invoice (適格請求書) for its fees of ``month``
    (YYYY-MM): each merchant sees its own only."""
    merchant = caller.merchant
    invoice = qualified_invoice(
        db,
        coin=get_coin(db, merchant.coin_id),
        merchant=merchant,
        month=parse_month(month),
        at=request.app.state.clock.now(),
    )
    filename = f"invoice_{invoice.number}"
    if format == "html":
        return Response(invoice_html(invoice), media_type="text/html; charset=utf-8")
    if format == "csv":
        # A BOM so that Excel opens the Japanese as UTF-8.
        return Response(
            "\ufeff" + invoice_csv(invoice),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{filename}.csv"'},
        )
    return InvoicePublic.of(invoice)


@router.get(
    "/settlement/invoices",
    response_model=InvoiceList,
    responses=refusals(Code.MONTH_INVALID, Code.REGISTRATION_NUMBER_NOT_SET),
)
def list_invoices(db: Db, key: IssuerOrOperatorKey, request: Request, month: str) -> InvoiceList:
    """The month's invoices: one per merchant that paid fees, by merchant id."""
    first = parse_month(month)
    coin = get_coin(db, key.coin_id)
    merchants = merchants_with_fees(db, coin_id=coin.id, month=first)
    at = request.app.state.clock.now()
    invoices = [
        qualified_invoice(
            db,
            coin=coin,
            merchant=find_merchant(db, coin_id=coin.id, merchant_public_id=public_id),
            month=first,
            at=at,
        )
        for public_id in merchants
    ]
    return InvoiceList(month=f"{first:%Y-%m}", data=[InvoicePublic.of(i) for i in invoices])


@router.get("/settlement/tax_rates", response_model=TaxRateList)
def get_tax_rates(db: Db, key: IssuerKey) -> TaxRateList:
    """The coin's consumption tax rates on fees, oldest first."""
    return TaxRateList(
        data=[
            TaxRatePublic(effective_from=r.effective_from, rate_bp=r.rate_bp)
            for r in tax_rates(db, coin_id=key.coin_id)
        ]
    )


@router.post(
    "/settlement/tax_rates", response_model=TaxRateList, responses=refusals(Code.TAX_RATE_INVALID)
)
def set_tax_rate(body: TaxRateIn, db: Db, key: IssuerKey, request: Request) -> TaxRateList:
    """Records the rate from its effective date on (today or later); the same date again
    replaces it. Refusals: tax_rate_invalid (422)."""
    now = request.app.state.clock.now()
    rates = record_tax_rate(
        db,
        coin_id=key.coin_id,
        rate=TaxRate(body.effective_from, body.rate_bp),
        today=business_date(now),
        at=now,
    )
    return TaxRateList(
        data=[TaxRatePublic(effective_from=r.effective_from, rate_bp=r.rate_bp) for r in rates]
    )
