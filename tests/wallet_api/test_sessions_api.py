"""A resident's sessions and the PIN step-up, enforced by the API (not only the page)."""

import pytest
from sqlalchemy import Engine

from ledger.clock import FixedClock
from tests.merchant.payments.test_qr_payments_api import sticker
from tests.merchant.shops import Payer, funded_resident, open_shop
from tests.merchant.tills import wallet_balance
from tests.wallet_api.test_residents_api import FAST_PINS, Town, new_town
from tests.wallet_api.test_transfers_api import person, send

assert FAST_PINS


@pytest.fixture
def town(engine: Engine, clock: FixedClock) -> Town:
    return new_town(engine, clock)


def pay_sticker(town: Town, payer: Payer, payload: str, amount: int, **extra: str):  # type: ignore[no-untyped-def]
    return town.client.post(
        "/v1/wallet/payments",
        json={"qr_payload": payload, "amount": amount, **extra},
        headers=payer.headers,
    )


def code_of(answer) -> tuple[int, str]:  # type: ignore[no-untyped-def]
    return answer.status_code, answer.json()["code"]


def test_logging_out_ends_the_token(town: Town) -> None:
    payer = funded_resident(town, 100)
    assert town.client.get("/v1/wallet", headers=payer.headers).status_code == 200
    assert town.client.post("/v1/auth/logout", headers=payer.headers).status_code == 204
    assert code_of(town.client.get("/v1/wallet", headers=payer.headers)) == (401, "unauthenticated")
    again = town.client.post("/v1/auth/logout", headers=payer.headers)
    assert code_of(again) == (401, "unauthenticated")


def device_token(town: Town, resident_id: str, device: str | None) -> dict[str, str]:
    body = {"resident_id": resident_id, "pin": "1234"} | (
        {} if device is None else {"device": device}
    )
    answer = town.client.post("/v1/auth/token", json=body)
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


def test_a_new_log_in_from_a_device_ends_that_devices_older_token_only(town: Town) -> None:
    payer = funded_resident(town, 100)
    phone_before = device_token(town, payer.resident_id, "phone-aaaaaaaa")
    tablet = device_token(town, payer.resident_id, "tablet-bbbbbbbb")
    phone_now = device_token(town, payer.resident_id, "phone-aaaaaaaa")
    assert code_of(town.client.get("/v1/wallet", headers=phone_before)) == (401, "unauthenticated")
    assert town.client.get("/v1/wallet", headers=phone_now).status_code == 200
    assert town.client.get("/v1/wallet", headers=tablet).status_code == 200
    assert town.client.get("/v1/wallet", headers=payer.headers).status_code == 200


def test_a_resident_holds_at_most_ten_live_tokens_and_the_oldest_ends_first(town: Town) -> None:
    payer = funded_resident(town, 100)  # its token is the first
    later = [device_token(town, payer.resident_id, None) for _ in range(9)]
    assert town.client.get("/v1/wallet", headers=payer.headers).status_code == 200
    newest = device_token(town, payer.resident_id, None)
    assert code_of(town.client.get("/v1/wallet", headers=payer.headers)) == (401, "unauthenticated")
    for headers in [*later, newest]:
        assert town.client.get("/v1/wallet", headers=headers).status_code == 200


@pytest.mark.parametrize("device", ["short", "has space in it", "x" * 65])
def test_a_device_id_of_the_wrong_shape_is_refused(town: Town, device: str) -> None:
    payer = funded_resident(town, 100)
    answer = town.client.post(
        "/v1/auth/token", json={"resident_id": payer.resident_id, "pin": "1234", "device": device}
    )
    assert answer.status_code == 422 and answer.json()["code"] == "validation_error"


def test_changing_the_pin_needs_the_current_one_and_ends_other_sessions(town: Town) -> None:
    payer = funded_resident(town, 100, pin="1234")
    other_phone = town.token(payer.resident_id, "1234")
    wrong = town.client.post(
        "/v1/auth/pin", json={"current_pin": "9999", "new_pin": "5678"}, headers=payer.headers
    )
    assert code_of(wrong) == (403, "pin_incorrect")
    changed = town.client.post(
        "/v1/auth/pin", json={"current_pin": "1234", "new_pin": "5678"}, headers=payer.headers
    )
    assert changed.status_code == 204, changed.text
    assert town.client.get("/v1/wallet", headers=payer.headers).status_code == 200
    assert town.client.get("/v1/wallet", headers=other_phone).status_code == 401
    assert town.log_in(payer.resident_id, "1234").status_code == 401
    assert town.log_in(payer.resident_id, "5678").status_code == 200


def test_wrong_current_pins_count_toward_the_lockout(town: Town) -> None:
    payer = funded_resident(town, 100, pin="1234")
    answers = [
        town.client.post(
            "/v1/auth/pin", json={"current_pin": "0000", "new_pin": "5678"}, headers=payer.headers
        ).status_code
        for _ in range(5)
    ]
    assert answers[-1] == 423
    assert town.log_in(payer.resident_id, "1234").status_code == 423


def test_the_counter_resets_a_forgotten_pin_and_the_wallet_stays(town: Town) -> None:
    payer = funded_resident(town, 3_000, pin="1234")
    for _ in range(5):
        town.log_in(payer.resident_id, "0000")
    assert town.log_in(payer.resident_id, "1234").status_code == 423
    reset = town.client.post(
        f"/v1/residents/{payer.resident_id}/pin_reset",
        json={"new_pin": "2468", "checked_with": "my_number_card"},
        headers=town.issuer(),
    )
    assert reset.status_code == 200, reset.text
    assert reset.json()["sessions_ended"] >= 1
    assert town.client.get("/v1/wallet", headers=payer.headers).status_code == 401
    assert town.log_in(payer.resident_id, "1234").status_code == 401
    fresh = town.token(payer.resident_id, "2468")
    assert town.client.get("/v1/wallet", headers=fresh).json()["balance"]["total"] == 3_000


def test_a_payment_from_the_step_up_amount_on_needs_the_pin(town: Town) -> None:
    shop = open_shop(town)
    payload = sticker(town, shop)
    payer = funded_resident(town, 30_000, pin="1234")
    assert pay_sticker(town, payer, payload, 9_999).status_code == 201
    assert code_of(pay_sticker(town, payer, payload, 10_000)) == (401, "pin_required")
    assert code_of(pay_sticker(town, payer, payload, 10_000, pin="4321")) == (403, "pin_incorrect")
    assert wallet_balance(town, payer)["total"] == 30_000 - 9_999
    assert pay_sticker(town, payer, payload, 10_000, pin="1234").status_code == 201
    assert wallet_balance(town, payer)["total"] == 30_000 - 19_999


def test_wrong_step_up_pins_lock_the_resident_out(town: Town) -> None:
    shop = open_shop(town)
    payload = sticker(town, shop)
    payer = funded_resident(town, 30_000, pin="1234")
    answers = [pay_sticker(town, payer, payload, 10_000, pin="0000") for _ in range(5)]
    assert code_of(answers[-1]) == (423, "resident_locked")
    assert town.log_in(payer.resident_id, "1234").status_code == 423
    assert wallet_balance(town, payer)["total"] == 30_000


def test_the_issuer_sets_the_step_up_amount(town: Town) -> None:
    changed = town.client.post(
        "/v1/coin_rules", json={"step_up_amount": 3_000}, headers=town.issuer()
    )
    assert changed.status_code == 200 and changed.json()["step_up_amount"] == 3_000
    shop = open_shop(town)
    payer = funded_resident(town, 30_000)
    assert code_of(pay_sticker(town, payer, sticker(town, shop), 3_000)) == (401, "pin_required")


def test_a_transfer_from_the_step_up_amount_on_needs_the_pin(town: Town) -> None:
    sender = person(town, "送る人", money=50_000)
    receiver = person(town, "受ける人")
    assert code_of(send(town, sender, receiver.wallet_id, 10_000)) == (401, "pin_required")
    assert send(town, sender, receiver.wallet_id, 10_000, pin="1234").status_code == 201
    assert code_of(send(town, sender, receiver.wallet_id, 100, pin="9999")) == (
        403,
        "pin_incorrect",
    )
