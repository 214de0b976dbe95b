"""An Idempotency-Key's stored answer goes only to the authenticated caller that made it.

Each test is an attack that worked before the caller was authenticated ahead
of the replay lookup: a forged key sharing a real key's prefix, a forged
resident token naming a real resident, a bad secret poisoning the real
caller's key, a revoked key, another query string, an overlong prefix.
"""

import pytest
from sqlalchemy import Engine, text

from kit.credentials import Role, revoke_key
from ledger.clock import FixedClock
from ledger.unit_of_work import run_in_transaction
from tests.merchant.accounts.test_onboarding_api import application, merchant_count
from tests.wallet_api.test_residents_api import Town, new_town


@pytest.fixture
def town(engine: Engine, clock: FixedClock) -> Town:
    return new_town(engine, clock)


def forged(real: str) -> str:
    """The real key's role and prefix (both visible in logs) with a made-up secret."""
    role_and_prefix = real.rsplit("_", 1)[0]
    return f"{role_and_prefix}_WRONGwrongWRONGwrongWRONGwrongWRONGwrong12"


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def onboard(town: Town, headers: dict[str, str]):  # type: ignore[no-untyped-def]
    return town.client.post(
        "/v1/merchants", json=application(), headers=headers | {"Idempotency-Key": "onboard-1"}
    )


def test_a_forged_key_with_a_real_prefix_gets_401_not_the_stored_answer(town: Town) -> None:
    real = town.coin.keys[Role.ISSUER]
    first = onboard(town, bearer(real))
    assert first.status_code == 201 and first.json()["api_key"].startswith("lc_merchant_")
    attempt = onboard(town, bearer(forged(real)))
    assert (attempt.status_code, attempt.json()["code"]) == (401, "unauthenticated")
    assert first.json()["api_key"] not in attempt.text
    assert "Idempotent-Replayed" not in attempt.headers


def test_a_forged_resident_token_gets_401_not_the_residents_payment_token(town: Town) -> None:
    resident = town.sign_up()
    headers = town.token(resident["resident_id"]) | {"Idempotency-Key": "qr-1"}
    first = town.client.post("/v1/wallet/payment_tokens", headers=headers)
    assert first.status_code == 201
    fake = f"lcr_{resident['resident_id']}_garbageGARBAGEgarbageGARBAGEgarbage"
    attempt = town.client.post(
        "/v1/wallet/payment_tokens", headers=bearer(fake) | {"Idempotency-Key": "qr-1"}
    )
    assert (attempt.status_code, attempt.json()["code"]) == (401, "unauthenticated")
    assert first.json()["token"] not in attempt.text


def test_a_bad_secret_does_not_poison_the_real_callers_key(town: Town) -> None:
    real = town.coin.keys[Role.ISSUER]
    poisoned = onboard(town, bearer(forged(real)))
    assert poisoned.status_code == 401
    first = onboard(town, bearer(real))
    assert first.status_code == 201, first.text
    assert merchant_count(town) == 1


def test_a_revoked_key_gets_401_not_its_own_replay(town: Town) -> None:
    real = town.coin.keys[Role.ISSUER]
    assert onboard(town, bearer(real)).status_code == 201

    def revoke(conn):  # type: ignore[no-untyped-def]
        key_id = conn.execute(
            text("SELECT id FROM api_keys WHERE coin_id = :c AND prefix = :p"),
            {"c": town.coin.coin.id, "p": real.split("_")[2]},
        ).scalar_one()
        return revoke_key(conn, coin_id=town.coin.coin.id, key_id=key_id, at=town.clock.now())

    assert run_in_transaction(town.engine, revoke)
    again = onboard(town, bearer(real))
    assert (again.status_code, again.json()["code"]) == (401, "unauthenticated")


@pytest.mark.parametrize("prefix_length", [300, 5_000])
def test_a_credential_of_the_wrong_shape_is_401_problem_json_never_500(
    town: Town, prefix_length: int
) -> None:
    odd = f"lc_issuer_{'a' * prefix_length}_secret"
    answer = onboard(town, bearer(odd))
    assert answer.status_code == 401
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["code"] == "unauthenticated"
