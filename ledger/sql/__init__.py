"""The ledger's server-side SQL: the functions and triggers that guard the books.

Each idea is a folder here (``post_entry/``, ``balance_triggers/``,
``append_only/`` …) of versioned files ``v1.sql``, ``v2.sql`` …. A version is
the text one Alembic migration applied, and it never changes afterwards, so an
old migration builds today exactly what it built then. The highest version of
a folder is what the database runs now: read it beside the Python that calls
it. README.md here says how to change one.

Terms:
    name: a folder here, one idea (``post_entry``).
    version: a file of that folder, ``v<version>.sql``, from 1 up without gaps.
"""

import re
from importlib.resources import files
from importlib.resources.abc import Traversable

_VERSION_FILE = re.compile(r"v([1-9][0-9]*)\.sql")


def _folder(name: str) -> Traversable:
    folder = files(__name__) / name
    assert folder.is_dir(), f"no ledger SQL named {name!r}"
    return folder


def sql_names() -> list[str]:
    """Every name of ledger SQL, sorted."""
    return sorted(item.name for item in files(__name__).iterdir() if _versions_of(item))


def _versions_of(folder: Traversable) -> list[int]:
    if not folder.is_dir():
        return []
    found = (_VERSION_FILE.fullmatch(item.name) for item in folder.iterdir())
    return sorted(int(match[1]) for match in found if match)


def sql_versions(name: str) -> list[int]:
    """The versions of ``name``, oldest first."""
    return _versions_of(_folder(name))


def latest_version(name: str) -> int:
    """The version of ``name`` that the database built by ``alembic upgrade head`` runs."""
    return sql_versions(name)[-1]


def ledger_sql(name: str, version: int) -> str:
    """The text of one version of ``name``, as the migration that introduced it applies it."""
    assert version >= 1, "versions start at 1"
    return (_folder(name) / f"v{version}.sql").read_text(encoding="utf-8")
