"""Transfers between residents through the API: money only, verified senders, caps, retries, rushes."""

import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from ledger.chart import Standard, standard_account
from ledger.clock import FixedClock
from ledger.entries import EntryRequest, credit, debit, post_entry
from ledger.lots import LotKind
from ledger.unit_of_work import run_in_transaction
from tests.conftest import T0
from tests.wallet_api.test_residents_api import Town, new_town


@dataclass
class Person:
    resident_id: str
    wallet_id: str
    headers: dict[str, str]


def person(town: Town, name: str, *, verified: bool = True, money: int = 0) -> Person:
    created = town.sign_up(name=name)
    if verified:
        response = town.client.post(
            f"/v1/residents/{created['resident_id']}/verify",
            json={"method": "my_number_card", "reference": f"KYC-{name}"},
            headers=town.issuer(),
        )
        assert response.status_code == 200, response.text
    # Deposits of at most 300,000 each: larger ones wait for a second key's approval.
    for n, start in enumerate(range(0, money, 300_000)):
        deposit = min(300_000, money - start)
        assert town.top_up(created["wallet_id"], deposit, f"dep-{name}-{n}").status_code == 201
    return Person(created["resident_id"], created["wallet_id"], town.token(created["resident_id"]))


def send(town: Town, sender: Person, to: str, amount: int, **extra: object):  # type: ignore[no-untyped-def]
    key = extra.pop("key", None)
    headers = sender.headers | ({"Idempotency-Key": str(key)} if key else {})
    return town.client.post(
        "/v1/wallet/transfers",
        json={"to_wallet_id": to, "amount": amount, **extra},
        headers=headers,
    )


def balance(town: Town, who: Person, coin: str | None = None) -> dict[str, int]:
    params = {"coin": coin} if coin else {}
    response = town.client.get("/v1/wallet", headers=who.headers, params=params)
    assert response.status_code == 200, response.text
    result: dict[str, int] = response.json()["balance"]
    return result


@pytest.fixture
def town(engine: Engine, clock: FixedClock) -> Town:
    town = new_town(engine, clock)
    # Each test signs up a handful of residents from one test client address.
    town.client.app.state.signups_per_window = 100  # type: ignore[attr-defined]
    return town


def grant_points(town: Town, wallet_id: str, amount: int) -> None:
    """City points straight through the ledger (the grant API is another part of the issue)."""

    def work(conn):  # type: ignore[no-untyped-def]
        coin_id = town.coin.coin.id
        account = conn.execute(
            text("SELECT account_id FROM wallets WHERE coin_id = :c AND public_id = :p"),
            {"c": coin_id, "p": wallet_id},
        ).scalar_one()
        funder = standard_account(conn, coin_id=coin_id, code=Standard.RECEIVABLE_MUNICIPALITY)
        post_entry(
            conn,
            coin_id=coin_id,
            request=EntryRequest(
                "points.grant",
                [debit(funder.id, amount), credit(account, amount, lot_kind=LotKind.POINTS)],
            ),
            posted_at=town.clock.now(),
        )

    run_in_transaction(town.engine, work)


def test_a_verified_resident_sends_money_to_another(town: Town) -> None:
    alice, bob = person(town, "alice", money=10_000), person(town, "bob", verified=False)
    response = send(town, alice, bob.wallet_id, 3_000)
    assert response.status_code == 201, response.text
    transfer = response.json()
    assert transfer["id"].startswith("trf_")
    assert transfer | {"id": "", "created_at": ""} == {
        "id": "",
        "from_wallet_id": alice.wallet_id,
        "to_wallet_id": bob.wallet_id,
        "amount": 3_000,
        "coin": town.code,
        "created_at": "",
    }
    assert transfer["created_at"] == T0.isoformat()
    assert balance(town, alice)["money"] == 7_000
    assert balance(town, bob) == {
        "total": 3_000,
        "available": 3_000,
        "money": 3_000,
        "premium": 0,
        "points": 0,
        "held": 0,
    }
    entry_id = run_in_transaction(
        town.engine,
        lambda c: c.execute(
            text("SELECT entry_id FROM transfers WHERE public_id = :p"), {"p": transfer["id"]}
        ).scalar_one(),
    )
    kind = run_in_transaction(
        town.engine,
        lambda c: c.execute(
            text("SELECT kind FROM entries WHERE coin_id = :c AND id = :e"),
            {"c": town.coin.coin.id, "e": entry_id},
        ).scalar_one(),
    )
    assert kind == "p2p"


def test_points_never_move_between_people(town: Town) -> None:
    alice, bob = person(town, "alice", money=1_000), person(town, "bob")
    grant_points(town, alice.wallet_id, 5_000)
    refused = send(town, alice, bob.wallet_id, 1_001)
    assert (refused.status_code, refused.json()["code"]) == (402, "insufficient_funds")
    assert send(town, alice, bob.wallet_id, 1_000).status_code == 201
    assert balance(town, alice) | {"available": 0} == {
        "total": 5_000,
        "available": 0,
        "money": 0,
        "premium": 0,
        "points": 5_000,
        "held": 0,
    }
    assert balance(town, bob)["money"] == 1_000


def test_a_basic_wallet_may_not_send(town: Town) -> None:
    alice, bob = person(town, "alice", verified=False, money=5_000), person(town, "bob")
    refused = send(town, alice, bob.wallet_id, 100)
    assert (refused.status_code, refused.json()["code"]) == (403, "tier_not_allowed")
    assert balance(town, alice)["total"] == 5_000


def test_the_recipient_must_be_a_wallet_of_the_same_coin(
    town: Town, engine: Engine, clock: FixedClock
) -> None:
    alice = person(town, "alice", money=5_000)
    other = new_town(engine, clock)
    stranger = other.sign_up()
    for target in (stranger["wallet_id"], "wal_doesnotexist0000000"):
        refused = send(town, alice, target, 100)
        assert (refused.status_code, refused.json()["code"]) == (404, "wallet_not_found")
    assert balance(town, alice)["total"] == 5_000


def test_sending_to_oneself_is_refused(town: Town) -> None:
    alice = person(town, "alice", money=5_000)
    refused = send(town, alice, alice.wallet_id, 100)
    assert (refused.status_code, refused.json()["code"]) == (422, "transfer_to_self")


def test_an_amount_above_the_largest_payment_is_refused(town: Town) -> None:
    alice, bob = person(town, "alice", money=500_000), person(town, "bob")
    refused = send(town, alice, bob.wallet_id, 500_001, pin="1234")
    assert (refused.status_code, refused.json()["code"]) == (422, "limit_exceeded")
    for amount in (0, -5):
        invalid = send(town, alice, bob.wallet_id, amount)
        assert (invalid.status_code, invalid.json()["code"]) == (422, "validation_error")
        assert [e["field"] for e in invalid.json()["errors"]] == ["amount"]
    assert send(town, alice, bob.wallet_id, 500_000, pin="1234").status_code == 201


def test_the_recipients_cap_holds_after_the_transfer(town: Town) -> None:
    alice = person(town, "alice", money=200_000)
    bob = person(town, "bob", verified=False, money=90_000)
    refused = send(town, alice, bob.wallet_id, 10_001, pin="1234")
    assert (refused.status_code, refused.json()["code"]) == (422, "limit_exceeded")
    assert balance(town, alice)["total"] == 200_000
    assert balance(town, bob)["total"] == 90_000
    assert send(town, alice, bob.wallet_id, 10_000, pin="1234").status_code == 201
    assert balance(town, bob)["total"] == 100_000


def test_not_enough_money_is_402_and_moves_nothing(town: Town) -> None:
    alice, bob = person(town, "alice", money=500), person(town, "bob")
    refused = send(town, alice, bob.wallet_id, 501)
    assert (refused.status_code, refused.json()["code"]) == (402, "insufficient_funds")
    assert balance(town, alice)["total"] == 500
    assert balance(town, bob)["total"] == 0
    count = run_in_transaction(
        town.engine,
        lambda c: c.execute(
            text("SELECT count(*) FROM transfers WHERE coin_id = :c"), {"c": town.coin.coin.id}
        ).scalar_one(),
    )
    assert count == 0


def test_a_transfer_needs_a_residents_token(town: Town) -> None:
    bob = person(town, "bob")
    body = {"to_wallet_id": bob.wallet_id, "amount": 1}
    assert town.client.post("/v1/wallet/transfers", json=body).status_code == 401
    as_issuer = town.client.post("/v1/wallet/transfers", json=body, headers=town.issuer())
    assert (as_issuer.status_code, as_issuer.json()["code"]) == (401, "unauthenticated")


def test_a_retried_transfer_moves_money_once(town: Town) -> None:
    alice, bob = person(town, "alice", money=5_000), person(town, "bob")
    first = send(town, alice, bob.wallet_id, 1_000, key="gift-1")
    again = send(town, alice, bob.wallet_id, 1_000, key="gift-1")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    other = send(town, alice, bob.wallet_id, 2_000, key="gift-1")
    assert (other.status_code, other.json()["code"]) == (422, "idempotency_key_reused")
    assert balance(town, alice)["total"] == 4_000


def test_concurrent_duplicates_of_one_transfer_move_money_once(town: Town) -> None:
    alice, bob = person(town, "alice", money=5_000), person(town, "bob")
    barrier = threading.Barrier(6)

    def attempt(_: int) -> str:
        client = TestClient(town.client.app)
        barrier.wait()
        response = client.post(
            "/v1/wallet/transfers",
            json={"to_wallet_id": bob.wallet_id, "amount": 700},
            headers=alice.headers | {"Idempotency-Key": "once"},
        )
        assert response.status_code == 201, response.text
        transfer_id: str = response.json()["id"]
        return transfer_id

    with ThreadPoolExecutor(max_workers=6) as pool:
        ids = set(pool.map(attempt, range(6)))
    assert len(ids) == 1
    assert balance(town, alice)["total"] == 4_300
    assert balance(town, bob)["total"] == 700


def test_a_rush_of_transfers_never_overdraws_and_conserves_the_total(town: Town) -> None:
    alice = person(town, "alice", money=10_000)
    friends = [person(town, f"friend{n}") for n in range(4)]
    attempts = 24
    barrier = threading.Barrier(8)

    def attempt(n: int) -> int:
        client = TestClient(town.client.app)
        if n < 8:
            barrier.wait()
        response = client.post(
            "/v1/wallet/transfers",
            json={"to_wallet_id": friends[n % 4].wallet_id, "amount": 1_000},
            headers=alice.headers,
        )
        assert response.status_code in (201, 402), response.text
        return int(response.status_code)

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(attempt, range(attempts)))
    assert statuses.count(201) == 10
    assert statuses.count(402) == attempts - 10
    received = sum(balance(town, friend)["total"] for friend in friends)
    assert balance(town, alice)["total"] == 0
    assert received == 10_000


def test_transfers_both_ways_at_once_do_not_deadlock(town: Town) -> None:
    alice, bob = person(town, "alice", money=5_000), person(town, "bob", money=5_000)
    barrier = threading.Barrier(8)

    def attempt(n: int) -> int:
        client = TestClient(town.client.app)
        sender, recipient = (alice, bob) if n % 2 else (bob, alice)
        barrier.wait()
        response = client.post(
            "/v1/wallet/transfers",
            json={"to_wallet_id": recipient.wallet_id, "amount": 100},
            headers=sender.headers,
        )
        return int(response.status_code)

    with ThreadPoolExecutor(max_workers=8) as pool:
        assert set(pool.map(attempt, range(8))) == {201}
    assert balance(town, alice)["total"] + balance(town, bob)["total"] == 10_000
