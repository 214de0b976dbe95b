"""Debian's PostgreSQL 15 and its companions (pg_auto_failover, pgBackRest), run as
production runs them, for the failover and point-in-time-recovery tests.

These tools refuse to run as root (``pg_autoctl``, ``postgres``, and pgBackRest
on a cluster it does not own), so as root every process of theirs runs as
Debian's ``postgres`` system user and every directory they write is made over
to it; as any other user, they run as that user. ``make pytest`` installs the
packages when they are missing.
"""

import os
import pwd
import shutil
import socket
import subprocess
import time
from pathlib import Path

import psycopg

PG_BIN = Path("/usr/lib/postgresql/15/bin")
PG_AUTOCTL = Path("/usr/bin/pg_autoctl")
PGBACKREST = Path("/usr/bin/pgbackrest")
PACKAGES = "postgresql-15 postgresql-15-auto-failover pg-auto-failover-cli pgbackrest"
SYSTEM_USER = "postgres"
START_TIMEOUT_S = 60.0


def require(*tools: Path) -> None:
    missing = [str(tool) for tool in tools if not tool.exists()]
    if missing:
        raise AssertionError(
            f"Debian's packages are needed ({', '.join(missing)} missing): "
            f"apt-get install {PACKAGES} (make pytest does)"
        )


def run_as() -> str | None:
    """The user PostgreSQL's processes run as: ``postgres`` for root, else ourselves."""
    if os.geteuid() != 0:
        return None
    pwd.getpwnam(SYSTEM_USER)  # Debian's postgresql-common created it
    return SYSTEM_USER


def owned_dir(path: Path) -> Path:
    """``path`` created (if need be) and made over to the user the servers run as."""
    path.mkdir(parents=True, exist_ok=True)
    path.chmod(0o755)
    user = run_as()
    if user is not None:
        shutil.chown(path, user, user)
    return path


def user_env(home: Path) -> dict[str, str]:
    """The environment a tool of theirs runs in: its configuration and state under
    ``home``, never in the user's real home, and PostgreSQL 15 first on the PATH."""
    base = {key: os.environ[key] for key in ("LANG", "LC_ALL", "TZ") if key in os.environ}
    return base | {
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(owned_dir(home / "config")),
        "XDG_DATA_HOME": str(owned_dir(home / "data")),
        "XDG_RUNTIME_DIR": str(owned_dir(home / "run")),
        "PATH": f"{PG_BIN}:/usr/bin:/bin",
        "PG_CONFIG": str(PG_BIN / "pg_config"),
    }


def run_tool(args: list[str], home: Path, *, timeout_s: float = 120.0) -> str:
    """Runs a command as the servers' user; its stdout, or an error with its output."""
    done = subprocess.run(
        args,
        env=user_env(home),
        user=run_as(),
        cwd=home,
        capture_output=True,
        text=True,
        timeout=timeout_s,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"{args[:3]} failed ({done.returncode}):\n{done.stdout}{done.stderr}")
    return done.stdout


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def wait_until_accepting(url: str, what: str, timeout_s: float = START_TIMEOUT_S) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            with psycopg.connect(url, connect_timeout=2) as conn:
                conn.execute("SELECT 1")
            return
        except psycopg.OperationalError as error:
            if time.monotonic() > deadline:
                raise RuntimeError(f"{what} did not start: {error}") from None
            time.sleep(0.2)
