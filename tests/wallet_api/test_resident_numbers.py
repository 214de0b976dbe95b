"""Resident numbers: a short login id with a check digit, shown in the wallet and used to log in."""

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Engine

from ledger.clock import FixedClock
from tests.wallet_api.test_residents_api import Town, new_town
from wallet_api.resident_numbers import luhn_digit, new_resident_number, normalised


@pytest.fixture
def town(engine: Engine, clock: FixedClock) -> Town:
    return new_town(engine, clock)


def test_a_new_number_is_ten_digits_with_its_check_digit() -> None:
    for _ in range(200):
        number = new_resident_number()
        assert len(number) == 10 and number[0] != "0"
        assert normalised(number) == number
    assert luhn_digit("123456789") == "7"


@given(st.integers(100_000_000, 999_999_999), st.integers(0, 9), st.integers(1, 9))
def test_one_mistyped_digit_is_caught(body: int, position: int, shift: int) -> None:
    number = str(body) + luhn_digit(str(body))
    wrong = number[:position] + str((int(number[position]) + shift) % 10) + number[position + 1 :]
    assert normalised(wrong) is None


@given(st.integers(100_000_000, 999_999_999), st.integers(1, 8))
def test_two_swapped_neighbours_are_caught(body: int, position: int) -> None:
    number = str(body) + luhn_digit(str(body))
    a, b = number[position], number[position + 1]
    # Luhn misses only 0↔9; identical digits are no swap at all.
    if a == b or {a, b} == {"0", "9"}:
        return
    swapped = number[:position] + b + a + number[position + 2 :]
    assert normalised(swapped) is None


def test_people_may_write_it_with_hyphens_spaces_or_full_width_digits() -> None:
    number = new_resident_number()
    full_width = "".join(
        chr(0xFF10 + int(d)) for d in number
    )  # full-width digits, as a phone IME types them
    for written in (f"{number[:4]}-{number[4:8]}-{number[8:]}", f" {number} ", full_width):
        assert normalised(written) == number


def test_a_resident_logs_in_with_the_number_the_wallet_shows(town: Town) -> None:
    created = town.sign_up()
    number = created["resident_number"]
    assert normalised(number) == number
    headers = town.token(created["resident_id"])
    wallet = town.client.get("/v1/wallet", headers=headers).json()
    assert wallet["resident_number"] == number
    for login in (number, f"{number[:5]}-{number[5:]}"):
        answer = town.client.post("/v1/auth/token", json={"login": login, "pin": "1234"})
        assert answer.status_code == 200, answer.text
        mine = {"Authorization": f"Bearer {answer.json()['access_token']}"}
        assert (
            town.client.get("/v1/wallet", headers=mine).json()["wallet_id"] == created["wallet_id"]
        )


def test_a_wrong_number_or_pin_is_the_same_refusal_and_counts_toward_the_lock(town: Town) -> None:
    number = town.sign_up()["resident_number"]
    typo = number[:-1] + str((int(number[-1]) + 1) % 10)
    for body in ({"login": typo, "pin": "1234"}, {"login": number, "pin": "9999"}):
        answer = town.client.post("/v1/auth/token", json=body)
        assert (answer.status_code, answer.json()["code"]) == (401, "credentials_invalid")
    for _ in range(4):
        town.client.post("/v1/auth/token", json={"login": number, "pin": "9999"})
    locked = town.client.post("/v1/auth/token", json={"login": number, "pin": "1234"})
    assert (locked.status_code, locked.json()["code"]) == (423, "resident_locked")


def test_a_log_in_names_the_resident_one_way(town: Town) -> None:
    created = town.sign_up()
    both = {"resident_id": created["resident_id"], "login": created["resident_number"]}
    for body in (both | {"pin": "1234"}, {"pin": "1234"}):
        answer = town.client.post("/v1/auth/token", json=body)
        assert (answer.status_code, answer.json()["code"]) == (422, "validation_error")
