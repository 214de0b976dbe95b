"""A real HTTP receiver for webhook tests: http.server on 127.0.0.1, an ephemeral port, a thread.

It records every request before answering, so once the worker's pass has
returned, the receiver already holds what was sent: no waiting needed.
"""

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """Answers with ``statuses`` in turn, then ``then`` for ever."""

    port: int = 0
    statuses: list[int] = field(default_factory=list)
    then: int = 200
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    arrived: threading.Event = field(default_factory=threading.Event)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks"

    def answer(self, request: Received) -> int:
        with self.lock:
            self.received.append(request)
            self.arrived.set()
            return self.statuses.pop(0) if self.statuses else self.then

    def event_ids(self) -> list[str]:
        with self.lock:
            return [r.headers["localcoin-event-id"] for r in self.received]


@contextmanager
def running_receiver(statuses: list[int] | None = None, then: int = 200) -> Iterator[Receiver]:
    receiver = Receiver(statuses=list(statuses or []), then=then)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            headers = {k.lower(): v for k, v in self.headers.items()}
            status = receiver.answer(Received(self.path, headers, body))
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
