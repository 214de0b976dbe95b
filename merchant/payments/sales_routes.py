"""What the merchant console reads beyond the plain API: a day's sales summary.

``GET /v1/merchant/sales?date=YYYY-MM-DD`` sums the caller's charges of one
business date (Asia/Tokyo; today by the app's clock when no date is given)
with 24 hourly buckets for the chart. Any key of the merchant may read it,
terminal keys included, as they may list the charges it sums; only the
caller's own merchant is ever summed.

Refusal codes: validation_error (422: a date that does not parse);
unauthorized/forbidden from the key check (401/403).
"""

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from kit.errors import Code
from kit.idempotency import Db, IdempotentRoute
from kit.refusal_docs import refusals
from ledger.clock import Clock, business_date
from merchant.accounts.merchant_auth import AnyMerchantKey, MerchantOwnerKey
from merchant.payments.daily_sales import day_sales
from merchant.payments.schemas import DaySalesPublic
from merchant.payments.window_revenue import revenue_csv, window_revenue

router = APIRouter(route_class=IdempotentRoute, tags=["merchant console"])


@router.get("/merchant/sales", response_model=DaySalesPublic)
def get_day_sales(
    request: Request,
    db: Db,
    caller: AnyMerchantKey,
    day: Annotated[
        date | None, Query(alias="date", description="YYYY-MM-DD; today in Tokyo if absent.")
    ] = None,
) -> DaySalesPublic:
    """The caller's sales on one business date, with hourly buckets."""
    clock: Clock = request.app.state.clock
    merchant = caller.merchant
    sales = day_sales(
        db,
        coin_id=merchant.coin_id,
        merchant_id=merchant.id,
        day=day if day is not None else business_date(clock.now()),
    )
    return DaySalesPublic.of(sales)


@router.get(
    "/merchant/revenue.csv",
    response_class=Response,
    responses={
        200: {
            "content": {"text/csv": {}},
            "description": "One row per department and window, then the total (UTF-8, BOM).",
        },
        **refusals(Code.TERMINAL_KEY_NOT_ALLOWED),
    },
)
def get_window_revenue(
    request: Request,
    db: Db,
    caller: MerchantOwnerKey,
    day: Annotated[
        date | None, Query(alias="date", description="YYYY-MM-DD; today in Tokyo if absent.")
    ] = None,
) -> Response:
    """The day's revenue by department (store) and window (terminal), for the finance office.

    The merchant's own key only: a window's till does not read the other windows' takings.
    """
    clock: Clock = request.app.state.clock
    merchant = caller.merchant
    the_day = day if day is not None else business_date(clock.now())
    rows = window_revenue(db, coin_id=merchant.coin_id, merchant_id=merchant.id, day=the_day)
    return Response(
        revenue_csv(the_day, rows),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="revenue-{the_day.isoformat()}.csv"'
        },
    )
