"""Participating institutions and each one's net position for a business date."""

from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import Engine

from kit.credentials import Role
from ledger.clock import FixedClock
from ledger.unit_of_work import run_in_transaction
from merchant.accounts.merchants import AccountType, BankAccount, Merchant, open_merchant
from tests.conftest import T0
from tests.merchant.shops import funded_resident, open_shop
from tests.settlement.report_books import close_payout, key, pay, return_payout, tokyo
from tests.wallet_api.test_residents_api import Town, new_town


@pytest.fixture
def town(engine: Engine, clock: FixedClock) -> Town:
    return new_town(engine, clock)


def register(  # type: ignore[no-untyped-def]
    town: Town,
    bank_code: str,
    name: str,
    *,
    issuing: bool = False,
    headers: dict[str, str] | None = None,
):
    return town.client.post(
        "/v1/institutions",
        json={"bank_code": bank_code, "name": name, "issuing": issuing},
        headers=headers if headers is not None else key(town, Role.ISSUER),
    )


def positions(town: Town, day: str, role: Role = Role.ISSUER):  # type: ignore[no-untyped-def]
    return town.client.get(
        "/v1/reports/institutions", params={"business_date": day}, headers=key(town, role)
    )


def merchant_banking_at(town: Town, bank_code: str) -> Merchant:
    def work(conn):  # type: ignore[no-untyped-def]
        return open_merchant(
            conn,
            coin_id=town.coin.coin.id,
            name="となりの酒屋",
            name_kana="ｻｶﾔ",
            category="liquor",
            bank_account=BankAccount(bank_code, "001", AccountType.ORDINARY, "7654321", "ｻｶﾔ"),
            at=T0,
        )

    merchant: Merchant = run_in_transaction(town.engine, work)
    return merchant


def test_each_institution_takes_top_ups_and_is_owed_its_merchants_payouts(town: Town) -> None:
    assert register(town, "0001", "テスト信金", issuing=True).status_code == 201
    assert register(town, "0005", "となり銀行").status_code == 201
    town.clock.set(tokyo(2027, 1, 12, 9))
    local = open_shop(town)  # banks at 0001
    neighbour = merchant_banking_at(town, "0005")
    far = merchant_banking_at(town, "0009")  # not a participating institution
    alice = funded_resident(town, 50_000)
    funded_resident(town, 20_000)
    at_neighbour = funded_resident(town, 0)
    taken = town.client.post(
        "/v1/topups",
        json={
            "wallet_id": at_neighbour.wallet_id,
            "amount": 10_000,
            "channel": "counter",
            "reference": "neighbour-1",
            "institution": "0005",
        },
        headers=town.issuer(),
    )
    assert taken.status_code == 201, taken.text
    pay(town, local.merchant, alice.wallet_id, 5_000)
    pay(town, neighbour, alice.wallet_id, 8_000)
    pay(town, far, alice.wallet_id, 3_000)
    town.clock.set(tokyo(2027, 1, 12, 23, 59))
    close_payout(town, local.merchant, 5_000, fee=80)
    close_payout(town, neighbour, 8_000, fee=128)
    close_payout(town, far, 3_000, fee=48)
    town.clock.set(tokyo(2027, 1, 13, 10))
    return_payout(town, neighbour, 7_872)

    response = positions(town, "2027-01-12")

    assert response.status_code == 200, response.text
    body = response.json()
    by_bank = {p["bank_code"]: p for p in body["positions"]}
    assert by_bank["0001"] == {
        "bank_code": "0001",
        "name": "テスト信金",
        "registered": True,
        "issuing": True,
        "topups_count": 2,
        "topups": 70_000,
        "payouts_count": 1,
        "payouts": 4_920,
        "returned": 0,
        "net": 65_080,
    }
    assert (by_bank["0005"]["topups"], by_bank["0005"]["payouts"], by_bank["0005"]["net"]) == (
        10_000,
        7_872,
        2_128,
    )
    assert (by_bank["0009"]["registered"], by_bank["0009"]["net"]) == (False, -2_952)
    assert body["movements"] == [
        {"from_bank_code": "0005", "to_bank_code": "0001", "amount": 2_128},
        {"from_bank_code": "0001", "to_bank_code": "0009", "amount": 2_952},
    ]
    assert (body["topups"], body["payouts"], body["returned"]) == (80_000, 15_744, 0)
    next_day = {p["bank_code"]: p for p in positions(town, "2027-01-13").json()["positions"]}
    assert (next_day["0005"]["returned"], next_day["0005"]["net"]) == (7_872, 7_872)


def test_without_institution_top_ups_go_to_the_issuing_one_and_without_it_to_none(
    town: Town,
) -> None:
    town.clock.set(tokyo(2027, 1, 12))
    funded_resident(town, 1_000)
    unnamed = positions(town, "2027-01-12").json()
    assert [(p["bank_code"], p["topups"]) for p in unnamed["positions"]] == [(None, 1_000)]
    assert unnamed["movements"] == []


def test_institutions_are_checked_against_the_code_list_and_named_once(town: Town) -> None:
    assert register(town, "0001", "テスト信金", issuing=True).status_code == 201
    for bank_code, issuing, status, code in (
        ("12a4", False, 422, "bank_code_invalid"),
        ("9999", False, 422, "bank_unknown"),
        ("0001", False, 409, "institution_exists"),
        ("0005", True, 409, "issuer_exists"),
    ):
        refused = register(town, bank_code, "x", issuing=issuing)
        assert (refused.status_code, refused.json()["code"]) == (status, code), bank_code
    listed = town.client.get("/v1/institutions", headers=key(town, Role.OPERATOR)).json()
    assert [i["bank_code"] for i in listed["data"]] == ["0001"]


def test_a_retried_registration_with_its_key_registers_once(town: Town) -> None:
    headers = key(town, Role.ISSUER) | {"Idempotency-Key": "inst-1"}
    first = register(town, "0005", "となり銀行", headers=headers)
    again = register(town, "0005", "となり銀行", headers=headers)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    reused = register(town, "0009", "三井住友", headers=headers)
    assert reused.json()["code"] == "idempotency_key_reused"

    retried = key(town, Role.ISSUER) | {"Idempotency-Key": "inst-2"}
    with ThreadPoolExecutor(max_workers=6) as pool:
        answers = list(
            pool.map(
                lambda _: register(town, "0010", "りそな", headers=retried).json(),
                range(6),
            )
        )
    assert all(answer == answers[0] for answer in answers)
    assert answers[0]["bank_code"] == "0010"


def test_institutions_are_paginated_and_kept_per_coin(
    town: Town, engine: Engine, clock: FixedClock
) -> None:
    for code, name in (("0001", "a"), ("0005", "b"), ("0009", "c")):
        assert register(town, code, name).status_code == 201
    page = town.client.get("/v1/institutions?limit=2", headers=key(town, Role.ISSUER)).json()
    assert ([i["bank_code"] for i in page["data"]], page["has_more"]) == (["0001", "0005"], True)
    rest = town.client.get(
        "/v1/institutions?limit=2&starting_after=0005", headers=key(town, Role.ISSUER)
    ).json()
    assert ([i["bank_code"] for i in rest["data"]], rest["has_more"]) == (["0009"], False)
    other = new_town(engine, clock)
    assert town.client.get("/v1/institutions", headers=key(other, Role.ISSUER)).json() == {
        "data": [],
        "has_more": False,
    }
    as_operator = register(town, "0010", "x", headers=key(town, Role.OPERATOR))
    assert as_operator.json()["code"] == "forbidden"
    assert positions(town, "2027-01-12", Role.MUNICIPALITY).json()["code"] == "forbidden"


def test_a_top_up_at_an_unknown_institution_is_refused_and_credits_nothing(town: Town) -> None:
    assert register(town, "0001", "テスト信金", issuing=True).status_code == 201
    resident = funded_resident(town, 0)
    body = {
        "wallet_id": resident.wallet_id,
        "amount": 1_000,
        "channel": "atm",
        "reference": "atm-9",
        "institution": "0009",
    }
    refused = town.client.post("/v1/topups", json=body, headers=town.issuer())
    assert (refused.status_code, refused.json()["code"]) == (404, "institution_not_found")
    wallet = town.client.get("/v1/wallet", headers=resident.headers).json()
    assert wallet["balance"]["total"] == 0
    malformed = town.client.post(
        "/v1/topups", json=body | {"institution": "5"}, headers=town.issuer()
    )
    assert (malformed.status_code, malformed.json()["code"]) == (422, "validation_error")
