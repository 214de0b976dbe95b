"""argon2 work: bounded per process, and spent alike on unknown and known residents."""

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import Engine

from ledger.clock import FixedClock
from tests.wallet_api.test_residents_api import Town, new_town
from wallet_api import pins
from wallet_api.pins import ARGON_SLOTS, PinHasher


@pytest.fixture
def town(engine: Engine, clock: FixedClock) -> Town:
    return new_town(engine, clock)


class _CountingHasher(PinHasher):
    calls = 0

    def verify(self, pin_hash: str, pin: str) -> bool:
        type(self).calls += 1
        return super().verify(pin_hash, pin)


def test_an_unknown_resident_costs_the_same_argon2_work_as_a_known_one(town: Town) -> None:
    known = town.sign_up()["resident_id"]
    hasher = _CountingHasher(pepper="p" * 32, memory_kib=1024, time_cost=1)
    town.client.app.state.pin_hasher = hasher  # type: ignore[attr-defined]
    for resident_id in ("res_nobodyHasThisId00", known):
        _CountingHasher.calls = 0
        refused = town.client.post(
            "/v1/auth/token", json={"resident_id": resident_id, "pin": "9999"}
        )
        assert refused.status_code == 401
        assert _CountingHasher.calls == 1, resident_id


def test_no_more_argon2_hashes_run_at_once_than_the_process_has_slots(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    running, most = 0, 0
    lock = threading.Lock()

    class SlowArgon:
        def __init__(self, **_: object) -> None:
            pass

        def hash(self, _: str) -> str:
            nonlocal running, most
            with lock:
                running += 1
                most = max(most, running)
            time.sleep(0.05)
            with lock:
                running -= 1
            return "$argon2id$stand-in"

    monkeypatch.setattr(pins, "PasswordHasher", SlowArgon)
    hasher = PinHasher(pepper="p" * 32)
    with ThreadPoolExecutor(ARGON_SLOTS * 4) as pool:
        list(pool.map(lambda _: hasher.hash("1234"), range(ARGON_SLOTS * 8)))
    assert most == ARGON_SLOTS
