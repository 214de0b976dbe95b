"""A merchant's monthly qualified invoice (適格請求書), against figures worked out by hand.

The shop cashes out ¥10,000 and three times ¥1,050 at its own rate of 1.8%
(excluding tax). Cash-out fees are rounded up per payout (merchant/accounts/fees.py):

    10,000 * 1.8% = 180      → 180
     1,050 * 1.8% =  18.9    →  19   (three times)
    fees excluding tax: 180 + 3 * 19 = 237

The tax at 10% is computed once on the total and rounded down:
    237 * 10% = 23.7 → 23;  invoice total 237 + 23 = 260.
Rounded per payout instead it would be 18 + 1 + 1 + 1 = 21: the invoice states
the difference, 23 - 21 = 2.
"""

import csv
import io
from datetime import date, timedelta

import pytest
from sqlalchemy import Engine, text

from ledger.clock import FixedClock
from ledger.unit_of_work import run_in_transaction
from merchant.accounts.merchants import find_merchant
from settlement.consumption_tax import STANDARD_RATE, TaxRate
from settlement.fee_statement import StatementKind
from settlement.qualified_invoice import InvoiceLine, RateTotal, invoice_figures
from tests.conftest import T0
from tests.merchant.shops import Shop
from tests.settlement.settlement_day import ask_payout, closed_batch, funded_shop
from tests.wallet_api.test_residents_api import Town, new_town

REGISTRATION = "T7000012050002"
NOVEMBER = date(2026, 11, 23)


@pytest.fixture
def town(engine: Engine, clock: FixedClock) -> Town:
    return new_town(engine, clock)


def test_the_figures_by_hand_with_a_rate_change_in_the_month() -> None:
    # Suppose the rate fell to 8% from the 24th: the fees of each day go to their rate.
    rates = [STANDARD_RATE, TaxRate(date(2026, 11, 24), 800)]
    postings = [
        ("payout.close", NOVEMBER, 180),
        ("payout.close", NOVEMBER, 19),
        ("btob", NOVEMBER, 19),
        ("payout.close", NOVEMBER, 19),
        ("payout.close", date(2026, 11, 24), 19),
        ("refund", date(2026, 11, 25), -5),  # a payment fee given back with a refund
    ]
    lines, totals = invoice_figures(postings, rates)
    assert lines == [
        InvoiceLine(kind=StatementKind.PAYMENT, rate_bp=800, amount=-5, count=1),
        InvoiceLine(kind=StatementKind.CASHOUT, rate_bp=800, amount=19, count=1),
        InvoiceLine(kind=StatementKind.CASHOUT, rate_bp=1000, amount=218, count=3),
        InvoiceLine(kind=StatementKind.BTOB, rate_bp=1000, amount=19, count=1),
    ]
    # 8%: 19 - 5 = 14, 14 * 8% = 1.12 → 1; per posting 1.52 → 1 and -0.4 → 0.
    # 10%: 237 * 10% = 23.7 → 23; per posting 18 + 1 + 1 + 1 = 21.
    assert totals == [
        RateTotal(rate_bp=800, base=14, tax=1, per_transaction_tax=1),
        RateTotal(rate_bp=1000, base=237, tax=23, per_transaction_tax=21),
    ]


def shop_with_cashouts(town: Town) -> Shop:
    shop = funded_shop(town, 15_000)
    fees = town.client.post(
        f"/v1/merchants/{shop.merchant.public_id}/fees",
        json={"cashout_bp": 180},
        headers=town.issuer(),
    )
    assert fees.status_code == 200, fees.text
    # The shop as the books now have it, its own rate included.
    shop = Shop(
        run_in_transaction(
            town.engine,
            lambda c: find_merchant(
                c, coin_id=shop.merchant.coin_id, merchant_public_id=shop.merchant.public_id
            ),
        ),
        shop.key,
    )
    for amount in (10_000, 1_050, 1_050, 1_050):
        ask_payout(town, shop, amount)
    closed_batch(town)  # the fees post when the batch closes, on the 23rd
    return shop


def set_registration(town: Town, number: str = REGISTRATION):  # type: ignore[no-untyped-def]
    return town.client.post(
        "/v1/settlement/settings",
        json={"invoice_registration_number": number},
        headers=town.issuer(),
    )


def test_the_invoice_of_a_month_matches_the_hand_computed_figures(town: Town) -> None:
    shop = shop_with_cashouts(town)
    assert set_registration(town).status_code == 200
    town.clock.set(T0 + timedelta(days=10))  # December: November is over
    answer = town.client.get("/v1/merchant/invoice?month=2026-11", headers=shop.headers)
    assert answer.status_code == 200, answer.text
    invoice = answer.json()
    assert (invoice["registration_number"], invoice["issuer_name"]) == (REGISTRATION, "テスト信金")
    assert (invoice["merchant_name"], invoice["month"]) == (shop.merchant.name, "2026-11")
    assert (invoice["period_end"], invoice["issued_on"]) == ("2026-11-30", "2026-12-01")
    assert invoice["provisional"] is False
    assert invoice["lines"] == [{"kind": "cashout", "rate_bp": 1000, "amount": 237, "count": 4}]
    assert invoice["rates"] == [
        {"rate_bp": 1000, "base": 237, "tax": 23, "per_transaction_tax": 21}
    ]
    assert (invoice["base"], invoice["tax"], invoice["total"]) == (237, 23, 260)
    assert (invoice["per_transaction_tax"], invoice["rounding_difference"]) == (21, 2)
    # It reconciles to the fees charged payout by payout.
    charged = run_in_transaction(
        town.engine,
        lambda c: c.execute(
            text("SELECT sum(fee) FROM payouts WHERE coin_id = :c AND merchant_id = :m"),
            {"c": shop.merchant.coin_id, "m": shop.merchant.id},
        ).scalar_one(),
    )
    assert charged == invoice["base"]


def test_the_merchant_downloads_it_as_printable_html_and_as_csv(town: Town) -> None:
    shop = shop_with_cashouts(town)
    set_registration(town)
    page = town.client.get("/v1/merchant/invoice?month=2026-11&format=html", headers=shop.headers)
    assert page.headers["content-type"].startswith("text/html")
    for shown in (REGISTRATION, "260円", "23円", "237円", "適格請求書", "21円", "2円"):
        assert shown in page.text
    assert "速報値" in page.text  # asked on the 23rd: November is not over
    sheet = town.client.get("/v1/merchant/invoice?month=2026-11&format=csv", headers=shop.headers)
    assert sheet.headers["content-disposition"].endswith(f'-{shop.merchant.public_id}.csv"')
    rows = list(csv.reader(io.StringIO(sheet.text.removeprefix("\ufeff"))))
    assert ["登録番号", REGISTRATION, "", "", "", "", ""] in rows
    assert ["明細", "換金手数料", "10%", "4", "237", "", ""] in rows
    assert ["合計", "", "", "", "237", "23", "260"] in rows
    assert ["端数処理の差", "", "", "", "", "2", ""] in rows


def test_the_bank_lists_the_months_invoices(town: Town) -> None:
    shop = shop_with_cashouts(town)
    refused = town.client.get("/v1/settlement/invoices?month=2026-11", headers=town.issuer())
    assert (refused.status_code, refused.json()["code"]) == (409, "registration_number_not_set")
    set_registration(town)
    listed = town.client.get("/v1/settlement/invoices?month=2026-11", headers=town.issuer())
    assert listed.status_code == 200, listed.text
    [invoice] = listed.json()["data"]
    assert invoice["number"] == f"{town.code}-202611-{shop.merchant.public_id}"
    assert invoice["total"] == 260
    bad = town.client.get("/v1/settlement/invoices?month=2026-13", headers=town.issuer())
    assert (bad.status_code, bad.json()["code"]) == (422, "month_invalid")


def test_a_registration_number_with_a_wrong_check_digit_is_refused(town: Town) -> None:
    refused = set_registration(town, "T8000012050002")
    assert (refused.status_code, refused.json()["code"]) == (422, "registration_number_invalid")
    kept = town.client.post("/v1/settlement/settings", json={}, headers=town.issuer()).json()
    assert kept["invoice_registration_number"] is None
    assert set_registration(town).json()["invoice_registration_number"] == REGISTRATION


def test_the_tax_rate_is_a_coin_setting_from_an_effective_date(town: Town) -> None:
    issuer = town.issuer()
    listed = town.client.get("/v1/settlement/tax_rates", headers=issuer).json()["data"]
    assert listed == [{"effective_from": "2019-10-01", "rate_bp": 1000}]
    past = {"effective_from": "2026-11-01", "rate_bp": 800}
    refused = town.client.post("/v1/settlement/tax_rates", json=past, headers=issuer)
    assert (refused.status_code, refused.json()["code"]) == (422, "tax_rate_invalid")
    too_high = {"effective_from": "2027-04-01", "rate_bp": 10_001}
    refused = town.client.post("/v1/settlement/tax_rates", json=too_high, headers=issuer)
    assert (refused.status_code, refused.json()["code"]) == (422, "tax_rate_invalid")
    future = {"effective_from": "2027-04-01", "rate_bp": 1200}
    recorded = town.client.post("/v1/settlement/tax_rates", json=future, headers=issuer)
    assert recorded.status_code == 200, recorded.text
    assert recorded.json()["data"] == [
        {"effective_from": "2019-10-01", "rate_bp": 1000},
        {"effective_from": "2027-04-01", "rate_bp": 1200},
    ]
