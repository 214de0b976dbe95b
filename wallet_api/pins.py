"""Residents' PINs: argon2id hashes with a server pepper, and the lockout policy.

A PIN has 4 to 6 digits: a million guesses at most, so the hash alone cannot
protect a stolen table. Each PIN is first keyed with HMAC-SHA256 under the
server's pepper (a secret outside the database), then hashed with argon2id.
Online guessing is stopped by the lockout: after FAILURES_BEFORE_LOCK wrong
PINs in a row the resident is locked, for longer after each further failure.
"""

import hashlib
import hmac
import os
import re
import threading
from dataclasses import dataclass
from datetime import timedelta
from functools import cached_property

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

PIN_PATTERN = re.compile(r"^[0-9]{4,6}$")
FAILURES_BEFORE_LOCK = 5
LOCK_FIRST = timedelta(minutes=15)
LOCK_MAX = timedelta(hours=24)


# argon2id takes memory_kib (64 MiB) per hash: a burst of log-ins must queue for
# the cores rather than take a gigabyte at once. One slot per core of the process.
ARGON_SLOTS = max(1, len(os.sched_getaffinity(0)))
_argon_slots = threading.BoundedSemaphore(ARGON_SLOTS)


def is_valid_pin(pin: str) -> bool:
    return PIN_PATTERN.fullmatch(pin) is not None


@dataclass(frozen=True)
class PinHasher:
    """Attributes:
    pepper: the server secret (settings.pin_pepper).
    memory_kib, time_cost: argon2id's cost.
    """

    pepper: str
    memory_kib: int = 65536
    time_cost: int = 3

    def _argon(self) -> PasswordHasher:
        return PasswordHasher(time_cost=self.time_cost, memory_cost=self.memory_kib, parallelism=1)

    def _keyed(self, pin: str) -> str:
        return hmac.new(self.pepper.encode(), pin.encode(), hashlib.sha256).hexdigest()

    def hash(self, pin: str) -> str:
        assert is_valid_pin(pin), "callers check the PIN's form first"
        with _argon_slots:
            return self._argon().hash(self._keyed(pin))

    def verify(self, pin_hash: str, pin: str) -> bool:
        if not is_valid_pin(pin):
            return False
        try:
            with _argon_slots:
                return self._argon().verify(pin_hash, self._keyed(pin))
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    @cached_property
    def _nobodys_hash(self) -> str:
        return self.hash("0000")

    def verify_for_nobody(self, pin: str) -> None:
        """The work of a verify, for a log-in that names no resident: an unknown id
        then takes as long to refuse as a known one with a wrong PIN."""
        self.verify(self._nobodys_hash, pin if is_valid_pin(pin) else "0000")


def lock_duration(failures: int) -> timedelta | None:
    """How long to lock after this many failures in a row: none below the
    threshold, then 15 minutes doubling with each further failure, up to a day."""
    assert failures >= 0
    if failures < FAILURES_BEFORE_LOCK:
        return None
    factor: int = 2 ** min(failures - FAILURES_BEFORE_LOCK, 10)
    doubled = LOCK_FIRST * factor
    return min(doubled, LOCK_MAX)
