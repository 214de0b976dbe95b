"""The wallet's notices settings in Chromium: kinds, channels and quiet hours saved and shown
again, the e-mail already checked, and a mistyped address refused in plain words."""

import re
import time
from datetime import UTC, datetime

from playwright.sync_api import Page, expect
from sqlalchemy import text

from kit.credentials import Role
from ledger.unit_of_work import run_in_transaction
from tests.web.conftest import WebTown, axe_violations, screenshot
from tests.web.resident_town import expect_home, here, log_in, resident_token, sign_up, top_up


def test_a_resident_chooses_what_to_hear_of_and_when(web_town: WebTown, phone: Page) -> None:
    resident = sign_up(web_town, "山田花子")
    top_up(web_town, resident.wallet_id, 3000)
    address = f"hanako.{web_town.code.lower()}@example.jp"
    # The e-mail checked already (the code's round trip is tests/notices/test_contact_login.py).
    _checked_email(web_town, resident.resident_id, address)
    log_in(phone, web_town, resident)
    expect_home(phone, "3,000")
    here(phone).get_by_role("button", name="お知らせ設定").click()
    expect(phone.get_by_role("heading", level=1, name="お知らせ設定")).to_be_visible()
    expect(phone.locator("#notices-email-state")).to_have_text(f"（{address}）")  # noqa: RUF001

    here(phone).get_by_label("お店でのお支払い").check()
    here(phone).get_by_label("家族からの受け取り").check()
    here(phone).get_by_label("ポイントやプレミアム分の期限が近いとき").check()
    here(phone).get_by_role("checkbox", name=re.compile(r"^メール")).check()
    here(phone).get_by_label("この時間はお知らせを待つ").check()
    here(phone).get_by_role("button", name="この設定にする").click()
    expect(phone.locator("#status")).to_have_text("お知らせの設定を変えました。")

    saved = web_town.api.get(
        "/v1/notices/preferences", headers=resident_token(web_town, resident)
    ).json()
    assert sorted(saved["kinds"]) == ["expiring", "money_received", "payment"]
    assert saved["channels"] == ["email"]
    assert saved["quiet_hours"] == {"start": "21:00", "end": "08:00"}

    phone.reload()
    expect(here(phone).get_by_label("家族からの受け取り")).to_be_checked()
    expect(here(phone).get_by_label("チャージ", exact=True)).not_to_be_checked()
    assert axe_violations(phone) == []
    phone.evaluate("window.scrollTo(0, 0)")  # a reload keeps the scroll: the screen's top
    screenshot(phone, "resident-notices")

    here(phone).get_by_label("メールアドレスか電話番号").fill("hanako-at-example")
    here(phone).get_by_role("button", name="確認コードを送る").click()
    expect(phone.locator("#alert")).to_have_text("メールアドレスか電話番号の書き方がちがいます。")


def test_the_bank_sees_how_many_notices_went_out(web_town: WebTown, desk: Page) -> None:
    resident = sign_up(web_town, "佐藤一郎")
    address = f"ichiro.{web_town.code.lower()}@example.jp"
    _checked_email(web_town, resident.resident_id, address)
    headers = resident_token(web_town, resident)
    opted = web_town.api.put(
        "/v1/notices/preferences", json={"kinds": ["topup"], "channels": ["email"]}, headers=headers
    )
    assert opted.status_code == 200, opted.text
    top_up(web_town, resident.wallet_id, 1000)

    desk.goto(web_town.server.url + "/admin")
    desk.get_by_label("API キー").fill(web_town.key(Role.ISSUER))
    desk.get_by_role("button", name="ログイン").click()
    desk.get_by_role("button", name="住民へのお知らせ").click()
    # The live server's worker reads the sealed top-up; this server has no relay set up,
    # so the e-mail waits to be retried: one pending.
    email_row = desk.locator("#notices-result tbody tr").first
    deadline = time.monotonic() + 20
    while "1" not in email_row.locator("td").nth(2).inner_text(timeout=5000):
        assert time.monotonic() < deadline, "the notice never reached the counts"
        time.sleep(0.5)
        desk.get_by_role("button", name="最新にする").click()
    expect(email_row.locator("td").first).to_have_text("メール")
    expect(desk.locator("#notices-result caption")).to_have_text("お知らせ 1 件の送信状況")
    assert axe_violations(desk) == []
    screenshot(desk, "admin-notices")


def _checked_email(town: WebTown, resident_id: str, address: str) -> None:
    run_in_transaction(
        town.server.engine,
        lambda conn: conn.execute(
            text(
                "INSERT INTO resident_contacts (resident_id, kind, address, verified_at, created_at)"
                " SELECT id, 'email', :address, :at, :at FROM residents WHERE public_id = :pid"
            ),
            {"address": address, "at": datetime.now(UTC), "pid": resident_id},
        ),
    )
