"""The embedded PostgreSQL (PyPI ``pgserver``) used when no DATABASE_URL is set.

Who stops it: a server that ``localcoin serve`` started itself is stopped when
``serve`` ends (Ctrl-C, SIGTERM, its parent dying). One it found already
running (started by another command, or by hand) is left running. If a
``serve`` that started one died without stopping it (SIGKILL, a crash), the
next ``serve`` adopts the orphan and stops it in turn, so nothing is left
behind for good and nothing blocks the next start.

The owner of a server is written beside its data directory (``pgdata.owner``):
the pid and start time of the ``serve`` process that will stop it.
"""

import fcntl
import json
import subprocess
import tempfile
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil
import structlog

with warnings.catch_warnings():
    # pgserver looks up a runtime directory that headless hosts lack; it falls
    # back to /tmp by itself.
    warnings.simplefilter("ignore")
    import pgserver
    from pgserver.utils import PostmasterInfo

log = structlog.get_logger(__name__)

# pgserver, run as root, creates a system user and fixes directory modes on
# first use; two processes doing that at once (pytest's workers on a fresh
# machine) make initdb fail. Every start goes through this machine-wide lock.
_START_LOCK = Path(tempfile.gettempdir()) / "localcoin-pgserver.lock"
STOP_TIMEOUT_S = 30

_servers: dict[Path, Any] = {}


@dataclass(frozen=True, slots=True)
class EmbeddedServer:
    """Attributes:
    url: the server's connection URL (a Unix socket in its data directory).
    pgdata: the data directory.
    owned: this process started (or adopted) the server, so it stops it.
    """

    url: str
    pgdata: Path
    owned: bool


@contextmanager
def _start_lock() -> Iterator[None]:
    with _START_LOCK.open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _pgdata(home: Path) -> Path:
    return (home / "pgdata").resolve()


def _get_server(pgdata: Path, cleanup_mode: str | None) -> Any:
    with _start_lock():
        pgdata.parent.mkdir(parents=True, exist_ok=True)
        return pgserver.get_server(pgdata, cleanup_mode=cleanup_mode)


def embedded_database_url(home: Path) -> str:
    """Starts (or reuses) the embedded server under ``home`` and returns its URL.

    The server listens on a Unix socket only, and keeps running after this
    process exits so that the next command finds it warm.
    """
    pgdata = _pgdata(home)
    if pgdata not in _servers:
        _servers[pgdata] = _get_server(pgdata, cleanup_mode=None)
        log.info("embedded_postgres_ready", pgdata=str(pgdata))
    uri: str = _servers[pgdata].get_uri()
    return uri


def _running(pgdata: Path) -> bool:
    info = PostmasterInfo.read_from_pgdata(pgdata)
    return info is not None and info.is_running()


def _owner_file(pgdata: Path) -> Path:
    return pgdata.parent / "pgdata.owner"


def _owner_alive(pgdata: Path) -> bool:
    """Whether the process recorded as the server's owner is still running."""
    try:
        owner = json.loads(_owner_file(pgdata).read_text())
        process = psutil.Process(int(owner["pid"]))
        return bool(abs(process.create_time() - float(owner["started_at"])) < 1)
    except (OSError, ValueError, KeyError, psutil.Error):
        return False


def start_owned(home: Path) -> EmbeddedServer:
    """The embedded server for ``serve``: started here (or adopted from a dead
    ``serve``) and then owned, or found running and left alone."""
    pgdata = _pgdata(home)
    adopt = not _running(pgdata) or (_owner_file(pgdata).exists() and not _owner_alive(pgdata))
    url = embedded_database_url(home)
    if adopt:
        me = psutil.Process()
        _owner_file(pgdata).write_text(json.dumps({"pid": me.pid, "started_at": me.create_time()}))
        log.info("embedded_postgres_owned", pgdata=str(pgdata))
    return EmbeddedServer(url=url, pgdata=pgdata, owned=adopt)


def stop_owned(server: EmbeddedServer) -> None:
    """Stops the server if this process owns it (a fast shutdown: sessions are
    ended, committed work is on disk)."""
    if not server.owned:
        return
    try:
        if _running(server.pgdata):
            stop = ["-w", "-t", str(STOP_TIMEOUT_S), "-m", "fast", "stop"]
            subprocess.run(  # noqa: S603 - our own pg_ctl on our own data directory
                [str(pg_bin_dir() / "pg_ctl"), "-D", str(server.pgdata), *stop],
                user=_servers[server.pgdata].system_user,
                check=True,
                capture_output=True,
            )
            log.info("embedded_postgres_stopped", pgdata=str(server.pgdata))
    finally:
        _owner_file(server.pgdata).unlink(missing_ok=True)


def throwaway_server(pgdata: Path) -> Any:
    """A server of its own in ``pgdata``, deleted with its data by ``cleanup()``:
    for tests and benchmarks."""
    return _get_server(pgdata, cleanup_mode="delete")


def pg_bin_dir() -> Path:
    """The bin directory of the PostgreSQL that pgserver ships (pgbench, psql)."""
    return Path(pgserver.__file__).parent / "pginstall" / "bin"
