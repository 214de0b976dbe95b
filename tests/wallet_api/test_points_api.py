"""Municipality points (行政ポイント) through the API: grants, refusals, caps, expiry to breakage."""

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from kit.credentials import Role
from ledger.accounts import AccountClass, get_balance, open_account
from ledger.chart import Standard, standard_account
from ledger.clock import FixedClock
from ledger.entries import EntryRequest, credit, debit, post_entry
from ledger.expiry import expire_lots
from ledger.unit_of_work import run_in_transaction
from tests.conftest import T0
from tests.wallet_api.test_residents_api import Town, chained_text, new_town

EXPIRY = datetime(2027, 3, 31, 15, 0, tzinfo=UTC)  # the end of 31 March 2027 in Tokyo


@pytest.fixture
def town(engine: Engine, clock: FixedClock) -> Town:
    return new_town(engine, clock)


def key(town: Town, role: Role) -> dict[str, str]:
    return {"Authorization": f"Bearer {town.coin.keys[role]}"}


def grant(  # type: ignore[no-untyped-def]
    town: Town,
    wallet_ids: list[str],
    amount: int = 1_000,
    headers: dict[str, str] | None = None,
    expires_at: str = EXPIRY.isoformat(),
):
    body: dict[str, object] = {
        "wallet_ids": wallet_ids,
        "amount": amount,
        "reason": "子育て応援ポイント",
        "expires_at": expires_at,
    }
    sent = headers if headers is not None else key(town, Role.MUNICIPALITY)
    return town.client.post("/v1/points/grants", json=body, headers=sent)


def wallet(town: Town, resident: dict[str, str]) -> dict[str, object]:
    response = town.client.get("/v1/wallet", headers=town.token(resident["resident_id"]))
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json()
    return body


def points(town: Town, resident: dict[str, str]) -> int:
    balance = wallet(town, resident)["balance"]
    assert isinstance(balance, dict)
    return int(balance["points"])


def standard_balance(town: Town, code: Standard) -> int:
    def read(conn):  # type: ignore[no-untyped-def]
        account = standard_account(conn, coin_id=town.coin.coin.id, code=code)
        return get_balance(conn, coin_id=town.coin.coin.id, account_id=account.id).posted

    posted: int = run_in_transaction(town.engine, read)
    return posted


def test_a_grants_reason_is_the_grants_row_not_the_chained_entries(town: Town) -> None:
    alice = town.sign_up(name="alice")
    assert grant(town, [alice["wallet_id"]]).status_code == 201
    assert [line for line in chained_text(town) if "子育て応援ポイント" in line] == []
    with town.engine.connect() as conn:
        reason = conn.execute(
            text("SELECT reason FROM points_grants WHERE coin_id = :coin"),
            {"coin": town.coin.coin.id},
        ).scalar_one()
    assert reason == "子育て応援ポイント"


def test_a_grant_credits_each_wallet_with_expiring_points(town: Town) -> None:
    alice, bob = town.sign_up(name="alice"), town.sign_up(name="bob")
    response = grant(town, [alice["wallet_id"], bob["wallet_id"]], amount=3_000)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["id"].startswith("pg_")
    assert {k: body[k] for k in ("amount", "wallet_count", "total", "reason")} == {
        "amount": 3_000,
        "wallet_count": 2,
        "total": 6_000,
        "reason": "子育て応援ポイント",
    }
    assert datetime.fromisoformat(body["expires_at"]) == EXPIRY
    for resident in (alice, bob):
        seen = wallet(town, resident)
        assert seen["balance"] == {
            "total": 3_000,
            "available": 3_000,
            "money": 0,
            "premium": 0,
            "points": 3_000,
            "held": 0,
        }
        assert seen["lots"] == [
            {"kind": "points", "amount": 3_000, "expires_at": EXPIRY.isoformat()}
        ]
    assert standard_balance(town, Standard.RECEIVABLE_MUNICIPALITY) == 6_000
    recorded = run_in_transaction(
        town.engine,
        lambda c: c.execute(
            text(
                "SELECT g.total, count(w.*) FROM points_grants g JOIN points_grant_wallets w"
                " ON w.coin_id = g.coin_id AND w.grant_id = g.id WHERE g.public_id = :p"
                " GROUP BY g.total"
            ),
            {"p": body["id"]},
        ).one(),
    )
    assert tuple(recorded) == (6_000, 2)


def test_an_unknown_wallet_refuses_the_whole_grant(town: Town) -> None:
    alice = town.sign_up()
    response = grant(town, [alice["wallet_id"], "wal_nosuchwallet000000"])
    assert (response.status_code, response.json()["code"]) == (404, "wallet_not_found")
    assert "wal_nosuchwallet000000" in response.json()["detail"]
    assert points(town, alice) == 0
    assert standard_balance(town, Standard.RECEIVABLE_MUNICIPALITY) == 0


def test_a_wallet_of_another_coin_is_unknown(town: Town, engine: Engine, clock: FixedClock) -> None:
    stranger = new_town(engine, clock).sign_up()
    alice = town.sign_up()
    response = grant(town, [alice["wallet_id"], stranger["wallet_id"]])
    assert (response.status_code, response.json()["code"]) == (404, "wallet_not_found")
    assert points(town, alice) == 0


@pytest.mark.parametrize(
    ("amount", "expires_at", "code"),
    [
        (500_001, EXPIRY, "amount_invalid"),  # over the coin's payment_max
        (1_000, T0 - timedelta(seconds=1), "expires_at_invalid"),
        (1_000, T0, "expires_at_invalid"),
    ],
)
def test_bad_grants_are_refused(town: Town, amount: int, expires_at: datetime, code: str) -> None:
    alice = town.sign_up()
    response = grant(town, [alice["wallet_id"]], amount=amount, expires_at=expires_at.isoformat())
    assert (response.status_code, response.json()["code"]) == (422, code)
    assert points(town, alice) == 0


def test_a_grant_names_each_wallet_once(town: Town) -> None:
    alice = town.sign_up()
    response = grant(town, [alice["wallet_id"], alice["wallet_id"]])
    assert (response.status_code, response.json()["code"]) == (422, "wallet_ids_duplicated")
    assert points(town, alice) == 0


def test_a_grant_names_at_most_1000_wallets(town: Town) -> None:
    response = grant(town, [f"wal_{n:020d}" for n in range(1_001)])
    assert (response.status_code, response.json()["code"]) == (422, "batch_too_large")


def test_a_naive_expiry_or_an_empty_list_is_a_validation_error(town: Town) -> None:
    alice = town.sign_up()
    naive = grant(town, [alice["wallet_id"]], expires_at="2027-03-31T00:00:00")
    assert naive.json()["code"] == "validation_error"
    assert [e["field"] for e in naive.json()["errors"]] == ["expires_at"]
    empty = grant(town, [])
    assert [e["field"] for e in empty.json()["errors"]] == ["wallet_ids"]


def test_points_count_toward_the_cap_and_a_grant_over_it_grants_nothing(town: Town) -> None:
    alice, bob = town.sign_up(name="alice"), town.sign_up(name="bob")
    assert town.top_up(bob["wallet_id"], 99_500, "near-cap").status_code == 201
    response = grant(town, [alice["wallet_id"], bob["wallet_id"]], amount=1_000)
    assert (response.status_code, response.json()["code"]) == (422, "limit_exceeded")
    assert bob["wallet_id"] in response.json()["detail"]
    assert points(town, alice) == 0
    assert points(town, bob) == 0
    assert grant(town, [alice["wallet_id"], bob["wallet_id"]], amount=500).status_code == 201


def test_concurrent_grants_never_break_a_cap(town: Town) -> None:
    alice = town.sign_up()
    assert town.top_up(alice["wallet_id"], 95_000, "base").status_code == 201
    barrier = threading.Barrier(4)

    def send(n: int) -> int:
        client = TestClient(town.client.app)
        barrier.wait()
        response = client.post(
            "/v1/points/grants",
            json={
                "wallet_ids": [alice["wallet_id"]],
                "amount": 3_000,
                "reason": f"round {n}",
                "expires_at": EXPIRY.isoformat(),
            },
            headers=key(town, Role.MUNICIPALITY),
        )
        return int(response.status_code)

    with ThreadPoolExecutor(max_workers=4) as pool:
        statuses = sorted(pool.map(send, range(4)))
    assert statuses == [201, 422, 422, 422]
    assert points(town, alice) == 3_000


def test_only_the_municipality_of_the_coin_grants(town: Town) -> None:
    alice = town.sign_up()
    as_issuer = grant(town, [alice["wallet_id"]], headers=key(town, Role.ISSUER))
    assert (as_issuer.status_code, as_issuer.json()["code"]) == (403, "forbidden")
    as_resident = grant(town, [alice["wallet_id"]], headers=town.token(alice["resident_id"]))
    assert as_resident.status_code == 401
    anonymous = town.client.post(
        "/v1/points/grants",
        json={
            "wallet_ids": [alice["wallet_id"]],
            "amount": 1,
            "reason": "x",
            "expires_at": EXPIRY.isoformat(),
        },
    )
    assert anonymous.status_code == 401
    assert points(town, alice) == 0


def test_a_retried_grant_credits_once(town: Town) -> None:
    alice = town.sign_up()
    headers = key(town, Role.MUNICIPALITY) | {"Idempotency-Key": "grant-2026-11"}
    first = grant(town, [alice["wallet_id"]], headers=headers)
    again = grant(town, [alice["wallet_id"]], headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json()["id"] == first.json()["id"]
    assert again.headers["Idempotent-Replayed"] == "true"
    other = grant(town, [alice["wallet_id"]], amount=2, headers=headers)
    assert (other.status_code, other.json()["code"]) == (422, "idempotency_key_reused")
    assert points(town, alice) == 1_000


def test_the_sweep_moves_expired_points_to_breakage(town: Town) -> None:
    alice = town.sign_up()
    assert town.top_up(alice["wallet_id"], 2_000, "money-1").status_code == 201
    assert grant(town, [alice["wallet_id"]], amount=1_500).status_code == 201
    town.clock.set(EXPIRY + timedelta(minutes=1))
    coin_id = town.coin.coin.id

    def sweep(conn):  # type: ignore[no-untyped-def]
        # As `localcoin points expire` does.
        breakage = standard_account(conn, coin_id=coin_id, code=Standard.REVENUE_BREAKAGE)
        now = town.clock.now()
        return expire_lots(
            conn, coin_id=coin_id, as_of=now, at=now, breakage_account_id=breakage.id
        )

    expired = run_in_transaction(town.engine, sweep)
    assert [e.amount for e in expired] == [1_500]
    seen = wallet(town, alice)
    assert seen["balance"]["points"] == 0  # type: ignore[index]
    assert seen["balance"]["money"] == 2_000  # type: ignore[index]
    assert standard_balance(town, Standard.REVENUE_BREAKAGE) == 1_500
    summary = town.client.get("/v1/ledger/summary", headers=key(town, Role.OPERATOR)).json()
    assert summary["breakage"] == 1_500


def test_payments_spend_points_before_money(town: Town) -> None:
    alice = town.sign_up()
    assert town.top_up(alice["wallet_id"], 2_000, "money-2").status_code == 201
    assert grant(town, [alice["wallet_id"]], amount=1_000).status_code == 201
    coin_id = town.coin.coin.id

    def pay(conn):  # type: ignore[no-untyped-def]
        shop = open_account(
            conn,
            coin_id=coin_id,
            code="wallet:merchant:points-test",
            account_class=AccountClass.LIABILITY,
            at=T0,
        )
        account_id = conn.execute(
            text("SELECT account_id FROM wallets WHERE public_id = :p"),
            {"p": alice["wallet_id"]},
        ).scalar_one()
        post_entry(
            conn,
            coin_id=coin_id,
            request=EntryRequest("payment", [debit(account_id, 1_200), credit(shop.id, 1_200)]),
            posted_at=T0,
        )

    run_in_transaction(town.engine, pay)
    seen = wallet(town, alice)
    assert seen["balance"]["points"] == 0  # type: ignore[index]
    assert seen["balance"]["money"] == 1_800  # type: ignore[index]
