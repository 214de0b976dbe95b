"""A batch's transfer date skips weekends, Japanese public holidays and 12/31-1/3."""

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import Engine

from ledger.clock import FixedClock
from ledger.unit_of_work import run_in_transaction
from merchant.payouts.payouts import PayoutSource, request_payout
from tests.settlement.settlement_day import close, funded_shop
from tests.wallet_api.test_residents_api import Town, new_town


@pytest.fixture
def town(engine: Engine, clock: FixedClock) -> Town:
    return new_town(engine, clock)


@pytest.mark.parametrize(
    ("business_date", "transfer_date"),
    [
        (date(2026, 12, 30), date(2027, 1, 4)),  # the banks close 12/31 to 1/3
        (date(2027, 1, 8), date(2027, 1, 12)),  # a Friday, then 成人の日 on Monday the 11th
        (date(2027, 4, 28), date(2027, 4, 30)),  # 昭和の日 on the 29th
        (date(2026, 11, 20), date(2026, 11, 24)),  # a Friday, then 勤労感謝の日 on the 23rd
    ],
)
def test_the_transfer_date_is_the_next_bank_business_day(
    town: Town, business_date: date, transfer_date: date
) -> None:
    shop = funded_shop(town, 5_000)
    # 10:00 and 16:00 in Tokyo: before and after the 15:00 cut-off of that day.
    morning = datetime.combine(business_date, datetime.min.time(), UTC) + timedelta(hours=1)
    payout = run_in_transaction(
        town.engine,
        lambda c: request_payout(
            c, merchant=shop.merchant, amount=4_000, source=PayoutSource.REQUEST, at=morning
        ),
    )
    town.clock.set(morning + timedelta(hours=6))
    response = close(town, business_date)
    assert response.status_code == 201, response.text
    batch = response.json()
    assert batch["transfer_date"] == transfer_date.isoformat()
    assert [p["id"] for p in batch["payouts"]] == [payout.public_id]
