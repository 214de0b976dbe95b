"""PIN guessing: one resident (the lockout), and many residents or cards from one caller (rate limits).

Already covered where the features live, and not repeated here:

- log-in: wrong PINs lock the resident at the threshold (423 ``resident_locked``)
  and the lock is logged without the PIN —
  tests/wallet_api/test_residents_api.py::test_wrong_pins_lock_the_resident_and_the_lock_is_logged;
- cards at the till: wrong card PINs count toward the same lockout —
  tests/merchant/payments/test_charges_api.py::test_wrong_card_pins_count_toward_the_residents_lockout
  and tests/wallet_api/test_cards_api.py.

Here: guessing spread over many residents (one PIN try each, never reaching
any lockout) from one address, or over many cards from one till, is stopped by
the per-caller failure limits of kit/rate_limits.py: 429 ``rate_limited``
with Retry-After, across worker processes (two apps on one database), and a
success does not count.
"""

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from kit.rate_limits import CARD_PIN_FAILURES, LOGIN_FAILURES, Limit
from ledger.clock import FixedClock
from localcoin.app import create_app
from tests.merchant.payments.test_charges_api import card_charge, issue_card
from tests.merchant.shops import funded_resident, open_shop
from tests.merchant.tills import terminal_headers
from tests.wallet_api.test_residents_api import FAST_PINS, Town, new_town

LOGIN_LIMIT = Limit(LOGIN_FAILURES.bucket, 4, LOGIN_FAILURES.window)
CARD_LIMIT = Limit(CARD_PIN_FAILURES.bucket, 3, CARD_PIN_FAILURES.window)


def _limited(client: TestClient) -> None:
    client.app.state.rate_limits = {  # type: ignore[attr-defined]
        LOGIN_LIMIT.bucket: LOGIN_LIMIT,
        CARD_LIMIT.bucket: CARD_LIMIT,
    }
    client.app.state.signups_per_window = 1_000  # type: ignore[attr-defined]


@pytest.fixture
def town(engine: Engine, clock: FixedClock) -> Town:
    made = new_town(engine, clock)
    _limited(made.client)
    return made


def test_the_defaults_stop_guessing_long_before_a_pin_space_is_covered() -> None:
    # 10,000 four-digit PINs: the limits allow a fraction of a percent per address a day.
    per_day = timedelta(days=1) / LOGIN_FAILURES.window
    assert LOGIN_FAILURES.failures * per_day < 10_000 * 0.5
    assert CARD_PIN_FAILURES.failures * per_day < 10_000 * 0.5


def test_one_guess_each_at_many_residents_from_one_address_is_rate_limited(
    town: Town, engine: Engine, clock: FixedClock
) -> None:
    residents = [town.sign_up(pin="2580")["resident_id"] for _ in range(6)]
    # A second worker process: its own app, the same database.
    other = TestClient(create_app(engine, clock, run_sealer=False, settings=FAST_PINS))
    _limited(other)
    answers = []
    for n, resident in enumerate(residents):
        client = town.client if n % 2 == 0 else other
        answers.append(client.post("/v1/auth/token", json={"resident_id": resident, "pin": "0000"}))
    codes = [(r.status_code, r.json()["code"]) for r in answers]
    assert codes == [(401, "credentials_invalid")] * 4 + [(429, "rate_limited")] * 2
    retry_after = int(answers[-1].headers["Retry-After"])
    assert 0 < retry_after <= LOGIN_LIMIT.window.total_seconds()
    # Even the right PIN waits: the limit is on the address, not the guess.
    assert town.log_in(residents[0], "2580").status_code == 429
    clock.advance(timedelta(seconds=retry_after))
    assert town.log_in(residents[0], "2580").status_code == 200


def test_successful_log_ins_do_not_use_up_the_limit(town: Town) -> None:
    resident = town.sign_up(pin="2580")["resident_id"]
    for _ in range(LOGIN_LIMIT.failures * 2):
        assert town.log_in(resident, "2580").status_code == 200
    assert town.log_in(resident, "0000").status_code == 401


def test_one_pin_each_at_many_cards_from_one_till_is_rate_limited(town: Town) -> None:
    shop = open_shop(town)
    till = terminal_headers(town, shop)
    cards = [issue_card(town, funded_resident(town, 1_000).resident_id) for _ in range(5)]
    answers = [card_charge(town, till, card, "0000", 100) for card in cards]
    codes = [(r.status_code, r.json()["code"]) for r in answers]
    assert codes == [(403, "card_pin_incorrect")] * 3 + [(429, "rate_limited")] * 2
    assert int(answers[-1].headers["Retry-After"]) > 0
    # Another till of the shop has its own count.
    assert card_charge(town, terminal_headers(town, shop), cards[0], "0000", 100).status_code == 403


def test_a_rate_limited_request_does_not_spend_its_idempotency_key(
    town: Town, clock: FixedClock
) -> None:
    shop = open_shop(town)
    payer = funded_resident(town, 1_000, pin="2468")
    card = issue_card(town, payer.resident_id)
    for _ in range(CARD_LIMIT.failures):
        assert card_charge(town, shop.headers, card, "0000", 1).status_code == 403
    body = {"card": card, "pin": "2468", "amount": 300}
    keyed = shop.headers | {"Idempotency-Key": "till-7-sale-1"}
    first = town.client.post("/v1/charges", json=body, headers=keyed)
    assert (first.status_code, first.json()["code"]) == (429, "rate_limited")
    clock.advance(timedelta(seconds=int(first.headers["Retry-After"])))
    retried = town.client.post("/v1/charges", json=body, headers=keyed)
    assert retried.status_code == 201, retried.text
    assert retried.json()["amount"] == 300
