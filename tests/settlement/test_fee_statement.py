"""The month's fee revenue, from revenue:fees postings, and its sharing to the yen."""

import itertools
import random
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import IntegrityError

from kit.credentials import Role
from ledger.clock import FixedClock
from ledger.unit_of_work import run_in_transaction
from settlement.fee_sharing import OPERATOR, Share, allocate
from tests.merchant.shops import funded_resident, open_shop
from tests.settlement.report_books import (
    btob,
    close_payout,
    key,
    pay,
    refund,
    tokyo,
    wallet_account,
)
from tests.settlement.test_qualified_invoice import shop_with_cashouts
from tests.wallet_api.test_residents_api import Town, new_town


@pytest.fixture
def town(engine: Engine, clock: FixedClock) -> Town:
    return new_town(engine, clock)


def add_institution(town: Town, bank_code: str, name: str, *, issuing: bool = False) -> None:
    response = town.client.post(
        "/v1/institutions",
        json={"bank_code": bank_code, "name": name, "issuing": issuing},
        headers=key(town, Role.ISSUER),
    )
    assert response.status_code == 201, response.text


def set_sharing(town: Town, shares: dict[str, int], role: Role = Role.ISSUER):  # type: ignore[no-untyped-def]
    return town.client.put(
        "/v1/fee_sharing",
        json={"shares": [{"party": p, "share_bp": bp} for p, bp in shares.items()]},
        headers=key(town, role),
    )


def statement(town: Town, month: str, role: Role = Role.ISSUER):  # type: ignore[no-untyped-def]
    return town.client.get("/v1/reports/fees", params={"month": month}, headers=key(town, role))


def test_the_month_is_net_of_fee_refunds_by_merchant_and_kind_and_shared_to_the_yen(
    town: Town,
) -> None:
    coin_id = town.coin.coin.id
    run_in_transaction(
        town.engine,
        lambda c: c.execute(
            text("UPDATE fee_plans SET payment_bp = 125 WHERE coin_id = :c"), {"c": coin_id}
        ),
    )
    add_institution(town, "0001", "テスト信金", issuing=True)
    add_institution(town, "0005", "となり銀行")
    assert set_sharing(town, {"0001": 3333, "0005": 3333, OPERATOR: 3334}).status_code == 200
    town.clock.set(tokyo(2026, 12, 31, 23, 59))
    bakery, grocer = open_shop(town, name="パン屋"), open_shop(town, name="八百屋")
    payer = funded_resident(town, 50_000)
    pay(town, bakery.merchant, payer.wallet_id, 4_000)  # December: fee 50, not in January
    town.clock.set(tokyo(2027, 1, 1, 0, 0))
    refunded = pay(town, bakery.merchant, payer.wallet_id, 999)  # fee 12, given back below
    pay(town, bakery.merchant, payer.wallet_id, 5_000)  # fee 62
    pay(town, grocer.merchant, payer.wallet_id, 10_000)  # fee 125
    refund(town, refunded, bakery.merchant, wallet_account(town, payer.wallet_id))
    btob(town, bakery.merchant, grocer.merchant, 3_000, fee=15)
    town.clock.set(tokyo(2027, 1, 31, 23, 59))
    close_payout(town, grocer.merchant, 8_000, fee=128)
    town.clock.set(tokyo(2027, 2, 1, 0, 0))
    pay(town, grocer.merchant, payer.wallet_id, 1_000)  # February: fee 12

    response = statement(town, "2027-01")

    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["coin"], body["month"], body["total"]) == (town.code, "2027-01", 330)
    assert body["by_kind"] == {"payment": 187, "cashout": 128, "btob": 15, "other": 0}
    assert {m["merchant_id"]: (m["fees"], m["total"]) for m in body["merchants"]} == {
        bakery.merchant.public_id: ({"payment": 62, "cashout": 0, "btob": 15, "other": 0}, 77),
        grocer.merchant.public_id: ({"payment": 125, "cashout": 128, "btob": 0, "other": 0}, 253),
    }
    # 330 x 33.33% = 109.989 twice and 330 x 33.34% = 110.022: the two largest
    # remainders get the two yen left after the floors.
    assert [(s["party"], s["name"], s["amount"]) for s in body["shares"]] == [
        (OPERATOR, OPERATOR, 110),
        ("0001", "テスト信金", 110),
        ("0005", "となり銀行", 110),
    ]
    assert sum(s["amount"] for s in body["shares"]) == body["total"]
    assert statement(town, "2026-12").json()["total"] == 50
    assert statement(town, "2027-02").json()["total"] == 12
    assert statement(town, "2027-01", Role.OPERATOR).json() == body


@pytest.mark.parametrize(
    ("total", "shares", "expected"),
    [
        (100, {"a": 3333, "b": 3333, OPERATOR: 3334}, {"a": 33, "b": 33, OPERATOR: 34}),
        (1, {"a": 5000, "b": 5000}, {"a": 1, "b": 0}),
        (2, {"a": 3333, "b": 3333, "c": 3334}, {"a": 1, "b": 0, "c": 1}),
        (7, {"a": 1, "b": 9999}, {"a": 0, "b": 7}),
        (10_001, {"a": 7000, "b": 2000, "c": 1000}, {"a": 7001, "b": 2000, "c": 1000}),
        (-5, {"a": 5000, "b": 5000}, {"a": -3, "b": -2}),
        (0, {"a": 10_000}, {"a": 0}),
    ],
)
def test_awkward_totals_are_split_by_largest_remainder(
    total: int, shares: dict[str, int], expected: dict[str, int]
) -> None:
    parts = allocate(total, [Share(p, bp) for p, bp in shares.items()])
    assert parts == expected
    assert sum(parts.values()) == total


def test_every_split_adds_up_and_stays_within_a_yen_of_the_exact_share() -> None:
    rng = random.Random(5)
    for _ in range(2_000):
        cuts = sorted(rng.sample(range(1, 10_000), rng.randint(0, 6)))
        bps = [b - a for a, b in itertools.pairwise([0, *cuts, 10_000])]
        shares = [Share(f"{n:04d}", bp) for n, bp in enumerate(bps)]
        total = rng.randint(0, 10**9)
        parts = allocate(total, shares)
        assert sum(parts.values()) == total
        for share in shares:
            exact_times_whole = total * share.share_bp
            assert abs(parts[share.party] * 10_000 - exact_times_whole) < 10_000


def test_a_rule_that_does_not_sum_to_the_whole_is_refused_and_the_old_one_stays(
    town: Town,
) -> None:
    add_institution(town, "0001", "テスト信金", issuing=True)
    assert set_sharing(town, {"0001": 6000, OPERATOR: 4000}).status_code == 200
    for shares, code, status in (
        ({"0001": 6000, OPERATOR: 3999}, "fee_sharing_invalid", 422),
        ({"0001": 6000, "0005": 4000}, "institution_not_found", 404),
        ({"0001": 10_001}, "validation_error", 422),
        ({"01": 10_000}, "validation_error", 422),
    ):
        refused = set_sharing(town, shares)
        assert (refused.status_code, refused.json()["code"]) == (status, code), shares
    assert set_sharing(town, {"0001": 10_000}, Role.MUNICIPALITY).json()["code"] == "forbidden"
    current = town.client.get("/v1/fee_sharing", headers=key(town, Role.OPERATOR)).json()
    assert current == {
        "shares": [{"party": "0001", "share_bp": 6000}, {"party": OPERATOR, "share_bp": 4000}]
    }


def test_the_database_refuses_a_rule_that_is_not_whole_at_commit(town: Town) -> None:
    coin_id = town.coin.coin.id

    def write(conn):  # type: ignore[no-untyped-def]
        conn.execute(
            text(
                "INSERT INTO fee_sharing (coin_id, party, share_bp, updated_at)"
                " VALUES (:c, 'operator', 9000, now())"
            ),
            {"c": coin_id},
        )

    with pytest.raises(IntegrityError, match=r"sums to 9000 bp, not 10000"):
        run_in_transaction(town.engine, write)
    assert town.client.get("/v1/fee_sharing", headers=key(town, Role.ISSUER)).json() == {
        "shares": []
    }


def test_concurrent_replacements_leave_one_whole_rule(town: Town) -> None:
    add_institution(town, "0001", "テスト信金", issuing=True)
    rules = [{"0001": n * 1000, OPERATOR: 10_000 - n * 1000} for n in range(1, 9)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(lambda shares: set_sharing(town, shares).status_code, rules))
    assert answers == [200] * len(rules)
    current = town.client.get("/v1/fee_sharing", headers=key(town, Role.ISSUER)).json()
    assert sum(s["share_bp"] for s in current["shares"]) == 10_000


def test_a_month_is_yyyy_mm_and_a_key_sees_its_own_coin_only(
    town: Town, engine: Engine, clock: FixedClock
) -> None:
    for month in ("2027-1", "2027-13", "january", "2027-01-01"):
        refused = statement(town, month)
        assert (refused.status_code, refused.json()["code"]) == (422, "month_invalid"), month
    town.clock.set(tokyo(2027, 1, 5))
    run_in_transaction(
        town.engine,
        lambda c: c.execute(
            text("UPDATE fee_plans SET cashout_bp = 200 WHERE coin_id = :c"),
            {"c": town.coin.coin.id},
        ),
    )
    shop = open_shop(town)
    payer = funded_resident(town, 5_000)
    pay(town, shop.merchant, payer.wallet_id, 5_000)
    close_payout(town, shop.merchant, 5_000, fee=100)
    other = new_town(engine, clock)
    assert statement(other, "2027-01").json()["total"] == 0
    assert statement(town, "2027-01").json()["total"] == 100
    assert statement(town, "2027-01", Role.MUNICIPALITY).json()["code"] == "forbidden"


def test_the_tax_of_the_invoices_is_carried_apart_and_never_shared(town: Town) -> None:
    # The shop of tests/settlement/test_qualified_invoice.py: ¥237 of fees, tax ¥23.
    shop = shop_with_cashouts(town)
    add_institution(town, "0001", "みずほ", issuing=True)
    assert set_sharing(town, {"0001": 7_000, OPERATOR: 3_000}).status_code == 200
    month = statement(town, "2026-11").json()
    [line] = [m for m in month["merchants"] if m["merchant_id"] == shop.merchant.public_id]
    assert (line["total"], line["tax"]) == (237, 23)
    assert (month["total"], month["tax"]) == (237, 23)
    assert [share["amount"] for share in month["shares"]] == [166, 71]  # 237, not 260
