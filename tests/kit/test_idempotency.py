"""Idempotency-Key, as CONTRACT.md states it, on a route that really moves coin."""

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from fastapi import APIRouter, FastAPI
from fastapi.testclient import TestClient
from pydantic import BaseModel, Field
from sqlalchemy import text

from kit import idempotency
from kit.credentials import Role, issue_key
from kit.idempotency import Db, IdempotentRoute, forget_expired
from ledger.accounts import get_balance
from ledger.chart import Standard
from ledger.clock import FixedClock
from ledger.entries import EntryRequest, credit, debit, post_entry, transfer
from ledger.unit_of_work import run_in_transaction
from localcoin.app import create_app
from tests.conftest import T0, Books


class TransferIn(BaseModel):
    from_wallet: int
    to_wallet: int
    amount: int = Field(gt=0)


class Shop:
    """A test app with one money-moving POST, and switches to make it misbehave."""

    def __init__(self, books: Books, clock: FixedClock) -> None:
        self.books = books
        self.release = threading.Event()
        self.release.set()
        self.entered = threading.Event()
        self.crash = False
        router = APIRouter(route_class=IdempotentRoute)

        @router.post("/test/transfers", status_code=201)
        def make_transfer(body: TransferIn, db: Db) -> dict[str, int]:
            posted = post_entry(
                db,
                coin_id=books.coin_id,
                request=EntryRequest(
                    "p2p",
                    transfer(
                        from_account=body.from_wallet, to_account=body.to_wallet, amount=body.amount
                    ),
                ),
                posted_at=clock.now(),
            )
            self.entered.set()
            assert self.release.wait(timeout=30)
            if self.crash:
                raise RuntimeError("a bug after the entry was posted")
            return {"entry_id": posted.entry_id}

        @router.post("/test/notes", status_code=201)
        def take_note(db: Db, tag: str) -> dict[str, str]:
            return {"tag": tag}

        self.app: FastAPI = create_app(books.engine, clock, run_sealer=False)
        self.app.include_router(router)
        # Keys are scoped to an authenticated caller: the shop's till has a real key.
        self.bearer = run_in_transaction(
            books.engine, lambda c: issue_key(c, coin_id=books.coin_id, role=Role.ISSUER, at=T0)
        )

    def client(self) -> TestClient:
        return TestClient(
            self.app,
            raise_server_exceptions=False,
            headers={"Authorization": f"Bearer {self.bearer}"},
        )


@pytest.fixture
def shop(books: Books, clock: FixedClock) -> Shop:
    return Shop(books, clock)


def fund(books: Books, wallet: int, amount: int) -> None:
    reserve = books.account(Standard.RESERVE_BANK)
    run_in_transaction(
        books.engine,
        lambda c: post_entry(
            c,
            coin_id=books.coin_id,
            request=EntryRequest("topup.counter", [debit(reserve, amount), credit(wallet, amount)]),
            posted_at=T0,
        ),
    )


def posted(books: Books, wallet: int) -> int:
    return run_in_transaction(
        books.engine, lambda c: get_balance(c, coin_id=books.coin_id, account_id=wallet)
    ).posted


def entry_count(books: Books) -> int:
    return int(
        run_in_transaction(
            books.engine,
            lambda c: c.execute(
                text("SELECT count(*) FROM entries WHERE coin_id = :c"), {"c": books.coin_id}
            ).scalar_one(),
        )
    )


def pay(client: TestClient, key: str | None, body: dict[str, int], bearer: str | None = None):  # type: ignore[no-untyped-def]
    headers = {"Authorization": f"Bearer {bearer}"} if bearer else {}
    if key is not None:
        headers["Idempotency-Key"] = key
    return client.post("/test/transfers", json=body, headers=headers)


@pytest.fixture
def wallets(books: Books) -> tuple[int, int]:
    payer, payee = books.wallet("resident:payer"), books.wallet("resident:payee")
    fund(books, payer, 1_000)
    return payer, payee


def test_a_retry_with_the_same_key_returns_the_first_answer_and_moves_nothing(
    shop: Shop, books: Books, wallets: tuple[int, int]
) -> None:
    payer, payee = wallets
    body = {"from_wallet": payer, "to_wallet": payee, "amount": 300}
    client = shop.client()
    first = pay(client, "order-1", body)
    again = pay(client, "order-1", body)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert (posted(books, payer), posted(books, payee)) == (700, 300)


def test_the_same_key_with_another_body_is_refused(
    shop: Shop, books: Books, wallets: tuple[int, int]
) -> None:
    payer, payee = wallets
    client = shop.client()
    assert (
        pay(
            client, "order-2", {"from_wallet": payer, "to_wallet": payee, "amount": 300}
        ).status_code
        == 201
    )
    reused = pay(client, "order-2", {"from_wallet": payer, "to_wallet": payee, "amount": 999})
    assert reused.status_code == 422
    assert reused.headers["content-type"] == "application/problem+json"
    assert reused.json()["code"] == "idempotency_key_reused"
    assert posted(books, payer) == 700


def test_a_refusal_is_the_first_answer_too(
    shop: Shop, books: Books, wallets: tuple[int, int]
) -> None:
    payer, payee = wallets
    body = {"from_wallet": payer, "to_wallet": payee, "amount": 5_000}
    client = shop.client()
    refused = pay(client, "big-1", body)
    assert refused.status_code == 402
    assert refused.json()["code"] == "insufficient_funds"
    fund(books, payer, 10_000)
    # The retry gets the stored refusal: the client must decide anew, with a new key.
    again = pay(client, "big-1", body)
    assert (again.status_code, again.json()["code"]) == (402, "insufficient_funds")
    assert again.headers["Idempotent-Replayed"] == "true"
    assert posted(books, payee) == 0
    assert pay(client, "big-2", body).status_code == 201
    assert posted(books, payee) == 5_000


def test_bad_input_is_refused_naming_the_field_and_changes_nothing(
    shop: Shop, books: Books, wallets: tuple[int, int]
) -> None:
    payer, payee = wallets
    before = entry_count(books)
    client = shop.client()
    bad = pay(client, "bad-1", {"from_wallet": payer, "to_wallet": payee, "amount": 0})
    assert bad.status_code == 422
    assert bad.json()["code"] == "validation_error"
    assert bad.json()["errors"][0]["field"] == "amount"
    assert (
        pay(client, "bad-1", {"from_wallet": payer, "to_wallet": payee, "amount": 0}).json()
        == bad.json()
    )
    assert entry_count(books) == before


def test_concurrent_duplicates_move_money_once(
    shop: Shop, books: Books, wallets: tuple[int, int]
) -> None:
    payer, payee = wallets
    body = {"from_wallet": payer, "to_wallet": payee, "amount": 100}
    barrier = threading.Barrier(8)

    def racer(_: int) -> tuple[int, dict[str, int]]:
        client = shop.client()
        barrier.wait()
        response = pay(client, "same-order", body)
        return response.status_code, response.json()

    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(racer, range(8)))
    assert {status for status, _ in answers} == {201}
    assert len({answer["entry_id"] for _, answer in answers}) == 1
    assert (posted(books, payer), posted(books, payee)) == (900, 100)


def test_a_duplicate_waits_then_gets_409_while_the_first_is_still_running(
    shop: Shop, books: Books, wallets: tuple[int, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(idempotency, "IN_FLIGHT_WAIT_S", 1)
    payer, payee = wallets
    body = {"from_wallet": payer, "to_wallet": payee, "amount": 100}
    shop.release.clear()
    with ThreadPoolExecutor(max_workers=1) as pool:
        first = pool.submit(pay, shop.client(), "slow-1", body)
        assert shop.entered.wait(timeout=30)  # the first holds the key now
        duplicate = pay(shop.client(), "slow-1", body)
        shop.release.set()
        assert first.result().status_code == 201
    assert duplicate.status_code == 409
    assert duplicate.json()["code"] == "idempotency_key_in_flight"
    assert posted(books, payee) == 100


def test_keys_are_scoped_to_the_caller(shop: Shop, books: Books, wallets: tuple[int, int]) -> None:
    payer, payee = wallets
    body = {"from_wallet": payer, "to_wallet": payee, "amount": 100}
    secrets_ = [
        run_in_transaction(
            books.engine, lambda c: issue_key(c, coin_id=books.coin_id, role=Role.ISSUER, at=T0)
        )
        for _ in range(2)
    ]
    client = shop.client()
    a = pay(client, "shared-key", body, bearer=secrets_[0])
    b = pay(client, "shared-key", body, bearer=secrets_[1])
    assert a.status_code == b.status_code == 201
    assert a.json() != b.json()
    assert posted(books, payee) == 200


def test_without_a_key_every_request_is_new(
    shop: Shop, books: Books, wallets: tuple[int, int]
) -> None:
    payer, payee = wallets
    body = {"from_wallet": payer, "to_wallet": payee, "amount": 100}
    client = shop.client()
    assert pay(client, None, body).status_code == pay(client, None, body).status_code == 201
    assert posted(books, payee) == 200


def test_an_unusable_key_is_refused(shop: Shop, wallets: tuple[int, int]) -> None:
    payer, payee = wallets
    response = pay(
        shop.client(), "k" * 256, {"from_wallet": payer, "to_wallet": payee, "amount": 1}
    )
    assert response.status_code == 400
    assert response.json()["code"] == "idempotency_key_invalid"


def test_a_crash_rolls_everything_back_and_frees_the_key(
    shop: Shop, books: Books, wallets: tuple[int, int]
) -> None:
    payer, payee = wallets
    body = {"from_wallet": payer, "to_wallet": payee, "amount": 100}
    client = shop.client()
    shop.crash = True
    assert pay(client, "crash-1", body).status_code == 500
    assert posted(books, payee) == 0
    shop.crash = False
    retried = pay(client, "crash-1", body)
    assert retried.status_code == 201
    assert "Idempotent-Replayed" not in retried.headers
    assert posted(books, payee) == 100


def test_keys_are_kept_48_hours_then_forgotten(
    shop: Shop, books: Books, wallets: tuple[int, int], clock: FixedClock
) -> None:
    payer, payee = wallets
    assert (
        pay(
            shop.client(), "old-1", {"from_wallet": payer, "to_wallet": payee, "amount": 1}
        ).status_code
        == 201
    )

    def count() -> int:
        return int(
            run_in_transaction(
                books.engine,
                lambda c: c.execute(
                    text("SELECT count(*) FROM idempotency_requests WHERE key = 'old-1'")
                ).scalar_one(),
            )
        )

    assert count() == 1
    run_in_transaction(
        books.engine, lambda c: forget_expired(c, now=clock.now() + timedelta(hours=47))
    )
    assert count() == 1
    run_in_transaction(
        books.engine, lambda c: forget_expired(c, now=clock.now() + timedelta(hours=49))
    )
    assert count() == 0


def test_the_claims_wait_bound_ends_with_the_claim(books: Books) -> None:
    """The claim waits on a duplicate's lock at most IN_FLIGHT_WAIT_S, but the work
    after it (a payment waiting on a busy wallet's lock) runs without that bound."""

    def claim_then_read(conn):  # type: ignore[no-untyped-def]
        before = conn.execute(text("SHOW lock_timeout")).scalar_one()
        claimed = conn.execute(
            text(
                "SELECT claimed FROM idempotency_claim('test:bound', :key, 'POST', '/v1/x',"
                " sha256('x'), now(), 1500)"
            ),
            {"key": f"k-{books.coin_id}"},
        ).scalar_one()
        return before, claimed, conn.execute(text("SHOW lock_timeout")).scalar_one()

    before, claimed, after = run_in_transaction(books.engine, claim_then_read)
    assert claimed is True
    assert after == before == "0"


def test_the_query_string_is_part_of_the_request(shop: Shop) -> None:
    client = shop.client()
    first = client.post("/test/notes?tag=X", headers={"Idempotency-Key": "note-1"})
    assert (first.status_code, first.json()) == (201, {"tag": "X"})
    other = client.post("/test/notes?tag=Y", headers={"Idempotency-Key": "note-1"})
    assert (other.status_code, other.json()["code"]) == (422, "idempotency_key_reused")
    again = client.post("/test/notes?tag=X", headers={"Idempotency-Key": "note-1"})
    assert again.json() == {"tag": "X"} and again.headers["Idempotent-Replayed"] == "true"
