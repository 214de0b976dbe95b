"""``localcoin backup …``: base backups, the WAL archive and point-in-time restores,
with pgBackRest (docs/operations.md §2 says why pgBackRest).

These commands run ``pgbackrest`` as it is configured for the cluster (its own
configuration file, a stanza per cluster): run them as the database's system
user, on the database's machine (or the repository host). PostgreSQL pushes
every WAL segment itself, through ``archive_command = 'pgbackrest
--stanza=localcoin archive-push %p'``. What these commands add is the order of
the steps and one JSON result each, so a cron job or a restore drill can check
what happened.
"""

import json
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from localcoin.command_io import emit, fail, stderr

backup_app = typer.Typer(
    no_args_is_help=True, help="Base backups, the WAL archive and point-in-time restores."
)

PGBACKREST = "pgbackrest"
# A full backup of a large cluster takes hours; a stuck one must still end.
PGBACKREST_TIMEOUT_S = 24 * 3600

StanzaOption = Annotated[
    str, typer.Option(help="pgBackRest's name for the cluster (a section of its config).")
]
ConfigOption = Annotated[
    Path | None,
    typer.Option(help="pgBackRest's configuration file (default: its own, /etc/pgbackrest)."),
]
OsUserOption = Annotated[
    str | None,
    typer.Option(
        help="Run pgbackrest as this system user (the cluster's owner, e.g. postgres) when "
        "localcoin runs as root."
    ),
]


class BackupType(StrEnum):
    """pgBackRest's kinds: everything, changes since the last full, or since the last backup."""

    FULL = "full"
    DIFF = "diff"
    INCR = "incr"


@dataclass(frozen=True, slots=True)
class Repository:
    """How to reach pgBackRest's repository: the stanza, its config, the user it runs as."""

    stanza: str
    config: Path | None
    os_user: str | None


def _pgbackrest(repo: Repository, *args: str) -> str:
    """Runs one pgbackrest command; its stdout, or the command fails with its error."""
    command = [PGBACKREST, f"--stanza={repo.stanza}"]
    if repo.config is not None:
        command.append(f"--config={repo.config}")
    command += list(args)
    try:
        done = subprocess.run(  # noqa: S603 - pgbackrest with our own arguments, no shell
            command,
            capture_output=True,
            text=True,
            timeout=PGBACKREST_TIMEOUT_S,
            check=False,
            user=repo.os_user,
        )
    except FileNotFoundError:
        raise fail(
            "pgbackrest_missing", "pgbackrest is not installed (apt-get install pgbackrest)"
        ) from None
    if done.returncode != 0:
        detail = (done.stderr or done.stdout).strip()[-2000:]
        raise fail("pgbackrest_failed", f"pgbackrest {args[0]}: {detail}")
    return done.stdout


def _last_backup(repo: Repository) -> dict[str, Any]:
    info = json.loads(_pgbackrest(repo, "info", "--output=json"))
    (cluster,) = info
    backups = cluster["backup"]
    assert backups, "pgbackrest info lists no backup after a backup"
    last: dict[str, Any] = backups[-1]
    return last


def _described(backup: dict[str, Any]) -> dict[str, Any]:
    return {
        "label": backup["label"],
        "type": backup["type"],
        "started_at": datetime.fromtimestamp(backup["timestamp"]["start"], UTC).isoformat(),
        "stopped_at": datetime.fromtimestamp(backup["timestamp"]["stop"], UTC).isoformat(),
        "wal_start": backup["archive"]["start"],
        "wal_stop": backup["archive"]["stop"],
        "database_bytes": backup["info"]["size"],
        "repository_bytes": backup["info"]["repository"]["delta"],
    }


@backup_app.command("take")
def backup_take(
    stanza: StanzaOption = "localcoin",
    config: ConfigOption = None,
    os_user: OsUserOption = None,
    type_: Annotated[
        BackupType, typer.Option("--type", help="full, diff (since the last full) or incr.")
    ] = BackupType.FULL,
) -> None:
    """Takes a base backup; prints it. The first run creates the stanza, and every run
    first checks that WAL archiving works: a backup without its WAL restores nothing."""
    repo = Repository(stanza, config, os_user)
    with stderr.status("checking the WAL archive"):
        _pgbackrest(repo, "stanza-create")
        _pgbackrest(repo, "check")
    with stderr.status(f"taking a {type_.value} backup"):
        _pgbackrest(repo, "backup", f"--type={type_.value}")
    emit({"ok": True, "stanza": stanza} | _described(_last_backup(repo)))


@backup_app.command("restore")
def backup_restore(
    target_time: Annotated[
        datetime,
        typer.Option(
            formats=["%Y-%m-%dT%H:%M:%S.%f%z", "%Y-%m-%dT%H:%M:%S%z"],
            help="Recover up to this instant (ISO 8601 with its offset), and no further.",
        ),
    ],
    pg_path: Annotated[
        Path, typer.Option(help="The data directory to restore into: new, or empty.")
    ],
    stanza: StanzaOption = "localcoin",
    config: ConfigOption = None,
    os_user: OsUserOption = None,
) -> None:
    """Restores the newest backup taken before TARGET_TIME into PG_PATH and sets recovery
    to replay the archived WAL up to that instant, then promote. Start PostgreSQL on
    PG_PATH, then run ``localcoin ledger verify --anchor`` with the last anchor before
    that instant."""
    if pg_path.exists() and any(pg_path.iterdir()):
        raise fail("pg_path_not_empty", f"{pg_path} holds files; restore into a new directory")
    # PostgreSQL reads the target in its own syntax; an offset keeps it one instant.
    target = target_time.isoformat(sep=" ")
    with stderr.status(f"restoring to {target}"):
        _pgbackrest(
            Repository(stanza, config, os_user),
            "restore",
            f"--pg1-path={pg_path}",
            "--type=time",
            f"--target={target}",
            "--target-action=promote",
        )
    emit({"ok": True, "stanza": stanza, "pg_path": str(pg_path), "target_time": target})
