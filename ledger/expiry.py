"""The expiry sweep: what is left of a lot past its date moves to breakage.

One entry per lot (debit the wallet's lot, credit breakage), so each expiry is
visible in the resident's history. A sweep never takes what active holds
need: on a wallet with holds it expires only the part of its lots that is
available, and the rest expires when the hold has gone.
"""

from datetime import datetime

from sqlalchemy import Connection, text

from ledger.chart import Standard, standard_account
from ledger.entries import EntryRequest, credit, debit, lock_balances, post_entry
from ledger.lots import ExpiredLot

SWEEP_LOCK_KEY = 7302


def expire_lots(
    conn: Connection,
    *,
    coin_id: int,
    as_of: datetime,
    at: datetime,
    breakage_account_id: int,
    limit: int = 1_000,
    account_id: int | None = None,
) -> list[ExpiredLot]:
    """Expires up to ``limit`` lots whose date is at or before ``as_of``.

    The entries are posted at ``at`` (now): a sweep run late does not rewrite
    the balances of the past.

    Sweeps of one coin take turns (a transaction-level advisory lock), so two
    concurrent sweeps never expire the same lot twice.
    """
    assert as_of.tzinfo is not None, "instants are timezone-aware"
    assert 1 <= limit <= 10_000
    conn.execute(
        text("SELECT pg_advisory_xact_lock(:key, CAST(:coin AS integer))"),
        {"key": SWEEP_LOCK_KEY, "coin": coin_id},
    )
    only_account = " AND l.account_id = :acc" if account_id is not None else ""
    lots = conn.execute(
        text(
            "SELECT l.id, l.account_id, l.remaining FROM lots l"
            " WHERE l.coin_id = :coin AND l.remaining > 0 AND l.expires_at IS NOT NULL"
            f" AND l.expires_at <= :as_of{only_account}"
            " ORDER BY l.account_id, l.expires_at, l.id LIMIT :limit"
        ),
        {"coin": coin_id, "as_of": as_of, "limit": limit, "acc": account_id},
    ).all()
    wallets = sorted({lot.account_id for lot in lots})
    lock_balances(
        conn,
        coin_id=coin_id,
        legs=[debit(w, 1) for w in wallets] + [credit(breakage_account_id, 1)],
    )
    available = _available(conn, coin_id, wallets)
    # Read again now that the wallets are locked: a payment that committed while
    # this sweep waited for the lock may have spent some of these lots.
    remaining = _remaining(conn, coin_id, [lot.id for lot in lots])
    expired: list[ExpiredLot] = []
    for lot_id, wallet_id, _ in lots:
        amount = min(remaining[lot_id], available[wallet_id])
        if amount <= 0:
            continue
        available[wallet_id] -= amount
        posted = post_entry(
            conn,
            coin_id=coin_id,
            request=EntryRequest(
                kind="lot.expired",
                legs=(debit(wallet_id, amount, lot_id=lot_id), credit(breakage_account_id, amount)),
                metadata={"lot_id": lot_id},
            ),
            posted_at=at,
        )
        expired.append(ExpiredLot(lot_id, wallet_id, amount, posted.entry_id))
    return expired


def _available(conn: Connection, coin_id: int, account_ids: list[int]) -> dict[int, int]:
    # The rows are locked already, so no hold placed meanwhile can count on
    # coin this sweep expires.
    rows = conn.execute(
        text(
            "SELECT account_id, posted - held FROM account_balances"
            " WHERE coin_id = :coin AND account_id = ANY(:ids) AND slot = 0"
        ),
        {"coin": coin_id, "ids": account_ids},
    ).all()
    return {row[0]: row[1] for row in rows}


def _remaining(conn: Connection, coin_id: int, lot_ids: list[int]) -> dict[int, int]:
    rows = conn.execute(
        text("SELECT id, remaining FROM lots WHERE coin_id = :coin AND id = ANY(:ids)"),
        {"coin": coin_id, "ids": lot_ids},
    ).all()
    return {row[0]: row[1] for row in rows}


def expire_due_lots_of(
    conn: Connection, *, coin_id: int, account_id: int, at: datetime
) -> list[ExpiredLot]:
    """Expires this wallet's lots past their date, into the coin's breakage, before it spends.

    The sweep runs daily, so a wallet may still hold a lot that expired since;
    a payment must not spend it. The cheap check first keeps the coin-wide
    sweep lock (and the breakage account's lookup) off the payment path except
    when there is something to expire.
    """
    due = conn.execute(
        text(
            "SELECT 1 FROM lots WHERE coin_id = :coin AND account_id = :acc AND remaining > 0"
            " AND expires_at IS NOT NULL AND expires_at <= :at LIMIT 1"
        ),
        {"coin": coin_id, "acc": account_id, "at": at},
    ).first()
    if due is None:
        return []
    breakage = standard_account(conn, coin_id=coin_id, code=Standard.REVENUE_BREAKAGE)
    return expire_lots(
        conn,
        coin_id=coin_id,
        as_of=at,
        at=at,
        breakage_account_id=breakage.id,
        account_id=account_id,
    )
