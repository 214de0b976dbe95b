"""One afternoon in town, across two apps at once: a resident's phone and a shop's till.

The resident pays the till's dynamic QR from the phone, then shows the phone's
QR and the till scans it; the shop refunds part of that in its console, and
the resident's wallet shows what is left. Both pages are driven as people use
them; only the bank's set-up (onboarding, the counter top-up) goes through
the API, as the bank console's own tests cover those screens.
"""

import re

from playwright.sync_api import Browser, Page, expect

from tests.web.conftest import DESKTOP, PHONE, WebTown, outside_requests
from tests.web.resident_town import balance, expect_home, here, log_in, sign_up, top_up
from tests.web.test_merchant_console import AMOUNT, SCANNER, onboard
from tests.web.test_merchant_console import log_in as log_in_till


def _pages(browser: Browser) -> tuple[Page, Page]:
    phone = browser.new_context(viewport=PHONE, locale="ja-JP", has_touch=True).new_page()
    till = browser.new_context(viewport=DESKTOP, locale="ja-JP").new_page()
    return phone, till


def test_a_resident_and_a_shop_pay_both_ways_and_refund(
    web_town: WebTown, browser: Browser
) -> None:
    shop = onboard(web_town)
    resident = sign_up(web_town)
    top_up(web_town, resident.wallet_id, 5_000)
    phone, till = _pages(browser)
    try:
        phone_outside = outside_requests(phone, web_town.server.url)
        till_outside = outside_requests(till, web_town.server.url)
        log_in(phone, web_town, resident)
        expect_home(phone, "5,000")
        log_in_till(till, web_town, shop)

        # The shop shows a dynamic QR for 1,200; the resident reads it with the phone.
        till.get_by_label(AMOUNT, exact=True).fill("1200")
        till.get_by_role("button", name="QRコードを表示").click()
        payload = till.locator("#intent-payload")
        expect(payload).not_to_be_empty()
        here(phone).get_by_role("button", name="お店のQRを読んで払う").click()
        here(phone).get_by_label("コードの文字を貼り付ける・入力する").fill(payload.inner_text())
        here(phone).get_by_role("button", name="次へ").click()
        expect(here(phone).get_by_role("heading", name="支払う内容の確認")).to_be_visible()
        here(phone).get_by_role("button", name="支払う", exact=True).click()
        expect(phone.locator("#done-amount")).to_have_text("1,200")
        expect(till.locator("#paid")).to_contain_text("支払い完了", timeout=10_000)

        # The resident shows the phone's QR; the till's scanner reads it.
        here(phone).get_by_role("button", name="残高にもどる").click()
        expect_home(phone, "3,800")
        here(phone).get_by_role("button", name="QRコードを見せて払う").click()
        figure = phone.locator("#myqr-figure")
        expect(figure).to_have_attribute("data-token", re.compile(r"^LC1\w{20,}$"))
        token = figure.get_attribute("data-token") or ""
        till.get_by_label(AMOUNT, exact=True).fill("800")
        scanner = till.get_by_label(SCANNER)
        scanner.fill(token)
        scanner.press("Enter")
        expect(till.locator("#scan-result")).to_contain_text("¥800")
        expect(here(phone).get_by_role("heading", name="支払いが終わりました")).to_be_visible()
        expect(phone.locator("#done-amount")).to_have_text("800")

        # The shop refunds 300 of the 800 from today's sales.
        till.get_by_role("button", name="今日の売上").click()
        rows = till.locator("#charges tr[data-charge]")
        expect(rows).to_have_count(2)
        scanned = rows.filter(has_text="800").first
        scanned.get_by_role("button", name="返金").click()
        till.get_by_label("返金する金額").fill("300")
        till.get_by_role("button", name="返金する").click()
        expect(scanned).to_contain_text("一部返金")
        expect(till.locator("#sales-total")).to_have_text("¥2,000")
        expect(till.locator("#sales-refunded")).to_have_text("¥300")

        # Back on the phone: 5,000 - 1,200 - 800 + 300.
        here(phone).get_by_role("button", name="残高にもどる").click()
        phone.reload()
        expect_home(phone, "3,300")
        assert balance(web_town, resident)["available"] == 3_300
        assert phone_outside == till_outside == []
    finally:
        phone.context.close()
        till.context.close()
