"""A merchant's sales on one business date (Asia/Tokyo), summed in the database.

The merchant console's "today's sales" reads this rather than paging through
every charge of the day: one indexed query (``charges_day``) however busy the
shop. Figures are those of the day's charges: ``refunded`` counts refunds of
those charges whenever they were made (a refund does not move a sale to
another day), and ``net`` is what the merchant keeps of them: amount less
refunds, less the fee not given back with the refunds. Hours are the Tokyo
wall-clock hours the shop knows (0-23), always all 24, so a chart needs no
gap-filling.
"""

from dataclasses import dataclass
from datetime import date

from sqlalchemy import Connection, text

from ledger.clock import BUSINESS_TZ


@dataclass(frozen=True, slots=True)
class HourSales:
    hour: int
    count: int
    amount: int
    refunded: int


@dataclass(frozen=True, slots=True)
class DaySales:
    business_date: date
    count: int
    amount: int
    refunded: int
    fee: int
    net: int
    hours: tuple[HourSales, ...]


def day_sales(conn: Connection, *, coin_id: int, merchant_id: int, day: date) -> DaySales:
    rows = conn.execute(
        text(
            "SELECT CAST(EXTRACT(HOUR FROM created_at AT TIME ZONE :tz) AS integer) AS hour,"
            " count(*) AS n, sum(amount) AS amount, sum(refunded) AS refunded,"
            " sum(fee - fee_refunded) AS fee"
            " FROM charges"
            " WHERE coin_id = :coin AND merchant_id = :merchant AND business_date = :day"
            " GROUP BY 1"
        ),
        {"tz": str(BUSINESS_TZ), "coin": coin_id, "merchant": merchant_id, "day": day},
    ).all()
    by_hour = {row.hour: row for row in rows}
    hours = tuple(
        HourSales(
            hour,
            int(by_hour[hour].n) if hour in by_hour else 0,
            int(by_hour[hour].amount) if hour in by_hour else 0,
            int(by_hour[hour].refunded) if hour in by_hour else 0,
        )
        for hour in range(24)
    )
    amount = sum(h.amount for h in hours)
    refunded = sum(h.refunded for h in hours)
    fee = sum(int(row.fee) for row in rows)
    return DaySales(
        business_date=day,
        count=sum(h.count for h in hours),
        amount=amount,
        refunded=refunded,
        fee=fee,
        net=amount - refunded - fee,
        hours=hours,
    )
