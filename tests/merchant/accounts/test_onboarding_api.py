"""Onboarding merchants through the API: checks, normalisation, idempotency, scoping, suspension."""

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from sqlalchemy import Engine, text

from kit.credentials import Role
from ledger.clock import FixedClock
from ledger.unit_of_work import run_in_transaction
from merchant.accounts.merchants import find_merchant
from merchant.payments.charges import Source, record_charge
from tests.conftest import T0
from tests.merchant.shops import funded_resident
from tests.wallet_api.test_residents_api import Town, new_town
from wallet_api.residents import find_wallet
from wallet_api.rules import get_rules


@pytest.fixture
def town(engine: Engine, clock: FixedClock) -> Town:
    return new_town(engine, clock)


def application(**changes: Any) -> dict[str, Any]:
    """A good application; ``bank_account__x=…`` changes a bank account field."""
    body: dict[str, Any] = {
        "name": "飛騨そば 本店",
        "name_kana": "ヒダソバ",
        "category": "food",
        "postal_code": "506-0011",
        "city": "高山市",
        "city_romaji": "TAKAYAMA",
        # 0001 Mizuho Bank, 001 its head office, in the Zengin code list.
        "bank_account": {
            "bank_code": "0001",
            "branch_code": "001",
            "account_type": "ordinary",
            "account_number": "1234567",
            "holder_kana": "ヒダソバ\uff08カ",
        },
    }
    for name, value in changes.items():
        if name.startswith("bank_account__"):
            body["bank_account"][name.removeprefix("bank_account__")] = value
        else:
            body[name] = value
    return body


def onboard(town: Town, body: dict[str, Any], **headers: str):  # type: ignore[no-untyped-def]
    return town.client.post("/v1/merchants", json=body, headers=town.issuer() | headers)


def merchant_count(town: Town) -> int:
    count: int = run_in_transaction(
        town.engine,
        lambda c: c.execute(
            text("SELECT count(*) FROM merchants WHERE coin_id = :c"), {"c": town.coin.coin.id}
        ).scalar_one(),
    )
    return count


def test_onboarding_gives_a_merchant_a_wallet_and_a_working_key(town: Town) -> None:
    response = onboard(town, application())
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["merchant_id"].startswith("mer_")
    assert created["wallet_id"].startswith("wal_")
    assert created["status"] == "active"
    assert created["fees"] == {"payment_bp": 0, "cashout_bp": 160, "btob_bp": 50}
    me = town.client.get("/v1/merchant", headers={"Authorization": f"Bearer {created['api_key']}"})
    assert me.status_code == 200, me.text
    assert me.json()["merchant_id"] == created["merchant_id"]
    assert me.json()["balance"] == {"posted": 0, "held": 0, "available": 0}
    assert "api_key" not in me.json()


def test_full_width_kana_is_stored_half_width_and_short_numbers_padded(town: Town) -> None:
    created = onboard(
        town,
        application(
            name_kana="ひだ　ソバ",
            bank_account__holder_kana="ヒダソバ\uff08カ",
            bank_account__account_number="45",
        ),
    ).json()
    assert created["name_kana"] == "ﾋﾀﾞ ｿﾊﾞ"
    assert created["bank_account"]["holder_kana"] == "ﾋﾀﾞｿﾊﾞ(ｶ"
    assert created["bank_account"]["account_number"] == "0000045"


@pytest.mark.parametrize(
    ("changes", "field", "code"),
    [
        ({"bank_account__bank_code": "9998"}, "bank_account.bank_code", "bank_not_found"),
        ({"bank_account__bank_code": "01"}, "bank_account.bank_code", "bank_code_invalid"),
        ({"bank_account__branch_code": "998"}, "bank_account.branch_code", "branch_not_found"),
        ({"bank_account__branch_code": "1"}, "bank_account.branch_code", "branch_code_invalid"),
        (
            {"bank_account__account_number": "12345678"},
            "bank_account.account_number",
            "account_number_invalid",
        ),
        (
            {"bank_account__account_number": "123-45"},
            "bank_account.account_number",
            "account_number_invalid",
        ),
        (
            {"bank_account__account_type": "savings"},
            "bank_account.account_type",
            "account_type_invalid",
        ),
        (
            {"bank_account__holder_kana": "山田商店"},
            "bank_account.holder_kana",
            "holder_kana_invalid",
        ),
        (
            {"bank_account__holder_kana": "ア" * 31},
            "bank_account.holder_kana",
            "holder_kana_too_long",
        ),
        ({"name_kana": "飛騨"}, "name_kana", "name_kana_invalid"),
        ({"name_kana": "カ" * 41}, "name_kana", "name_kana_too_long"),
        ({"name": "   "}, "name", "name_invalid"),
        ({"name": "Shop\u202eevil"}, "name", "name_invalid"),
        ({"category": "Food & Drink"}, "category", "category_invalid"),
        ({"member_group": "no_such_group"}, "member_group", "member_group_not_found"),
    ],
)
def test_each_bad_field_is_refused_by_name_and_nothing_is_created(
    town: Town, changes: dict[str, str], field: str, code: str
) -> None:
    response = onboard(town, application(**changes))
    assert response.status_code == 422, response.text
    problem = response.json()
    assert response.headers["content-type"] == "application/problem+json"
    assert (problem["code"], problem["field"]) == (code, field)
    assert [(e["field"], e["code"]) for e in problem["errors"]] == [(field, code)]
    assert merchant_count(town) == 0


def test_every_bad_field_is_reported_at_once(town: Town) -> None:
    response = onboard(town, application(name_kana="漢字", bank_account__bank_code="9998"))
    assert [e["code"] for e in response.json()["errors"]] == [
        "name_kana_invalid",
        "bank_not_found",
    ]
    assert merchant_count(town) == 0


def test_a_replayed_onboarding_returns_the_same_merchant_once(town: Town) -> None:
    first = onboard(town, application(), **{"Idempotency-Key": "onboard-1"})
    again = onboard(town, application(), **{"Idempotency-Key": "onboard-1"})
    assert (first.status_code, again.status_code) == (201, 201)
    # The same merchant; its API key was shown once and is not kept.
    assert again.json() == {**first.json(), "api_key": "secret_not_shown_again"}
    assert again.headers["Idempotent-Replayed"] == "true"
    other = onboard(town, application(name="別の店"), **{"Idempotency-Key": "onboard-1"})
    assert (other.status_code, other.json()["code"]) == (422, "idempotency_key_reused")
    assert merchant_count(town) == 1


def test_concurrent_duplicate_onboardings_make_one_merchant(town: Town) -> None:
    def send(_: int) -> tuple[int, str]:
        response = onboard(town, application(), **{"Idempotency-Key": "onboard-race"})
        return response.status_code, response.json().get("merchant_id", "")

    with ThreadPoolExecutor(max_workers=4) as pool:
        answers = list(pool.map(send, range(4)))
    assert {status for status, _ in answers} <= {201, 409}
    assert len({merchant for status, merchant in answers if status == 201}) == 1
    assert merchant_count(town) == 1


def test_a_member_group_with_a_plan_is_accepted(town: Town) -> None:
    plan = town.client.post(
        "/v1/fee_plans",
        json={"member_group": "chamber", "payment_bp": 0, "cashout_bp": 120, "btob_bp": 30},
        headers=town.issuer(),
    )
    assert plan.status_code == 201, plan.text
    created = onboard(town, application(member_group="chamber")).json()
    assert created["member_group"] == "chamber"
    assert created["fees"]["cashout_bp"] == 120


def test_the_operator_may_onboard_and_other_keys_may_not(town: Town) -> None:
    operator = {"Authorization": f"Bearer {town.coin.keys[Role.OPERATOR]}"}
    municipality = {"Authorization": f"Bearer {town.coin.keys[Role.MUNICIPALITY]}"}
    assert (
        town.client.post("/v1/merchants", json=application(), headers=operator).status_code == 201
    )
    refused = town.client.post("/v1/merchants", json=application(), headers=municipality)
    assert (refused.status_code, refused.json()["code"]) == (403, "forbidden")
    assert town.client.post("/v1/merchants", json=application()).status_code == 401
    assert merchant_count(town) == 1


def test_another_coins_issuer_neither_sees_nor_onboards_in_this_coin(
    town: Town, engine: Engine, clock: FixedClock
) -> None:
    elsewhere = new_town(engine, clock)
    ours = onboard(town, application()).json()
    foreign = elsewhere.issuer()
    seen = town.client.get(f"/v1/merchants/{ours['merchant_id']}", headers=foreign)
    assert (seen.status_code, seen.json()["code"]) == (404, "merchant_not_found")
    assert town.client.get("/v1/merchants", headers=foreign).json()["data"] == []
    suspended = town.client.post(f"/v1/merchants/{ours['merchant_id']}/suspend", headers=foreign)
    assert suspended.status_code == 404
    into_ours = town.client.post("/v1/merchants", json=application(coin=town.code), headers=foreign)
    assert (into_ours.status_code, into_ours.json()["code"]) == (403, "coin_forbidden")
    assert merchant_count(town) == 1
    assert merchant_count(elsewhere) == 0


def test_merchants_are_listed_newest_first_a_page_at_a_time(town: Town) -> None:
    ids = [onboard(town, application(name=f"店{n}")).json()["merchant_id"] for n in range(3)]
    first = town.client.get("/v1/merchants?limit=2", headers=town.issuer()).json()
    assert [m["merchant_id"] for m in first["data"]] == [ids[2], ids[1]]
    assert first["has_more"] is True
    rest = town.client.get(
        f"/v1/merchants?limit=2&starting_after={ids[1]}", headers=town.issuer()
    ).json()
    assert ([m["merchant_id"] for m in rest["data"]], rest["has_more"]) == ([ids[0]], False)
    one = town.client.get(f"/v1/merchants/{ids[0]}", headers=town.issuer()).json()
    assert one["name"] == "店0"


def _charge(town: Town, merchant_id: str, wallet_id: str, amount: int):  # type: ignore[no-untyped-def]
    coin_id = town.coin.coin.id

    def work(conn):  # type: ignore[no-untyped-def]
        return record_charge(
            conn,
            rules=get_rules(conn, coin_id=coin_id),
            merchant=find_merchant(conn, coin_id=coin_id, merchant_public_id=merchant_id),
            wallet=find_wallet(conn, coin_id=coin_id, wallet_public_id=wallet_id),
            amount=amount,
            source=Source.STATIC_QR,
            at=T0,
        )

    return run_in_transaction(town.engine, work)


def test_a_suspended_merchant_takes_no_payment_until_reactivated(town: Town) -> None:
    created = onboard(town, application()).json()
    payer = funded_resident(town, 1_000)
    suspended = town.client.post(
        f"/v1/merchants/{created['merchant_id']}/suspend", headers=town.issuer()
    )
    assert (suspended.status_code, suspended.json()["status"]) == (200, "suspended")
    with pytest.raises(Exception, match="may not take payments") as refused:
        _charge(town, created["merchant_id"], payer.wallet_id, 100)
    assert getattr(refused.value, "code", None) == "merchant_suspended"
    # The merchant still sees its own books while suspended.
    me = town.client.get("/v1/merchant", headers={"Authorization": f"Bearer {created['api_key']}"})
    assert me.json()["status"] == "suspended"
    reactivated = town.client.post(
        f"/v1/merchants/{created['merchant_id']}/reactivate", headers=town.issuer()
    )
    assert reactivated.json()["status"] == "active"
    assert _charge(town, created["merchant_id"], payer.wallet_id, 100).amount == 100
    balance = town.client.get(
        "/v1/merchant", headers={"Authorization": f"Bearer {created['api_key']}"}
    ).json()["balance"]
    assert balance == {"posted": 100, "held": 0, "available": 100}


def test_the_shops_postal_code_and_city_are_kept_normalised(town: Town) -> None:
    # As an IME types it: the postal mark and full-width digits and hyphen; the
    # store id as the association prints it, 13-4-6-6 with hyphens.
    typed = "\u3012\uff15\uff10\uff16\uff0d\uff10\uff10\uff11\uff11"
    store_id = "1234567890123-0001-000042-000007"
    made = onboard(town, application(postal_code=typed, jpqr_store_id=store_id))
    assert made.status_code == 201, made.text
    shop = made.json()
    assert (shop["postal_code"], shop["city"], shop["city_romaji"], shop["jpqr_store_id"]) == (
        "5060011",
        "高山市",
        "TAKAYAMA",
        "12345678901230001000042000007",
    )
    # A city already in Latin letters is its own romanisation.
    latin = onboard(town, application(city="Takayama", city_romaji=None)).json()
    assert (latin["city"], latin["city_romaji"]) == ("Takayama", None)


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("postal_code", None, "postal_code_invalid"),
        ("postal_code", "506-001", "postal_code_invalid"),
        ("postal_code", "abc-defg", "postal_code_invalid"),
        ("city", None, "city_invalid"),
        ("city", "   ", "city_invalid"),
        ("city_romaji", None, "city_romaji_invalid"),  # the city is in Japanese
        ("city_romaji", "TAKAYAMA-SHI GIFU", "city_romaji_invalid"),
        ("city_romaji", "高山", "city_romaji_invalid"),
        ("jpqr_store_id", "J-0001", "jpqr_store_id_invalid"),
        ("jpqr_store_id", "1234567890123-0001-000042", "jpqr_store_id_invalid"),
    ],
)
def test_a_bad_location_is_refused_naming_the_field(
    town: Town, field: str, value: str | None, code: str
) -> None:
    before = merchant_count(town)
    refused = onboard(town, application(**{field: value}))
    assert refused.status_code == 422, refused.text
    assert (refused.json()["code"], refused.json()["field"]) == (code, field)
    assert merchant_count(town) == before


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("株式会社ヒダソバ", "ｶ)ﾋﾀﾞｿﾊﾞ"),
        ("ヒダソバ株式会社", "ﾋﾀﾞｿﾊﾞ(ｶ"),
        ("ヒダソバ（株）", "ﾋﾀﾞｿﾊﾞ(ｶ"),  # noqa: RUF001 - full-width brackets, as typed
        ("有限会社ヒダ・ソバ", "ﾕ)ﾋﾀﾞ.ｿﾊﾞ"),
    ],
)
def test_company_forms_are_abbreviated_as_the_bank_prints_them(
    town: Town, typed: str, stored: str
) -> None:
    made = onboard(town, application(name_kana=typed, bank_account__holder_kana=typed))
    assert made.status_code == 201, made.text
    assert (made.json()["name_kana"], made.json()["bank_account"]["holder_kana"]) == (
        stored,
        stored,
    )


def test_the_clerk_sees_the_converted_names_before_saving(town: Town) -> None:
    before = merchant_count(town)
    shown = town.client.post(
        "/v1/merchants/kana_preview",
        json={"name_kana": "株式会社ミドリ", "holder_kana": "ミドリ株式会社タカヤマシテン"},
        headers=town.issuer(),
    )
    assert shown.status_code == 200, shown.text
    assert shown.json() == {"name_kana": "ｶ)ﾐﾄﾞﾘ", "holder_kana": "ﾐﾄﾞﾘ(ｶ)ﾀｶﾔﾏｼﾃﾝ"}
    refused = town.client.post(
        "/v1/merchants/kana_preview", json={"holder_kana": "ミドリ☆"}, headers=town.issuer()
    )
    assert (refused.status_code, refused.json()["field"]) == (422, "bank_account.holder_kana")
    assert refused.json()["code"] == "holder_kana_invalid"
    assert merchant_count(town) == before


def test_the_issuer_records_a_store_id_after_onboarding(town: Town) -> None:
    shop = onboard(town, application()).json()
    assert shop["jpqr_store_id"] is None
    path = f"/v1/merchants/{shop['merchant_id']}/location"
    body = {
        "postal_code": "506-0011",
        "city": "高山市",
        "city_romaji": "TAKAYAMA",
        "jpqr_store_id": "1234567890123-0001-000042-000007",
    }
    refused = town.client.post(path, json=body | {"city_romaji": None}, headers=town.issuer())
    assert (refused.status_code, refused.json()["code"]) == (422, "city_romaji_invalid")
    recorded = town.client.post(path, json=body, headers=town.issuer())
    assert recorded.status_code == 200, recorded.text
    assert recorded.json()["jpqr_store_id"] == "12345678901230001000042000007"
    key = {"Authorization": f"Bearer {shop['api_key']}"}
    payload = town.client.get("/v1/merchant/qr", headers=key).json()["qr_payload"]
    assert "0019jp.or.paymentsjapan01131234567890123" in payload
    unknown = town.client.post("/v1/merchants/mer_nope/location", json=body, headers=town.issuer())
    assert (unknown.status_code, unknown.json()["code"]) == (404, "merchant_not_found")
