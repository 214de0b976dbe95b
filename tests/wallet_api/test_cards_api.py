"""Card wallets: the issuer prints a QR card for a resident without a smartphone; a till scans it with the PIN."""

import re
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlalchemy.exc import IntegrityError

from kit.credentials import Role
from kit.problems import Problem
from ledger.clock import FixedClock
from ledger.unit_of_work import run_in_transaction
from tests.wallet_api.test_residents_api import Town, new_town
from wallet_api.cards import CARD_PAYLOAD_CHARS, card_wallet, check_card_pin
from wallet_api.residents import Wallet


@pytest.fixture
def town(engine: Engine, clock: FixedClock) -> Town:
    return new_town(engine, clock)


def issue_card(town: Town, resident_id: str) -> dict[str, str]:
    response = town.client.post(f"/v1/residents/{resident_id}/cards", headers=town.issuer())
    assert response.status_code == 201, response.text
    card: dict[str, str] = response.json()
    return card


def block(town: Town, card_id: str, reason: str = "lost") -> dict[str, str]:
    response = town.client.post(
        f"/v1/cards/{card_id}/block", json={"reason": reason}, headers=town.issuer()
    )
    assert response.status_code == 200, response.text
    card: dict[str, str] = response.json()
    return card


def scan(town: Town, qr_payload: str) -> Wallet:
    """What a till of the town's coin does with a scanned card."""
    return run_in_transaction(town.engine, lambda c: card_wallet(c, town.coin.coin.id, qr_payload))


def scan_refusal(town: Town, qr_payload: str) -> tuple[int, str]:
    with pytest.raises(Problem) as refused:
        scan(town, qr_payload)
    return refused.value.status, refused.value.code


def type_pin(town: Town, wallet: Wallet, pin: str) -> tuple[int, str] | None:
    """The PIN typed at the till; the failure count commits even when refused."""
    refusal = run_in_transaction(
        town.engine,
        lambda c: check_card_pin(
            c,
            wallet=wallet,
            pin=pin,
            hasher=town.client.app.state.pin_hasher,  # type: ignore[attr-defined]
            at=town.clock.now(),
        ),
    )
    return None if refusal is None else (refusal.status, refusal.code)


def balance(town: Town, resident_id: str) -> int:
    wallet = town.client.get("/v1/wallet", headers=town.token(resident_id)).json()
    total: int = wallet["balance"]["total"]
    return total


def test_the_issuer_prints_an_active_card_for_the_wallet(town: Town) -> None:
    created = town.sign_up()
    card = issue_card(town, created["resident_id"])
    assert re.fullmatch(r"crd_[A-Z2-7]{16}", card["card_id"])
    assert card["wallet_id"] == created["wallet_id"]
    assert card["status"] == "active" and card["blocked_at"] is None
    assert card["qr_payload"].startswith("LCC1") and len(card["qr_payload"]) == CARD_PAYLOAD_CHARS
    assert scan(town, card["qr_payload"]).public_id == created["wallet_id"]
    shown = town.client.get(f"/v1/cards/{card['card_id']}", headers=town.issuer()).json()
    assert shown == {k: v for k, v in card.items() if k != "qr_payload"}


def test_only_a_hash_of_the_cards_secret_is_stored(town: Town) -> None:
    card = issue_card(town, town.sign_up()["resident_id"])
    row = run_in_transaction(
        town.engine,
        lambda c: c.execute(
            text("SELECT public_id, secret_hash FROM cards WHERE public_id = :p"),
            {"p": card["card_id"]},
        ).one(),
    )
    assert len(bytes(row.secret_hash)) == 32
    # The card id is in the payload; the rest (the secret) appears nowhere.
    assert card["qr_payload"][4:] not in str(row)


def test_a_blocked_card_is_refused(town: Town) -> None:
    card = issue_card(town, town.sign_up()["resident_id"])
    blocked = block(town, card["card_id"], "lost")
    assert (blocked["status"], blocked["block_reason"]) == ("blocked", "lost")
    assert blocked["blocked_at"] == town.clock.now().isoformat()
    assert scan_refusal(town, card["qr_payload"]) == (403, "card_blocked")
    # Blocking again changes nothing: the first reason stays.
    assert block(town, card["card_id"], "stolen")["block_reason"] == "lost"


def test_an_unknown_or_forged_card_is_refused(town: Town) -> None:
    card = issue_card(town, town.sign_up()["resident_id"])
    payload = card["qr_payload"]
    last = payload[-2]
    forged_secret = payload[:-2] + ("A" if last != "A" else "B") + payload[-1]
    forged_number = payload[:6] + ("A" if payload[6] != "A" else "B") + payload[7:]
    for bad in [
        forged_secret,
        forged_number,
        "LCC1" + "A" * 42,
        "LC1" + payload[3:],
        "",
        payload.lower(),
    ]:
        assert scan_refusal(town, bad) == (404, "card_unknown"), bad


def test_a_card_of_another_coin_is_unknown_at_this_coins_till(
    town: Town, engine: Engine, clock: FixedClock
) -> None:
    other = new_town(engine, clock)
    card = issue_card(other, other.sign_up()["resident_id"])
    assert scan_refusal(town, card["qr_payload"]) == (404, "card_unknown")


def test_reissue_blocks_the_old_card_and_the_balance_stays(town: Town) -> None:
    created = town.sign_up()
    assert town.top_up(created["wallet_id"], 5_000, "card-topup-1").status_code == 201
    old = issue_card(town, created["resident_id"])
    new = issue_card(town, created["resident_id"])
    assert new["card_id"] != old["card_id"]
    assert scan_refusal(town, old["qr_payload"]) == (403, "card_blocked")
    assert scan(town, new["qr_payload"]).public_id == created["wallet_id"]
    old_now = town.client.get(f"/v1/cards/{old['card_id']}", headers=town.issuer()).json()
    assert (old_now["status"], old_now["block_reason"]) == ("blocked", "reissued")
    assert balance(town, created["resident_id"]) == 5_000


def test_a_lost_card_is_blocked_then_replaced_without_losing_a_coin(town: Town) -> None:
    created = town.sign_up()
    assert town.top_up(created["wallet_id"], 3_000, "card-topup-2").status_code == 201
    lost = issue_card(town, created["resident_id"])
    block(town, lost["card_id"], "lost")
    new = issue_card(town, created["resident_id"])
    assert scan(town, new["qr_payload"]).public_id == created["wallet_id"]
    assert balance(town, created["resident_id"]) == 3_000
    lost_now = town.client.get(f"/v1/cards/{lost['card_id']}", headers=town.issuer()).json()
    assert lost_now["block_reason"] == "lost", "a reissue does not rewrite an earlier block"


def test_the_right_pin_at_the_till_passes(town: Town) -> None:
    created = town.sign_up(pin="482915")
    wallet = scan(town, issue_card(town, created["resident_id"])["qr_payload"])
    assert type_pin(town, wallet, "482915") is None


def test_wrong_pins_at_the_till_lock_the_card_not_the_app(town: Town) -> None:
    created = town.sign_up(pin="1234")
    wallet = scan(town, issue_card(town, created["resident_id"])["qr_payload"])
    for _ in range(4):
        assert type_pin(town, wallet, "9999") == (403, "card_pin_incorrect")
    assert type_pin(town, wallet, "9999") == (423, "resident_locked")
    assert type_pin(town, wallet, "1234") == (423, "resident_locked")
    # A stolen card's guesses do not lock the resident out of the app.
    assert town.log_in(created["resident_id"], "1234").status_code == 200
    town.clock.advance(timedelta(minutes=16))
    assert type_pin(town, wallet, "1234") is None


def test_a_stranger_guessing_online_cannot_lock_the_card_at_the_shop(town: Town) -> None:
    created = town.sign_up(pin="1234")
    wallet = scan(town, issue_card(town, created["resident_id"])["qr_payload"])
    for _ in range(5):
        town.log_in(created["resident_id"], "0000")
    assert town.log_in(created["resident_id"], "1234").status_code == 423
    assert type_pin(town, wallet, "1234") is None


def test_the_right_pin_starts_the_count_again(town: Town) -> None:
    created = town.sign_up(pin="1234")
    wallet = scan(town, issue_card(town, created["resident_id"])["qr_payload"])
    for _ in range(4):
        type_pin(town, wallet, "9999")
    assert type_pin(town, wallet, "1234") is None
    for _ in range(4):
        assert type_pin(town, wallet, "9999") == (403, "card_pin_incorrect")


def test_an_issuer_reaches_only_its_own_coins_wallets_and_cards(
    town: Town, engine: Engine, clock: FixedClock
) -> None:
    other = new_town(engine, clock)
    stranger = other.sign_up()
    card = issue_card(other, stranger["resident_id"])
    issued = town.client.post(
        f"/v1/residents/{stranger['resident_id']}/cards", headers=town.issuer()
    )
    assert (issued.status_code, issued.json()["code"]) == (404, "wallet_not_found")
    blocked = town.client.post(
        f"/v1/cards/{card['card_id']}/block", json={"reason": "x"}, headers=town.issuer()
    )
    assert (blocked.status_code, blocked.json()["code"]) == (404, "card_not_found")
    shown = town.client.get(f"/v1/cards/{card['card_id']}", headers=town.issuer())
    assert (shown.status_code, shown.json()["code"]) == (404, "card_not_found")
    assert scan(other, card["qr_payload"]).public_id == stranger["wallet_id"], "still active"


def test_only_the_issuer_handles_cards(town: Town) -> None:
    created = town.sign_up()
    path = f"/v1/residents/{created['resident_id']}/cards"
    as_resident = town.client.post(path, headers=town.token(created["resident_id"]))
    assert (as_resident.status_code, as_resident.json()["code"]) == (401, "unauthenticated")
    municipality = {"Authorization": f"Bearer {town.coin.keys[Role.MUNICIPALITY]}"}
    as_city = town.client.post(path, headers=municipality)
    assert (as_city.status_code, as_city.json()["code"]) == (403, "forbidden")
    unknown = town.client.post(
        "/v1/residents/res_doesnotexist00000000/cards", headers=town.issuer()
    )
    assert (unknown.status_code, unknown.json()["code"]) == (404, "resident_not_found")


def test_a_block_needs_a_reason(town: Town) -> None:
    card = issue_card(town, town.sign_up()["resident_id"])
    response = town.client.post(
        f"/v1/cards/{card['card_id']}/block", json={"reason": ""}, headers=town.issuer()
    )
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["reason"]
    assert scan(town, card["qr_payload"]).public_id == card["wallet_id"]


def test_a_retried_issue_with_its_key_prints_one_card(town: Town) -> None:
    created = town.sign_up()
    path = f"/v1/residents/{created['resident_id']}/cards"
    headers = {**town.issuer(), "Idempotency-Key": "card-1"}
    first = town.client.post(path, headers=headers)
    again = town.client.post(path, headers=headers)
    assert first.status_code == again.status_code == 201
    # The same card; its QR (a credential, with the PIN) is printed once and not kept.
    assert again.json() == {**first.json(), "qr_payload": "secret_not_shown_again"}
    assert scan(town, first.json()["qr_payload"]).public_id == created["wallet_id"]


def test_concurrent_issues_leave_one_active_card(town: Town) -> None:
    created = town.sign_up()
    barrier = threading.Barrier(4)

    def print_card(_: int) -> tuple[int, str]:
        client = TestClient(town.client.app)
        barrier.wait()
        response = client.post(
            f"/v1/residents/{created['resident_id']}/cards", headers=town.issuer()
        )
        return response.status_code, response.json().get("qr_payload", "")

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(print_card, range(4)))
    assert {status for status, _ in results} == {201}
    working = [p for _, p in results if not isinstance(_scan_or_problem(town, p), Problem)]
    assert len(working) == 1


def _scan_or_problem(town: Town, payload: str) -> Wallet | Problem:
    try:
        return scan(town, payload)
    except Problem as problem:
        return problem


def test_the_database_allows_one_active_card_per_wallet(town: Town) -> None:
    card = issue_card(town, town.sign_up()["resident_id"])
    second = text(
        "INSERT INTO cards (coin_id, public_id, wallet_id, secret_hash, status, issued_at)"
        " SELECT coin_id, 'crd_AAAAAAAAAAAAAAAA', wallet_id, secret_hash, 'active', issued_at"
        " FROM cards WHERE public_id = :p"
    )
    with pytest.raises(IntegrityError, match="cards_one_active_per_wallet"):
        run_in_transaction(town.engine, lambda c: c.execute(second, {"p": card["card_id"]}))
