"""The municipality's figures for a period, and the open-data CSV without personal data."""

import csv
import io
from datetime import date

import pytest
from sqlalchemy import Engine

from kit.credentials import Role
from ledger.clock import FixedClock
from settlement.kpi import CategoryPayments, Kpi
from settlement.open_data import kpi_rows
from tests.merchant.shops import Shop, funded_resident, open_shop
from tests.settlement.report_books import (
    btob,
    close_payout,
    expire_due_lots,
    key,
    pay,
    tokyo,
    top_up,
)
from tests.wallet_api.test_points_api import grant
from tests.wallet_api.test_residents_api import Town, new_town

PERIOD = {"from": "2027-02-01", "to": "2027-02-03"}
WEEK = {"from": "2027-02-01", "to": "2027-02-07"}  # open data covers a week or more


@pytest.fixture
def town(engine: Engine, clock: FixedClock) -> Town:
    return new_town(engine, clock)


@pytest.fixture
def busy_town(town: Town) -> tuple[Town, Shop, Shop, list[str]]:
    """Three days of a town's life, with activity before and after them."""
    town.clock.set(tokyo(2027, 1, 31, 12))
    bakery = open_shop(town, name="パン屋", category="food")
    tailor = open_shop(town, name="仕立屋", category="retail")
    alice = funded_resident(town, 30_000)  # before the period
    town.clock.set(tokyo(2027, 2, 1, 9))
    bob = funded_resident(town, 20_000)
    pay(town, bakery.merchant, alice.wallet_id, 5_000)
    points_end = tokyo(2027, 2, 2, 9).isoformat()
    assert grant(town, [alice.wallet_id], 1_000, expires_at=points_end).status_code == 201
    town.clock.set(tokyo(2027, 2, 2, 12))
    pay(town, tailor.merchant, bob.wallet_id, 3_000)
    pay(town, tailor.merchant, bob.wallet_id, 3_000)
    assert expire_due_lots(town) == 1_000
    btob(town, bakery.merchant, tailor.merchant, 2_000, fee=10)
    close_payout(town, tailor.merchant, 3_000, fee=48)
    town.clock.set(tokyo(2027, 2, 3, 23, 59))
    carol = funded_resident(town, 0)
    top_up(town, carol.wallet_id, 10_000, channel="atm")
    town.clock.set(tokyo(2027, 2, 4, 0, 0))
    funded_resident(town, 7_000)  # after the period
    personal = [
        alice.wallet_id,
        alice.resident_id,
        bob.wallet_id,
        carol.wallet_id,
        bakery.merchant.public_id,
        bakery.merchant.name,
        tailor.merchant.public_id,
        tailor.merchant.wallet_public_id,
        "山田花子",
    ]
    return town, bakery, tailor, personal


def test_the_periods_figures(busy_town: tuple[Town, Shop, Shop, list[str]]) -> None:
    town = busy_town[0]

    response = town.client.get(
        "/v1/reports/kpi", params=PERIOD, headers=key(town, Role.MUNICIPALITY)
    )

    assert response.status_code == 200, response.text
    assert response.json() == {
        "coin": town.code,
        "from": "2027-02-01",
        "to": "2027-02-03",
        "outstanding": 56_990,
        "daily": [
            {"date": "2027-02-01", "outstanding": 51_000},
            # Points expired (1,000), the BtoB fee (10) and a cash-out (3,000) left.
            {"date": "2027-02-02", "outstanding": 46_990},
            {"date": "2027-02-03", "outstanding": 56_990},
        ],
        "topups_count": 2,
        "topups_amount": 30_000,
        "payments_count": 3,
        "payments_amount": 11_000,
        "payments_by_category": [
            {"category": "food", "count": 1, "amount": 5_000},
            {"category": "retail", "count": 2, "amount": 6_000},
        ],
        "active_residents": 2,
        "btob_amount": 2_000,
        "cashout_amount": 3_000,
        "btob_share_bp": 4_000,
        "points_granted": 1_000,
        "points_expired": 1_000,
    }
    for role in (Role.ISSUER, Role.OPERATOR):
        again = town.client.get("/v1/reports/kpi", params=PERIOD, headers=key(town, role))
        assert again.json() == response.json()


def test_the_csv_is_aggregated_and_names_no_person_shop_or_wallet(
    busy_town: tuple[Town, Shop, Shop, list[str]],
) -> None:
    town, _, _, personal = busy_town

    response = town.client.get(
        "/v1/reports/kpi.csv", params=WEEK, headers=key(town, Role.MUNICIPALITY)
    )

    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    body = response.content.decode("utf-8-sig")
    for secret in personal:
        assert secret not in body, secret
    for prefix in ("wal_", "res_", "mer_", "ch_", "po_"):
        assert prefix not in body
    rows = list(csv.DictReader(io.StringIO(body)))
    assert list(rows[0]) == ["metric", "date", "category", "value"]
    figures = {(r["metric"], r["date"], r["category"]): r["value"] for r in rows}
    # One resident paid each category, two in all: cells that small are hidden.
    assert figures[("payments_amount", "", "retail")] == "x"
    assert figures[("payments_count", "", "food")] == "x"
    assert figures[("active_residents", "", "")] == "x"
    assert figures[("outstanding_daily", "2027-02-02", "")] == "46990"
    assert figures[("btob_share_bp", "", "")] == "4000"


def test_open_data_covers_a_week_or_more(busy_town: tuple[Town, Shop, Shop, list[str]]) -> None:
    town = busy_town[0]
    short = town.client.get(
        "/v1/reports/kpi.csv", params=PERIOD, headers=key(town, Role.MUNICIPALITY)
    )
    assert (short.status_code, short.json()["code"]) == (422, "period_too_short")
    # The city's own figures take any period.
    inside = town.client.get("/v1/reports/kpi", params=PERIOD, headers=key(town, Role.MUNICIPALITY))
    assert inside.status_code == 200


def open_figures(payments: list[CategoryPayments], active: int) -> dict[tuple[str, str], str]:
    figures = Kpi(
        date_from=date(2027, 3, 1),
        date_to=date(2027, 3, 7),
        outstanding=0,
        daily=[],
        topups_count=0,
        topups_amount=0,
        payments=payments,
        active_residents=active,
        btob_amount=0,
        cashout_amount=0,
        points_granted=0,
        points_expired=0,
    )
    return {(metric, category): value for metric, _, category, value in kpi_rows(figures)}


def test_a_category_paid_by_ten_residents_is_shown_and_a_lone_small_one_takes_another_with_it() -> (
    None
):
    figures = open_figures(
        [
            CategoryPayments("flowers", count=1, amount=300, residents=1),
            CategoryPayments("food", count=10, amount=1_000, residents=10),
            CategoryPayments("retail", count=11, amount=2_200, residents=11),
        ],
        active=22,
    )
    assert figures[("active_residents", "")] == "22"
    # flowers (1 resident) is hidden; food (10), the smallest of the rest, goes with it,
    # or the total less retail would tell flowers' figure.
    assert figures[("payments_amount", "flowers")] == "x"
    assert figures[("payments_count", "food")] == "x"
    assert (figures[("payments_count", "retail")], figures[("payments_amount", "retail")]) == (
        "11",
        "2200",
    )


def test_with_two_small_categories_only_they_are_hidden() -> None:
    figures = open_figures(
        [
            CategoryPayments("flowers", count=2, amount=300, residents=2),
            CategoryPayments("food", count=12, amount=1_000, residents=12),
            CategoryPayments("retail", count=3, amount=2_200, residents=3),
        ],
        active=9,
    )
    assert figures[("active_residents", "")] == "x"
    assert figures[("payments_amount", "flowers")] == figures[("payments_amount", "retail")] == "x"
    assert figures[("payments_amount", "food")] == "1000"


def test_an_empty_period_has_no_share_and_a_flat_series(town: Town) -> None:
    town.clock.set(tokyo(2027, 1, 10))
    funded_resident(town, 4_000)
    figures = town.client.get(
        "/v1/reports/kpi",
        params={"from": "2027-01-20", "to": "2027-01-21"},
        headers=key(town, Role.ISSUER),
    ).json()
    assert figures["btob_share_bp"] is None
    assert [d["outstanding"] for d in figures["daily"]] == [4_000, 4_000]
    assert (figures["payments_count"], figures["active_residents"]) == (0, 0)


@pytest.mark.parametrize(
    "period",
    [
        {"from": "2027-02-03", "to": "2027-02-01"},
        {"from": "2026-01-01", "to": "2027-01-02"},  # 367 days
    ],
)
def test_a_period_runs_forward_and_at_most_a_year(town: Town, period: dict[str, str]) -> None:
    for path in ("/v1/reports/kpi", "/v1/reports/kpi.csv"):
        refused = town.client.get(path, params=period, headers=key(town, Role.MUNICIPALITY))
        assert (refused.status_code, refused.json()["code"]) == (422, "period_invalid")


def test_a_key_sees_its_own_coins_figures_only(
    busy_town: tuple[Town, Shop, Shop, list[str]], engine: Engine, clock: FixedClock
) -> None:
    town, bakery, _, _ = busy_town
    other = new_town(engine, clock)
    theirs = other.client.get(
        "/v1/reports/kpi", params=PERIOD, headers=key(other, Role.MUNICIPALITY)
    )
    assert (theirs.json()["outstanding"], theirs.json()["payments_count"]) == (0, 0)
    shop_key = {"Authorization": f"Bearer {bakery.key}"}
    assert (
        town.client.get("/v1/reports/kpi", params=PERIOD, headers=shop_key).json()["code"]
        == "forbidden"
    )
