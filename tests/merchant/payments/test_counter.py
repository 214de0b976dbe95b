"""A city hall counter: departments as stores, windows as terminals, receipts and the day's revenue."""

import csv
import io
from typing import Any

import pytest
from sqlalchemy import Engine

from ledger.clock import BUSINESS_TZ as TOKYO
from ledger.clock import FixedClock
from tests.merchant.shops import Payer, Shop, funded_resident, open_shop
from tests.merchant.tills import charge, payment_token
from tests.wallet_api.test_residents_api import Town, new_town


@pytest.fixture
def town(engine: Engine, clock: FixedClock) -> Town:
    return new_town(engine, clock)


def window(town: Town, city: Shop, department: dict[str, Any], name: str) -> dict[str, str]:
    """A counter window's till key, in a department of the city."""
    made = town.client.post(
        "/v1/merchant/terminals",
        json={"store_id": department["id"], "name": name},
        headers=city.headers,
    )
    assert made.status_code == 201, made.text
    return {"Authorization": f"Bearer {made.json()['api_key']}"}


def department(town: Town, city: Shop, name: str) -> dict[str, Any]:
    made = town.client.post("/v1/merchant/stores", json={"name": name}, headers=city.headers)
    assert made.status_code == 201, made.text
    store: dict[str, Any] = made.json()
    return store


def pay_at(town: Town, till: dict[str, str], payer: Payer, amount: int, what: str) -> str:
    taken = charge(
        town.client, till, amount=amount, token=payment_token(town, payer), reference=what
    )
    assert taken.status_code == 201, taken.text
    charge_id: str = taken.json()["id"]
    return charge_id


@pytest.fixture
def counter(town: Town) -> tuple[Shop, dict[str, dict[str, str]], Payer]:
    city = open_shop(town, name="みどり市役所", category="public")
    citizens = department(town, city, "市民課")
    taxes = department(town, city, "税務課")
    tills = {
        "1": window(town, city, citizens, "1番窓口"),
        "2": window(town, city, citizens, "2番窓口"),
        "3": window(town, city, taxes, "3番窓口"),
    }
    return city, tills, funded_resident(town, 5_000)


def test_a_window_prints_the_residents_receipt(
    town: Town, counter: tuple[Shop, dict[str, dict[str, str]], Payer]
) -> None:
    city, tills, payer = counter
    charge_id = pay_at(town, tills["1"], payer, 300, "住民票の写し 1通")
    printed = town.client.get(f"/v1/charges/{charge_id}/receipt", headers=tills["1"])
    assert printed.status_code == 200, printed.text
    assert printed.json() == {
        "number": charge_id,
        "payee": city.merchant.name,
        "department": "市民課",
        "window": "1番窓口",
        "amount": 300,
        "refunded": 0,
        "paid_at": town.clock.now().astimezone(TOKYO).isoformat(),
        "coin_name": town.coin.coin.name,
        "issuer_name": town.coin.coin.issuer_name,
        "reference": "住民票の写し 1通",
    }
    # The city's own key reads every window's receipts.
    assert (
        town.client.get(f"/v1/charges/{charge_id}/receipt", headers=city.headers).json()["number"]
        == charge_id
    )


def test_a_window_cannot_print_another_windows_receipt(
    town: Town, counter: tuple[Shop, dict[str, dict[str, str]], Payer]
) -> None:
    _, tills, payer = counter
    charge_id = pay_at(town, tills["1"], payer, 300, "住民票の写し 1通")
    refused = town.client.get(f"/v1/charges/{charge_id}/receipt", headers=tills["2"])
    assert (refused.status_code, refused.json()["code"]) == (403, "terminal_key_not_allowed")
    other_shop = open_shop(town, name="よその店")
    missing = town.client.get(f"/v1/charges/{charge_id}/receipt", headers=other_shop.headers)
    assert (missing.status_code, missing.json()["code"]) == (404, "charge_not_found")


def rows_of(answer_text: str) -> list[list[str]]:
    assert answer_text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(answer_text[1:])))


def test_the_days_revenue_by_department_and_window_for_finance(
    town: Town, counter: tuple[Shop, dict[str, dict[str, str]], Payer]
) -> None:
    city, tills, payer = counter
    pay_at(town, tills["1"], payer, 300, "住民票の写し 1通")
    refunded = pay_at(town, tills["1"], payer, 450, "印鑑登録証明書")
    pay_at(town, tills["2"], payer, 300, "住民票の写し 1通")
    pay_at(town, tills["3"], payer, 400, "課税証明書")
    back = town.client.post(
        "/v1/refunds", json={"charge_id": refunded, "amount": 150}, headers=city.headers
    )
    assert back.status_code == 201, back.text
    day = town.clock.now().astimezone(TOKYO).date()
    answer = town.client.get(f"/v1/merchant/revenue.csv?date={day}", headers=city.headers)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/csv")
    rows = rows_of(answer.text)
    assert rows[0] == [
        "business_date",
        "department",
        "window",
        "count",
        "amount",
        "refunded",
        "fee",
        "net",
    ]
    by_window = {(r[1], r[2]): [int(x) for x in r[3:6]] for r in rows[1:]}
    assert by_window == {
        ("市民課", "1番窓口"): [2, 750, 150],
        ("市民課", "2番窓口"): [1, 300, 0],
        ("税務課", "3番窓口"): [1, 400, 0],
        ("合計", ""): [4, 1_450, 150],
    }
    total = rows[-1]
    fees = sum(int(r[6]) for r in rows[1:-1])
    assert int(total[6]) == fees
    assert int(total[7]) == 1_450 - 150 - fees
    # Another day has only the total row, of zeros.
    empty = rows_of(
        town.client.get("/v1/merchant/revenue.csv?date=2020-01-01", headers=city.headers).text
    )
    assert empty[1:] == [["2020-01-01", "合計", "", "0", "0", "0", "0", "0"]]


def test_a_window_does_not_read_the_city_revenue_and_names_cannot_be_formulas(
    town: Town, counter: tuple[Shop, dict[str, dict[str, str]], Payer]
) -> None:
    city, tills, payer = counter
    refused = town.client.get("/v1/merchant/revenue.csv", headers=tills["1"])
    assert (refused.status_code, refused.json()["code"]) == (403, "terminal_key_not_allowed")
    sly = window(town, city, department(town, city, '=HYPERLINK("http://x")'), "+1番")
    pay_at(town, sly, payer, 100, "x")
    rows = rows_of(town.client.get("/v1/merchant/revenue.csv", headers=city.headers).text)
    assert ['\'=HYPERLINK("http://x")', "'+1番"] in [r[1:3] for r in rows]
