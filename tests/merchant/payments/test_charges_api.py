"""Charges at the till: a phone's payment token or a printed card with its PIN, each used once."""

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from httpx import Response
from sqlalchemy import Engine, text

from ledger.clock import FixedClock
from ledger.unit_of_work import run_in_transaction
from tests.merchant.shops import funded_resident, open_shop
from tests.merchant.tills import (
    charge,
    charged,
    count_rows,
    fees_posted,
    merchant_posted,
    payment_token,
    set_fee,
    terminal_headers,
    wallet_balance,
)
from tests.wallet_api.test_residents_api import Town, new_town
from wallet_api.payment_tokens import CLOCK_SKEW_S, TOKEN_TTL_S


@pytest.fixture
def town(engine: Engine, clock: FixedClock) -> Town:
    return new_town(engine, clock)


def code_of(response: Response) -> tuple[int, str]:
    assert response.headers["content-type"].startswith("application/problem+json")
    return response.status_code, response.json()["code"]


def test_a_till_charges_a_token_and_the_coin_moves(town: Town) -> None:
    shop = open_shop(town)
    set_fee(town, shop, "payment_bp", 100)
    payer = funded_resident(town, 5_000)
    till = terminal_headers(town, shop)
    response = charge(
        town.client, till, amount=1_999, token=payment_token(town, payer), reference="R-1"
    )
    assert response.status_code == 201, response.text
    body = response.json()
    # 1% of 1,999 is 19.99: rounded down.
    assert {k: body[k] for k in ("amount", "fee", "net", "status", "source", "reference")} == {
        "amount": 1_999,
        "fee": 19,
        "net": 1_980,
        "status": "succeeded",
        "source": "payment_token",
        "reference": "R-1",
    }
    assert body["id"].startswith("ch_")
    assert body["merchant_id"] == shop.merchant.public_id
    assert body["customer_id"].startswith("cus_") and "wallet_id" not in body
    assert wallet_balance(town, payer)["total"] == 3_001
    assert merchant_posted(town, shop) == 1_980
    assert fees_posted(town) == 19
    terminal = run_in_transaction(
        town.engine,
        lambda c: c.execute(
            text("SELECT terminal_id IS NOT NULL FROM charges WHERE public_id = :p"),
            {"p": body["id"]},
        ).scalar_one(),
    )
    assert terminal is True


def test_a_used_token_never_pays_twice(town: Town) -> None:
    shop = open_shop(town)
    payer = funded_resident(town, 5_000)
    token = payment_token(town, payer)
    assert charge(town.client, shop.headers, amount=100, token=token).status_code == 201
    again = charge(town.client, shop.headers, amount=100, token=token)
    assert code_of(again) == (409, "token_used")
    assert wallet_balance(town, payer)["total"] == 4_900


def test_two_tills_presenting_one_token_at_once_charge_it_once(town: Town) -> None:
    shop = open_shop(town)
    payer = funded_resident(town, 5_000)
    token = payment_token(town, payer)
    tills = [terminal_headers(town, shop), terminal_headers(town, shop)]
    barrier = threading.Barrier(2)

    def present(till: dict[str, str]) -> int:
        barrier.wait()
        return charge(town.client, till, amount=700, token=token).status_code

    with ThreadPoolExecutor(max_workers=2) as pool:
        statuses = sorted(pool.map(present, tills))
    assert statuses == [201, 409]
    assert wallet_balance(town, payer)["total"] == 4_300
    assert count_rows(town, "charges") == 1


def test_concurrent_duplicates_with_one_idempotency_key_move_money_once(town: Town) -> None:
    shop = open_shop(town)
    payer = funded_resident(town, 5_000)
    token = payment_token(town, payer)
    barrier = threading.Barrier(3)

    def send(_: int) -> Response:
        barrier.wait()
        return charge(town.client, shop.headers, amount=300, token=token, key="till-42")

    with ThreadPoolExecutor(max_workers=3) as pool:
        responses = list(pool.map(send, range(3)))
    created = [r for r in responses if r.status_code == 201]
    assert created, [r.text for r in responses]
    assert len({r.json()["id"] for r in created}) == 1
    assert all(r.status_code in {201, 409} for r in responses)
    assert wallet_balance(town, payer)["total"] == 4_700
    replay = charge(town.client, shop.headers, amount=300, token=token, key="till-42")
    assert replay.status_code == 201 and replay.headers["Idempotent-Replayed"] == "true"
    assert replay.json()["id"] == created[0].json()["id"]
    reused = charge(town.client, shop.headers, amount=301, token=token, key="till-42")
    assert code_of(reused) == (422, "idempotency_key_reused")


def test_an_expired_token_is_refused(town: Town) -> None:
    shop = open_shop(town)
    payer = funded_resident(town, 5_000)
    token = payment_token(town, payer)
    town.clock.advance(timedelta(seconds=TOKEN_TTL_S))
    assert code_of(charge(town.client, shop.headers, amount=100, token=token)) == (
        422,
        "token_expired",
    )
    assert wallet_balance(town, payer)["total"] == 5_000


def test_a_token_issued_further_ahead_than_the_clock_skew_is_refused(town: Town) -> None:
    shop = open_shop(town)
    payer = funded_resident(town, 5_000)
    token = payment_token(town, payer)
    # The till's server reads a clock behind the one that issued the token.
    town.clock.set(town.clock.now() - timedelta(seconds=CLOCK_SKEW_S + 1))
    assert code_of(charge(town.client, shop.headers, amount=100, token=token)) == (
        422,
        "token_not_yet_valid",
    )
    assert wallet_balance(town, payer)["total"] == 5_000
    town.clock.advance(timedelta(seconds=1))
    assert charge(town.client, shop.headers, amount=100, token=token).status_code == 201


def test_a_forged_token_is_refused(town: Town) -> None:
    shop = open_shop(town)
    payer = funded_resident(town, 5_000)
    token = payment_token(town, payer)
    forged = token[:40] + ("A" if token[40] != "A" else "B") + token[41:]
    status, code = code_of(charge(town.client, shop.headers, amount=100, token=forged))
    assert (status, code) in {(422, "token_forged"), (422, "token_unknown_key")}
    garbage = charge(town.client, shop.headers, amount=100, token="not a token")
    assert code_of(garbage) == (422, "token_malformed")
    assert wallet_balance(town, payer)["total"] == 5_000


def test_another_coins_token_is_refused(town: Town, engine: Engine, clock: FixedClock) -> None:
    other = new_town(engine, clock)
    shop = open_shop(town)
    stranger = funded_resident(other, 5_000)
    response = charge(town.client, shop.headers, amount=100, token=payment_token(other, stranger))
    assert code_of(response) == (422, "token_wrong_coin")
    assert wallet_balance(other, stranger)["total"] == 5_000


def test_a_refused_charge_does_not_burn_the_token(town: Town) -> None:
    shop = open_shop(town)
    payer = funded_resident(town, 500)
    token = payment_token(town, payer)
    poor = charge(town.client, shop.headers, amount=800, token=token)
    assert code_of(poor) == (402, "insufficient_funds")
    assert count_rows(town, "payment_token_uses") == 0
    town.top_up(payer.wallet_id, 1_000, "more")
    assert charge(town.client, shop.headers, amount=800, token=token).status_code == 201
    assert wallet_balance(town, payer)["total"] == 700


def test_a_payment_above_the_coins_limit_is_refused(town: Town) -> None:
    shop = open_shop(town)
    payer = funded_resident(town, 5_000)
    run_in_transaction(
        town.engine,
        lambda c: c.execute(
            text("UPDATE coin_rules SET payment_max = 1000 WHERE coin_id = :coin"),
            {"coin": town.coin.coin.id},
        ),
    )
    response = charge(town.client, shop.headers, amount=1_001, token=payment_token(town, payer))
    assert code_of(response) == (422, "limit_exceeded")
    assert wallet_balance(town, payer)["total"] == 5_000
    assert count_rows(town, "charges") == 0


@pytest.mark.parametrize(
    "body",
    [
        {"amount": 100},
        {"amount": 100, "payment_token": "LC1X", "card": "LCC1X", "pin": "1234"},
        {"amount": 100, "card": "LCC1X"},
        {"amount": 100, "payment_token": "LC1X", "pin": "1234"},
        {"amount": 0, "payment_token": "LC1X"},
    ],
    ids=["neither", "both", "card-without-pin", "pin-without-card", "zero"],
)
def test_a_charge_is_paid_by_exactly_one_token_or_card(town: Town, body: dict[str, object]) -> None:
    shop = open_shop(town)
    response = town.client.post("/v1/charges", json=body, headers=shop.headers)
    assert code_of(response) == (422, "validation_error")


def issue_card(town: Town, resident_id: str) -> str:
    response = town.client.post(f"/v1/residents/{resident_id}/cards", headers=town.issuer())
    assert response.status_code == 201, response.text
    payload: str = response.json()["qr_payload"]
    return payload


def card_charge(town: Town, headers: dict[str, str], card: str, pin: str, amount: int) -> Response:
    response: Response = town.client.post(
        "/v1/charges", json={"card": card, "pin": pin, "amount": amount}, headers=headers
    )
    return response


def test_a_card_with_its_pin_pays(town: Town) -> None:
    shop = open_shop(town)
    payer = funded_resident(town, 5_000, pin="4321")
    card = issue_card(town, payer.resident_id)
    response = card_charge(town, terminal_headers(town, shop), card, "4321", 1_200)
    assert response.status_code == 201, response.text
    assert response.json()["source"] == "card"
    assert response.json()["customer_id"].startswith("cus_")
    assert wallet_balance(town, payer)["total"] == 3_800


def test_wrong_card_pins_lock_the_card_at_the_till(town: Town) -> None:
    shop = open_shop(town)
    payer = funded_resident(town, 5_000, pin="4321")
    card = issue_card(town, payer.resident_id)
    codes = [code_of(card_charge(town, shop.headers, card, "0000", 100)) for _ in range(5)]
    assert codes[:4] == [(403, "card_pin_incorrect")] * 4
    assert codes[4] == (423, "resident_locked")
    # Locked at the till: even the right PIN waits there; the app is its own door.
    assert code_of(card_charge(town, shop.headers, card, "4321", 100)) == (423, "resident_locked")
    assert town.log_in(payer.resident_id, "4321").status_code == 200
    assert wallet_balance(town, payer)["total"] == 5_000


def test_an_unknown_or_blocked_card_is_refused(town: Town) -> None:
    shop = open_shop(town)
    payer = funded_resident(town, 5_000)
    first = issue_card(town, payer.resident_id)
    issue_card(town, payer.resident_id)  # replaces the first
    assert code_of(card_charge(town, shop.headers, first, "1234", 100)) == (403, "card_blocked")
    unknown = first[:-3] + ("AAA" if first[-3:] != "AAA" else "BBB")
    assert code_of(card_charge(town, shop.headers, unknown, "1234", 100))[1] == "card_unknown"
    assert wallet_balance(town, payer)["total"] == 5_000


def test_charges_are_listed_newest_first_and_only_the_merchants_own(town: Town) -> None:
    shop, rival = open_shop(town), open_shop(town)
    payer = funded_resident(town, 5_000)
    ids = [charged(town, shop, payer, amount)["id"] for amount in (100, 200, 300)]
    rivals = charged(town, rival, payer, 50)["id"]
    first = town.client.get("/v1/charges?limit=2", headers=shop.headers).json()
    assert [c["id"] for c in first["data"]] == [ids[2], ids[1]] and first["has_more"] is True
    rest = town.client.get(
        f"/v1/charges?limit=2&starting_after={ids[1]}", headers=shop.headers
    ).json()
    assert [c["id"] for c in rest["data"]] == [ids[0]] and rest["has_more"] is False
    one = town.client.get(f"/v1/charges/{ids[0]}", headers=shop.headers)
    assert one.status_code == 200 and one.json()["amount"] == 100
    assert code_of(town.client.get(f"/v1/charges/{rivals}", headers=shop.headers)) == (
        404,
        "charge_not_found",
    )
    foreign_cursor = town.client.get(f"/v1/charges?starting_after={rivals}", headers=shop.headers)
    assert code_of(foreign_cursor) == (422, "cursor_invalid")


def test_only_merchant_keys_take_charges(town: Town) -> None:
    payer = funded_resident(town, 5_000)
    token = payment_token(town, payer)
    assert charge(town.client, town.issuer(), amount=100, token=token).status_code == 403
    assert charge(town.client, payer.headers, amount=100, token=token).status_code == 401
    assert wallet_balance(town, payer)["total"] == 5_000
