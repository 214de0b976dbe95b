"""The rest of the resident wallet in Chromium: history with "more", sending to
family (and why a basic wallet cannot), premium campaigns and points, the card
top-up's honest limit on a closed network, the English switch, reflow at
320 CSS px, the automatic QR refresh, and the installable app shell that never
stores an API answer."""

import re
from datetime import UTC, datetime, timedelta

from playwright.sync_api import Browser, Page, expect

from kit.credentials import Role
from tests.web.conftest import PHONE, WebTown, axe_violations, outside_requests, screenshot
from tests.web.resident_town import (
    OFFER_TEXT,
    PIN,
    PIN_LABEL,
    SEND_AMOUNT_LABEL,
    balance,
    expect_home,
    here,
    log_in,
    post,
    sign_up,
    top_up,
    verify,
)


def test_history_reads_in_plain_words_and_shows_more(web_town: WebTown, phone: Page) -> None:
    resident = sign_up(web_town)
    for amount in range(1000, 13000, 1000):  # 12 lines: more than one page of 10
        top_up(web_town, resident.wallet_id, amount)
    log_in(phone, web_town, resident)
    expect_home(phone, "78,000")
    here(phone).get_by_role("button", name="使ったきろく").click()
    lines = phone.locator("#history-list li")
    expect(lines).to_have_count(10)
    expect(lines.first).to_contain_text("+12,000 コイン")
    first_words = lines.first.locator(".what").inner_text()
    assert first_words and "topup" not in first_words  # words, not the ledger's kind
    assert axe_violations(phone) == []
    screenshot(phone, "resident-history")
    here(phone).get_by_role("button", name="もっと見る").click()
    expect(lines).to_have_count(12)
    expect(lines.last).to_contain_text("+1,000 コイン")
    expect(here(phone).get_by_role("button", name="もっと見る")).to_be_hidden()


def test_sending_coin_to_family_and_why_a_basic_wallet_cannot(
    web_town: WebTown, phone: Page
) -> None:
    parent = sign_up(web_town, "佐藤一郎")
    child = sign_up(web_town, "佐藤花")
    verify(web_town, parent)
    top_up(web_town, parent.wallet_id, 5000)

    log_in(phone, web_town, child)
    expect_home(phone, "0")
    here(phone).get_by_role("button", name="家族に送る").click()
    expect(here(phone).locator("#send-basic")).to_be_visible()
    expect(here(phone).get_by_label("送る相手のウォレット番号")).to_be_hidden()
    expect(here(phone).locator("#my-wallet-id")).to_have_text(child.wallet_id)
    assert axe_violations(phone) == []
    phone.get_by_role("button", name="ログアウト").click()

    # Logging out forgot who it was: the next person types their own number.
    here(phone).get_by_label("利用者番号").fill(parent.resident_id)
    here(phone).get_by_label(PIN_LABEL).fill(PIN)
    here(phone).get_by_role("button", name="ログインする", exact=True).click()
    expect_home(phone, "5,000")
    here(phone).get_by_role("button", name="家族に送る").click()
    expect(here(phone).locator("#send-basic")).to_be_hidden()
    here(phone).get_by_label("送る相手のウォレット番号").fill(child.wallet_id)
    here(phone).get_by_label(SEND_AMOUNT_LABEL).fill("1500")
    here(phone).get_by_label("暗証番号").fill("9999")
    here(phone).get_by_role("button", name="送る", exact=True).click()
    expect(phone.get_by_role("alert")).to_have_text("暗証番号がちがいます。")
    assert balance(web_town, child)["total"] == 0
    here(phone).get_by_label("暗証番号").fill(PIN)
    here(phone).get_by_role("button", name="送る", exact=True).click()
    expect(here(phone).get_by_role("heading", name="送りました")).to_be_visible()
    expect(phone.locator("#done-amount")).to_have_text("1,500")
    assert balance(web_town, child)["total"] == 1500
    assert balance(web_town, parent)["total"] == 3500


def test_premium_campaigns_points_and_the_card_top_up_screen(
    web_town: WebTown, phone: Page
) -> None:
    outside = outside_requests(phone, web_town.server.url)
    now = datetime.now(UTC)
    campaign = post(
        web_town,
        "/v1/premium_campaigns",
        {
            "name": "春のプレミアム商品券",
            "price": 10000,
            "face_value": 12000,
            "per_resident_limit": 2,
            "total_units": 100,
            "starts_at": (now - timedelta(hours=1)).isoformat(),
            "ends_at": (now + timedelta(days=7)).isoformat(),
            "premium_expires_at": (now + timedelta(days=180)).isoformat(),
        },
        web_town.as_role(Role.MUNICIPALITY),
    )
    resident = sign_up(web_town)
    post(
        web_town,
        "/v1/points/grants",
        {
            "wallet_ids": [resident.wallet_id],
            "amount": 250,
            "reason": "ボランティア",
            "expires_at": (now + timedelta(days=60)).isoformat(),
        },
        web_town.as_role(Role.MUNICIPALITY),
    )
    log_in(phone, web_town, resident)
    expect_home(phone, "250")
    here(phone).get_by_role("button", name="プレミアム商品券").click()
    expect(phone.locator("#campaigns-points")).to_contain_text("250コイン")
    card = phone.locator("#campaigns-list li")
    expect(card).to_have_count(1)
    expect(card).to_contain_text("春のプレミアム商品券")
    expect(card).to_contain_text(OFFER_TEXT)
    assert axe_violations(phone) == []
    card.get_by_label("何口買いますか").fill("3")
    card.get_by_role("button", name="予約する").click()
    expect(phone.get_by_role("alert")).to_have_text("上限をこえるため、できません。")
    card.get_by_label("何口買いますか").fill("1")
    card.get_by_role("button", name="予約する").click()
    expect(phone.get_by_role("status")).to_contain_text("10,000円を払ってください")
    sold = web_town.api.get(
        f"/v1/premium_campaigns/{campaign['id']}", headers=web_town.as_role(Role.MUNICIPALITY)
    )
    assert sold.json()["sold_units"] == 1

    here(phone).get_by_role("button", name="残高にもどる").click()
    here(phone).get_by_role("button", name="カードでチャージ").click()
    expect(here(phone)).to_contain_text("閉じたネットワークでは使えません")
    assert phone.evaluate("() => typeof window.Stripe") == "undefined"
    assert outside == []


def test_english_switch_and_reflow_on_a_320px_screen(web_town: WebTown, phone: Page) -> None:
    resident = sign_up(web_town)
    top_up(web_town, resident.wallet_id, 1234)
    log_in(phone, web_town, resident)
    expect_home(phone, "1,234")
    phone.get_by_role("button", name="English").click()
    expect(here(phone).get_by_role("heading", level=1)).to_have_text("Balance")
    assert phone.evaluate("() => document.documentElement.lang") == "en"
    expect(phone.get_by_role("button", name="日本語")).to_have_attribute("lang", "ja")
    phone.reload()  # the choice stays
    expect(here(phone).get_by_role("heading", level=1)).to_have_text("Balance")
    expect(here(phone).get_by_role("button", name="Pay by showing my QR")).to_be_visible()
    phone.get_by_role("button", name="日本語").click()
    expect_home(phone, "1,234")

    # 320 CSS px is a 1280 px screen at 400% zoom: nothing may need sideways scrolling.
    phone.set_viewport_size({"width": 320, "height": 640})
    assert phone.evaluate("() => document.documentElement.scrollWidth") <= 320
    base = phone.evaluate("() => parseFloat(getComputedStyle(document.body).fontSize)")
    assert base >= 18
    button = here(phone).get_by_role("button", name="QRコードを見せて払う").bounding_box()
    assert button is not None and button["height"] >= 48
    here(phone).get_by_role("button", name="お店のQRを読んで払う").click()
    assert phone.evaluate("() => document.documentElement.scrollWidth") <= 320


def test_the_qr_code_renews_itself_before_it_expires(web_town: WebTown, phone: Page) -> None:
    resident = sign_up(web_town)
    phone.clock.install()
    log_in(phone, web_town, resident)
    expect_home(phone, "0")
    here(phone).get_by_role("button", name="QRコードを見せて払う").click()
    figure = phone.locator("#myqr-figure")
    expect(figure).to_have_attribute("data-token", re.compile(r"^LC1\w{20,}$"))
    first = figure.get_attribute("data-token") or ""
    expect(phone.locator("#myqr-countdown")).to_contain_text("秒で新しいコードになります")
    phone.clock.run_for(51_000)  # ten seconds before the minute is up
    expect(figure).not_to_have_attribute("data-token", first)
    expect(phone.locator("#myqr-countdown")).to_have_text(re.compile(r"^あと (5\d|60) 秒"))


def test_the_app_installs_and_its_worker_never_keeps_api_answers(
    web_town: WebTown, phone: Page
) -> None:
    manifest = web_town.api.get("/manifest.webmanifest").json()
    assert manifest["start_url"] == "/" and manifest["display"] == "standalone"
    sizes = {icon["sizes"] for icon in manifest["icons"]}
    assert {"192x192", "512x512"} <= sizes
    for icon in manifest["icons"]:
        assert web_town.api.get(icon["src"]).status_code == 200

    resident = sign_up(web_town)
    top_up(web_town, resident.wallet_id, 700)
    phone.goto(web_town.server.url + "/")
    assert phone.evaluate("async () => !!(await navigator.serviceWorker.ready).active")
    phone.reload()  # now the worker controls the page and sees every request
    assert phone.evaluate("() => !!navigator.serviceWorker.controller")
    log_in(phone, web_town, resident)
    expect_home(phone, "700")
    here(phone).get_by_role("button", name="使ったきろく").click()
    expect(phone.locator("#history-list li")).to_have_count(1)
    cached: list[str] = phone.evaluate(
        """async () => {
            const urls = [];
            for (const name of await caches.keys()) {
                const cache = await caches.open(name);
                for (const request of await cache.keys()) urls.push(request.url);
            }
            return urls;
        }"""
    )
    paths = [url.removeprefix(web_town.server.url) for url in cached]
    assert "/" in paths and "/static/common/wallet-app.js" in paths
    assert [p for p in paths if p.startswith("/v1") or "?" in p] == []


def test_the_wallet_runs_under_its_strict_content_security_policy(
    web_town: WebTown, browser: Browser
) -> None:
    # The phone fixture bypasses the CSP (to inject axe-core); this one does not.
    context = browser.new_context(viewport=PHONE, locale="ja-JP")
    page = context.new_page()
    page.add_init_script(
        "document.addEventListener('securitypolicyviolation', e =>"
        " (window.cspViolations = window.cspViolations || [])"
        ".push(e.violatedDirective + ' ' + e.blockedURI));"
    )
    try:
        resident = sign_up(web_town)
        top_up(web_town, resident.wallet_id, 800)
        log_in(page, web_town, resident)
        expect_home(page, "800")
        here(page).get_by_role("button", name="QRコードを見せて払う").click()
        expect(page.locator("#myqr-countdown")).to_contain_text("秒")
        assert page.locator("#myqr-img").evaluate("img => img.naturalWidth") > 0
        page.get_by_role("button", name="English").click()
        expect(page.get_by_role("button", name="日本語")).to_be_visible()
        assert page.evaluate("() => window.cspViolations || []") == []
    finally:
        context.close()
