"""Residents through the API: sign-up, PIN log-in and lockout, the wallet, top-ups by the issuer."""

import itertools
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from structlog.testing import capture_logs

from kit.credentials import Role
from kit.settings import Settings
from ledger.clock import FixedClock
from ledger.unit_of_work import run_in_transaction
from localcoin.app import create_app
from localcoin.coin_setup import NewCoin, set_up_coin
from tests.conftest import T0

# argon2id at a test-sized cost: the same algorithm, a fraction of the memory.
FAST_PINS = Settings(pin_hash_memory_kib=1024, pin_hash_time_cost=1, access_token_ttl_s=900)
_codes = itertools.count(1)


@dataclass
class Town:
    engine: Engine
    clock: FixedClock
    coin: NewCoin
    client: TestClient

    @property
    def code(self) -> str:
        return self.coin.coin.code

    def issuer(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.coin.keys[Role.ISSUER]}"}

    def sign_up(self, pin: str = "1234", name: str = "山田花子") -> dict[str, str]:
        response = self.client.post(
            "/v1/residents", json={"coin": self.code, "display_name": name, "pin": pin}
        )
        assert response.status_code == 201, response.text
        created: dict[str, str] = response.json()
        return created

    def log_in(self, resident_id: str, pin: str = "1234"):  # type: ignore[no-untyped-def]
        return self.client.post("/v1/auth/token", json={"resident_id": resident_id, "pin": pin})

    def token(self, resident_id: str, pin: str = "1234") -> dict[str, str]:
        response = self.log_in(resident_id, pin)
        assert response.status_code == 200, response.text
        return {"Authorization": f"Bearer {response.json()['access_token']}"}

    def top_up(self, wallet_id: str, amount: int, reference: str, channel: str = "counter"):  # type: ignore[no-untyped-def]
        return self.client.post(
            "/v1/topups",
            json={
                "wallet_id": wallet_id,
                "amount": amount,
                "channel": channel,
                "reference": reference,
            },
            headers=self.issuer(),
        )


def new_town(engine: Engine, clock: FixedClock) -> Town:
    code = f"TOWN{os.getpid() % 10000}X{next(_codes)}"
    coin = run_in_transaction(
        engine,
        lambda c: set_up_coin(c, code=code, name="テスト町コイン", issuer_name="テスト信金", at=T0),
    )
    app = create_app(engine, clock, run_sealer=False, settings=FAST_PINS)
    return Town(engine, clock, coin, TestClient(app))


@pytest.fixture
def town(engine: Engine, clock: FixedClock) -> Town:
    return new_town(engine, clock)


def test_sign_up_gives_a_resident_and_an_empty_basic_wallet(town: Town) -> None:
    created = town.sign_up()
    assert created["resident_id"].startswith("res_")
    assert created["wallet_id"].startswith("wal_")
    wallet = town.client.get("/v1/wallet", headers=town.token(created["resident_id"])).json()
    assert wallet == {
        "wallet_id": created["wallet_id"],
        "coin": town.code,
        "resident_number": created["resident_number"],
        "tier": "basic",
        "balance": {"total": 0, "available": 0, "money": 0, "premium": 0, "points": 0, "held": 0},
        "lots": [],
        "winddown": None,
    }


# The last is 1234 in full-width digits, which a Japanese keyboard types.
@pytest.mark.parametrize("pin", ["123", "1234567", "12a4", "", "\uff11\uff12\uff13\uff14"])
def test_a_pin_is_4_to_6_ascii_digits(town: Town, pin: str) -> None:
    response = town.client.post(
        "/v1/residents", json={"coin": town.code, "display_name": "a", "pin": pin}
    )
    assert response.status_code == 422
    assert response.json()["code"] == "validation_error"
    assert [e["field"] for e in response.json()["errors"]] == ["pin"]


def test_sign_up_in_an_unknown_coin_is_404(town: Town) -> None:
    response = town.client.post(
        "/v1/residents", json={"coin": "NOSUCH", "display_name": "a", "pin": "1234"}
    )
    assert (response.status_code, response.json()["code"]) == (404, "coin_not_found")


def test_the_pin_is_stored_only_as_an_argon2id_hash(town: Town) -> None:
    created = town.sign_up(pin="482915")
    stored = run_in_transaction(
        town.engine,
        lambda c: c.execute(
            text("SELECT pin_hash FROM residents WHERE public_id = :p"),
            {"p": created["resident_id"]},
        ).scalar_one(),
    )
    assert stored.startswith("$argon2id$")
    assert "482915" not in stored


def test_wrong_pins_lock_the_resident_and_the_lock_is_logged(town: Town) -> None:
    resident = town.sign_up()["resident_id"]
    for _ in range(4):
        refused = town.log_in(resident, "9999")
        assert (refused.status_code, refused.json()["code"]) == (401, "credentials_invalid")
    with capture_logs() as logs:
        locked = town.log_in(resident, "9999")
    assert (locked.status_code, locked.json()["code"]) == (423, "resident_locked")
    assert next(e for e in logs if e["event"] == "resident_locked")["resident"] == resident
    assert all("9999" not in str(e) for e in logs)
    # Even the right PIN waits out the lock.
    assert town.log_in(resident, "1234").status_code == 423
    town.clock.advance(timedelta(minutes=16))
    assert town.log_in(resident, "1234").status_code == 200


def test_an_unknown_resident_gets_the_same_answer_as_a_wrong_pin(town: Town) -> None:
    response = town.log_in("res_doesnotexist00000000", "1234")
    assert (response.status_code, response.json()["code"]) == (401, "credentials_invalid")


def test_access_tokens_expire(town: Town) -> None:
    resident = town.sign_up()["resident_id"]
    headers = town.token(resident)
    assert town.client.get("/v1/wallet", headers=headers).status_code == 200
    town.clock.advance(timedelta(seconds=FAST_PINS.access_token_ttl_s))
    expired = town.client.get("/v1/wallet", headers=headers)
    assert (expired.status_code, expired.json()["code"]) == (401, "unauthenticated")


def test_a_resident_sees_only_their_own_wallet(town: Town) -> None:
    alice, bob = town.sign_up(name="alice"), town.sign_up(name="bob")
    assert town.top_up(alice["wallet_id"], 3_000, "dep-a").status_code == 201
    seen_by_bob = town.client.get("/v1/wallet", headers=town.token(bob["resident_id"])).json()
    assert seen_by_bob["wallet_id"] == bob["wallet_id"]
    assert seen_by_bob["balance"]["total"] == 0
    # A resident's token is no issuer key.
    as_bob = {"Authorization": town.token(bob["resident_id"])["Authorization"]}
    refused = town.client.post(
        "/v1/topups",
        json={"wallet_id": bob["wallet_id"], "amount": 1, "channel": "counter", "reference": "x"},
        headers=as_bob,
    )
    assert refused.status_code == 401


def test_a_counter_top_up_credits_money(town: Town) -> None:
    created = town.sign_up()
    response = town.top_up(created["wallet_id"], 5_000, "窓口-0001")
    assert response.status_code == 201
    assert response.json()["amount"] == 5_000
    wallet = town.client.get("/v1/wallet", headers=town.token(created["resident_id"])).json()
    assert wallet["balance"] == {
        "total": 5_000,
        "available": 5_000,
        "money": 5_000,
        "premium": 0,
        "points": 0,
        "held": 0,
    }
    assert wallet["lots"] == [{"kind": "money", "amount": 5_000, "expires_at": None}]


def chained_text(town: Town) -> list[str]:
    """What the coin's entries keep for ever: their metadata and idempotency keys."""
    with town.engine.connect() as conn:
        return list(
            conn.execute(
                text(
                    "SELECT metadata::text || ' ' || coalesce(idempotency_key, '') FROM entries"
                    " WHERE coin_id = :coin"
                ),
                {"coin": town.coin.coin.id},
            ).scalars()
        )


def test_a_top_up_reference_stays_in_the_top_up_row_not_in_the_chained_entry(
    town: Town,
) -> None:
    created = town.sign_up()
    reference = "振込 ヤマダハナコ 1204"
    assert town.top_up(created["wallet_id"], 5_000, reference).status_code == 201
    assert [line for line in chained_text(town) if "ヤマダハナコ" in line] == []
    with town.engine.connect() as conn:
        kept = conn.execute(
            text("SELECT reference FROM topups WHERE coin_id = :coin"), {"coin": town.coin.coin.id}
        ).scalar_one()
    assert kept == reference


def test_the_banks_reference_credits_once(town: Town) -> None:
    created = town.sign_up()
    first = town.top_up(created["wallet_id"], 5_000, "ATM-77", channel="atm")
    again = town.top_up(created["wallet_id"], 5_000, "ATM-77", channel="atm")
    assert again.json()["id"] == first.json()["id"]
    other = town.top_up(created["wallet_id"], 6_000, "ATM-77", channel="atm")
    assert (other.status_code, other.json()["code"]) == (409, "topup_reference_reused")
    wallet = town.client.get("/v1/wallet", headers=town.token(created["resident_id"])).json()
    assert wallet["balance"]["total"] == 5_000


def test_concurrent_deliveries_of_one_deposit_credit_once(town: Town, engine: Engine) -> None:
    created = town.sign_up()
    barrier = threading.Barrier(6)

    def deliver(_: int) -> int:
        client = TestClient(town.client.app)
        barrier.wait()
        response = client.post(
            "/v1/topups",
            json={
                "wallet_id": created["wallet_id"],
                "amount": 2_000,
                "channel": "bank_account",
                "reference": "FB-123",
            },
            headers=town.issuer(),
        )
        return int(response.status_code)

    with ThreadPoolExecutor(max_workers=6) as pool:
        statuses = list(pool.map(deliver, range(6)))
    assert set(statuses) == {201}
    wallet = town.client.get("/v1/wallet", headers=town.token(created["resident_id"])).json()
    assert wallet["balance"]["total"] == 2_000


def test_a_basic_wallet_is_capped_until_the_issuer_verifies_the_resident(town: Town) -> None:
    created = town.sign_up()
    over = town.top_up(created["wallet_id"], 100_001, "big-1")
    assert (over.status_code, over.json()["code"]) == (422, "limit_exceeded")
    wallet = town.client.get("/v1/wallet", headers=town.token(created["resident_id"])).json()
    assert wallet["balance"]["total"] == 0
    verified = town.client.post(
        f"/v1/residents/{created['resident_id']}/verify",
        json={"method": "my_number_card", "reference": "KYC-1"},
        headers=town.issuer(),
    )
    assert verified.status_code == 200
    assert verified.json()["tier"] == "verified"
    assert town.top_up(created["wallet_id"], 100_001, "big-2").status_code == 201


def test_the_daily_top_up_limit_counts_the_whole_business_day(town: Town) -> None:
    created = town.sign_up()
    town.client.post(
        f"/v1/residents/{created['resident_id']}/verify",
        json={"method": "counter", "reference": "KYC-2"},
        headers=town.issuer(),
    )
    assert town.top_up(created["wallet_id"], 300_000, "d-1").status_code == 201
    refused = town.top_up(created["wallet_id"], 200_001, "d-2")
    assert (refused.status_code, refused.json()["code"]) == (422, "limit_exceeded")
    town.clock.advance(timedelta(days=1))
    assert town.top_up(created["wallet_id"], 200_001, "d-3").status_code == 201


def test_an_issuer_acts_only_in_its_own_coin(town: Town, engine: Engine, clock: FixedClock) -> None:
    other = new_town(engine, clock)
    stranger = other.sign_up()
    response = town.top_up(stranger["wallet_id"], 1_000, "x-1")
    assert (response.status_code, response.json()["code"]) == (404, "wallet_not_found")
    verify = town.client.post(
        f"/v1/residents/{stranger['resident_id']}/verify",
        json={"method": "counter", "reference": "r"},
        headers=town.issuer(),
    )
    assert verify.status_code == 404


def test_a_retried_sign_up_with_its_key_makes_one_resident(town: Town) -> None:
    body = {"coin": town.code, "display_name": "retry", "pin": "1234"}
    headers = {"Idempotency-Key": "signup-1"}
    first = town.client.post("/v1/residents", json=body, headers=headers)
    again = town.client.post("/v1/residents", json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert again.headers["Idempotent-Replayed"] == "true"


# The last is written full-width with full-width hyphens, as an IME types it.
@pytest.mark.parametrize(
    "reference",
    [
        "123456789012",
        "1234 5678 9012",
        "\uff11\uff12\uff13\uff14\uff0d\uff15\uff16\uff17\uff18\uff0d\uff19\uff10\uff11\uff12",
    ],
)
def test_an_individual_number_is_never_kept_as_a_verification_reference(
    town: Town, reference: str
) -> None:
    created = town.sign_up()
    refused = town.client.post(
        f"/v1/residents/{created['resident_id']}/verify",
        json={"method": "my_number_card", "reference": reference},
        headers=town.issuer(),
    )
    assert (refused.status_code, refused.json()["code"]) == (422, "individual_number_refused")
    wallet = town.client.get("/v1/wallet", headers=town.token(created["resident_id"])).json()
    assert wallet["tier"] == "basic"
    fine = town.client.post(
        f"/v1/residents/{created['resident_id']}/verify",
        json={"method": "my_number_card", "reference": "KYC-2026-000123"},
        headers=town.issuer(),
    )
    assert fine.status_code == 200
