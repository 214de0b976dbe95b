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
from pydantic import BaseModel, Field

from kit.idempotency import Db, IdempotentRoute
from ledger.clock import Clock, business_date
from merchant.accounts.merchant_auth import AnyMerchantKey
from merchant.payments.daily_sales import DaySales, day_sales

router = APIRouter(route_class=IdempotentRoute, tags=["merchant console"])


class HourSalesPublic(BaseModel):
    hour: int = Field(ge=0, le=23, description="The Tokyo wall-clock hour.")
    count: int
    amount: int
    refunded: int


class DaySalesPublic(BaseModel):
    business_date: date = Field(description="The business date in Asia/Tokyo.")
    count: int = Field(description="Charges taken that day.")
    amount: int = Field(description="Their total amount.")
    refunded: int = Field(description="Refunded of those charges, whenever refunded.")
    fee: int = Field(description="Fees kept on them, less fees given back with refunds.")
    net: int = Field(description="amount - refunded - fee: what the merchant keeps.")
    hours: list[HourSalesPublic] = Field(description="Always 24 buckets, hour 0 to 23.")

    @classmethod
    def of(cls, sales: DaySales) -> "DaySalesPublic":
        return cls(
            business_date=sales.business_date,
            count=sales.count,
            amount=sales.amount,
            refunded=sales.refunded,
            fee=sales.fee,
            net=sales.net,
            hours=[
                HourSalesPublic(hour=h.hour, count=h.count, amount=h.amount, refunded=h.refunded)
                for h in sales.hours
            ],
        )


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
