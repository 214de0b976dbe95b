"""The database is the last guard of the books: these tests go around Python.

Each writes with raw SQL, as a buggy service or an operator at a psql prompt
would, and commits for real (the balance check is deferred to COMMIT, so a
rolled-back test would prove nothing). The database must refuse: entries that
do not balance or have fewer than two postings, postings that take a wallet
below zero, any change to a posting, entry, lot movement or seal, and a lot
going negative.

The tamper tests then play an attacker with the owner's rights who switches
the append-only triggers off: ``verify_coin`` must notice what was changed
after sealing. They touch only their own coin and switch the triggers back on
whatever happens.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import psycopg.errors
import pytest
from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DBAPIError

from ledger.accounts import Balance, get_balance
from ledger.chain import seal
from ledger.chart import Standard
from ledger.entries import EntryRequest, credit, debit, post_entry, transfer
from ledger.errors import Code, LedgerError
from ledger.holds import place_hold
from ledger.lots import LotKind
from ledger.unit_of_work import run_in_transaction
from ledger.verify import CoinReport, verify_coin
from tests.conftest import T0, Books

CHECK_VIOLATION = "23514"
RESTRICT_VIOLATION = "23001"
FOREIGN_KEY_VIOLATION = "23503"


# --- helpers -------------------------------------------------------------------------


def post(books: Books, request: EntryRequest) -> int:
    return run_in_transaction(
        books.engine,
        lambda conn: post_entry(conn, coin_id=books.coin_id, request=request, posted_at=T0),
    ).entry_id


def top_up(books: Books, wallet: int, amount: int) -> int:
    reserve = books.account(Standard.RESERVE_BANK)
    return post(
        books, EntryRequest("topup.counter", [debit(reserve, amount), credit(wallet, amount)])
    )


def balance(books: Books, account: int) -> Balance:
    return run_in_transaction(
        books.engine,
        lambda conn: get_balance(conn, coin_id=books.coin_id, account_id=account),
    )


def verify(books: Books) -> CoinReport:
    return run_in_transaction(books.engine, lambda conn: verify_coin(conn, coin_id=books.coin_id))


def failing(report: CoinReport) -> set[str]:
    return {name for name, check in report.checks.items() if not check.ok}


def entry_count(books: Books) -> int:
    with books.engine.connect() as conn:
        return int(
            conn.exec_driver_sql(
                "SELECT count(*) FROM entries WHERE coin_id = %s", (books.coin_id,)
            ).scalar_one()
        )


def raw_entry(conn: Connection, books: Books, kind: str = "raw.sql") -> int:
    """Inserts an entry row by hand; returns its id."""
    return int(
        conn.exec_driver_sql(
            "INSERT INTO entries (coin_id, kind, posted_at) VALUES (%s, %s, %s) RETURNING id",
            (books.coin_id, kind, T0),
        ).scalar_one()
    )


def raw_posting(
    conn: Connection,
    books: Books,
    entry_id: int,
    idx: int,
    account: int,
    amount: int,
    **lot: object,
) -> None:
    """Inserts a posting by hand (signed: positive debits)."""
    conn.exec_driver_sql(
        "INSERT INTO postings (coin_id, entry_id, idx, account_id, amount, posted_at,"
        " spend_kinds) VALUES (%s, %s, %s, %s, %s, %s, %s)",
        (books.coin_id, entry_id, idx, account, amount, T0, lot.get("spend_kinds")),
    )


def refused_statement(
    books: Books, sql: str, params: tuple[object, ...]
) -> tuple[str | None, str | None]:
    """Runs one raw statement that the database must refuse; returns how it refused."""
    with books.engine.connect() as conn:
        with pytest.raises(DBAPIError) as refused:
            conn.exec_driver_sql(sql, params)
        conn.rollback()
    return refusal(refused.value)


def refusal(error: DBAPIError) -> tuple[str | None, str | None]:
    """The SQLSTATE and constraint name PostgreSQL refused with."""
    orig = error.orig
    assert isinstance(orig, psycopg.Error), error
    return orig.sqlstate, orig.diag.constraint_name


# --- entries must balance, at COMMIT ---------------------------------------------------


def test_an_entry_whose_postings_do_not_sum_to_zero_is_refused_at_commit(books: Books) -> None:
    reserve = books.account(Standard.RESERVE_BANK)
    fees = books.account(Standard.REVENUE_FEES)
    with books.engine.connect() as conn:
        entry_id = raw_entry(conn, books)
        raw_posting(conn, books, entry_id, 0, reserve, 100)
        raw_posting(conn, books, entry_id, 1, fees, -90)  # ten coin out of thin air
        # Each statement passes: the check is deferred to COMMIT.
        with pytest.raises(DBAPIError) as refused:
            conn.commit()
    assert refusal(refused.value) == (CHECK_VIOLATION, "entry_balanced")
    assert entry_count(books) == 0
    assert balance(books, reserve) == Balance(0, 0)
    assert balance(books, fees) == Balance(0, 0)


def test_the_unit_of_work_reports_an_unbalanced_entry_as_entry_unbalanced(books: Books) -> None:
    reserve = books.account(Standard.RESERVE_BANK)
    fees = books.account(Standard.REVENUE_FEES)

    def sloppy_service(conn: Connection) -> None:
        entry_id = raw_entry(conn, books)
        raw_posting(conn, books, entry_id, 0, reserve, 100)
        raw_posting(conn, books, entry_id, 1, fees, -99)

    with pytest.raises(LedgerError) as refused:
        run_in_transaction(books.engine, sloppy_service)
    assert refused.value.code == Code.ENTRY_UNBALANCED
    assert entry_count(books) == 0


def test_an_entry_with_a_single_posting_is_refused_at_commit(books: Books) -> None:
    reserve = books.account(Standard.RESERVE_BANK)
    with books.engine.connect() as conn:
        entry_id = raw_entry(conn, books)
        raw_posting(conn, books, entry_id, 0, reserve, 100)
        with pytest.raises(DBAPIError) as refused:
            conn.commit()
    assert refusal(refused.value) == (CHECK_VIOLATION, "entry_balanced")
    assert entry_count(books) == 0
    assert balance(books, reserve) == Balance(0, 0)


def test_an_entry_with_no_postings_is_refused_at_commit(books: Books) -> None:
    with books.engine.connect() as conn:
        raw_entry(conn, books)
        with pytest.raises(DBAPIError) as refused:
            conn.commit()
    assert refusal(refused.value) == (CHECK_VIOLATION, "entry_balanced")
    assert entry_count(books) == 0


def test_an_entry_that_balances_only_with_a_second_entry_is_still_refused(books: Books) -> None:
    """Two wrong entries that cancel out in one transaction are both wrong."""
    reserve = books.account(Standard.RESERVE_BANK)
    fees = books.account(Standard.REVENUE_FEES)
    with books.engine.connect() as conn:
        first, second = raw_entry(conn, books), raw_entry(conn, books)
        raw_posting(conn, books, first, 0, reserve, 100)
        raw_posting(conn, books, first, 1, fees, -60)
        raw_posting(conn, books, second, 0, reserve, 50)  # 40 short here, 40 over there
        raw_posting(conn, books, second, 1, fees, -90)
        with pytest.raises(DBAPIError) as refused:
            conn.commit()
    assert refusal(refused.value) == (CHECK_VIOLATION, "entry_balanced")
    assert entry_count(books) == 0


def test_postings_cannot_be_added_to_an_entry_committed_earlier(books: Books) -> None:
    """A committed entry never grows, not even by a pair of postings that balance."""
    wallet = books.wallet("resident:1")
    entry_id = top_up(books, wallet, 1_000)
    with books.engine.connect() as conn:
        with pytest.raises(DBAPIError) as refused:
            raw_posting(conn, books, entry_id, 2, wallet, 900)
        conn.rollback()
    assert refusal(refused.value) == (FOREIGN_KEY_VIOLATION, "postings_entry_of_this_transaction")
    assert balance(books, wallet).posted == 1_000


# --- no wallet below zero -------------------------------------------------------------


@pytest.mark.parametrize("wallet_kind", ["resident", "hot merchant"])
def test_a_posting_cannot_take_a_wallet_below_zero(books: Books, wallet_kind: str) -> None:
    wallet = (
        books.wallet("resident:1")
        if wallet_kind == "resident"
        else books.wallet("merchant:arena", lots=False, slots=8)
    )
    top_up(books, wallet, 100)
    with books.engine.connect() as conn:
        entry_id = raw_entry(conn, books)
        with pytest.raises(DBAPIError) as refused:
            raw_posting(conn, books, entry_id, 0, wallet, 101)  # debit: the wallet falls by 101
        conn.rollback()
    assert refusal(refused.value) == (CHECK_VIOLATION, "account_balances_no_negative")
    assert balance(books, wallet) == Balance(100, 0)
    assert entry_count(books) == 1


def test_a_posting_cannot_spend_coin_a_hold_reserves(books: Books) -> None:
    reserve = books.account(Standard.RESERVE_BANK)
    wallet = books.wallet("resident:1")
    top_up(books, wallet, 100)
    run_in_transaction(
        books.engine,
        lambda conn: place_hold(
            conn, coin_id=books.coin_id, account_id=wallet, amount=80, at=T0, ttl=timedelta(hours=1)
        ),
    )
    with books.engine.connect() as conn:
        entry_id = raw_entry(conn, books)
        raw_posting(conn, books, entry_id, 0, reserve, -30)
        with pytest.raises(DBAPIError) as refused:
            raw_posting(conn, books, entry_id, 1, wallet, 30)  # only 20 is available
        conn.rollback()
    assert refusal(refused.value) == (CHECK_VIOLATION, "account_balances_no_negative")
    assert balance(books, wallet) == Balance(100, 80)


def test_a_cached_balance_cannot_be_set_below_zero_by_hand(books: Books) -> None:
    wallet = books.wallet("resident:1")
    assert refused_statement(
        books,
        "UPDATE account_balances SET posted = -1 WHERE coin_id = %s AND account_id = %s",
        (books.coin_id, wallet),
    ) == (CHECK_VIOLATION, "account_balances_no_negative")


# --- lots ------------------------------------------------------------------------------


def test_a_lot_cannot_be_set_below_zero_by_hand(books: Books) -> None:
    wallet = books.wallet("resident:1")
    top_up(books, wallet, 100)
    assert refused_statement(
        books,
        "UPDATE lots SET remaining = remaining - 101 WHERE coin_id = %s AND account_id = %s",
        (books.coin_id, wallet),
    ) == (CHECK_VIOLATION, "lots_remaining_not_negative")


def test_a_money_only_posting_cannot_spend_points(books: Books) -> None:
    """Points never move between people: a wallet holding only points has
    nothing a money-only debit may take, whatever its balance says."""
    city = books.account(Standard.RECEIVABLE_MUNICIPALITY)
    wallet, neighbour = books.wallet("resident:1"), books.wallet("resident:2")
    post(
        books,
        EntryRequest(
            "grant.points",
            [
                debit(city, 300),
                credit(
                    wallet, 300, lot_kind=LotKind.POINTS, lot_expires_at=T0 + timedelta(days=30)
                ),
            ],
        ),
    )
    with books.engine.connect() as conn:
        entry_id = raw_entry(conn, books)
        with pytest.raises(DBAPIError) as refused:
            raw_posting(conn, books, entry_id, 0, wallet, 100, spend_kinds=["money"])
        conn.rollback()
    assert refusal(refused.value) == (CHECK_VIOLATION, "lots_insufficient")
    assert balance(books, wallet) == Balance(300, 0)
    assert balance(books, neighbour) == Balance(0, 0)


# --- append-only -----------------------------------------------------------------------


@pytest.fixture
def sealed_payment(books: Books) -> tuple[Books, int]:
    """A top-up and a payment to the arena, both sealed into the chain."""
    resident = books.wallet("resident:1")
    arena = books.wallet("merchant:arena", lots=False, slots=4)
    top_up(books, resident, 1_000)
    payment = post(
        books,
        EntryRequest("payment", transfer(from_account=resident, to_account=arena, amount=400)),
    )
    run_in_transaction(books.engine, lambda conn: seal(conn, coin_id=books.coin_id, at=T0))
    assert verify(books).ok
    return books, payment


CHANGES = {
    "postings": [
        "UPDATE postings SET amount = amount * 2 WHERE coin_id = %(coin)s",
        "DELETE FROM postings WHERE coin_id = %(coin)s",
    ],
    "entries": [
        "UPDATE entries SET kind = 'forged' WHERE coin_id = %(coin)s",
        "DELETE FROM entries WHERE coin_id = %(coin)s",
    ],
    "lot_movements": [
        "UPDATE lot_movements SET amount = amount * 2 WHERE coin_id = %(coin)s",
        "DELETE FROM lot_movements WHERE coin_id = %(coin)s",
    ],
    "entry_seals": [
        "UPDATE entry_seals SET chain_hash = content_hash WHERE coin_id = %(coin)s",
        "DELETE FROM entry_seals WHERE coin_id = %(coin)s",
    ],
}


@pytest.mark.parametrize(
    "statement", [sql for statements in CHANGES.values() for sql in statements]
)
def test_the_books_are_append_only(sealed_payment: tuple[Books, int], statement: str) -> None:
    books, _ = sealed_payment
    with books.engine.connect() as conn:
        with pytest.raises(DBAPIError) as refused:
            conn.exec_driver_sql(statement, {"coin": books.coin_id})
        conn.rollback()
    assert refusal(refused.value)[0] == RESTRICT_VIOLATION
    assert "append-only" in str(refused.value.orig)
    assert verify(books).ok


@pytest.mark.parametrize("table", ["postings", "entries"])
def test_the_books_cannot_be_truncated(sealed_payment: tuple[Books, int], table: str) -> None:
    books, _ = sealed_payment
    with books.engine.connect() as conn:
        try:
            with pytest.raises(DBAPIError) as refused:
                conn.exec_driver_sql(f"TRUNCATE {table} CASCADE")
        finally:
            conn.rollback()  # had it passed, every coin in this database would be gone
    assert refusal(refused.value)[0] == RESTRICT_VIOLATION
    assert entry_count(books) == 2
    assert verify(books).ok


# --- tampering with the triggers off ---------------------------------------------------


@contextmanager
def trigger_off(engine: Engine, table: str, trigger: str) -> Iterator[Connection]:
    """One transaction with an append-only trigger switched off, committed.

    ALTER TABLE is transactional: the trigger is back on at COMMIT, and no
    other session ever sees it off. The finally block switches it on again
    in case anything went wrong on the way.
    """
    with engine.connect() as conn:
        if not conn.exec_driver_sql(
            "SELECT rolsuper FROM pg_roles WHERE rolname = current_user"
        ).scalar_one():
            pytest.skip("tampering needs the superuser")
        conn.rollback()
    try:
        with engine.connect() as conn, conn.begin():
            conn.exec_driver_sql(f"ALTER TABLE {table} DISABLE TRIGGER {trigger}")
            yield conn
            conn.exec_driver_sql(f"ALTER TABLE {table} ENABLE TRIGGER {trigger}")
    finally:
        with engine.connect() as conn, conn.begin():
            conn.exec_driver_sql(f"ALTER TABLE {table} ENABLE TRIGGER {trigger}")
    with engine.connect() as conn:
        enabled = conn.exec_driver_sql(
            "SELECT tgenabled FROM pg_trigger WHERE tgname = %s", (trigger,)
        ).scalar_one()
        assert enabled == "O", f"{trigger} was left {enabled!r}"


def test_a_sealed_payment_rewritten_on_both_legs_breaks_the_chain(
    sealed_payment: tuple[Books, int],
) -> None:
    """The entry still balances, so only the chain and the cached balances tell."""
    books, payment = sealed_payment
    with trigger_off(books.engine, "postings", "postings_append_only") as conn:
        changed = conn.exec_driver_sql(
            "UPDATE postings SET amount = amount / 4 WHERE coin_id = %s AND entry_id = %s",
            (books.coin_id, payment),
        ).rowcount
    assert changed == 2
    report = verify(books)
    assert failing(report) == {"hash_chain", "balances_equal_postings"}
    assert report.checks["entries_balance"].ok
    assert f"entry {payment} (chain index 2) changed after it was sealed" in (
        report.checks["hash_chain"].failures
    )


def test_a_sealed_entrys_metadata_edited_afterwards_breaks_the_chain(
    sealed_payment: tuple[Books, int],
) -> None:
    books, payment = sealed_payment
    with trigger_off(books.engine, "entries", "entries_append_only") as conn:
        conn.exec_driver_sql(
            'UPDATE entries SET metadata = \'{"order": "A-123"}\' WHERE coin_id = %s AND id = %s',
            (books.coin_id, payment),
        )
    report = verify(books)
    assert failing(report) == {"hash_chain"}
    assert report.checks["hash_chain"].failures == [
        f"entry {payment} (chain index 2) changed after it was sealed"
    ]


def test_a_seal_removed_from_the_middle_of_the_chain_is_noticed(
    sealed_payment: tuple[Books, int],
) -> None:
    books, payment = sealed_payment
    top_up(books, books.wallet("resident:2"), 50)
    run_in_transaction(books.engine, lambda conn: seal(conn, coin_id=books.coin_id, at=T0))
    with trigger_off(books.engine, "entry_seals", "entry_seals_append_only") as conn:
        conn.exec_driver_sql(
            "DELETE FROM entry_seals WHERE coin_id = %s AND entry_id = %s",
            (books.coin_id, payment),
        )
    report = verify(books)
    assert failing(report) == {"hash_chain"}
    assert "chain index 3 found where 2 was due" in report.checks["hash_chain"].failures


def test_the_newest_seal_removed_is_noticed(sealed_payment: tuple[Books, int]) -> None:
    """No link breaks when the last seal goes; the entry left outside the chain tells."""
    books, payment = sealed_payment
    with trigger_off(books.engine, "entry_seals", "entry_seals_append_only") as conn:
        conn.exec_driver_sql(
            "DELETE FROM entry_seals WHERE coin_id = %s AND entry_id = %s",
            (books.coin_id, payment),
        )
    report = verify(books)
    assert failing(report) == {"hash_chain"}
    assert report.checks["hash_chain"].failures == [
        f"entry {payment} is neither sealed nor waiting for the sealer"
    ]


def test_an_entry_taken_off_the_sealers_queue_is_noticed(books: Books) -> None:
    """The queue has no append-only trigger (the sealer drains it), so a plain
    DELETE could keep an entry out of the chain for good."""
    entry_id = top_up(books, books.wallet("resident:1"), 100)
    with books.engine.connect() as conn:
        conn.exec_driver_sql(
            "DELETE FROM entries_unsealed WHERE coin_id = %s AND entry_id = %s",
            (books.coin_id, entry_id),
        )
        conn.commit()
    run_in_transaction(books.engine, lambda conn: seal(conn, coin_id=books.coin_id, at=T0))
    report = verify(books)
    assert report.sealed == 0
    assert failing(report) == {"hash_chain"}
    assert report.checks["hash_chain"].failures == [
        f"entry {entry_id} is neither sealed nor waiting for the sealer"
    ]
