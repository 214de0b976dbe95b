"""The coins on this deployment, as the sign-up page lists them: by code, a page at a time."""

from sqlalchemy import Connection, text

from ledger.coins import COIN, Coin


def coins_page(
    conn: Connection, *, limit: int, starting_after: str | None
) -> tuple[list[Coin], bool]:
    """Up to ``limit`` coins after the code ``starting_after``, by code, and if more follow."""
    rows = conn.execute(
        text(
            f"SELECT {COIN.sql} FROM coins"
            " WHERE (CAST(:after AS text) IS NULL OR code > :after)"
            " ORDER BY code LIMIT :limit"
        ),
        {"after": starting_after, "limit": limit + 1},
    ).all()
    coins = [COIN.read(row) for row in rows]
    return coins[:limit], len(coins) > limit
