"""Winding a coin down: the notice under four eyes, issuance and acceptance stopping on
their dates, residents' refund claims, and what is left unclaimed going to breakage."""

from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine

from kit.credentials import Role
from ledger.clock import FixedClock
from ledger.unit_of_work import run_in_transaction
from ledger.verify import verify_coin
from tests.merchant.payments.test_qr_payments_api import sticker
from tests.merchant.shops import open_shop
from tests.wallet_api.test_approvals_api import clerk
from tests.wallet_api.test_coin_directory_routes import all_coins
from tests.wallet_api.test_residents_api import Town, new_town
from tests.wallet_api.test_transfers_api import Person, balance, person, send

ACCOUNT = {
    "bank_code": "0001",
    "branch_code": "001",
    "account_type": "ordinary",
    "account_number": "1234567",
    "holder_kana": "ヤマダ ハナコ",
}


@pytest.fixture
def town(engine: Engine, clock: FixedClock) -> Town:
    return new_town(engine, clock)


def dates(town: Town, *, issuance: int = 10, acceptance: int = 20, claims: int = 90) -> dict:  # type: ignore[type-arg]
    now = town.clock.now()
    return {
        "issuance_ends_at": (now + timedelta(days=issuance)).isoformat(),
        "acceptance_ends_at": (now + timedelta(days=acceptance)).isoformat(),
        "claims_close_at": (now + timedelta(days=claims)).isoformat(),
    }


def announced(town: Town, **days: int) -> dict[str, Any]:
    """A wind-down asked by one clerk and approved by another: the notice."""
    maker, checker = clerk(town, "issuer", "窓口 佐藤"), clerk(town, "issuer", "支店長 高橋")
    asked = town.client.post("/v1/coin/winddown", json=dates(town, **days), headers=maker)
    assert asked.status_code == 202, asked.text
    approved = town.client.post(
        f"/v1/approvals/{asked.json()['approval_id']}/approve", headers=checker
    )
    assert approved.json()["status"] == "approved", approved.text
    result: dict[str, Any] = approved.json()["result"]
    return result


def points(town: Town, wallet_id: str, amount: int):  # type: ignore[no-untyped-def]
    body = {
        "wallet_ids": [wallet_id],
        "amount": amount,
        "reason": "健康ポイント",
        "expires_at": (town.clock.now() + timedelta(days=400)).isoformat(),
    }
    city = {"Authorization": f"Bearer {town.coin.keys[Role.MUNICIPALITY]}"}
    return town.client.post("/v1/points/grants", json=body, headers=city)


def claim(town: Town, who: Person, **account: str):  # type: ignore[no-untyped-def]
    return town.client.post(
        "/v1/wallet/winddown_claims",
        json={"bank_account": ACCOUNT | account},
        headers=who.headers,
    )


def again(town: Town, who: Person) -> Person:
    """The resident logged in anew: access tokens last minutes, the test skips days."""
    return Person(who.resident_id, who.wallet_id, town.token(who.resident_id))


def code_of(answer) -> tuple[int, str]:  # type: ignore[no-untyped-def]
    return answer.status_code, answer.json()["code"]


def test_a_wind_down_waits_for_a_second_issuer_key_and_is_then_public(town: Town) -> None:
    maker, checker = clerk(town, "issuer", "窓口 佐藤"), clerk(town, "issuer", "支店長 高橋")
    asked = town.client.post("/v1/coin/winddown", json=dates(town), headers=maker)
    assert (asked.status_code, asked.json()["kind"]) == (202, "winddown")
    assert code_of(town.client.get("/v1/coin/winddown", headers=maker)) == (
        404,
        "winddown_not_announced",
    )
    again = town.client.post("/v1/coin/winddown", json=dates(town), headers=checker)
    assert code_of(again) == (409, "winddown_exists")
    own = town.client.post(f"/v1/approvals/{asked.json()['approval_id']}/approve", headers=maker)
    assert code_of(own) == (403, "approval_by_maker")
    approved = town.client.post(
        f"/v1/approvals/{asked.json()['approval_id']}/approve", headers=checker
    )
    assert approved.json()["status"] == "approved", approved.text
    notice = town.client.get("/v1/coin/winddown", headers=checker).json()
    assert notice["announced_at"] == town.clock.now().isoformat()
    assert notice["claims"] == {"count": 0, "at_counter": 0, "total": 0}
    (mine,) = [c for c in all_coins(town) if c["code"] == town.code]
    public: dict[str, Any] = dict(mine)
    assert public["winddown"]["claims_close_at"] == notice["claims_close_at"]


@pytest.mark.parametrize(
    ("days", "why"),
    [
        ({"claims": 59}, "claims open fewer than 60 days"),
        ({"issuance": 30, "acceptance": 20}, "acceptance ends before issuance"),
        ({"issuance": -1}, "issuance stopped in the past"),
        ({"acceptance": 100, "claims": 90}, "claims close before acceptance ends"),
    ],
)
def test_wind_down_dates_that_do_not_hold_are_refused(
    town: Town, days: dict[str, int], why: str
) -> None:
    refused = town.client.post("/v1/coin/winddown", json=dates(town, **days), headers=town.issuer())
    assert code_of(refused) == (422, "winddown_invalid"), why
    assert town.client.get("/v1/approvals", headers=town.issuer()).json()["data"] == []


def test_issuance_then_acceptance_stop_on_their_dates(town: Town) -> None:
    payer = person(town, "山田", money=5_000)
    friend = person(town, "佐藤")
    shop = open_shop(town)
    announced(town, issuance=10, acceptance=20, claims=90)
    # Until the first date everything runs.
    assert town.top_up(payer.wallet_id, 1_000, "before-stop").status_code == 201
    assert points(town, payer.wallet_id, 100).status_code == 201
    town.clock.advance(timedelta(days=10))
    assert code_of(town.top_up(payer.wallet_id, 1_000, "after-stop")) == (409, "coin_winding_down")
    assert code_of(points(town, payer.wallet_id, 100)) == (409, "coin_winding_down")
    # Residents still pay and send until acceptance ends.
    payer = again(town, payer)
    paid = town.client.post(
        "/v1/wallet/payments",
        json={"qr_payload": sticker(town, shop), "amount": 500},
        headers=payer.headers,
    )
    assert paid.status_code == 201, paid.text
    assert send(town, payer, friend.wallet_id, 200).status_code == 201
    town.clock.advance(timedelta(days=10))
    payer = again(town, payer)
    late = town.client.post(
        "/v1/wallet/payments",
        json={"qr_payload": sticker(town, shop), "amount": 500},
        headers=payer.headers,
    )
    assert code_of(late) == (409, "coin_acceptance_ended")
    assert code_of(send(town, payer, friend.wallet_id, 200)) == (409, "coin_acceptance_ended")
    assert balance(town, payer)["total"] == 5_000 + 1_000 + 100 - 500 - 200


def test_a_resident_claims_money_and_premium_once_and_points_are_not_refunded(
    town: Town,
) -> None:
    resident = person(town, "山田", money=3_000)
    assert points(town, resident.wallet_id, 400).status_code == 201
    announced(town)
    bad = claim(town, resident, bank_code="9999")
    assert code_of(bad) == (422, "bank_not_found")
    assert balance(town, resident)["money"] == 3_000
    claimed = claim(town, resident)
    assert claimed.status_code == 201, claimed.text
    body = claimed.json()
    assert (body["amount"], body["money"], body["points_not_refunded"]) == (3_000, 3_000, 400)
    assert balance(town, resident)["money"] == 0
    assert balance(town, resident)["points"] == 400
    assert code_of(claim(town, resident)) == (409, "winddown_claimed")
    only_points = person(town, "佐藤")
    assert points(town, only_points.wallet_id, 300).status_code == 201
    assert code_of(claim(town, only_points)) == (409, "nothing_to_refund")
    # At the counter, for a resident without a phone.
    elder = person(town, "鈴木", money=1_200)
    at_counter = town.client.post(
        f"/v1/residents/{elder.resident_id}/winddown_claims",
        json={"bank_account": ACCOUNT | {"holder_kana": "スズキ タロウ"}},
        headers=town.issuer(),
    )
    assert (at_counter.status_code, at_counter.json()["via"]) == (201, "counter")
    report = town.client.get("/v1/coin/winddown", headers=town.issuer()).json()
    assert report["claims"] == {"count": 2, "at_counter": 1, "total": 4_200}
    assert report["owed_on_claims"] == 4_200


def test_after_the_claims_close_what_is_left_goes_to_breakage_and_the_books_verify(
    town: Town,
) -> None:
    claimer = person(town, "山田", money=3_000)
    silent = person(town, "佐藤", money=2_000)
    assert points(town, silent.wallet_id, 500).status_code == 201
    notice = announced(town)
    assert claim(town, claimer).status_code == 201
    early = town.client.post("/v1/coin/winddown/close", headers=town.issuer())
    assert code_of(early) == (409, "winddown_not_over")
    town.clock.set(datetime.fromisoformat(notice["claims_close_at"]))
    late = claim(town, again(town, silent))
    assert code_of(late) == (409, "winddown_claims_closed")
    closed = town.client.post("/v1/coin/winddown/close", headers=town.issuer())
    assert closed.status_code == 200, closed.text
    assert closed.json()["unclaimed_total"] == 2_500
    assert closed.json()["refundable_outstanding"] == 0
    assert balance(town, again(town, silent))["total"] == 0
    repeated = town.client.post("/v1/coin/winddown/close", headers=town.issuer())
    assert repeated.json() == closed.json()
    report = run_in_transaction(town.engine, lambda c: verify_coin(c, coin_id=town.coin.coin.id))
    assert report.ok, report
