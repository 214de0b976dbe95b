"""A webhook POST goes to the checked address, within a deadline, and tells the merchant little."""

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass

import pytest
from sqlalchemy import Engine

from ledger.clock import FixedClock
from merchant.webhooks.delivery import deliver_pass
from merchant.webhooks.http_poster import DeliveryFailedError, HttpPoster
from merchant.webhooks.urls import Target, target_of
from tests.merchant.shops import open_shop
from tests.merchant.webhook_receiver import running_receiver
from tests.merchant.webhook_town import add_endpoint, emit, webhook_town
from tests.wallet_api.test_residents_api import Town

# A global address that answers nothing here (the machine has no route out).
UNREACHABLE_PUBLIC = "192.0.0.9"
DRIP_EVERY_S = 0.3
DRIP_FOR_S = 8.0


@dataclass
class Listener:
    """A bare TCP listener: counts connections and the bytes it was sent; answers
    nothing, or drips a status line one byte at a time."""

    drip: bool = False
    port: int = 0
    accepted: int = 0
    received: bytes = b""


@contextmanager
def listening(drip: bool = False) -> Iterator[Listener]:
    listener = Listener(drip=drip)
    server = socket.create_server(("127.0.0.1", 0))
    listener.port = server.getsockname()[1]
    server.settimeout(0.2)
    stop = threading.Event()

    def serve(conn: socket.socket) -> None:
        conn.settimeout(0.2)
        with conn:
            with suppress(OSError):
                listener.received += conn.recv(65536)
            if not listener.drip:
                return
            started = time.monotonic()
            response = b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n" * 100
            for byte in response:
                if stop.is_set() or time.monotonic() - started > DRIP_FOR_S:
                    break
                try:
                    conn.sendall(bytes([byte]))
                except OSError:
                    return
                time.sleep(DRIP_EVERY_S)
            # Had nobody cut us off, the response ends here, a 200 after all.
            with suppress(OSError):
                conn.sendall(b"\r\n")

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            listener.accepted += 1
            threading.Thread(target=serve, args=(conn,), daemon=True).start()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield listener
    finally:
        stop.set()
        thread.join(timeout=5)
        server.close()


def test_a_host_that_rebinds_to_loopback_is_never_connected_to() -> None:
    with listening() as loopback:
        # The check resolves the host to a public address; a second resolution
        # (the system's, by any HTTP client left to resolve) says 127.0.0.1.
        url = f"https://localhost:{loopback.port}/hooks"
        target = target_of(
            url, allow_private=False, resolver=lambda host, port: [UNREACHABLE_PUBLIC]
        )
        assert target == Target(url, UNREACHABLE_PUBLIC)
        with pytest.raises(DeliveryFailedError) as failed:
            HttpPoster(timeout_s=0.5, deadline_s=1.0)(target, b"{}", {})
        assert failed.value.reason in {"timeout", "connection", "refused"}
    assert loopback.accepted == 0


def test_a_connected_peer_that_is_not_public_gets_nothing_sent() -> None:
    with listening() as loopback:
        target = Target(f"https://hooks.example.jp:{loopback.port}/hooks", "127.0.0.1")
        with pytest.raises(DeliveryFailedError) as failed:
            HttpPoster(timeout_s=1.0)(target, b'{"secret": "data"}', {})
        assert failed.value.reason == "not_allowed"
        time.sleep(0.3)  # let the listener read whatever came
    assert loopback.received == b""


def test_a_dripping_receiver_is_cut_off_at_the_deadline_with_a_coarse_reason() -> None:
    with listening(drip=True) as dripper:
        target = Target(f"http://127.0.0.1:{dripper.port}/hooks")
        started = time.monotonic()
        with pytest.raises(DeliveryFailedError) as failed:
            HttpPoster(timeout_s=1.0, deadline_s=1.5)(target, b"{}", {})
        took = time.monotonic() - started
    assert failed.value.reason == "timeout"
    assert took < DRIP_FOR_S  # cut off, not served to the end
    assert str(failed.value) == "timeout"  # no socket text for the merchant


def test_a_refused_connection_is_named_as_such() -> None:
    with socket.create_server(("127.0.0.1", 0)) as closed:
        port = closed.getsockname()[1]
    with pytest.raises(DeliveryFailedError) as failed:
        HttpPoster(timeout_s=1.0)(Target(f"http://127.0.0.1:{port}/hooks"), b"{}", {})
    assert failed.value.reason == "refused"


@pytest.fixture
def town(engine: Engine, clock: FixedClock) -> Town:
    return webhook_town(engine, clock)


def test_a_dripping_receiver_does_not_hold_up_another_merchants_events(town: Town) -> None:
    slow, quick = open_shop(town), open_shop(town)
    with listening(drip=True) as dripper, running_receiver() as receiver:
        # The dripping endpoint is older: a one-at-a-time worker would try it first.
        add_endpoint(town, slow, f"http://127.0.0.1:{dripper.port}/hooks")
        add_endpoint(town, quick, receiver.url)
        stuck = emit(town, slow)
        sent = emit(town, quick)
        received_at: list[float] = []

        def note_arrival() -> None:
            if receiver.arrived.wait(30):
                received_at.append(time.monotonic())

        threading.Thread(target=note_arrival, daemon=True).start()
        started = time.monotonic()
        report = deliver_pass(
            town.engine,
            town.clock,
            poster=HttpPoster(timeout_s=1.0, deadline_s=3.0),
            allow_private=True,
        )
        assert receiver.event_ids() == [sent.public_id]
    assert report.attempted >= 2
    # Delivered while the dripping attempt was still running, not after its deadline.
    assert received_at and received_at[0] - started < 3.0
    view = town.client.get(f"/v1/events/{stuck.public_id}", headers=slow.headers).json()
    [attempt] = view["deliveries"][0]["attempts"]
    assert (attempt["status_code"], attempt["error"]) == (None, "timeout")
