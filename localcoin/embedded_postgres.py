"""The embedded PostgreSQL (PyPI ``pgserver``) used when no DATABASE_URL is set."""

import warnings
from pathlib import Path
from typing import Any

import structlog

with warnings.catch_warnings():
    # pgserver looks up a runtime directory that headless hosts lack; it falls
    # back to /tmp by itself.
    warnings.simplefilter("ignore")
    import pgserver

log = structlog.get_logger(__name__)

_servers: dict[Path, Any] = {}


def embedded_database_url(home: Path) -> str:
    """Starts (or reuses) the embedded server under ``home`` and returns its URL.

    The server listens on a Unix socket only, and keeps running after this
    process exits so that the next command finds it warm.
    """
    pgdata = (home / "pgdata").resolve()
    if pgdata not in _servers:
        pgdata.parent.mkdir(parents=True, exist_ok=True)
        _servers[pgdata] = pgserver.get_server(pgdata, cleanup_mode=None)
        log.info("embedded_postgres_ready", pgdata=str(pgdata))
    uri: str = _servers[pgdata].get_uri()
    return uri


def throwaway_server(pgdata: Path) -> Any:
    """A server of its own in ``pgdata``, deleted with its data by ``cleanup()``:
    for tests and benchmarks."""
    return pgserver.get_server(pgdata, cleanup_mode="delete")


def pg_bin_dir() -> Path:
    """The bin directory of the PostgreSQL that pgserver ships (pgbench, psql)."""
    return Path(pgserver.__file__).parent / "pginstall" / "bin"
