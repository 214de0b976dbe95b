"""The resident wallet at ``/`` in a real Chromium on a phone-sized screen.

Set-up goes through the API with the role keys (the issuer tops up and
onboards the shop, the shop's key charges); everything the resident does goes
through the page: sign-up, the PIN log-in, the balance, showing the QR code a
terminal charges, paying a shop's static QR and a payment intent's link.
"""

import re
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

from playwright.sync_api import FilePayload, Page, expect

from kit.credentials import Role
from merchant.qr.emvco_qr import build_static, parse
from tests.web.conftest import WebTown, axe_violations, outside_requests, screenshot
from tests.web.resident_town import (
    AMOUNT_LABEL,
    FULL_WIDTH_12000,
    NAME_LABEL,
    NEW_PIN_LABEL,
    PIN,
    PIN_LABEL,
    WebResident,
    balance,
    expect_home,
    here,
    log_in,
    open_shop,
    post,
    resident_token,
    sign_up,
    top_up,
)
from wallet_api.resident_numbers import normalised

REMEMBER_LABEL = "この端末に記憶する"


def test_a_resident_signs_up_logs_in_and_sees_the_balance_split(
    web_town: WebTown, phone: Page
) -> None:
    outside = outside_requests(phone, web_town.server.url)
    phone.goto(f"{web_town.server.url}/?coin={web_town.code}#signup")
    expect(here(phone).get_by_label("お住まいの町のコイン")).to_have_value(web_town.code)
    assert axe_violations(phone) == []
    here(phone).get_by_label(NAME_LABEL).fill("山田花子")
    here(phone).get_by_label(NEW_PIN_LABEL).fill(PIN)
    here(phone).get_by_label("もう一度、同じ暗証番号").fill("1357")
    here(phone).get_by_role("button", name="登録する").click()
    expect(phone.get_by_role("alert")).to_have_text(
        "2つの暗証番号がちがいます。もう一度入れてください。"
    )
    here(phone).get_by_label("もう一度、同じ暗証番号").fill(PIN)
    # Off unless ticked: this is the resident's own phone.
    expect(here(phone).get_by_label(REMEMBER_LABEL)).not_to_be_checked()
    here(phone).get_by_label(REMEMBER_LABEL).check()
    here(phone).get_by_role("button", name="登録する").click()
    expect(here(phone).get_by_role("heading", name="登録できました")).to_be_visible()
    # The login to keep is the resident number, check digit and all.
    number = phone.locator("#registered-id").inner_text()
    assert normalised(number) == number

    resident = WebResident(number, "", PIN)
    wallet = web_town.api.get("/v1/wallet", headers=resident_token(web_town, resident)).json()
    top_up(web_town, wallet["wallet_id"], 5000)
    expires = (datetime.now(UTC) + timedelta(days=90)).isoformat()
    post(
        web_town,
        "/v1/points/grants",
        {
            "wallet_ids": [wallet["wallet_id"]],
            "amount": 300,
            "reason": "健診",
            "expires_at": expires,
        },
        web_town.as_role(Role.MUNICIPALITY),
    )

    here(phone).get_by_role("button", name="はじめる").click()
    expect_home(phone, "5,300")
    expect(phone.locator("#bal-money")).to_have_text("5,000")
    expect(phone.locator("#bal-points")).to_have_text("300")
    expect(phone.locator("#bal-premium")).to_have_text("0")
    expect(phone.locator("#home-hello")).to_contain_text("山田花子")
    expect(phone.locator("#lots-list li")).to_have_count(1)
    expect(phone.locator("#lots-list li")).to_contain_text("ポイント 300コイン")
    assert axe_violations(phone) == []
    screenshot(phone, "resident-home")

    # Another visit (a new tab) is greeted: the phone remembers who, only the PIN is asked.
    later = phone.context.new_page()
    later.goto(web_town.server.url + "/")
    expect(later.locator("#login-welcome")).to_have_text(
        "山田花子さん、こんにちは。暗証番号を入れてください。"
    )
    expect(here(later).get_by_label("利用者番号")).to_be_hidden()
    later.close()
    # Logging out forgets it, as on a shared device.
    phone.get_by_role("button", name="ログアウト").click()
    expect(phone.locator("#login-welcome")).to_be_hidden()
    expect(here(phone).get_by_label("利用者番号")).to_be_visible()
    assert phone.evaluate("localStorage.getItem('localcoin.resident.remember')") is None
    # Logging in without ticking the box remembers nothing.
    log_in(phone, web_town, resident)
    expect_home(phone, "5,300")
    assert phone.evaluate("localStorage.getItem('localcoin.resident.remember')") is None
    assert outside == []


def test_wrong_pins_show_the_lockout_in_plain_words(web_town: WebTown, phone: Page) -> None:
    resident = sign_up(web_town)
    wrong = WebResident(resident.resident_id, resident.wallet_id, "0000")
    log_in(phone, web_town, wrong)
    expect(phone.get_by_role("alert")).to_have_text("番号か暗証番号がちがいます。")
    for _ in range(5):
        here(phone).get_by_label(PIN_LABEL).fill("0000")
        here(phone).get_by_role("button", name="ログインする", exact=True).click()
        expect(here(phone).get_by_role("button", name="ログインする", exact=True)).to_be_enabled()
    expect(phone.get_by_role("alert")).to_contain_text("しばらくログインできません")
    # Even the right PIN is refused while locked, and the page says why.
    here(phone).get_by_label(PIN_LABEL).fill(resident.pin)
    here(phone).get_by_role("button", name="ログインする", exact=True).click()
    expect(phone.get_by_role("alert")).to_contain_text("しばらくログインできません")
    expect(here(phone).get_by_role("heading", name="ログイン")).to_be_visible()
    assert axe_violations(phone) == []


def test_a_terminal_charges_the_qr_the_resident_shows(web_town: WebTown, phone: Page) -> None:
    shop = open_shop(web_town)
    resident = sign_up(web_town)
    top_up(web_town, resident.wallet_id, 3000)
    log_in(phone, web_town, resident)
    expect_home(phone, "3,000")
    here(phone).get_by_role("button", name="QRコードを見せて払う").click()
    figure = phone.locator("#myqr-figure")
    expect(figure).to_have_attribute("data-token", re.compile(r"^LC1\w{20,}$"))
    expect(phone.locator("#myqr-countdown")).to_contain_text("秒で新しいコードになります")
    expect(here(phone).get_by_role("img", name="支払い用のQRコード")).to_be_visible()
    assert phone.locator("#myqr-img").evaluate("img => img.naturalWidth") > 0
    assert axe_violations(phone) == []
    screenshot(phone, "resident-pay-qr")

    shown = figure.get_attribute("data-token")
    charged = post(web_town, "/v1/charges", {"payment_token": shown, "amount": 1200}, shop.headers)
    assert charged["amount"] == 1200
    expect(here(phone).get_by_role("heading", name="支払いが終わりました")).to_be_visible()
    expect(phone.locator("#done-amount")).to_have_text("1,200")
    here(phone).get_by_role("button", name="残高にもどる").click()
    expect_home(phone, "1,800")


def test_asking_for_a_new_code_replaces_the_shown_one(web_town: WebTown, phone: Page) -> None:
    resident = sign_up(web_town)
    top_up(web_town, resident.wallet_id, 100)
    log_in(phone, web_town, resident)
    expect_home(phone, "100")
    here(phone).get_by_role("button", name="QRコードを見せて払う").click()
    figure = phone.locator("#myqr-figure")
    expect(figure).to_have_attribute("data-token", re.compile(r"^LC1\w{20,}$"))
    first = figure.get_attribute("data-token")
    here(phone).get_by_role("button", name="新しいコードにする").click()
    expect(figure).not_to_have_attribute("data-token", first or "")
    expect(phone.locator("#myqr-countdown")).to_contain_text("あと")


def test_paying_a_shops_static_qr_by_typing_its_payload(web_town: WebTown, phone: Page) -> None:
    shop = open_shop(web_town, "みどり八百屋")
    payload = web_town.api.get("/v1/merchant/qr", headers=shop.headers).json()["qr_payload"]
    resident = sign_up(web_town)
    top_up(web_town, resident.wallet_id, 20000)
    log_in(phone, web_town, resident)
    expect_home(phone, "20,000")
    here(phone).get_by_role("button", name="お店のQRを読んで払う").click()
    here(phone).get_by_label("コードの文字を貼り付ける・入力する").fill(payload)
    here(phone).get_by_role("button", name="次へ").click()
    expect(here(phone).get_by_role("heading", name="支払う内容の確認")).to_be_visible()
    expect(phone.locator("#confirm-available")).to_have_text("20,000")
    here(phone).get_by_label(AMOUNT_LABEL).fill(FULL_WIDTH_12000)  # full-width, as a phone may type
    expect(here(phone).get_by_label("暗証番号")).to_be_visible()  # above the threshold
    screenshot(phone, "resident-pay-confirm")
    here(phone).get_by_role("button", name="支払う", exact=True).click()
    expect(phone.get_by_role("alert")).to_have_text("暗証番号を入れてください。")
    assert balance(web_town, resident)["available"] == 20000
    assert axe_violations(phone) == []

    here(phone).get_by_label("暗証番号").fill(PIN)
    here(phone).get_by_role("button", name="支払う", exact=True).click()
    expect(here(phone).get_by_role("heading", name="支払いが終わりました")).to_be_visible()
    expect(phone.locator("#done-amount")).to_have_text("12,000")
    expect(phone.locator("#done-detail")).to_contain_text("みどり八百屋")
    assert balance(web_town, resident)["available"] == 8000

    # A small amount needs no PIN.
    here(phone).get_by_role("button", name="残高にもどる").click()
    here(phone).get_by_role("button", name="お店のQRを読んで払う").click()
    here(phone).get_by_label("コードの文字を貼り付ける・入力する").fill(payload)
    here(phone).get_by_role("button", name="次へ").click()
    here(phone).get_by_label(AMOUNT_LABEL).fill("500")
    expect(here(phone).get_by_label("暗証番号")).to_be_hidden()
    here(phone).get_by_role("button", name="支払う", exact=True).click()
    expect(phone.locator("#done-amount")).to_have_text("500")
    assert balance(web_town, resident)["available"] == 7500


def test_a_refused_payment_says_why_and_moves_nothing(web_town: WebTown, phone: Page) -> None:
    shop = open_shop(web_town)
    payload = web_town.api.get("/v1/merchant/qr", headers=shop.headers).json()["qr_payload"]
    resident = sign_up(web_town)
    top_up(web_town, resident.wallet_id, 300)
    log_in(phone, web_town, resident)
    expect_home(phone, "300")
    here(phone).get_by_role("button", name="お店のQRを読んで払う").click()
    here(phone).get_by_label("コードの文字を貼り付ける・入力する").fill("not a shop's code")
    here(phone).get_by_role("button", name="次へ").click()
    expect(phone.get_by_role("alert")).to_have_text(
        "このQRコードは読めません。お店の人にたずねてください。"
    )
    here(phone).get_by_label("コードの文字を貼り付ける・入力する").fill(payload)
    here(phone).get_by_role("button", name="次へ").click()
    here(phone).get_by_label(AMOUNT_LABEL).fill("900")
    here(phone).get_by_role("button", name="支払う", exact=True).click()
    expect(phone.get_by_role("alert")).to_have_text("残高が足りません。")
    assert balance(web_town, resident)["available"] == 300


def test_paying_a_booking_intent_by_opening_its_link(web_town: WebTown, phone: Page) -> None:
    shop = open_shop(web_town, "市民体育館")
    intent = post(
        web_town,
        "/v1/payment_intents",
        {"amount": 2500, "reference": "booking-42", "capture_method": "automatic"},
        shop.headers,
    )
    resident = sign_up(web_town)
    top_up(web_town, resident.wallet_id, 4000)
    log_in(phone, web_town, resident, path=f"/?pay={quote(intent['qr_payload'], safe='')}")
    expect(here(phone).get_by_role("heading", name="支払う内容の確認")).to_be_visible()
    expect(phone.locator("#confirm-fixed")).to_have_text("2,500")
    expect(phone.locator("#confirm-ref")).to_have_text("booking-42")
    expect(here(phone).get_by_label(AMOUNT_LABEL)).to_be_hidden()
    assert "pay=" not in phone.url  # the link's payload leaves the address bar
    here(phone).get_by_role("button", name="支払う", exact=True).click()
    expect(here(phone).get_by_role("heading", name="支払いが終わりました")).to_be_visible()
    expect(phone.locator("#done-amount")).to_have_text("2,500")
    status = web_town.api.get(f"/v1/payment_intents/{intent['id']}", headers=shop.headers)
    assert status.json()["status"] == "succeeded"
    assert balance(web_town, resident)["available"] == 1500


def test_a_link_with_a_forged_payee_name_never_shows_that_name(
    web_town: WebTown, phone: Page
) -> None:
    shop = open_shop(web_town, "みどり青果店")
    real = parse(web_town.api.get("/v1/merchant/qr", headers=shop.headers).json()["qr_payload"])
    forged = build_static(
        coin_code=real.coin_code,
        merchant_id=real.merchant_id,
        merchant_name="SHIYAKUSHO ZEIMUKA",
        merchant_city=real.merchant_city,
        mcc=real.mcc,
        merchant_name_ja="市役所 税務課",
    )
    resident = sign_up(web_town)
    top_up(web_town, resident.wallet_id, 1000)
    log_in(phone, web_town, resident, path=f"/?pay={quote(forged, safe='')}")
    expect(phone.get_by_role("alert")).to_have_text(
        "このQRコードは読めません。お店の人にたずねてください。"
    )
    expect(here(phone).get_by_role("heading", name="支払う内容の確認")).to_be_hidden()
    assert "市役所" not in phone.content()
    assert balance(web_town, resident)["available"] == 1000


def test_a_photo_of_the_shops_qr_is_read_on_the_phone(web_town: WebTown, phone: Page) -> None:
    shop = open_shop(web_town, "みどり魚店")
    sticker = web_town.api.get("/v1/merchant/qr.png", headers=shop.headers)
    assert sticker.status_code == 200
    resident = sign_up(web_town)
    top_up(web_town, resident.wallet_id, 1000)
    log_in(phone, web_town, resident)
    expect_home(phone, "1,000")
    here(phone).get_by_role("button", name="お店のQRを読んで払う").click()
    photo: FilePayload = {"name": "sticker.png", "mimeType": "image/png", "buffer": sticker.content}
    here(phone).get_by_label("写真から読む").set_input_files(files=[photo])
    expect(here(phone).get_by_role("heading", name="支払う内容の確認")).to_be_visible()
    expect(phone.locator("#confirm-shop")).to_contain_text("みどり魚店")
    here(phone).get_by_label(AMOUNT_LABEL).fill("400")
    here(phone).get_by_role("button", name="支払う", exact=True).click()
    expect(phone.locator("#done-amount")).to_have_text("400")
    assert balance(web_town, resident)["available"] == 600


def test_a_deposit_held_for_a_booking_shows_as_held(web_town: WebTown, phone: Page) -> None:
    shop = open_shop(web_town, "市民プール")
    intent = post(
        web_town,
        "/v1/payment_intents",
        {"amount": 3000, "reference": "deposit-7", "capture_method": "manual"},
        shop.headers,
    )
    resident = sign_up(web_town)
    top_up(web_town, resident.wallet_id, 5000)
    log_in(phone, web_town, resident, path=f"/?pay={quote(intent['qr_payload'], safe='')}")
    expect(phone.locator("#confirm-fixed")).to_have_text("3,000")
    here(phone).get_by_role("button", name="支払う", exact=True).click()
    expect(phone.locator("#done-amount")).to_have_text("3,000")
    here(phone).get_by_role("button", name="残高にもどる").click()
    expect_home(phone, "2,000")
    expect(phone.locator("#held-row")).to_be_visible()
    expect(phone.locator("#bal-held")).to_have_text("3,000")
    expect(phone.locator("#bal-total")).to_have_text("5,000")
    status = web_town.api.get(f"/v1/payment_intents/{intent['id']}", headers=shop.headers)
    assert status.json()["status"] == "requires_capture"


def test_a_new_phone_logs_in_with_the_number_and_a_counter_reset_pin(
    web_town: WebTown, phone: Page
) -> None:
    made = post(
        web_town, "/v1/residents", {"coin": web_town.code, "display_name": "木村", "pin": PIN}, {}
    )
    top_up(web_town, made["wallet_id"], 700)
    # A new phone: nothing remembered; the resident types the number from the card.
    by_number = WebResident(made["resident_number"], made["wallet_id"], PIN)
    log_in(phone, web_town, by_number)
    expect_home(phone, "700")
    expect(phone.locator("#home-number")).to_contain_text(made["resident_number"])
    # Forgot the PIN: the bank checks identity at the counter and sets a new one.
    post(
        web_town,
        f"/v1/residents/{made['resident_id']}/pin_reset",
        {"new_pin": "8642", "checked_with": "my_number_card"},
        web_town.as_role(Role.ISSUER),
    )
    phone.get_by_role("button", name="ログアウト").click()
    log_in(phone, web_town, by_number)
    expect(phone.get_by_role("alert")).to_have_text("番号か暗証番号がちがいます。")
    log_in(phone, web_town, WebResident(made["resident_number"], made["wallet_id"], "8642"))
    expect_home(phone, "700")


def test_logging_in_again_on_the_same_phone_ends_its_earlier_session(
    web_town: WebTown, phone: Page
) -> None:
    """The page names its device on log-in, so a token left in an old tab stops working."""
    resident = sign_up(web_town)
    top_up(web_town, resident.wallet_id, 300)
    log_in(phone, web_town, resident)
    expect_home(phone, "300")
    earlier = phone.evaluate("sessionStorage.getItem('localcoin.resident.token')")
    assert phone.evaluate("localStorage.getItem('localcoin.device')")
    again = phone.context.new_page()  # a new tab: same device, no session yet
    again.goto(web_town.server.url + "/")
    expect(here(again).get_by_label(PIN_LABEL)).to_be_visible()
    if here(again).get_by_label("利用者番号").is_visible():  # unless the number is remembered
        here(again).get_by_label("利用者番号").fill(resident.resident_id)
    here(again).get_by_label(PIN_LABEL).fill(resident.pin)
    here(again).get_by_role("button", name="ログインする", exact=True).click()
    expect_home(again, "300")
    later = again.evaluate("sessionStorage.getItem('localcoin.resident.token')")
    assert earlier and later and earlier != later
    ended = web_town.api.get("/v1/wallet", headers={"Authorization": f"Bearer {earlier}"})
    live = web_town.api.get("/v1/wallet", headers={"Authorization": f"Bearer {later}"})
    assert (ended.status_code, live.status_code) == (401, 200)


def test_a_resident_reads_the_wind_down_notice_and_claims_the_refund(
    web_town: WebTown, phone: Page
) -> None:
    resident = sign_up(web_town)
    top_up(web_town, resident.wallet_id, 2_800)
    now = datetime.now(UTC)
    asked = web_town.api.post(
        "/v1/coin/winddown",
        json={
            "issuance_ends_at": (now + timedelta(days=10)).isoformat(),
            "acceptance_ends_at": (now + timedelta(days=30)).isoformat(),
            "claims_close_at": (now + timedelta(days=100)).isoformat(),
        },
        headers=web_town.as_role(Role.ISSUER),
    )
    assert asked.status_code == 202, asked.text
    second = post(
        web_town,
        "/v1/api_keys",
        {"role": "issuer", "label": "支店長"},
        web_town.as_role(Role.ISSUER),
    )
    post(
        web_town,
        f"/v1/approvals/{asked.json()['approval_id']}/approve",
        {},
        {"Authorization": f"Bearer {second['key']}"},
    )
    log_in(phone, web_town, resident)
    expect_home(phone, "2,800")
    expect(phone.locator("#winddown-notice")).to_contain_text("このコインは発行を終えます")
    phone.get_by_role("button", name="払戻しを申し出る").click()
    here(phone).get_by_label("金融機関コード（4けた）").fill("0001")  # noqa: RUF001
    here(phone).get_by_label("支店コード（3けた）").fill("001")  # noqa: RUF001
    here(phone).get_by_label("普通預金の口座番号（7けたまで）").fill("7654321")  # noqa: RUF001
    here(phone).get_by_label("口座の名義（カタカナ）").fill("ヤマダ ハナコ")  # noqa: RUF001
    assert axe_violations(phone) == []
    screenshot(phone, "resident-refund")
    here(phone).get_by_role("button", name="払戻しを申し出る").click()
    expect(phone.locator("#refund-status")).to_contain_text("2,800コインの払戻しを受け付けました")
    assert balance(web_town, resident)["money"] == 0
    # Once only: a second claim says so in plain words with its code.
    here(phone).get_by_label("金融機関コード（4けた）").fill("0001")  # noqa: RUF001
    here(phone).get_by_label("支店コード（3けた）").fill("001")  # noqa: RUF001
    here(phone).get_by_label("普通預金の口座番号（7けたまで）").fill("7654321")  # noqa: RUF001
    here(phone).get_by_label("口座の名義（カタカナ）").fill("ヤマダ ハナコ")  # noqa: RUF001
    here(phone).get_by_role("button", name="払戻しを申し出る").click()
    expect(phone.get_by_role("alert")).to_contain_text("winddown_claimed")
