"""The merchant console's back office in Chromium: cash-out requests, the QR
sticker, keys for terminals and integrations, webhook endpoints and their
delivery log.
"""

import io
import threading
import uuid
from collections.abc import Iterator
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from zoneinfo import ZoneInfo

import PIL.Image
import pytest
import zxingcpp
from playwright.sync_api import Page, expect
from sqlalchemy import text

from kit.credentials import Role
from tests.merchant.qr.jpqr_rules import jpqr_violations
from tests.web.conftest import WebTown, axe_violations, outside_requests, screenshot
from tests.web.test_merchant_console import Merchant, log_in, onboard, payment_token, resident

# The page's own Japanese labels, full-width brackets included.
PAYOUT_AMOUNT = "換金する金額（円）"  # noqa: RUF001
KEY_PURPOSE = "用途（例：予約システム）"  # noqa: RUF001


def paid_shop(town: WebTown, amount: int) -> Merchant:
    """A merchant that has taken ``amount`` from a resident."""
    shop = onboard(town)
    payer = resident(town, amount)
    charge = town.api.post(
        "/v1/charges",
        headers={**shop.headers, "Idempotency-Key": uuid.uuid4().hex},
        json={"payment_token": payment_token(town, payer), "amount": amount},
    )
    assert charge.status_code == 201, charge.text
    return shop


class _Receiver(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.send_response(200)
        self.end_headers()
        received.set()

    def log_message(self, format: str, *args: object) -> None:
        return


received = threading.Event()


@pytest.fixture
def receiver() -> Iterator[str]:
    """A local webhook receiver answering 200 (the test server allows private URLs)."""
    received.clear()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hooks"
    server.shutdown()
    thread.join(timeout=5)


def test_a_cash_out_is_requested_and_listed_with_its_status(web_town: WebTown, desk: Page) -> None:
    shop = paid_shop(web_town, 3_000)
    outside = outside_requests(desk, web_town.server.url)
    log_in(desk, web_town, shop)
    desk.get_by_role("button", name="換金").click()
    expect(desk.locator("#payout-available")).to_have_text("¥3,000")
    desk.get_by_label(PAYOUT_AMOUNT).fill("2000")
    desk.get_by_role("button", name="換金を申し込む").click()
    expect(desk.locator("#payout-rows tr")).to_have_count(1)
    expect(desk.locator("#payout-rows")).to_contain_text("¥2,000")
    expect(desk.locator("#payout-rows")).to_contain_text("処理待ち")
    payouts = web_town.api.get("/v1/payouts", headers=shop.headers).json()["data"]
    assert [(p["amount"], p["status"]) for p in payouts] == [(2000, "pending")]
    assert axe_violations(desk) == []
    assert outside == []


def test_a_cash_out_beyond_the_balance_is_refused_and_nothing_is_requested(
    web_town: WebTown, desk: Page
) -> None:
    shop = paid_shop(web_town, 1_000)
    log_in(desk, web_town, shop)
    desk.get_by_role("button", name="換金").click()
    desk.get_by_label(PAYOUT_AMOUNT).fill("5000")
    desk.get_by_role("button", name="換金を申し込む").click()
    expect(desk.get_by_role("alert")).to_be_visible()
    assert web_town.api.get("/v1/payouts", headers=shop.headers).json()["data"] == []


def test_the_static_qr_sticker_is_shown_for_printing(web_town: WebTown, desk: Page) -> None:
    shop = onboard(web_town, jpqr_store_id="1234567890123-0001-000042-000007")
    log_in(desk, web_town, shop)
    desk.get_by_role("button", name="QRステッカー").click()
    desk.wait_for_function("document.getElementById('sticker-qr').naturalWidth > 0")
    # The shop has a unified store id: its new sticker is a JPQR code and says so.
    expect(desk.locator("#sticker-store-id")).to_have_text("1234567890123-0001-000042-000007")
    expect(desk.locator("#sticker-place")).to_have_text("〒506-0011 高山市")
    shown = desk.evaluate(
        "fetch(document.getElementById('sticker-qr').src)"
        ".then(r => r.arrayBuffer()).then(b => Array.from(new Uint8Array(b)))"
    )
    image = PIL.Image.open(io.BytesIO(bytes(shown)))
    [payload] = [result.text for result in zxingcpp.read_barcodes(image)]
    assert jpqr_violations(payload) == []
    expect(desk.get_by_role("link", name="PNGを保存")).to_have_attribute(
        "download", "localcoin-qr.png"
    )
    desk.emulate_media(media="print")
    assert desk.locator(".tabs").is_hidden()
    assert desk.locator("#sticker-print").is_hidden()
    desk.emulate_media(media="screen")
    screenshot(desk, "merchant-sticker")
    assert axe_violations(desk) == []


def test_a_terminal_key_is_shown_once_works_and_can_be_disabled(
    web_town: WebTown, desk: Page
) -> None:
    shop = onboard(web_town)
    log_in(desk, web_town, shop)
    desk.get_by_role("button", name="APIキー").click()
    desk.get_by_label("店舗名").fill("駅前店")
    desk.get_by_role("button", name="店舗を追加").click()
    expect(desk.locator("#terminal-store option")).to_have_count(1)
    desk.get_by_label("端末名").fill("レジ1")
    desk.get_by_role("button", name="端末キーを作成").click()
    secret = desk.locator("#secret-value")
    expect(secret).not_to_be_empty()
    key = secret.inner_text()
    assert web_town.api.get("/v1/charges", headers={"Authorization": f"Bearer {key}"}).is_success
    expect(desk.locator("#terminal-rows")).to_contain_text("レジ1")
    assert axe_violations(desk) == []

    desk.get_by_role("button", name="停止 レジ1").click()
    expect(desk.locator("#terminal-rows")).to_contain_text("停止中")
    refused = web_town.api.get("/v1/charges", headers={"Authorization": f"Bearer {key}"})
    assert refused.status_code in (401, 403)

    desk.get_by_label(KEY_PURPOSE).fill("予約システム")
    desk.get_by_role("button", name="連携キーを作成").click()
    expect(desk.locator("#apikey-rows")).to_contain_text("予約システム")
    integration = secret.inner_text()
    assert integration != key
    me = web_town.api.get("/v1/merchant", headers={"Authorization": f"Bearer {integration}"})
    assert me.json()["merchant_id"] == shop.merchant_id


def test_the_merchant_sets_what_its_tills_may_refund(web_town: WebTown, desk: Page) -> None:
    shop = onboard(web_town)
    log_in(desk, web_town, shop)
    desk.get_by_role("button", name="APIキー").click()
    days = desk.get_by_label("何日前のお支払いまで（0〜90日）")  # noqa: RUF001
    largest = desk.get_by_label("1回の返金の上限（円）")  # noqa: RUF001
    expect(days).to_have_value("7")
    expect(largest).to_have_value("10000")
    days.fill("2")
    largest.fill("3000")
    desk.get_by_role("button", name="保存する").click()
    expect(desk.locator("#live")).to_have_text("端末の返金の上限を保存しました。")
    me = web_town.api.get("/v1/merchant", headers=shop.headers).json()
    assert me["till_limits"] == {"refund_days": 2, "refund_max": 3000}
    assert axe_violations(desk) == []


def test_a_webhook_endpoint_is_created_and_its_deliveries_are_shown(
    web_town: WebTown, desk: Page, receiver: str
) -> None:
    shop = onboard(web_town)
    payer = resident(web_town, 2_000)
    outside = outside_requests(desk, web_town.server.url)
    log_in(desk, web_town, shop)
    desk.get_by_role("button", name="Webhook").click()
    desk.get_by_label("送信先URL").fill(receiver)
    desk.get_by_role("button", name="送信先を登録").click()
    expect(desk.locator("#whsecret-value")).to_contain_text("whsec_")
    expect(desk.locator("#webhook-rows")).to_contain_text(receiver)

    charge = web_town.api.post(
        "/v1/charges",
        headers={**shop.headers, "Idempotency-Key": uuid.uuid4().hex},
        json={"payment_token": payment_token(web_town, payer), "amount": 700},
    )
    assert charge.status_code == 201, charge.text
    assert received.wait(timeout=15), "the webhook worker never called the receiver"
    deliveries = desk.locator("#delivery-rows")
    expect(deliveries).to_contain_text("charge.succeeded", timeout=10_000)
    expect(deliveries).to_contain_text("HTTP 200", timeout=10_000)
    assert axe_violations(desk) == []

    desk.get_by_role("button", name=f"停止 {receiver}").click()
    expect(desk.locator("#webhook-rows")).to_contain_text("停止中")
    endpoints = web_town.api.get("/v1/webhook_endpoints", headers=shop.headers).json()["data"]
    assert [e["status"] for e in endpoints] == ["disabled"]
    assert outside == []


def test_an_endpoint_resting_after_repeated_failures_says_so(web_town: WebTown, desk: Page) -> None:
    shop = onboard(web_town)
    made = web_town.api.post(
        "/v1/webhook_endpoints",
        headers=shop.headers,
        json={"url": "http://127.0.0.1:9/hooks", "events": ["*"]},
    )
    assert made.status_code == 201, made.text
    # What the worker's circuit breaker leaves after failures in a row.
    with web_town.server.engine.begin() as conn:
        conn.execute(
            text(
                "UPDATE webhook_endpoints SET consecutive_failures = 5,"
                " paused_until = now() + interval '10 minutes' WHERE public_id = :p"
            ),
            {"p": made.json()["id"]},
        )
    log_in(desk, web_town, shop)
    desk.get_by_role("button", name="Webhook").click()
    expect(desk.locator("#webhook-rows")).to_contain_text("一時停止中")
    expect(desk.locator("#webhook-rows")).to_contain_text("5回続けて失敗")


def test_the_monthly_invoice_is_shown_printed_and_downloaded(web_town: WebTown, desk: Page) -> None:
    issuer = web_town.as_role(Role.ISSUER)
    registered = web_town.api.post(
        "/v1/settlement/settings",
        headers=issuer,
        json={"invoice_registration_number": "T7000012050002"},
    )
    assert registered.status_code == 200, registered.text
    shop = onboard(web_town, name="みどり食堂")
    rate = web_town.api.post(
        f"/v1/merchants/{shop.merchant_id}/fees", headers=issuer, json={"payment_bp": 180}
    )
    assert rate.status_code == 200, rate.text
    payer = resident(web_town, 5_000)
    for _ in range(3):  # 1,050 at 1.8% = 18.9, rounded down per payment: 18 each
        charge = web_town.api.post(
            "/v1/charges",
            headers={**shop.headers, "Idempotency-Key": uuid.uuid4().hex},
            json={"payment_token": payment_token(web_town, payer), "amount": 1_050},
        )
        assert charge.status_code == 201, charge.text

    log_in(desk, web_town, shop)
    desk.get_by_role("button", name="請求書").click()
    this_month = datetime.now(ZoneInfo("Asia/Tokyo")).strftime("%Y-%m")
    desk.get_by_label("対象月").fill(this_month)
    desk.get_by_role("button", name="表示").click()
    invoice = desk.locator("#invoice-doc")
    expect(invoice).to_be_visible()
    expect(desk.locator("#invoice-registration")).to_have_text("T7000012050002")
    # 54 excluding tax; 5.4 → 5 once on the total (3 if rounded per payment): 59 due.
    expect(desk.locator("#invoice-total")).to_have_text("¥59")
    expect(desk.locator("#invoice-rates")).to_contain_text("¥54")
    expect(desk.locator("#invoice-note")).to_contain_text("¥2")
    expect(desk.locator("#invoice-provisional")).to_be_visible()  # the month is not over
    expect(desk.get_by_role("link", name="CSVを保存")).to_have_attribute(
        "download", f"invoice_{this_month}.csv"
    )
    desk.emulate_media(media="print")
    assert desk.locator(".tabs").is_hidden() and desk.locator("#invoice-form").is_hidden()
    desk.emulate_media(media="screen")
    screenshot(desk, "merchant-invoice")
    assert axe_violations(desk) == []
