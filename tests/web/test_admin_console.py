"""The bank and city console (/admin) in a real Chromium: the bank's and the city's work.

Set-up goes through the API as the issuer, residents and merchants would; the
console is driven only through its page. Settlement: the live server runs on
the system clock, so a payout asked for now belongs to today's batch, whose
cut-off has not passed. The merchants therefore cash out by their automatic
schedule (daily), which asks for the payout when the bank closes yesterday's
batch, a business date whose cut-off is past.
"""

import csv
import io
import itertools
import re
from pathlib import Path

from playwright.sync_api import Browser, Page, expect
from sqlalchemy import text

from kit.credentials import Role
from ledger.unit_of_work import run_in_transaction
from tests.web.conftest import (
    DESKTOP,
    WebTown,
    axe_violations,
    outside_requests,
    screenshot,
)

# The page's own words; Japanese labels use full-width brackets.
TOPUP_MENU = "入金（窓口）"  # noqa: RUF001
AMOUNT = "金額（円）"  # noqa: RUF001
NAME_KANA = "店名（カナ）"  # noqa: RUF001
BANK_CODE = "金融機関コード（4桁）"  # noqa: RUF001
BRANCH_CODE = "支店コード（3桁）"  # noqa: RUF001
ACCOUNT_NUMBER = "口座番号（7桁まで）"  # noqa: RUF001
HOLDER_KANA = "口座名義（カナ）"  # noqa: RUF001
POSTAL_CODE = "郵便番号（7桁）"  # noqa: RUF001
CITY_ROMAJI = "市区町村（ローマ字）"  # noqa: RUF001
FLOW_CHART = "コインの流れ（支払・事業者間・換金）"  # noqa: RUF001
PRICE = "販売価格（円／口）"  # noqa: RUF001
FACE_VALUE = "額面（コイン／口）"  # noqa: RUF001
PER_RESIDENT = "1人あたりの上限（口）"  # noqa: RUF001
TOTAL_UNITS = "販売総数（口）"  # noqa: RUF001
VERIFIED_ONLY = "本人確認済みの人だけ（上限は本人ごとに数える）"  # noqa: RUF001
THRESHOLD = "しきい値（これを超える発行は別の担当者の承認が必要・円）"  # noqa: RUF001
DAILY_MAX = "1つのキーが1日に発行できる上限（円）"  # noqa: RUF001
POINTS_BUDGET = "ポイント予算（円・未設定なら空欄）"  # noqa: RUF001
CASHOUT_MIN = "換金の最低額（円）"  # noqa: RUF001
WINDDOWN_MENU = "発行の終了（払戻し）"  # noqa: RUF001
ERASURE_MENU = "個人データの削除"
WINDDOWN_ASK = "発行の終了を申請（別の担当者の承認が必要）"  # noqa: RUF001
_refs = itertools.count(1)
APPROVE = re.compile(r"^承認 apr_")
PIN = "1357"
# 0001 is Mizuho Bank and 001 its head office in the Zengin code list; 9999 is no bank.
GOOD_BANK = "0001"
NO_BANK = "9999"
ORIGINATOR = {
    "requester_code": "1234567890",
    "name": "ﾐﾄﾞﾘｼﾝｷﾝ",
    "bank_code": "0001",
    "branch_code": "001",
    "account_type": "ordinary",
    "account_number": "7654321",
}


def _resident(town: WebTown, name: str = "市民") -> dict[str, str]:
    made = town.api.post(
        "/v1/residents", json={"coin": town.code, "display_name": name, "pin": PIN}
    )
    assert made.status_code == 201, made.text
    body: dict[str, str] = made.json()
    return body


def _resident_headers(town: WebTown, resident_id: str) -> dict[str, str]:
    token = town.api.post("/v1/auth/token", json={"resident_id": resident_id, "pin": PIN})
    assert token.status_code == 200, token.text
    return {"Authorization": f"Bearer {token.json()['access_token']}"}


def _top_up(town: WebTown, wallet_id: str, amount: int) -> None:
    done = town.api.post(
        "/v1/topups",
        headers=town.as_role(Role.ISSUER),
        json={
            "wallet_id": wallet_id,
            "amount": amount,
            "channel": "counter",
            "reference": f"set-up-{next(_refs)}",
        },
    )
    assert done.status_code == 201, done.text


def _merchant(town: WebTown, name: str, category: str = "food") -> dict[str, str]:
    made = town.api.post(
        "/v1/merchants",
        headers=town.as_role(Role.ISSUER),
        json={
            "name": name,
            "name_kana": "ﾐｾ",
            "category": category,
            "postal_code": "506-0011",
            "city": "高山市",
            "city_romaji": "TAKAYAMA",
            "bank_account": {
                "bank_code": GOOD_BANK,
                "branch_code": "001",
                "account_type": "ordinary",
                "account_number": f"{next(_refs):07d}",
                "holder_kana": "ﾐｾ",
            },
        },
    )
    assert made.status_code == 201, made.text
    body: dict[str, str] = made.json()
    return body


def _pay(town: WebTown, payer: dict[str, str], merchant: dict[str, str], amount: int) -> None:
    merchant_headers = {"Authorization": f"Bearer {merchant['api_key']}"}
    qr = town.api.get("/v1/merchant/qr", headers=merchant_headers).json()["qr_payload"]
    paid = town.api.post(
        "/v1/wallet/payments",
        headers=_resident_headers(town, payer["resident_id"]),
        json={"qr_payload": qr, "amount": amount},
    )
    assert paid.status_code == 201, paid.text


def _log_in(page: Page, town: WebTown, role: Role) -> None:
    page.goto(town.server.url + "/admin")
    page.get_by_label("API キー").fill(town.key(role))
    page.get_by_role("button", name="ログイン").click()
    expect(page.locator("#nav")).to_be_visible()


def _balance(town: WebTown, resident: dict[str, str]) -> dict[str, int]:
    wallet = town.api.get("/v1/wallet", headers=_resident_headers(town, resident["resident_id"]))
    assert wallet.status_code == 200, wallet.text
    balance: dict[str, int] = wallet.json()["balance"]
    return balance


def test_bank_records_a_top_up_and_onboards_a_merchant_fixing_its_bank_code(
    web_town: WebTown, desk: Page
) -> None:
    outside = outside_requests(desk, web_town.server.url)
    resident = _resident(web_town, "窓口の客")
    _log_in(desk, web_town, Role.ISSUER)
    expect(desk.locator("#nav-city")).to_be_hidden()

    desk.get_by_role("button", name=TOPUP_MENU).click()
    topup = desk.locator("#view-topup")
    topup.get_by_label("ウォレット ID").fill(resident["wallet_id"])
    topup.get_by_label(AMOUNT).fill("5000")
    topup.get_by_label("受付番号").fill("counter-0001")
    topup.get_by_role("button", name="入金を記録").click()
    expect(desk.locator("#topup-result")).to_contain_text("5,000円")
    assert _balance(web_town, resident)["money"] == 5000
    assert axe_violations(desk) == []

    desk.get_by_role("button", name="本人確認").click()
    verify = desk.locator("#view-verify")
    verify.get_by_label("利用者 ID").fill(resident["resident_id"])
    verify.get_by_label("確認書類").select_option("my_number_card")
    verify.get_by_label("受付番号").fill("id-check-0001")
    verify.get_by_role("button", name="本人確認済みにする").click()
    expect(desk.locator("#verify-result")).to_contain_text("本人確認済み")
    tier = web_town.api.get(
        "/v1/wallet", headers=_resident_headers(web_town, resident["resident_id"])
    ).json()["tier"]
    assert tier == "verified"

    desk.get_by_role("button", name="加盟店登録").click()
    form = desk.locator("#view-merchant")
    form.get_by_label("店名", exact=True).fill("みどり食堂")
    form.get_by_label(NAME_KANA).fill("ミドリショクドウ")
    form.get_by_label(POSTAL_CODE).fill("506-0011")
    form.get_by_label("市区町村", exact=True).fill("高山市")
    form.get_by_label(CITY_ROMAJI).fill("TAKAYAMA")
    form.get_by_label(BANK_CODE).fill(NO_BANK)
    form.get_by_label(BRANCH_CODE).fill("001")
    form.get_by_label(ACCOUNT_NUMBER).fill("1234567")
    form.get_by_label(HOLDER_KANA).fill("株式会社ミドリ・ショクドウ")
    # The clerk sees the name as the bank will print it before saving anything.
    expect(desk.locator("#m-holder-zengin")).to_have_text("銀行に届く名義: ｶ)ﾐﾄﾞﾘ.ｼﾖｸﾄﾞｳ")
    expect(desk.locator("#m-name-kana-zengin")).to_have_text("銀行に届く名義: ﾐﾄﾞﾘｼﾖｸﾄﾞｳ")
    form.get_by_role("button", name="加盟店を登録").click()
    bank = form.get_by_label(BANK_CODE)
    expect(bank).to_have_attribute("aria-invalid", "true")
    expect(desk.locator("#m-bank-error")).to_contain_text("bank_not_found")
    expect(desk.locator("#m-branch-error")).to_be_hidden()
    assert (
        web_town.api.get("/v1/merchants", headers=web_town.as_role(Role.ISSUER)).json()["data"]
        == []
    )
    assert axe_violations(desk) == []
    screenshot(desk, "admin-merchant-onboarding")

    bank.fill(GOOD_BANK)
    form.get_by_role("button", name="加盟店を登録").click()
    expect(desk.locator("#merchant-result")).to_contain_text("API キー")
    expect(bank).not_to_have_attribute("aria-invalid", "true")
    merchants = web_town.api.get("/v1/merchants", headers=web_town.as_role(Role.ISSUER)).json()
    assert [m["name"] for m in merchants["data"]] == ["みどり食堂"]
    assert merchants["data"][0]["bank_account"]["holder_kana"] == "ｶ)ﾐﾄﾞﾘ.ｼﾖｸﾄﾞｳ"
    assert (merchants["data"][0]["postal_code"], merchants["data"][0]["city_romaji"]) == (
        "5060011",
        "TAKAYAMA",
    )

    desk.get_by_role("button", name="English").click()
    expect(desk.locator("h1")).to_contain_text("Bank and city console")
    assert desk.locator("html").get_attribute("lang") == "en"
    assert outside == []


def test_bank_closes_the_batch_downloads_the_zengin_file_and_imports_one_return(
    web_town: WebTown, desk: Page, tmp_path: Path
) -> None:
    outside = outside_requests(desk, web_town.server.url)
    issuer = web_town.as_role(Role.ISSUER)
    settings = web_town.api.post(
        "/v1/settlement/settings",
        headers=issuer,
        json={"originator": ORIGINATOR, "invoice_registration_number": "T7000012050002"},
    )
    assert settings.status_code == 200, settings.text
    payer = _resident(web_town)
    _top_up(web_town, payer["wallet_id"], 20_000)
    shops = [_merchant(web_town, "青果店"), _merchant(web_town, "書店", "retail")]
    for shop, amount in zip(shops, (3000, 4000), strict=True):
        _pay(web_town, payer, shop, amount)
        scheduled = web_town.api.post(
            f"/v1/merchants/{shop['merchant_id']}/payout_schedule",
            headers=issuer,
            json={"frequency": "daily", "min_amount": 1},
        )
        assert scheduled.status_code == 200, scheduled.text

    _log_in(desk, web_town, Role.ISSUER)
    expect(desk.get_by_role("heading", name="精算バッチ")).to_be_visible()
    desk.get_by_role("button", name="この日のバッチを締める").click()
    payouts = desk.locator("#batch-payouts tbody tr")
    expect(payouts).to_have_count(2)
    expect(desk.locator("#batch-detail-title")).to_contain_text("締め済み")

    with desk.expect_download() as download_info:
        desk.get_by_role("button", name="全銀ファイルをダウンロード").click()
    download = download_info.value
    assert download.suggested_filename.startswith("zengin_")
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    records = saved.read_bytes().split(b"\r\n")
    records = [r for r in records if r]
    assert all(len(r) == 120 for r in records)
    assert [r[:1] for r in records] == [b"1", b"2", b"2", b"8", b"9"]
    assert "ﾐﾄﾞﾘｼﾝｷﾝ" in records[0].decode("shift_jis")
    expect(desk.locator("#batch-detail-title")).to_contain_text("ファイル出力済み")

    batch_id = web_town.api.get("/v1/settlement/batches", headers=issuer).json()["data"][0]["id"]
    first_payout = desk.locator("#batch-payouts tbody tr").first
    returned_id = first_payout.locator("td").nth(1).inner_text()
    first_payout.get_by_role("checkbox").check()
    assert axe_violations(desk) == []
    screenshot(desk, "admin-batches")
    desk.get_by_role("button", name="銀行の結果を取り込む").click()
    expect(desk.locator("#batch-detail-title")).to_contain_text("結果取込済み")
    expect(desk.locator("#batch-recon")).to_contain_text("一致しています。")

    batch = web_town.api.get(f"/v1/settlement/batches/{batch_id}", headers=issuer).json()
    assert batch["status"] == "confirmed"
    statuses = {p["id"]: p["status"] for p in batch["payouts"]}
    assert statuses.pop(returned_id) == "returned"
    assert list(statuses.values()) == ["paid"]
    assert batch["results"]["returned_count"] == 1

    desk.get_by_role("button", name="照合").click()
    desk.get_by_role("button", name="表示").click()
    expect(desk.locator("#recon-result")).to_contain_text(batch["business_date"])
    expect(desk.locator("#recon-result .ok")).to_have_text("一致しています。")
    desk.get_by_role("button", name="手数料配分").click()
    desk.get_by_role("button", name="表示").click()
    expect(desk.locator("#fees-result")).to_contain_text(f"{batch['totals']['fee']}円")
    # The month's qualified invoices, one per merchant that paid a fee.
    invoices = desk.locator("#invoices-table tbody tr")
    expect(invoices).to_have_count(2)
    expect(desk.locator("#invoices-table")).to_contain_text("青果店")
    listed = web_town.api.get(
        "/v1/settlement/invoices", headers=issuer, params={"month": batch["business_date"][:7]}
    ).json()["data"]
    assert sum(i["base"] for i in listed) == batch["totals"]["fee"]
    desk.locator("#invoices-table").scroll_into_view_if_needed()
    screenshot(desk, "admin-invoices")
    assert axe_violations(desk) == []
    assert outside == []


def test_bank_opens_a_closed_batch_from_the_list_and_reads_it_in_english(
    web_town: WebTown, desk: Page
) -> None:
    issuer = web_town.as_role(Role.ISSUER)
    settings = web_town.api.post(
        "/v1/settlement/settings", headers=issuer, json={"originator": ORIGINATOR}
    )
    assert settings.status_code == 200, settings.text
    payer = _resident(web_town)
    _top_up(web_town, payer["wallet_id"], 5_000)
    shop = _merchant(web_town, "花屋")
    _pay(web_town, payer, shop, 2_000)
    scheduled = web_town.api.post(
        f"/v1/merchants/{shop['merchant_id']}/payout_schedule",
        headers=issuer,
        json={"frequency": "daily", "min_amount": 1},
    )
    assert scheduled.status_code == 200, scheduled.text

    _log_in(desk, web_town, Role.ISSUER)
    batches = desk.locator("#batch-table tbody")
    expect(batches).to_have_text("まだバッチはありません。")
    desk.get_by_role("button", name="この日のバッチを締める").click()
    expect(desk.locator("#batch-detail-title")).to_contain_text("締め済み")
    day = desk.locator("#batch-date").input_value()
    expect(batches.get_by_role("button", name=f"{day} のバッチを開く")).to_be_visible()

    desk.reload()  # the key is still in this tab: back on the batches, none open
    expect(desk.locator("#batch-detail")).to_be_hidden()
    desk.get_by_role("button", name=f"{day} のバッチを開く").click()
    expect(desk.locator("#batch-detail-title")).to_have_text(f"{day} のバッチ（締め済み）")  # noqa: RUF001
    expect(desk.locator("#batch-payouts tbody tr")).to_have_count(1)
    expect(desk.locator("#batch-recon")).to_contain_text("照合の数字（出どころ別）")  # noqa: RUF001

    desk.get_by_role("button", name="English").click()
    expect(desk.locator("#batch-detail-title")).to_have_text(f"Batch of {day} (closed)")
    expect(desk.get_by_role("button", name=f"Open the batch of {day}")).to_be_visible()
    expect(batches).to_contain_text("closed")


def _csv(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    return out.getvalue().encode()


def test_city_grants_points_from_a_csv_showing_bad_rows_and_granting_once(
    web_town: WebTown, desk: Page
) -> None:
    outside = outside_requests(desk, web_town.server.url)
    residents = [_resident(web_town, f"住民{i}") for i in range(3)]
    unknown = "wal_" + "Z" * 20
    upload = _csv(
        [
            ["wallet_id", "name"],
            [residents[0]["wallet_id"], "住民0"],
            ["not-a-wallet", "?"],
            [residents[1]["wallet_id"], "住民1"],
            [unknown, "よそ"],
            [residents[0]["wallet_id"], "住民0 again"],
            [residents[2]["wallet_id"], "住民2"],
        ]
    )
    keys: list[str] = []
    desk.on(
        "request",
        lambda r: (
            keys.append(r.headers.get("idempotency-key", ""))
            if r.url.endswith("/v1/points/grants")
            else None
        ),
    )
    _log_in(desk, web_town, Role.MUNICIPALITY)
    expect(desk.locator("#nav-bank")).to_be_hidden()
    desk.get_by_role("button", name="ポイント付与").click()
    desk.get_by_label("CSV ファイル").set_input_files(
        {"name": "grant.csv", "mimeType": "text/csv", "buffer": upload}
    )
    desk.get_by_label("1人あたりのポイント").fill("300")
    desk.get_by_label("付与の理由").fill("健康ポイント")
    desk.get_by_role("button", name="ポイントを付与").click()
    expect(desk.locator("#points-result")).to_contain_text("3人に合計 900円")
    rows = desk.locator("#points-errors tbody tr")
    expect(rows).to_have_count(3)
    assert [rows.nth(i).locator("td").first.inner_text() for i in range(3)] == ["3", "5", "6"]
    expect(rows.nth(1)).to_contain_text("wallet_not_found")
    expect(rows.nth(2)).to_contain_text("2行目と同じ")
    assert all(_balance(web_town, r)["points"] == 300 for r in residents)
    assert axe_violations(desk) == []

    # The same file again (as after a lost answer): every chunk replays, nothing is granted twice.
    desk.get_by_role("button", name="ポイントを付与").click()
    expect(desk.locator("#points-result")).to_contain_text("3人に合計 900円")
    expect(desk.get_by_role("button", name="ポイントを付与")).to_be_enabled()
    assert all(_balance(web_town, r)["points"] == 300 for r in residents)
    assert len(keys) == 4 and keys[:2] == keys[2:] and keys[0] != keys[1] and all(keys)

    sizes = desk.evaluate(
        "async () => (await import('/static/common/admin-csv.js'))"
        ".chunks(Array.from({length: 2500}, (_, i) => i), 1000).map((c) => c.length)"
    )
    assert sizes == [1000, 1000, 500]
    assert outside == []


def test_city_sees_the_kpi_dashboard_with_charts_and_downloads_the_open_data(
    web_town: WebTown, desk: Page, tmp_path: Path
) -> None:
    outside = outside_requests(desk, web_town.server.url)
    payer = _resident(web_town)
    _top_up(web_town, payer["wallet_id"], 10_000)
    _pay(web_town, payer, _merchant(web_town, "食堂"), 1200)
    _pay(web_town, payer, _merchant(web_town, "文具店", "retail"), 800)

    _log_in(desk, web_town, Role.MUNICIPALITY)
    expect(desk.get_by_role("heading", name="KPI ダッシュボード")).to_be_visible()
    expect(desk.locator("#kpi-figures")).to_contain_text("2,000円")
    outstanding = desk.get_by_role("img", name="発行残高の推移")
    expect(outstanding).to_be_visible()
    expect(outstanding.locator("path.line")).to_have_count(1)
    categories = desk.get_by_role("img", name="業種別の支払額")
    expect(categories.locator("rect")).to_have_count(2)
    expect(desk.get_by_role("img", name=FLOW_CHART)).to_be_visible()
    desk.locator("#kpi-category-chart + details summary").click()
    expect(desk.locator("#kpi-category-table")).to_contain_text("1,200円")
    assert axe_violations(desk) == []
    screenshot(desk, "admin-kpi")

    with desk.expect_download() as download_info:
        desk.get_by_role("button", name="オープンデータ CSV").click()
    saved = tmp_path / "kpi.csv"
    download_info.value.save_as(saved)
    text = saved.read_text(encoding="utf-8")
    assert download_info.value.suggested_filename.startswith(f"kpi_{web_town.code}_")
    assert len(text.splitlines()) > 1
    assert outside == []


def test_city_creates_a_premium_campaign_and_lists_it(web_town: WebTown, desk: Page) -> None:
    _log_in(desk, web_town, Role.MUNICIPALITY)
    desk.get_by_role("button", name="プレミアム付商品券").click()
    desk.get_by_label("名称").fill("年末プレミアム商品券")
    desk.get_by_label(PRICE).fill("10000")
    desk.get_by_label(FACE_VALUE).fill("12000")
    desk.get_by_label(PER_RESIDENT).fill("5")
    desk.get_by_label(TOTAL_UNITS).fill("100")  # 200,000 of premium: under the threshold
    desk.get_by_label("販売開始").fill("2030-12-01T09:00")
    desk.get_by_label("販売終了").fill("2030-12-31T17:00")
    desk.get_by_label("プレミアム分の有効期限").fill("2031-06-30T23:59")
    desk.get_by_label(VERIFIED_ONLY).check()
    desk.get_by_role("button", name="キャンペーンを作成").click()
    row = desk.locator("#campaign-table tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("年末プレミアム商品券")
    expect(row).to_contain_text("0 / 100")
    assert axe_violations(desk) == []
    listed = web_town.api.get(
        "/v1/premium_campaigns", headers=web_town.as_role(Role.MUNICIPALITY)
    ).json()["data"]
    assert [(c["name"], c["verified_only"]) for c in listed] == [("年末プレミアム商品券", True)]


def test_operator_sees_the_bank_and_city_screens_its_key_may_use(
    web_town: WebTown, desk: Page
) -> None:
    _log_in(desk, web_town, Role.OPERATOR)
    expect(desk.locator("#coin-name")).to_contain_text("運営者")
    shown = desk.locator("#nav [data-view]:visible")
    expect(shown).to_have_text(
        [
            ERASURE_MENU,
            "加盟店登録",
            "手数料配分",
            "未使用残高",
            "カード入金の対応",
            WINDDOWN_MENU,
            "住民へのお知らせ",
            "KPI ダッシュボード",
            "承認待ち",
            "API キー",
            "発行・換金の上限",
        ]
    )
    desk.get_by_role("button", name="未使用残高").click()
    desk.get_by_role("button", name="表示").click()
    expect(desk.locator("#unused-result")).to_contain_text("未使用残高")
    assert axe_violations(desk) == []


def test_the_bank_erases_a_residents_data_only_once_the_records_may_go(
    web_town: WebTown, desk: Page
) -> None:
    holding, recent, long_gone = (_resident(web_town, n) for n in ("残高あり", "最近", "昔の人"))
    _top_up(web_town, holding["wallet_id"], 1_000)
    # A wallet opened eight years ago that never moved: its seven years have passed.
    run_in_transaction(
        web_town.server.engine,
        lambda c: c.execute(
            text(
                "UPDATE wallets SET created_at = created_at - interval '8 years'"
                " WHERE public_id = :w"
            ),
            {"w": long_gone["wallet_id"]},
        ),
    )
    _log_in(desk, web_town, Role.ISSUER)
    desk.get_by_role("button", name=ERASURE_MENU).click()
    view = desk.locator("#view-erasure")

    view.get_by_label("利用者 ID").fill(holding["resident_id"])
    view.get_by_role("button", name="個人データを削除する").click()
    expect(desk.get_by_role("alert")).to_contain_text("ウォレットに残高があるため削除できません")
    view.get_by_label("利用者 ID").fill(recent["resident_id"])
    view.get_by_role("button", name="個人データを削除する").click()
    expect(desk.get_by_role("alert")).to_contain_text("retention_period_running")

    view.get_by_label("利用者 ID").fill(long_gone["resident_id"])
    view.get_by_role("button", name="個人データを削除する").click()
    expect(desk.locator("#erasure-result")).to_contain_text(
        f"{long_gone['resident_id']} の個人データを削除しました"
    )
    names = run_in_transaction(
        web_town.server.engine,
        lambda c: c.execute(
            text("SELECT public_id, display_name FROM residents WHERE public_id = ANY(:ids)"),
            {"ids": [r["resident_id"] for r in (holding, recent, long_gone)]},
        ).all(),
    )
    assert dict(names) == {
        holding["resident_id"]: "残高あり",
        recent["resident_id"]: "最近",
        long_gone["resident_id"]: "削除済み",
    }
    assert axe_violations(desk) == []


def test_a_bad_key_is_refused_and_stays_on_the_login(web_town: WebTown, desk: Page) -> None:
    desk.goto(web_town.server.url + "/admin")
    desk.get_by_label("API キー").fill("not-a-key")
    desk.get_by_role("button", name="ログイン").click()
    expect(desk.get_by_role("alert")).to_contain_text("unauthenticated")
    expect(desk.locator("#nav")).to_be_hidden()


def test_the_console_runs_under_its_own_content_security_policy(
    web_town: WebTown, browser: Browser
) -> None:
    # The other tests bypass the CSP to inject axe-core; this one keeps it, so an
    # inline script or style anywhere in the console would be refused and logged.
    context = browser.new_context(viewport=DESKTOP, locale="ja-JP")
    page = context.new_page()
    refused: list[str] = []
    page.on("console", lambda m: refused.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: refused.append(str(e)))
    payer = _resident(web_town)
    _top_up(web_town, payer["wallet_id"], 3000)
    _log_in(page, web_town, Role.MUNICIPALITY)
    expect(page.get_by_role("img", name="発行残高の推移").locator("path.line")).to_have_count(1)
    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("img", name="Outstanding coin over time")).to_be_visible()
    assert page.evaluate("getComputedStyle(document.querySelector('.top')).display") == "flex"
    context.close()
    assert refused == []


def test_a_clerks_own_key_asks_for_a_large_top_up_and_another_clerk_approves_it(
    web_town: WebTown, desk: Page
) -> None:
    outside = outside_requests(desk, web_town.server.url)
    resident = _resident(web_town, "大口の入金")
    verified = web_town.api.post(
        f"/v1/residents/{resident['resident_id']}/verify",
        json={"method": "my_number_card", "reference": "KYC-1"},
        headers=web_town.as_role(Role.ISSUER),
    )
    assert verified.status_code == 200, verified.text
    # The branch manager (the coin's issuer key) issues the clerk's own key.
    _log_in(desk, web_town, Role.ISSUER)
    desk.get_by_role("button", name="API キー").click()
    desk.get_by_label("持つ人・連携先の名前").fill("窓口 佐藤")
    desk.get_by_role("button", name="キーを発行").click()
    secret = desk.locator("#keys-new-secret")
    expect(secret).to_contain_text("lc_issuer_")
    clerk_key = secret.inner_text()
    expect(desk.locator("#keys-list")).to_contain_text("窓口 佐藤")
    assert axe_violations(desk) == []
    screenshot(desk, "admin-keys")
    desk.get_by_role("button", name="ログアウト").click()

    # The clerk records a deposit above the approval threshold: it waits.
    desk.get_by_label("API キー").fill(clerk_key)
    desk.get_by_role("button", name="ログイン").click()
    desk.get_by_role("button", name=TOPUP_MENU).click()
    topup = desk.locator("#view-topup")
    topup.get_by_label("ウォレット ID").fill(resident["wallet_id"])
    topup.get_by_label(AMOUNT).fill("400000")
    topup.get_by_label("受付番号").fill("counter-big-1")
    topup.get_by_role("button", name="入金を記録").click()
    expect(desk.locator("#topup-result")).to_contain_text("承認待ち")
    assert _balance(web_town, resident)["total"] == 0
    # The clerk cannot approve their own request.
    desk.get_by_role("button", name="承認待ち").click()
    desk.get_by_role("button", name=APPROVE).click()
    expect(desk.get_by_role("alert")).to_contain_text("approval_by_maker")
    desk.get_by_role("button", name="ログアウト").click()

    # The manager approves: the money moves once.
    _log_in(desk, web_town, Role.ISSUER)
    desk.get_by_role("button", name="承認待ち").click()
    expect(desk.locator("#approvals-list")).to_contain_text("counter-big-1")
    screenshot(desk, "admin-approvals")
    desk.get_by_role("button", name=APPROVE).click()
    expect(desk.locator("#approvals-list")).to_contain_text("承認待ちはありません")
    assert _balance(web_town, resident)["total"] == 400_000

    # The clerk leaves: the manager revokes the key, and it stops working.
    desk.get_by_role("button", name="API キー").click()
    desk.get_by_role("button", name="無効にする 窓口 佐藤").click()
    expect(desk.locator("#keys-list")).to_contain_text("無効化")
    gone = web_town.api.get("/v1/me", headers={"Authorization": f"Bearer {clerk_key}"})
    assert gone.status_code == 401
    assert outside == []


def test_the_bank_sets_the_limits_on_issuance_and_cash_outs(web_town: WebTown, desk: Page) -> None:
    _log_in(desk, web_town, Role.ISSUER)
    desk.get_by_role("button", name="発行・換金の上限").click()
    expect(desk.get_by_label(THRESHOLD)).to_have_value("300000")
    expect(desk.get_by_label(DAILY_MAX)).to_have_value("10000000")
    expect(desk.get_by_label(POINTS_BUDGET)).to_have_value("")
    desk.get_by_label(THRESHOLD).fill("200000")
    desk.get_by_label(POINTS_BUDGET).fill("5000000")
    desk.get_by_label(CASHOUT_MIN).fill("1000")
    desk.get_by_role("button", name="上限を保存").click()
    expect(desk.locator("#status")).to_have_text("上限を保存しました。")
    expect(desk.locator("#rules-figures")).to_contain_text("5,000,000")
    rules = web_town.api.get("/v1/coin_rules", headers=web_town.as_role(Role.ISSUER)).json()
    assert (rules["approval_threshold"], rules["points_budget"], rules["cashout_min"]) == (
        200_000,
        5_000_000,
        1_000,
    )
    assert rules["daily_issuance_max_per_key"] == 10_000_000  # untouched
    assert axe_violations(desk) == []
    screenshot(desk, "admin-rules")
    # A limit the API refuses is shown with its code and changes nothing.
    desk.get_by_label(THRESHOLD).fill("0")
    desk.get_by_role("button", name="上限を保存").click()
    expect(desk.get_by_role("alert")).to_contain_text("validation_error")
    again = web_town.api.get("/v1/coin_rules", headers=web_town.as_role(Role.ISSUER)).json()
    assert again["approval_threshold"] == 200_000


def test_the_bank_sees_card_top_ups_that_need_it(web_town: WebTown, desk: Page) -> None:
    _log_in(desk, web_town, Role.ISSUER)
    desk.get_by_role("button", name="カード入金の対応").click()
    expect(desk.locator("#card-topups-list")).to_have_text("対応が必要なカード入金はありません。")
    # A card paid after the wallet filled up: the webhook left it for a refund by hand
    # (tests/wallet_api/test_card_topups_api.py drives that through the Stripe stand-in).
    payer = _resident(web_town, "カード利用者")
    run_in_transaction(
        web_town.server.engine,
        lambda c: c.execute(
            text(
                "INSERT INTO card_topups (coin_id, public_id, wallet_id, amount, status,"
                " stripe_payment_intent_id, created_at, updated_at)"
                " SELECT w.coin_id, 'ctu_webtest' || w.id, w.id, 3000, 'refund_required',"
                " 'pi_webtest_' || w.id, now(), now() FROM wallets w WHERE w.public_id = :w"
            ),
            {"w": payer["wallet_id"]},
        ),
    )
    desk.get_by_role("button", name="承認待ち").click()
    desk.get_by_role("button", name="カード入金の対応").click()
    table = desk.locator("#card-topups-list table")
    expect(table).to_contain_text(payer["wallet_id"])
    expect(table).to_contain_text("カードへの返金が必要")
    assert axe_violations(desk) == []


def test_the_bank_winds_the_coin_down_and_takes_a_claim_at_the_counter(
    web_town: WebTown, desk: Page
) -> None:
    resident = _resident(web_town, "窓口で払戻し")
    _top_up(web_town, resident["wallet_id"], 4_500)
    _log_in(desk, web_town, Role.ISSUER)
    desk.get_by_role("button", name=WINDDOWN_MENU).click()
    desk.get_by_label("発行の終了日").fill("2030-04-01")
    desk.get_by_label("利用の終了日").fill("2030-05-01")
    desk.get_by_label("払戻しの申出期限").fill("2030-07-31")
    desk.get_by_role("button", name=WINDDOWN_ASK).click()
    expect(desk.locator("#status")).to_contain_text("承認待ち")
    # The branch manager approves with a key of their own: that is the notice.
    made = web_town.api.post(
        "/v1/api_keys",
        json={"role": "issuer", "label": "支店長"},
        headers=web_town.as_role(Role.ISSUER),
    )
    manager = {"Authorization": f"Bearer {made.json()['key']}"}
    (pending,) = web_town.api.get("/v1/approvals?status=pending", headers=manager).json()["data"]
    assert pending["kind"] == "winddown"
    approved = web_town.api.post(f"/v1/approvals/{pending['id']}/approve", headers=manager)
    assert approved.json()["status"] == "approved", approved.text
    desk.get_by_role("button", name="承認待ち").click()
    desk.get_by_role("button", name=WINDDOWN_MENU).click()
    figures = desk.locator("#winddown-figures")
    expect(figures).to_contain_text("2030/07/31 23:59")
    expect(figures).to_contain_text("4,500")
    screen = desk.locator("#view-winddown")
    screen.get_by_label("利用者 ID").fill(resident["resident_id"])
    screen.get_by_label("金融機関コード（4桁）").fill("0001")  # noqa: RUF001
    screen.get_by_label("支店コード（3桁）").fill("001")  # noqa: RUF001
    screen.get_by_label("普通預金の口座番号（7桁まで）").fill("1234567")  # noqa: RUF001
    screen.get_by_label("口座名義（カナ）").fill("マドグチ ハライモドシ")  # noqa: RUF001
    desk.get_by_role("button", name="払戻しの申出を受け付ける").click()
    expect(desk.locator("#status")).to_contain_text("払戻しを受け付けました")
    expect(figures).to_contain_text("1件（うち窓口 1件）")  # noqa: RUF001
    assert axe_violations(desk) == []
    screenshot(desk, "admin-winddown")
    assert _balance(web_town, resident)["money"] == 0
