"""Automatic cash-outs: a merchant's schedule adds a payout of its available coin to the batch."""

from datetime import date, timedelta

import pytest
from sqlalchemy import Engine

from ledger.clock import FixedClock
from settlement.payout_schedules import Frequency, PayoutSchedule
from tests.settlement.settlement_day import (
    AFTER_CUT_OFF,
    DAY,
    ask_payout,
    balance,
    close,
    funded_shop,
)
from tests.wallet_api.test_residents_api import Town, new_town


@pytest.fixture
def town(engine: Engine, clock: FixedClock) -> Town:
    return new_town(engine, clock)


def schedule(town: Town, merchant_id: str, body: dict[str, object]):  # type: ignore[no-untyped-def]
    return town.client.post(
        f"/v1/merchants/{merchant_id}/payout_schedule", json=body, headers=town.issuer()
    )


def test_a_due_schedule_cashes_out_all_the_available_coin(town: Town) -> None:
    shop = funded_shop(town, 8_000)
    held = ask_payout(town, shop, 3_000)
    set_ = schedule(town, shop.merchant.public_id, {"frequency": "daily", "min_amount": 1_000})
    assert set_.json() == {
        "merchant_id": shop.merchant.public_id,
        "frequency": "daily",
        "weekday": None,
        "min_amount": 1_000,
    }
    town.clock.set(AFTER_CUT_OFF)
    batch = close(town).json()
    by_source = {p["source"]: p for p in batch["payouts"]}
    assert by_source["request"]["id"] == held.public_id
    # The 5,000 not already held: 1.6% fee is 80.
    assert (by_source["schedule"]["amount"], by_source["schedule"]["fee"]) == (5_000, 80)
    assert batch["totals"]["count"] == 2
    assert balance(town, shop.merchant.account_id) == (0, 0)


def test_below_the_minimum_or_on_another_day_nothing_is_paid(town: Town) -> None:
    small = funded_shop(town, 900)
    weekly = funded_shop(town, 5_000)
    schedule(town, small.merchant.public_id, {"frequency": "daily", "min_amount": 1_000})
    # 2026-11-23 is a Monday (0); the schedule is for Fridays.
    schedule(
        town, weekly.merchant.public_id, {"frequency": "weekly", "weekday": 4, "min_amount": 1}
    )
    town.clock.set(AFTER_CUT_OFF)
    assert close(town).json()["payouts"] == []
    town.clock.set(AFTER_CUT_OFF + timedelta(days=4))
    friday = close(town, DAY + timedelta(days=4)).json()
    assert [(p["merchant_id"], p["amount"]) for p in friday["payouts"]] == [
        (weekly.merchant.public_id, 5_000)
    ]


def test_month_end_is_the_months_last_bank_business_day() -> None:
    month_end = PayoutSchedule(1, Frequency.MONTH_END, None, 1)
    # 2026-10-30 is a Friday, the last business day of October; the 31st is a Saturday.
    assert month_end.is_due(date(2026, 10, 30))
    assert not month_end.is_due(date(2026, 10, 29))
    assert not month_end.is_due(date(2026, 10, 31))
    # 2026-12-30 is the last business day before the year-end break.
    assert month_end.is_due(date(2026, 12, 30))
    assert not month_end.is_due(date(2026, 12, 31))


def test_a_weekly_schedule_without_a_weekday_is_refused(town: Town) -> None:
    shop = funded_shop(town, 1_000)
    refused = schedule(town, shop.merchant.public_id, {"frequency": "weekly", "min_amount": 1})
    assert (refused.status_code, refused.json()["code"]) == (422, "weekday_invalid")
    bad = schedule(town, shop.merchant.public_id, {"frequency": "hourly", "min_amount": 1})
    assert (bad.status_code, bad.json()["code"]) == (422, "validation_error")


def test_another_coins_merchant_is_not_found(town: Town, engine: Engine, clock: FixedClock) -> None:
    shop = funded_shop(town, 1_000)
    other = new_town(engine, clock)
    refused = other.client.post(
        f"/v1/merchants/{shop.merchant.public_id}/payout_schedule",
        json={"frequency": "daily", "min_amount": 1},
        headers=other.issuer(),
    )
    assert (refused.status_code, refused.json()["code"]) == (404, "merchant_not_found")


def test_a_schedule_below_the_coins_smallest_cash_out_waits_and_the_batch_closes(
    town: Town,
) -> None:
    small, big = funded_shop(town, 400), funded_shop(town, 5_000)
    for shop in (small, big):
        schedule(town, shop.merchant.public_id, {"frequency": "daily", "min_amount": 1})
    town.clock.set(AFTER_CUT_OFF)
    closed = close(town)
    assert closed.status_code == 201, closed.text
    # 400 is under the coin's smallest cash-out (500): it waits for another day.
    assert [p["merchant_id"] for p in closed.json()["payouts"]] == [big.merchant.public_id]
    assert balance(town, small.merchant.account_id) == (400, 0)
