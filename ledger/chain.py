"""The hash chain over a coin's entries.

Linking happens after commit, by a sealer, so payments never wait on it: each
committed entry gets the next chain index of its coin, its content hash
(SHA-256 of a canonical rendering of the entry and its postings) and its chain
hash, SHA-256(previous chain hash || content hash). Any later change to a
sealed entry or posting, or a removed or reordered seal, breaks the chain from
that point, and ``verify_chain`` says where.

The sealer and the canonical rendering are server-side functions,
``ledger_seal`` and ``ledger_entry_digest``, in ledger/sql/chain/ (its highest
``v*.sql`` is the one the database runs).
"""

import hashlib
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Connection, text

from ledger.limits import SEAL_BATCH_MAX

GENESIS_HASH = bytes(32)
VERIFY_FETCH_ROWS = 5_000


def seal(conn: Connection, *, coin_id: int, at: datetime, limit: int = SEAL_BATCH_MAX) -> int:
    """Links up to ``limit`` committed, unsealed entries of the coin; returns how many."""
    assert 1 <= limit <= SEAL_BATCH_MAX
    sealed: int = conn.execute(
        text("SELECT ledger_seal(:coin, :limit, :at)"), {"coin": coin_id, "limit": limit, "at": at}
    ).scalar_one()
    return sealed


def unsealed_count(conn: Connection, *, coin_id: int) -> int:
    count: int = conn.execute(
        text("SELECT count(*) FROM entries_unsealed WHERE coin_id = :coin"), {"coin": coin_id}
    ).scalar_one()
    return count


@dataclass(slots=True)
class ChainReport:
    """Attributes:
    sealed: entries linked into the chain.
    first_break: the chain index where the chain first fails, or None.
    failures: what failed, one line each (at most a few dozen kept).
    head_hash: the last chain hash (None for an empty chain). Recorded outside
        the database (a daily report, a notary), it proves later that nobody
        with the keys to the database rewrote the whole chain consistently.
    """

    sealed: int = 0
    first_break: int | None = None
    failures: list[str] = field(default_factory=list)
    head_hash: bytes | None = None

    @property
    def ok(self) -> bool:
        return self.first_break is None


def verify_chain(conn: Connection, *, coin_id: int, failures_max: int = 20) -> ChainReport:
    """Recomputes every sealed entry's content hash and the chain, in chain order.

    Streams the seals with a server-side cursor, so memory stays flat at
    millions of entries.
    """
    report = ChainReport()
    previous = GENESIS_HASH
    expected_index = 1
    result = conn.execution_options(stream_results=True, yield_per=VERIFY_FETCH_ROWS).execute(
        text(
            "SELECT s.chain_index, s.entry_id, s.content_hash, s.chain_hash,"
            " ledger_entry_digest(s.coin_id, s.entry_id)"
            " FROM entry_seals s WHERE s.coin_id = :coin ORDER BY s.chain_index"
        ),
        {"coin": coin_id},
    )
    for index, entry_id, content, chained, recomputed in result:
        report.sealed += 1
        problem = None
        if index != expected_index:
            problem = f"chain index {index} found where {expected_index} was due"
        elif recomputed is None or bytes(recomputed) != bytes(content):
            problem = f"entry {entry_id} (chain index {index}) changed after it was sealed"
        elif hashlib.sha256(previous + bytes(content)).digest() != bytes(chained):
            problem = f"chain hash at index {index} does not follow from the one before"
        if problem is not None:
            if report.first_break is None:
                report.first_break = index
            if len(report.failures) < failures_max:
                report.failures.append(problem)
        previous = bytes(chained)
        expected_index = index + 1
    report.head_hash = previous if report.sealed else None
    return report
