"""Steady QR payments through the HTTP API, each retried under its Idempotency-Key until
it gets a definite answer, and a record of what every client was told and when.

A payment is a resident paying a shop's static QR (``POST /v1/wallet/payments``).
No answer (the connection broke, the request timed out) and a 5xx mean "ask
again, same key, same body"; anything else is definite. Each payment is bounded:
at most ``ATTEMPTS_MAX`` attempts within ``PAYMENT_DEADLINE_S``; one that runs
out is recorded as abandoned (its fate unknown to the client), never dropped
silently. Acknowledgements carry their monotonic time, so the test can measure
how long writes were out around a fault.
"""

import itertools
import random
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx

from bench.api_town import BenchTown, Buyer

REQUEST_TIMEOUT_S = 5.0
RETRY_PAUSE_S = 0.1
ATTEMPTS_MAX = 600
PAYMENT_DEADLINE_S = 120.0
AMOUNT_MAX = 100


@dataclass(frozen=True)
class Acked:
    """A payment the API acknowledged (201): what was sent and the answer's body."""

    key: str
    request: dict[str, Any]
    authorization: str
    body: dict[str, Any]
    acked_at: float
    attempts: int

    @property
    def charge_id(self) -> str:
        charge_id: str = self.body["id"]
        return charge_id


@dataclass
class Record:
    """What all clients were told; guarded by ``lock``."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    acked: list[Acked] = field(default_factory=list)
    refused: Counter[str] = field(default_factory=Counter)
    abandoned: list[str] = field(default_factory=list)
    statuses: Counter[str] = field(default_factory=Counter)
    bodies_of_5xx: list[str] = field(default_factory=list)

    def acked_count(self) -> int:
        with self.lock:
            return len(self.acked)

    def ack_times(self) -> list[float]:
        with self.lock:
            return sorted(a.acked_at for a in self.acked)


def definite(response: httpx.Response) -> bool:
    if response.status_code == 409 and "idempotency_key_in_flight" in response.text:
        return False
    return response.status_code < 500


class PayingClient(threading.Thread):
    """Pays until ``stop`` is set; finishes (or abandons) the payment it started."""

    def __init__(
        self,
        base_url: str,
        town: BenchTown,
        buyers: list[Buyer],
        record: Record,
        stop: threading.Event,
        seed: int,
    ) -> None:
        super().__init__(name=f"payer-{seed}", daemon=True)
        self.base_url = base_url
        self.town = town
        self.buyers = buyers
        self.record = record
        self.stop = stop
        self.rng = random.Random(seed)
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            with httpx.Client(base_url=self.base_url, timeout=REQUEST_TIMEOUT_S) as http:
                while not self.stop.is_set():
                    self.pay(http)
        except BaseException as error:  # reported by the test, never swallowed
            self.error = error

    def pay(self, http: httpx.Client) -> None:
        buyer = self.rng.choice(self.buyers)
        shop = self.rng.choice(self.town.shops)
        key = str(uuid.UUID(int=self.rng.getrandbits(128)))
        body = {"qr_payload": shop.static_qr, "amount": self.rng.randint(1, AMOUNT_MAX)}
        headers = {"Authorization": buyer.authorization, "Idempotency-Key": key}
        deadline = time.monotonic() + PAYMENT_DEADLINE_S
        for attempt in range(1, ATTEMPTS_MAX + 1):
            response = self._attempt(http, body, headers)
            if response is not None and definite(response):
                self._definite(key, body, buyer, response, attempt)
                return
            if time.monotonic() > deadline:
                break
            time.sleep(RETRY_PAUSE_S)
        with self.record.lock:
            self.record.abandoned.append(key)

    def _attempt(
        self, http: httpx.Client, body: dict[str, Any], headers: dict[str, str]
    ) -> httpx.Response | None:
        try:
            response = http.post("/v1/wallet/payments", json=body, headers=headers)
        except httpx.HTTPError as error:
            with self.record.lock:
                self.record.statuses[type(error).__name__] += 1
            return None
        with self.record.lock:
            self.record.statuses[str(response.status_code)] += 1
            if response.status_code >= 500:
                self.record.bodies_of_5xx.append(
                    f"{response.status_code} {response.headers.get('content-type')}"
                    f" {response.text[:300]}"
                )
        return response

    def _definite(
        self, key: str, body: dict[str, Any], buyer: Buyer, response: httpx.Response, attempts: int
    ) -> None:
        now = time.monotonic()
        with self.record.lock:
            if response.status_code == 201:
                self.record.acked.append(
                    Acked(key, body, buyer.authorization, response.json(), now, attempts)
                )
            else:
                self.record.refused[response.json().get("code", str(response.status_code))] += 1


@dataclass(frozen=True)
class Outage:
    """How long writes were out around a fault at a monotonic instant.

    A few answers for commits made just before the fault still arrive after it, so
    the outage is the longest silence (no acknowledgement at all) from the last
    acknowledgement before the fault on, not the wait for the first one after it.

    Attributes:
        gap_s: that longest silence between two acknowledgements.
        back_after_s: from the fault to the acknowledgement that ended the silence:
            how long after the failure payments flowed again.
    """

    gap_s: float
    back_after_s: float


def outage_around(ack_times: list[float], fault_at: float) -> Outage:
    before = [t for t in ack_times if t <= fault_at]
    assert before and ack_times[-1] > fault_at, "no acknowledgement on one side of the fault"
    times = [before[-1], *[t for t in ack_times if t > fault_at]]
    gap, ended = max((b - a, b) for a, b in itertools.pairwise(times))
    return Outage(gap_s=gap, back_after_s=ended - fault_at)
