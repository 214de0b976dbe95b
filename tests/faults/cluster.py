"""A PostgreSQL server and an API server that a fault test may kill and bring back.

``Postgres`` runs pgserver's own ``postgres`` binary (localcoin.embedded_postgres
.pg_bin_dir) directly, in a process group of its own, on a data directory and
Unix-socket port that survive restarts. ``kill()`` SIGKILLs the whole group
(postmaster and every backend), which is what a crashed machine looks like to
the data directory: PostgreSQL must recover from its WAL on the next start.
``start()`` brings it back on the same directory and socket, so clients
reconnect to the same URL.

``ApiServer`` runs ``localcoin serve`` as a subprocess on a TCP port; ``kill()``
SIGKILLs it (in-flight requests get no answer at all) and ``start()`` starts a
fresh process on the same port.

Durability note: the server keeps ``fsync`` on. A SIGKILL of the server loses
nothing the kernel holds, so these tests prove crash recovery of the server
process, not of the machine's power supply.
"""

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import psycopg

from localcoin.embedded_postgres import pg_bin_dir

START_TIMEOUT_S = 60.0
START_ATTEMPTS = 10
PORT = 5432
# pgserver refuses to run postgres as root and uses this account instead.
SYSTEM_USER = "pgserver"


def _system_user() -> str | None:
    if os.geteuid() != 0:
        return None
    from pgserver.utils import ensure_user_exists  # noqa: PLC0415 - only needed as root

    ensure_user_exists(SYSTEM_USER)
    return SYSTEM_USER


class Postgres:
    """A PostgreSQL server of this test's own, on ``home``/pgdata."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self.pgdata = home / "pgdata"
        self.log_path = home / "postgres.log"
        self.user = _system_user()
        self.process: subprocess.Popen[bytes] | None = None
        self.kills = 0

    @property
    def url(self) -> str:
        """A libpq URL over the Unix socket in ``home``."""
        return f"postgresql://postgres@/postgres?host={self.home}&port={PORT}"

    def url_for(self, database: str) -> str:
        return f"postgresql://postgres@/{database}?host={self.home}&port={PORT}"

    def init(self) -> None:
        self.home.chmod(0o755)
        if self.user is not None:
            shutil.chown(self.home, self.user)
        subprocess.run(
            [
                str(pg_bin_dir() / "initdb"),
                "-D",
                str(self.pgdata),
                "--auth=trust",
                "--encoding=utf8",
                "-U",
                "postgres",
            ],
            check=True,
            capture_output=True,
            user=self.user,
        )

    def start(self) -> None:
        """Starts the server and waits until it answers. A postmaster that exits at
        once is started again: the backends of a killed one may still be exiting and
        holding the old shared memory, which the new one refuses to share."""
        for _ in range(START_ATTEMPTS):
            if self._started():
                return
            time.sleep(0.5)
        raise RuntimeError(f"postgres did not start:\n{self.log_path.read_text()[-3000:]}")

    def _started(self) -> bool:
        assert self.process is None, "already running"
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [
                    str(pg_bin_dir() / "postgres"),
                    "-D",
                    str(self.pgdata),
                    "-k",
                    str(self.home),
                    "-h",
                    "",
                    "-p",
                    str(PORT),
                    "-c",
                    "max_connections=200",
                ],
                stdout=log,
                stderr=log,
                user=self.user,
                start_new_session=True,
            )
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            try:
                with psycopg.connect(self.url, connect_timeout=2) as conn:
                    conn.execute("SELECT 1")
                return True
            except psycopg.OperationalError:
                if self.process.poll() is not None:
                    self.process = None
                    return False
                if time.monotonic() > deadline:
                    raise RuntimeError(
                        f"postgres did not start:\n{self.log_path.read_text()[-3000:]}"
                    ) from None
                time.sleep(0.1)

    def kill(self) -> None:
        """SIGKILL the postmaster and all its backends at once, like a crash."""
        assert self.process is not None, "not running"
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()
        self.process = None
        self.kills += 1

    def stop(self) -> None:
        if self.process is not None:
            self.kill()


@contextmanager
def postgres() -> Iterator[Postgres]:
    """A started server, killed and deleted afterwards."""
    home = Path(tempfile.mkdtemp(prefix="lcfault-"))
    server = Postgres(home)
    try:
        server.init()
        server.start()
        yield server
    finally:
        server.stop()
        shutil.rmtree(home, ignore_errors=True)


# Test-sized PIN hashing and long-lived tokens, so clients need not log in again.
API_ENV = {
    "LOCALCOIN_PIN_HASH_MEMORY_KIB": "1024",
    "LOCALCOIN_PIN_HASH_TIME_COST": "1",
    "LOCALCOIN_ACCESS_TOKEN_TTL_S": "3600",
    "LOCALCOIN_LOG_LEVEL": "warning",
    "LOCALCOIN_WEBHOOK_ALLOW_PRIVATE_URLS": "true",
}


class ApiServer:
    """``localcoin serve`` in a subprocess on ``port``."""

    def __init__(self, database_url: str, port: int, log_path: Path) -> None:
        self.database_url = database_url
        self.port = port
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None
        self.kills = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        assert self.process is None, "already running"
        env = os.environ | API_ENV | {"DATABASE_URL": self.database_url}
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "localcoin.cli", "serve", "--port", str(self.port)],
                stdout=log,
                stderr=log,
                env=env,
                start_new_session=True,
            )
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            try:
                if httpx.get(f"{self.base_url}/health", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the API did not start:\n{self.log_path.read_text()[-3000:]}")
            time.sleep(0.1)

    def kill(self) -> None:
        assert self.process is not None, "not running"
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()
        self.process = None
        self.kills += 1

    def stop(self) -> None:
        if self.process is not None:
            self.kill()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port
