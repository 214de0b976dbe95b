"""A city hall counter in Chromium: a window's till takes a resident's QR and prints the receipt.

The city is a merchant; its department (市民課) is a store and the window a
terminal with its own key, which is what the clerk logs in with.
"""

import csv
import io
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.web.conftest import WebTown, axe_violations, screenshot
from tests.web.test_merchant_console import (
    AMOUNT,
    SCANNER,
    Merchant,
    log_in,
    onboard,
    payment_token,
    resident,
)


def counter_window(town: WebTown, city: Merchant) -> Merchant:
    """The city's 市民課 and its 1番窓口, whose till key the clerk uses."""
    store = town.api.post("/v1/merchant/stores", json={"name": "市民課"}, headers=city.headers)
    assert store.status_code == 201, store.text
    terminal = town.api.post(
        "/v1/merchant/terminals",
        json={"store_id": store.json()["id"], "name": "1番窓口"},
        headers=city.headers,
    )
    assert terminal.status_code == 201, terminal.text
    return Merchant(city.merchant_id, terminal.json()["api_key"])


def test_the_clerk_takes_a_fee_and_prints_the_residents_receipt(
    web_town: WebTown, desk: Page
) -> None:
    city = onboard(web_town, "みどり市役所")
    window = counter_window(web_town, city)
    payer = resident(web_town, 5_000)
    log_in(desk, web_town, window)

    desk.get_by_label(AMOUNT, exact=True).fill("300")
    desk.get_by_label("内容（領収書に印字・任意）").fill("住民票の写し 1通")  # noqa: RUF001
    scanner = desk.get_by_label(SCANNER)
    scanner.fill(payment_token(web_town, payer))
    scanner.press("Enter")
    expect(desk.locator("#scan-result")).to_contain_text("¥300")
    desk.get_by_role("button", name="領収書").click()

    receipt = desk.locator("#receipt")
    expect(receipt).to_be_visible()
    expect(desk.locator("#receipt-payee")).to_contain_text("みどり市役所")
    expect(desk.locator("#receipt-department")).to_have_text("市民課")
    expect(desk.locator("#receipt-window")).to_have_text("1番窓口")
    expect(desk.locator("#receipt-for")).to_have_text("住民票の写し 1通")
    expect(desk.locator("#receipt-amount")).to_have_text("¥300")
    charges = web_town.api.get("/v1/charges", headers=city.headers).json()["data"]
    expect(desk.locator("#receipt-number")).to_have_text(charges[0]["id"])
    expect(desk.locator("#receipt-time")).to_contain_text("/")
    screenshot(desk, "counter-receipt")
    assert axe_violations(desk) == []

    # Printed, the receipt is all there is on the paper.
    desk.emulate_media(media="print")
    expect(receipt).to_be_visible()
    expect(desk.get_by_label(AMOUNT, exact=True)).to_be_hidden()
    expect(desk.get_by_role("button", name="印刷する")).to_be_hidden()


def test_the_city_downloads_the_days_revenue_by_window(web_town: WebTown, desk: Page) -> None:
    city = onboard(web_town, "みどり市役所")
    window = counter_window(web_town, city)
    payer = resident(web_town, 5_000)
    taken = web_town.api.post(
        "/v1/charges",
        headers=window.headers | {"Idempotency-Key": "counter-1"},
        json={"payment_token": payment_token(web_town, payer), "amount": 300},
    )
    assert taken.status_code == 201, taken.text
    log_in(desk, web_town, city)
    desk.get_by_role("button", name="今日の売上").click()
    with desk.expect_download() as download:
        desk.get_by_role("button", name="窓口別の売上（CSV）").click()  # noqa: RUF001
    text = Path(download.value.path()).read_text(encoding="utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[1][1:5] == ["市民課", "1番窓口", "1", "300"]
    assert rows[-1][1:5] == ["合計", "", "1", "300"]


def test_a_windows_till_has_no_revenue_download(web_town: WebTown, desk: Page) -> None:
    city = onboard(web_town, "みどり市役所")
    log_in(desk, web_town, counter_window(web_town, city))
    desk.get_by_role("button", name="今日の売上").click()
    expect(desk.locator("#revenue-csv")).to_be_hidden()
