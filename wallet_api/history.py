"""A wallet's history as a resident reads it: each ledger line with its words.

Pages come from the ledger's keyset history (``account_history``), newest
first; a line's cursor is its ``id``. Lines of transfers between residents
name the other person: one query per page finds their display names.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, Engine, text

from ledger.history import HistoryLine, account_history
from ledger.limits import HISTORY_PAGE_MAX
from wallet_api.history_words import Lang, describe, describe_reversal
from wallet_api.residents import Wallet
from wallet_api.transfers import KIND as P2P


@dataclass(frozen=True, slots=True)
class WalletLine:
    """Attributes:
    cursor: the line's position; the next page starts after it.
    amount: signed coin from the wallet's view (positive: came in).
    kind: the ledger entry's kind.
    description: the resident's words for it.
    created_at: when it was posted (UTC).
    """

    cursor: str
    amount: int
    kind: str
    description: str
    created_at: datetime

    def as_dict(self) -> dict[str, object]:
        return {
            "id": self.cursor,
            "amount": self.amount,
            "kind": self.kind,
            "description": self.description,
            "created_at": self.created_at.isoformat(),
        }


def history_page(
    conn: Connection, *, wallet: Wallet, limit: int, starting_after: str | None, lang: Lang
) -> tuple[list[WalletLine], bool]:
    """One page of the wallet's lines, newest first, and whether older ones follow."""
    page = account_history(
        conn,
        coin_id=wallet.coin_id,
        account_id=wallet.account_id,
        limit=limit,
        starting_after=starting_after,
    )
    names = _counterparties(conn, wallet=wallet, lines=page.lines)
    return [_line(line, names, lang) for line in page.lines], page.has_more


def all_lines(conn: Connection, *, wallet: Wallet, lang: Lang) -> Iterator[WalletLine]:
    """Every line of the wallet, newest first, page by page (for the download)."""
    cursor: str | None = None
    while True:
        lines, has_more = history_page(
            conn, wallet=wallet, limit=HISTORY_PAGE_MAX, starting_after=cursor, lang=lang
        )
        yield from lines
        if not has_more:
            return
        cursor = lines[-1].cursor


def snapshot_lines(engine: Engine, *, wallet: Wallet, lang: Lang) -> Iterator[WalletLine]:
    """Every line, read page by page in one snapshot on a connection of its own, so a
    payment made during a long download neither appears halfway nor shifts the pages."""
    with engine.connect() as connection:
        conn = connection.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin():
            conn.exec_driver_sql("SET TRANSACTION READ ONLY")
            yield from all_lines(conn, wallet=wallet, lang=lang)


def _line(line: HistoryLine, names: dict[int, str], lang: Lang) -> WalletLine:
    if line.kind == "reversal":
        reverses = line.metadata.get("reverses_kind")
        words = describe_reversal(
            reverses if isinstance(reverses, str) else None, amount=line.amount, lang=lang
        )
    else:
        words = describe(line.kind, amount=line.amount, lang=lang, name=names.get(line.entry_id))
    return WalletLine(line.cursor, line.amount, line.kind, words, line.posted_at)


def _counterparties(
    conn: Connection, *, wallet: Wallet, lines: list[HistoryLine]
) -> dict[int, str]:
    """The sender's display name for each transfer the wallet received, by entry id.

    A transfer the wallet sent is not named: anyone who knows a wallet id (a
    shop that was shown it, a stranger) could otherwise send it one yen and read
    its owner's name in their own history. A sender names themselves by sending."""
    entry_ids = [line.entry_id for line in lines if line.kind == P2P and line.amount > 0]
    if not entry_ids:
        return {}
    rows = conn.execute(
        text(
            "SELECT t.entry_id, r.display_name FROM transfers t"
            " JOIN wallets w ON w.coin_id = t.coin_id AND w.id = t.from_wallet_id"
            " JOIN residents r ON r.id = w.resident_id"
            " WHERE t.coin_id = :coin AND t.to_wallet_id = :wallet AND t.entry_id = ANY(:entries)"
        ),
        {"coin": wallet.coin_id, "wallet": wallet.id, "entries": entry_ids},
    ).all()
    return {row[0]: row[1] for row in rows}
