"""Customer-presented QR through the API: a wallet issues a token, a till of its coin may charge it once."""

import io
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import PIL.Image
import pytest
import zxingcpp
from sqlalchemy import Engine, text

from kit.problems import Problem
from kit.settings import get_settings
from ledger.clock import FixedClock
from ledger.unit_of_work import run_in_transaction
from tests.conftest import T0
from tests.wallet_api.test_residents_api import Town, new_town
from wallet_api.payment_tokens import (
    TOKEN_CHARS,
    TOKEN_TTL_S,
    Claims,
    TokenCode,
    TokenError,
    public_key_to_bytes,
    verify_token,
)
from wallet_api.token_keys import TokenKeys, derive_signing_key, verify_payment_token
from wallet_api.token_uses import record_claims_use

MASTER = "a-test-master-key-that-is-long-enough-0123"


@pytest.fixture
def town(engine: Engine, clock: FixedClock) -> Town:
    return new_town(engine, clock)


def keys_of(town: Town) -> TokenKeys:
    """The keys the running app signs with (the same resolution as the route's)."""
    keys: TokenKeys | None = getattr(town.client.app.state, "token_keys", None)  # type: ignore[attr-defined]
    return keys if keys is not None else TokenKeys.from_settings(get_settings())


def resident(town: Town) -> tuple[dict[str, str], dict[str, str]]:
    created = town.sign_up()
    return created, town.token(created["resident_id"])


def issue(town: Town, headers: dict[str, str], body: dict[str, str] | None = None) -> str:
    response = town.client.post("/v1/wallet/payment_tokens", json=body, headers=headers)
    assert response.status_code == 201, response.text
    token: str = response.json()["token"]
    return token


def wallet_row_id(town: Town, wallet_public_id: str) -> int:
    wallet_id: int = run_in_transaction(
        town.engine,
        lambda c: c.execute(
            text("SELECT id FROM wallets WHERE public_id = :p"), {"p": wallet_public_id}
        ).scalar_one(),
    )
    return wallet_id


def claims_of(town: Town, token: str) -> Claims:
    coin_id = town.coin.coin.id
    return verify_token(
        token, verifier=keys_of(town).verifier_for(coin_id), coin_id=coin_id, clock=town.clock
    )


def flip(token: str, at: int) -> str:
    """The token with one character changed to another valid base32 character."""
    return token[:at] + ("A" if token[at] != "A" else "B") + token[at + 1 :]


def test_a_token_names_the_callers_wallet_in_its_coin(town: Town) -> None:
    created, headers = resident(town)
    response = town.client.post("/v1/wallet/payment_tokens", headers=headers)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["qr_payload"] == body["token"]
    assert len(body["token"]) == TOKEN_CHARS
    assert body["expires_at"] == (T0 + timedelta(seconds=TOKEN_TTL_S)).isoformat()
    assert (body["coin"], body["wallet_id"]) == (town.code, created["wallet_id"])
    claims = claims_of(town, body["token"])
    assert claims.coin_id == town.coin.coin.id
    assert claims.wallet_id == wallet_row_id(town, created["wallet_id"])
    assert claims.kid == keys_of(town).kid


def test_the_coin_may_be_named_and_must_exist(town: Town) -> None:
    _, headers = resident(town)
    named = issue(town, headers, {"coin": town.code})
    assert claims_of(town, named).coin_id == town.coin.coin.id
    unknown = town.client.post(
        "/v1/wallet/payment_tokens", json={"coin": "NOSUCHCOIN"}, headers=headers
    )
    assert (unknown.status_code, unknown.json()["code"]) == (404, "coin_not_found")


def test_no_wallet_in_the_named_coin_is_404(town: Town, engine: Engine, clock: FixedClock) -> None:
    other = new_town(engine, clock)
    _, headers = resident(town)
    response = town.client.post(
        "/v1/wallet/payment_tokens", json={"coin": other.code}, headers=headers
    )
    assert (response.status_code, response.json()["code"]) == (404, "wallet_not_found")


def test_only_a_resident_may_ask_for_a_token(town: Town) -> None:
    anonymous = town.client.post("/v1/wallet/payment_tokens")
    assert (anonymous.status_code, anonymous.json()["code"]) == (401, "unauthenticated")
    issuer_key = town.client.post("/v1/wallet/payment_tokens", headers=town.issuer())
    assert (issuer_key.status_code, issuer_key.json()["code"]) == (401, "unauthenticated")


def test_a_token_lives_sixty_seconds_on_the_apps_clock(town: Town) -> None:
    _, headers = resident(town)
    token = issue(town, headers)
    town.clock.advance(timedelta(seconds=TOKEN_TTL_S - 1))
    claims_of(town, token)
    town.clock.advance(timedelta(seconds=1))
    with pytest.raises(TokenError) as refused:
        claims_of(town, token)
    assert refused.value.code is TokenCode.EXPIRED


def test_a_token_of_one_coin_is_refused_by_another_coins_till(
    town: Town, engine: Engine, clock: FixedClock
) -> None:
    other = new_town(engine, clock)
    _, headers = resident(town)
    token = issue(town, headers)
    keys = keys_of(town)
    # Each coin has its own key: the other coin's verifier cannot even check it...
    with pytest.raises(TokenError) as refused:
        verify_token(
            token,
            verifier=keys.verifier_for(other.coin.coin.id),
            coin_id=other.coin.coin.id,
            clock=clock,
        )
    assert refused.value.code is TokenCode.FORGED
    # ...and the merchant side's check says what is wrong with a genuine token.
    with pytest.raises(Problem) as problem:
        verify_payment_token(token, keys=keys, coin_id=other.coin.coin.id, clock=clock)
    assert (problem.value.status, problem.value.code) == (422, TokenCode.WRONG_COIN.value)


@pytest.mark.parametrize("at", [10, 60, TOKEN_CHARS - 20], ids=["claims", "mid", "signature"])
def test_a_forged_token_is_refused(town: Town, at: int) -> None:
    _, headers = resident(town)
    forged = flip(issue(town, headers), at)
    with pytest.raises(TokenError) as refused:
        claims_of(town, forged)
    assert refused.value.code in {TokenCode.FORGED, TokenCode.UNKNOWN_KEY}
    with pytest.raises(Problem) as problem:
        verify_payment_token(
            forged, keys=keys_of(town), coin_id=town.coin.coin.id, clock=town.clock
        )
    assert problem.value.status == 422


def test_a_token_is_used_once(town: Town) -> None:
    _, headers = resident(town)
    claims = claims_of(town, issue(town, headers))
    run_in_transaction(town.engine, lambda c: record_claims_use(c, claims, at=T0))
    with pytest.raises(Problem) as refused:
        run_in_transaction(town.engine, lambda c: record_claims_use(c, claims, at=T0))
    assert (refused.value.status, refused.value.code) == (409, "token_used")


def test_two_tills_presenting_one_token_at_once_charge_it_once(town: Town) -> None:
    _, headers = resident(town)
    claims = claims_of(town, issue(town, headers))
    barrier = threading.Barrier(2)

    def use(conn) -> None:  # type: ignore[no-untyped-def]
        barrier.wait()
        record_claims_use(conn, claims, at=T0)
        # Hold the transaction open so the other till arrives before it commits.
        conn.execute(text("SELECT pg_sleep(0.2)"))

    def till(_: int) -> str:
        try:
            run_in_transaction(town.engine, use, retries=0)
        except Problem as problem:
            return problem.code
        return "charged"

    with ThreadPoolExecutor(max_workers=2) as pool:
        outcomes = sorted(pool.map(till, range(2)))
    assert outcomes == ["charged", "token_used"]


def test_the_database_refuses_a_second_use_around_python(town: Town) -> None:
    _, headers = resident(town)
    claims = claims_of(town, issue(town, headers))
    insert = text(
        "INSERT INTO payment_token_uses (coin_id, token_id, wallet_id, expires_at, used_at)"
        " VALUES (:coin, :token, :wallet, :at, :at)"
    )
    values = {
        "coin": claims.coin_id,
        "token": claims.token_id,
        "wallet": claims.wallet_id,
        "at": T0,
    }
    run_in_transaction(town.engine, lambda c: c.execute(insert, values))
    with pytest.raises(Exception, match="payment_token_uses_pkey"):
        run_in_transaction(town.engine, lambda c: c.execute(insert, values), retries=0)


def decode(png: bytes) -> list[str]:
    return [r.text for r in zxingcpp.read_barcodes(PIL.Image.open(io.BytesIO(png)))]


def test_the_png_decodes_back_to_the_token(town: Town) -> None:
    _, headers = resident(town)
    token = issue(town, headers)
    response = town.client.get(f"/v1/wallet/payment_tokens/{token}/qr.png", headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "image/png"
    assert response.headers["cache-control"] == "no-store"
    assert decode(response.content) == [token]


def test_the_svg_is_a_drawing_of_the_token(town: Town) -> None:
    _, headers = resident(town)
    token = issue(town, headers)
    response = town.client.get(f"/v1/wallet/payment_tokens/{token}/qr.svg", headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("image/svg+xml")
    assert "<svg" in response.text and "<path" in response.text


@pytest.mark.parametrize("extension", ["png", "svg"])
def test_images_are_only_of_the_callers_own_live_tokens(town: Town, extension: str) -> None:
    _, mine = resident(town)
    _, theirs = resident(town)
    token = issue(town, mine)

    def image(token_: str, headers: dict[str, str]) -> tuple[int, str]:
        response = town.client.get(
            f"/v1/wallet/payment_tokens/{token_}/qr.{extension}", headers=headers
        )
        return response.status_code, response.json().get("code", "")

    assert image(token, theirs) == (404, "payment_token_not_found")
    assert image(flip(token, 40), mine) == (404, "payment_token_not_found")
    assert image("LC1NOTATOKEN", mine) == (404, "payment_token_not_found")
    assert town.client.get(f"/v1/wallet/payment_tokens/{token}/qr.{extension}").status_code == 401
    town.clock.advance(timedelta(seconds=TOKEN_TTL_S))
    assert image(token, mine) == (404, "payment_token_not_found")


def test_a_retried_request_with_its_key_returns_the_same_token(town: Town) -> None:
    _, headers = resident(town)
    keyed = {**headers, "Idempotency-Key": "qr-1"}
    first = town.client.post("/v1/wallet/payment_tokens", headers=keyed)
    again = town.client.post("/v1/wallet/payment_tokens", headers=keyed)
    assert first.status_code == again.status_code == 201
    # The same token (same expiry); the token itself is shown once and not kept.
    assert again.json() == {
        **first.json(),
        "token": "secret_not_shown_again",
        "qr_payload": "secret_not_shown_again",
    }
    assert again.headers["Idempotent-Replayed"] == "true"


def test_signing_keys_are_derived_per_coin_and_kid_from_the_master_key() -> None:
    def public(master: str = MASTER, coin_id: int = 1, kid: int = 0) -> bytes:
        key = derive_signing_key(master_key=master, coin_id=coin_id, kid=kid)
        return public_key_to_bytes(key.public_key())

    assert public() == public(), "every process derives the same key"
    others = {public(coin_id=2), public(kid=1), public(master=MASTER + "x")}
    assert public() not in others and len(others) == 3
    keys = TokenKeys(master_key=MASTER, kid=7)
    assert "a-test-master" not in repr(keys)
    verifier = keys.verifier_for(1)
    assert verifier.key(7) is not None and verifier.key(0) is None
