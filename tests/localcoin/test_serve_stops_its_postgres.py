"""`localcoin serve` on the embedded PostgreSQL stops the server it started, however it ends.

Each test starts ``serve`` as a real process with no DATABASE_URL and a home
of its own, ends it the way a newcomer's machine would, and then looks for
any PostgreSQL process still running on that home.
"""

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from localcoin.cli import default_workers
from localcoin.embedded_postgres import pg_bin_dir
from tests.localcoin.test_serve import free_port, wait_ready

# A worker stops gracefully (its sealer, sweeper and webhook threads join first);
# on 2 busy cores running the whole suite that has taken over 30 s.
GONE_WITHIN_S = 60


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """One embedded data directory for the module (initdb and migrations once)."""
    path = tmp_path_factory.mktemp("serve-home")
    yield path
    for process in postgres_under(path):
        process.kill()


def environment(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    return env | {"LOCALCOIN_HOME": str(home), "LOCALCOIN_PIN_HASH_MEMORY_KIB": "1024"}


def serve_command(port: int) -> list[str]:
    return [sys.executable, "-m", "localcoin.cli", "serve", "--demo", "--port", str(port)]


def start(home: Path, port: int, **popen: object) -> subprocess.Popen[bytes]:
    return subprocess.Popen(  # type: ignore[call-overload, no-any-return]
        serve_command(port),
        env=environment(home),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        **popen,
    )


def postgres_under(home: Path) -> list[psutil.Process]:
    found = []
    for process in psutil.process_iter(["name", "cmdline"]):
        cmdline = process.info["cmdline"] or []
        if process.info["name"] == "postgres" and any(str(home) in part for part in cmdline):
            found.append(process)
    return found


def workers_of(home: Path) -> list[psutil.Process]:
    """serve's worker processes on this home (one per core by default)."""
    found = []
    for process in psutil.process_iter(["cmdline"]):
        try:
            cmdline = process.info["cmdline"] or []
            if any("spawn_main" in part for part in cmdline) and (
                process.environ().get("LOCALCOIN_HOME") == str(home)
            ):
                found.append(process)
        except psutil.Error:
            continue
    return found


def left_running(home: Path) -> list[psutil.Process]:
    return postgres_under(home) + workers_of(home)


def wait_until_gone(home: Path) -> list[psutil.Process]:
    deadline = time.monotonic() + GONE_WITHIN_S
    while left_running(home) and time.monotonic() < deadline:
        time.sleep(0.2)
    return left_running(home)


def running_serve(home: Path, **popen: object) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    server = start(home, port, **popen)
    wait_ready(port, timeout_s=120)
    assert postgres_under(home), "serve runs on the embedded PostgreSQL"
    return server, port


def test_ctrl_c_stops_the_postgres_serve_started(home: Path) -> None:
    # Ctrl-C in a terminal signals the whole foreground process group.
    server, _ = running_serve(home, start_new_session=True)
    os.killpg(server.pid, signal.SIGINT)
    server.wait(timeout=GONE_WITHIN_S)
    assert wait_until_gone(home) == []


def test_sigterm_stops_the_postgres_serve_started(home: Path) -> None:
    server, _ = running_serve(home)
    server.send_signal(signal.SIGTERM)
    server.wait(timeout=GONE_WITHIN_S)
    assert wait_until_gone(home) == []


def test_the_parent_dying_stops_serve_and_its_postgres(home: Path) -> None:
    # `make run` killed outright: make passes no signal on to its child.
    port = free_port()
    command = " ".join(serve_command(port)) + "; true"
    parent = subprocess.Popen(
        ["/bin/sh", "-c", command],
        env=environment(home),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_ready(port, timeout_s=120)
    assert postgres_under(home)
    parent.kill()
    parent.wait()
    assert wait_until_gone(home) == []


def test_a_crash_leaves_nothing_that_blocks_the_next_start(home: Path) -> None:
    crashed, _ = running_serve(home)
    assert len(workers_of(home)) == (default_workers() if default_workers() > 1 else 0)
    crashed.kill()
    crashed.wait()
    # Its workers follow it: nothing keeps serving on the port or the database.
    deadline = time.monotonic() + GONE_WITHIN_S
    while workers_of(home) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert workers_of(home) == []
    assert postgres_under(home), "nobody was left to stop it"
    # The next serve starts on it, adopts it from the dead owner, and stops it.
    server, _ = running_serve(home)
    server.send_signal(signal.SIGTERM)
    server.wait(timeout=GONE_WITHIN_S)
    assert wait_until_gone(home) == []


def test_a_postgres_found_running_is_left_running(home: Path) -> None:
    # Another command started the server (and leaves it warm for the next one).
    upgraded = subprocess.run(
        [sys.executable, "-m", "localcoin.cli", "db", "upgrade"],
        env=environment(home),
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert upgraded.returncode == 0, upgraded.stderr
    already = postgres_under(home)
    assert already
    server, _ = running_serve(home)
    server.send_signal(signal.SIGTERM)
    server.wait(timeout=GONE_WITHIN_S)
    time.sleep(1)
    assert postgres_under(home) == already
    stop_by_hand(home)
    assert wait_until_gone(home) == []


def stop_by_hand(home: Path) -> None:
    pgdata = home / "pgdata"
    user = "pgserver" if os.geteuid() == 0 else None
    subprocess.run(
        [str(pg_bin_dir() / "pg_ctl"), "-D", str(pgdata), "-m", "fast", "-w", "stop"],
        user=user,
        check=True,
        capture_output=True,
    )
