"""Integrity checks over a coin's books: what ``localcoin ledger verify`` runs.

Each check reads the books from scratch and compares with what the database
keeps: entries balance, cached balances equal the postings, no account that
may not go negative is below zero, held amounts equal the active holds, lots
equal their movements and their wallet's balance, and the hash chain is
intact. Failures are listed, never hidden.
"""

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, text

from ledger.chain import unsealed_count, verify_chain

FAILURES_MAX = 20


@dataclass(slots=True)
class Check:
    """Attributes:
    name: what was checked.
    checked: how many things (entries, accounts, lots) it looked at.
    failures: what did not hold, one line each (at most FAILURES_MAX kept).
    failure_count: how many did not hold in all.
    """

    name: str
    checked: int = 0
    failures: list[str] = field(default_factory=list)
    failure_count: int = 0

    @property
    def ok(self) -> bool:
        return self.failure_count == 0

    def fail(self, line: str) -> None:
        self.failure_count += 1
        if len(self.failures) < FAILURES_MAX:
            self.failures.append(line)

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "checked": self.checked,
            "failure_count": self.failure_count,
            "failures": self.failures,
        }


@dataclass(slots=True)
class CoinReport:
    """Attributes:
    coin_id: the coin checked.
    entries, postings, accounts: how much was read.
    sealed, unsealed: entries in the hash chain, and not yet in it.
    chain_head: the hex of the last chain hash, to record outside the database.
    checks: each check by name.
    """

    coin_id: int
    entries: int = 0
    postings: int = 0
    accounts: int = 0
    sealed: int = 0
    unsealed: int = 0
    chain_head: str | None = None
    checks: dict[str, Check] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return all(check.ok for check in self.checks.values())

    def as_dict(self) -> dict[str, Any]:
        return {
            "coin_id": self.coin_id,
            "ok": self.ok,
            "entries": self.entries,
            "postings": self.postings,
            "accounts": self.accounts,
            "sealed": self.sealed,
            "unsealed": self.unsealed,
            "chain_head": self.chain_head,
            "checks": {name: check.as_dict() for name, check in self.checks.items()},
        }


def verify_coin(conn: Connection, *, coin_id: int) -> CoinReport:
    """Runs every check on one coin. Read-only; run it in a REPEATABLE READ
    transaction to see one snapshot of the books."""
    report = CoinReport(coin_id=coin_id)
    params = {"coin": coin_id}
    report.entries, report.postings, report.accounts = conn.execute(
        text(
            "SELECT (SELECT count(*) FROM entries WHERE coin_id = :coin),"
            " (SELECT count(*) FROM postings WHERE coin_id = :coin),"
            " (SELECT count(*) FROM accounts WHERE coin_id = :coin)"
        ),
        params,
    ).one()
    for check in (
        _entries_balance(conn, coin_id),
        _balances_equal_postings(conn, coin_id),
        _no_forbidden_negative(conn, coin_id),
        _held_equals_holds(conn, coin_id),
        _lots_equal_movements(conn, coin_id),
        _lots_equal_balances(conn, coin_id),
    ):
        report.checks[check.name] = check
    chain = verify_chain(conn, coin_id=coin_id, failures_max=FAILURES_MAX)
    report.sealed = chain.sealed
    report.chain_head = chain.head_hash.hex() if chain.head_hash is not None else None
    report.unsealed = unsealed_count(conn, coin_id=coin_id)
    chain_check = Check("hash_chain", checked=chain.sealed)
    for line in chain.failures:
        chain_check.fail(line)
    report.checks[chain_check.name] = _entries_outside_the_chain(conn, coin_id, chain_check)
    return report


def _run(conn: Connection, check: Check, sql: str, coin_id: int) -> Check:
    rows = conn.execute(text(sql), {"coin": coin_id}).all()
    for row in rows:
        check.fail(row[0])
    return check


def _entries_balance(conn: Connection, coin_id: int) -> Check:
    check = Check("entries_balance", checked=_count(conn, "entries", coin_id))
    return _run(
        conn,
        check,
        "SELECT format('entry %s sums to %s over %s postings', e.id,"
        " coalesce(sum(p.amount), 0), count(p.idx))"
        " FROM entries e LEFT JOIN postings p ON p.coin_id = e.coin_id AND p.entry_id = e.id"
        " WHERE e.coin_id = :coin GROUP BY e.id"
        " HAVING coalesce(sum(p.amount), 0) <> 0 OR count(p.idx) < 2 ORDER BY e.id",
        coin_id,
    )


_SIGNED_POSTINGS = (
    "SELECT p.account_id, sum(CASE WHEN a.class IN ('asset', 'expense') THEN p.amount"
    " ELSE -p.amount END) AS total FROM postings p JOIN accounts a"
    " ON a.coin_id = p.coin_id AND a.id = p.account_id WHERE p.coin_id = :coin"
    " GROUP BY p.account_id"
)


def _balances_equal_postings(conn: Connection, coin_id: int) -> Check:
    check = Check("balances_equal_postings", checked=_count(conn, "accounts", coin_id))
    return _run(
        conn,
        check,
        f"WITH p AS ({_SIGNED_POSTINGS}),"
        " b AS (SELECT account_id, sum(posted) AS posted FROM account_balances"
        "       WHERE coin_id = :coin GROUP BY account_id)"
        " SELECT format('account %s caches %s but its postings sum to %s', b.account_id,"
        " b.posted, coalesce(p.total, 0)) FROM b LEFT JOIN p ON p.account_id = b.account_id"
        " WHERE b.posted <> coalesce(p.total, 0) ORDER BY b.account_id",
        coin_id,
    )


def _no_forbidden_negative(conn: Connection, coin_id: int) -> Check:
    check = Check("no_forbidden_negative", checked=_count(conn, "accounts", coin_id))
    return _run(
        conn,
        check,
        "SELECT format('account %s (may not go negative) has posted %s, held %s', a.id,"
        " sum(b.posted), sum(b.held)) FROM accounts a JOIN account_balances b"
        " ON b.coin_id = a.coin_id AND b.account_id = a.id WHERE a.coin_id = :coin"
        " GROUP BY a.id, a.allow_negative"
        " HAVING NOT a.allow_negative AND (sum(b.posted) < 0 OR sum(b.posted) - sum(b.held) < 0"
        "   OR bool_or(b.posted < 0) OR bool_or(b.allow_negative))"
        " ORDER BY a.id",
        coin_id,
    )


def _held_equals_holds(conn: Connection, coin_id: int) -> Check:
    check = Check("held_equals_active_holds", checked=_count(conn, "holds", coin_id))
    return _run(
        conn,
        check,
        "WITH h AS (SELECT account_id, sum(amount) AS held FROM holds"
        "           WHERE coin_id = :coin AND status = 'active' GROUP BY account_id),"
        " b AS (SELECT account_id, sum(held) AS held FROM account_balances"
        "       WHERE coin_id = :coin GROUP BY account_id)"
        " SELECT format('account %s holds %s but its active holds sum to %s', b.account_id,"
        " b.held, coalesce(h.held, 0)) FROM b LEFT JOIN h ON h.account_id = b.account_id"
        " WHERE b.held <> coalesce(h.held, 0) ORDER BY b.account_id",
        coin_id,
    )


def _lots_equal_movements(conn: Connection, coin_id: int) -> Check:
    check = Check("lots_equal_movements", checked=_count(conn, "lots", coin_id))
    return _run(
        conn,
        check,
        "WITH m AS (SELECT lot_id, sum(amount) AS total FROM lot_movements"
        "           WHERE coin_id = :coin GROUP BY lot_id)"
        " SELECT format('lot %s has %s left but its movements sum to %s', l.id, l.remaining,"
        " coalesce(m.total, 0)) FROM lots l LEFT JOIN m ON m.lot_id = l.id"
        " WHERE l.coin_id = :coin AND l.remaining <> coalesce(m.total, 0) ORDER BY l.id",
        coin_id,
    )


def _lots_equal_balances(conn: Connection, coin_id: int) -> Check:
    check = Check("lots_equal_balances")
    check.checked = conn.execute(
        text("SELECT count(*) FROM accounts WHERE coin_id = :coin AND tracks_lots"),
        {"coin": coin_id},
    ).scalar_one()
    return _run(
        conn,
        check,
        "WITH l AS (SELECT account_id, sum(remaining) AS total FROM lots"
        "           WHERE coin_id = :coin GROUP BY account_id),"
        " b AS (SELECT account_id, sum(posted) AS posted FROM account_balances"
        "       WHERE coin_id = :coin GROUP BY account_id)"
        " SELECT format('wallet %s has balance %s but its lots sum to %s', a.id, b.posted,"
        " coalesce(l.total, 0)) FROM accounts a JOIN b ON b.account_id = a.id"
        " LEFT JOIN l ON l.account_id = a.id"
        " WHERE a.coin_id = :coin AND a.tracks_lots AND b.posted <> coalesce(l.total, 0)"
        " ORDER BY a.id",
        coin_id,
    )


def _entries_outside_the_chain(conn: Connection, coin_id: int, check: Check) -> Check:
    """An entry neither sealed nor waiting for the sealer would escape the chain
    for good: a removed newest seal or queue row breaks no link."""
    return _run(
        conn,
        check,
        "SELECT format('entry %s is neither sealed nor waiting for the sealer', e.id)"
        " FROM entries e WHERE e.coin_id = :coin"
        " AND NOT EXISTS (SELECT 1 FROM entry_seals s"
        "                 WHERE s.coin_id = e.coin_id AND s.entry_id = e.id)"
        " AND NOT EXISTS (SELECT 1 FROM entries_unsealed u"
        "                 WHERE u.coin_id = e.coin_id AND u.entry_id = e.id)"
        " ORDER BY e.id",
        coin_id,
    )


def _count(conn: Connection, table: str, coin_id: int) -> int:
    assert table in {"entries", "accounts", "holds", "lots"}
    count: int = conn.execute(
        text(f"SELECT count(*) FROM {table} WHERE coin_id = :coin"), {"coin": coin_id}
    ).scalar_one()
    return count
