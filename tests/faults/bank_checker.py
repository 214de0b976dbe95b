"""A bank-style checker: clients move coin among residents through the HTTP API while
the test kills things, then the books are compared with what clients were told.

Every client operation is a P2P transfer with its own ``Idempotency-Key``. A
client sends it again, with the same key and body, until it gets a definite
answer: a 2xx (acknowledged) or a 4xx refusal other than
``idempotency_key_in_flight``. No answer (the API died, the connection broke)
and 503 are "ask again". Each client writes down every definite answer, so
after the run the test knows exactly what each wallet must hold:
``initial + received - sent`` over acknowledged transfers. If a retry moved
money twice, an acknowledged transfer was lost, or an unacknowledged one was
applied, a balance differs.

Randomness is seeded per client, so a run's sequence of requests is fixed;
only the interleaving depends on timing.
"""

import random
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field

import httpx

RETRY_PAUSE_S = 0.05
REQUEST_TIMEOUT_S = 10.0


@dataclass(frozen=True)
class Resident:
    resident_id: str
    wallet_id: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@dataclass(frozen=True)
class Acked:
    key: str
    transfer_id: str
    sender: str
    recipient: str
    amount: int


@dataclass
class Record:
    """What all clients were told; guarded by ``lock``."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    acked: list[Acked] = field(default_factory=list)
    refused: Counter[str] = field(default_factory=Counter)
    # Every answer seen, including the ones that made the client ask again.
    statuses: Counter[str] = field(default_factory=Counter)
    bodies_of_5xx: list[str] = field(default_factory=list)

    def acked_count(self) -> int:
        with self.lock:
            return len(self.acked)


def definite(response: httpx.Response) -> bool:
    if response.status_code == 409 and "idempotency_key_in_flight" in response.text:
        return False
    return response.status_code < 500


class Client(threading.Thread):
    """Sends transfers until ``stop`` is set; finishes the one it started first."""

    def __init__(
        self,
        base_url: str,
        residents: list[Resident],
        record: Record,
        stop: threading.Event,
        seed: int,
    ) -> None:
        super().__init__(name=f"client-{seed}", daemon=True)
        self.base_url = base_url
        self.residents = residents
        self.record = record
        self.stop = stop
        self.rng = random.Random(seed)
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            with httpx.Client(base_url=self.base_url, timeout=REQUEST_TIMEOUT_S) as http:
                while not self.stop.is_set():
                    self.one(http)
        except BaseException as error:  # reported by the test, never swallowed
            self.error = error

    def one(self, http: httpx.Client) -> None:
        sender, recipient = self.rng.sample(self.residents, 2)
        amount = self.rng.randint(1, 400)
        key = str(uuid.UUID(int=self.rng.getrandbits(128)))
        body = {"to_wallet_id": recipient.wallet_id, "amount": amount}
        headers = sender.headers | {"Idempotency-Key": key}
        while True:
            try:
                response = http.post("/v1/wallet/transfers", json=body, headers=headers)
            except httpx.HTTPError as error:
                with self.record.lock:
                    self.record.statuses[type(error).__name__] += 1
                time.sleep(RETRY_PAUSE_S)
                continue
            with self.record.lock:
                self.record.statuses[str(response.status_code)] += 1
                if response.status_code >= 500:
                    self.record.bodies_of_5xx.append(
                        f"{response.status_code} {response.headers.get('content-type')}"
                        f" {response.text[:300]}"
                    )
            if definite(response):
                break
            time.sleep(RETRY_PAUSE_S)
        with self.record.lock:
            if response.is_success:
                self.record.acked.append(
                    Acked(key, response.json()["id"], sender.wallet_id, recipient.wallet_id, amount)
                )
            else:
                self.record.refused[response.json().get("code", str(response.status_code))] += 1


def expected_balances(initial: dict[str, int], acked: list[Acked]) -> dict[str, int]:
    balances = dict(initial)
    for op in acked:
        balances[op.sender] -= op.amount
        balances[op.recipient] += op.amount
    return balances


def wait_for(condition: object, timeout_s: float, what: str) -> None:
    """Polls ``condition()`` (a callable) until true."""
    assert callable(condition)
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)
