"""Cursor pages of a merchant's own rows, newest first (``?limit=&starting_after=``).

The cursor is the public id of the last row seen; it is looked up among the
rows the caller may see (same coin, same filter), so a cursor naming someone
else's row is refused like a made-up one: 422 ``cursor_invalid``. Ids grow
with time in a coin, so ``id DESC`` is newest first and a page never shifts
when new rows arrive.
"""

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, text

from kit.errors import Code
from kit.problems import Problem

PAGE_MAX = 100
PAGE_DEFAULT = 20


def page_of(
    conn: Connection,
    *,
    table: str,
    columns: str,
    where: str,
    params: Mapping[str, Any],
    limit: int,
    starting_after: str | None,
) -> tuple[list[Any], bool]:
    """Up to ``limit`` rows of ``table`` matching ``where`` after the cursor, and if more follow.

    ``table``, ``columns`` and ``where`` are the caller's constants, never input.
    The rows are SQLAlchemy rows: by position or by column name.
    """
    assert 1 <= limit <= PAGE_MAX, "the route bounds the page"
    bound = dict(params)
    after = ""
    if starting_after is not None:
        cursor_id = conn.execute(
            text(f"SELECT id FROM {table} WHERE {where} AND public_id = :cursor"),
            {**bound, "cursor": starting_after},
        ).scalar_one_or_none()
        if cursor_id is None:
            raise Problem(Code.CURSOR_INVALID, "starting_after names no row")
        after = " AND id < :after"
        bound["after"] = cursor_id
    rows = conn.execute(
        text(f"SELECT {columns} FROM {table} WHERE {where}{after} ORDER BY id DESC LIMIT :n"),
        {**bound, "n": limit + 1},
    ).all()
    return list(rows[:limit]), len(rows) > limit
