"""The real API server for HTTP benchmarks: ``localcoin serve --workers N`` as a subprocess.

The server is started the way an operator starts it (the installed
``localcoin`` command, uvicorn, N worker processes, JSON request logs at INFO),
against the benchmark's database, so the figures include everything a
request costs in production: HTTP parsing, authentication, idempotency,
the transaction, the webhook outbox and the request log. Its log goes to a
temporary file: shown when the server fails to come up, and read for worker
restarts (``RunningServer.worker_restarts``).

``ProcessTreeCpu`` reads the CPU seconds of a process and its descendants from
``/proc`` (live children, plus the reaped ones' totals the kernel keeps).
"""

import os
import re
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import httpx

READY_TIMEOUT_S = 60.0
# The last line of a traceback, also inside a JSON log line (where newlines are \n).
ERROR_LINE = re.compile(r"(?:^|\\n|\n)([A-Za-z_.]+(?:Error|Exception)): ([^\"\\\n]{0,80})")


@dataclass(frozen=True, slots=True)
class RunningServer:
    base_url: str
    pid: int
    log: Path

    def errors(self) -> dict[str, int]:
        """The exceptions the server logged, counted by type and message start."""
        found = ERROR_LINE.findall(self.log.read_text(errors="replace"))
        return dict(Counter(f"{kind}: {message.strip()}" for kind, message in found))

    def worker_restarts(self) -> int:
        """Workers uvicorn's supervisor found dead or hung (no answer to its
        health check) and replaced; their connections were dropped."""
        return self.log.read_text(errors="replace").count("died")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class ProcessTreeCpu:
    """CPU seconds of a process and every process under it, from /proc."""

    def __init__(self, pid: int | None) -> None:
        self.pid = pid
        self.tick = os.sysconf("SC_CLK_TCK")

    def _fields(self, pid: int) -> list[int]:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return [int(f) for f in fields[11:15]]  # utime stime cutime cstime

    def _tree(self, pid: int) -> int:
        # The reaped children's time (cutime, cstime) is in the parent's fields.
        total = sum(self._fields(pid))
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        for child in children:
            with suppress(FileNotFoundError, ProcessLookupError):
                total += self._tree(int(child))
        return total

    def seconds(self) -> float | None:
        if self.pid is None or not Path(f"/proc/{self.pid}").exists():
            return None
        return self._tree(self.pid) / self.tick


@contextmanager
def api_server(database_url: str, *, workers: int, pool_size: int) -> Iterator[RunningServer]:
    """Starts ``localcoin serve`` on a free port, waits for /ready, stops it afterwards."""
    port = free_port()
    command = [
        str(Path(sys.executable).parent / "localcoin"),
        "serve",
        "--port",
        str(port),
        "--workers",
        str(workers),
    ]
    env = dict(os.environ)
    env.update(
        {
            "DATABASE_URL": database_url,
            "LOCALCOIN_POOL_SIZE": str(pool_size),
            "LOCALCOIN_LOG_JSON": "true",
            "LOCALCOIN_ENVIRONMENT": "test",
        }
    )
    with _running(command, env, port=port, workers=workers) as server:
        yield server


@contextmanager
def bare_server(*, workers: int) -> Iterator[RunningServer]:
    """Starts bench/bare_app.py (the framework with no work behind the route)."""
    port = free_port()
    command = [sys.executable, "-m", "bench.bare_app", "--port", str(port)]
    command += ["--workers", str(workers)]
    with _running(command, dict(os.environ), port=port, workers=workers) as server:
        yield server


@contextmanager
def _running(
    command: list[str], env: dict[str, str], *, port: int, workers: int
) -> Iterator[RunningServer]:
    with tempfile.TemporaryDirectory(prefix="localcoin-bench-api-") as home:
        log_path = Path(home) / "server.log"
        with log_path.open("wb") as log:
            proc = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
            base_url = f"http://127.0.0.1:{port}"
            try:
                _wait_ready(base_url, proc, log_path, workers=workers)
                yield RunningServer(base_url, proc.pid, log_path)
            finally:
                proc.terminate()
                try:
                    proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()


def _wait_ready(base_url: str, proc: "subprocess.Popen[bytes]", log: Path, *, workers: int) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_S
    ready = 0
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            break
        with suppress(httpx.HTTPError):
            if httpx.get(f"{base_url}/ready", timeout=2).status_code == 200:
                ready += 1
                # Each worker answers once it is up; a few answers in a row make
                # it likely that all of them have started.
                if ready >= 3 * workers:
                    return
                continue
        time.sleep(0.2)
    tail = log.read_text(errors="replace")[-4000:]
    raise RuntimeError(f"the API server did not become ready:\n{tail}")
