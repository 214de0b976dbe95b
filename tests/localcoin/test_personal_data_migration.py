"""Migration 0035 takes personal text out of chained entries and rebuilds the chain.

Books written the old way (a grant's reason, a bank reference and a shop's name
inside entries, sealed) are migrated; afterwards no entry holds the text, the
chain verifies, the rebuild is recorded with the old head, and a bank resending
an old top-up still gets the first one back.
"""

import os
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from alembic import command
from sqlalchemy import Connection, Engine, create_engine, make_url, text

from ledger.accounts import AccountClass, open_account
from ledger.chain import seal, verify_chain
from ledger.chart import Standard, open_chart
from ledger.coins import create_coin
from ledger.entries import EntryRequest, PostResult, credit, debit, post_entry
from ledger.lots import LotKind
from localcoin.migrate import alembic_config
from wallet_api.topups import Channel, entry_key

AT = datetime(2026, 4, 1, 1, 0, tzinfo=UTC)
REASON = "山田花子さん 見守り対象への給付"
REFERENCE = "振込 ヤマダハナコ 0401"
SHOP = "やまだ商店 山田太郎"


@pytest.fixture
def old_books(server_url: str) -> Iterator[tuple[str, Engine]]:
    name = f"localcoin_pii_{os.getpid()}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(server_url).set(database=name).render_as_string(hide_password=False)
    command.upgrade(alembic_config(url), "0045")
    engine = create_engine(url)
    try:
        yield url, engine
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _write_the_old_way(conn: Connection) -> tuple[int, int, int]:
    """A coin with a top-up, a grant and a payment as the code before 0035 posted them."""
    coin = create_coin(conn, code="PII", name="p", issuer_name="i", at=AT)
    chart = open_chart(conn, coin_id=coin.id, at=AT)
    resident = conn.execute(
        text(
            "INSERT INTO residents (home_coin_id, public_id, display_name, pin_hash, created_at,"
            " resident_number) VALUES (:coin, 'res_AAAAAAAAAAAAAAAA', '山田花子', 'x', :at,"
            " '1000000007') RETURNING id"
        ),
        {"coin": coin.id, "at": AT},
    ).scalar_one()
    account = open_account(
        conn,
        coin_id=coin.id,
        code="wallet:resident:wal_AAAAAAAAAAAAAAAA",
        account_class=AccountClass.LIABILITY,
        tracks_lots=True,
        at=AT,
    ).id
    wallet = conn.execute(
        text(
            "INSERT INTO wallets (coin_id, public_id, resident_id, account_id, tier, created_at)"
            " VALUES (:coin, 'wal_AAAAAAAAAAAAAAAA', :resident, :account, 'basic', :at)"
            " RETURNING id"
        ),
        {"coin": coin.id, "resident": resident, "account": account, "at": AT},
    ).scalar_one()
    reserve = chart[Standard.RESERVE_BANK].id
    neutral = EntryRequest(
        "migration.close", [debit(reserve, 1000), credit(account, 1000)], metadata={"import": "x"}
    )
    post_entry(conn, coin_id=coin.id, request=neutral, posted_at=AT)
    topup = post_entry(
        conn,
        coin_id=coin.id,
        request=EntryRequest(
            "topup.counter",
            [debit(reserve, 5000), credit(account, 5000, lot_kind=LotKind.MONEY)],
            idempotency_key=f"topup:counter:{REFERENCE}",
            metadata={"reference": REFERENCE},
        ),
        posted_at=AT,
    )
    conn.execute(
        text(
            "INSERT INTO topups (coin_id, public_id, wallet_id, amount, bonus, channel,"
            " reference, business_date, entry_id, created_at) VALUES (:coin,"
            " 'top_AAAAAAAAAAAAAAAA', :wallet, 5000, 0, 'counter', :reference, :day, :entry, :at)"
        ),
        {
            "coin": coin.id,
            "wallet": wallet,
            "reference": REFERENCE,
            "day": AT.date(),
            "entry": topup.entry_id,
            "at": AT,
        },
    )
    post_entry(
        conn,
        coin_id=coin.id,
        request=EntryRequest(
            "points.grant",
            [debit(chart[Standard.RECEIVABLE_MUNICIPALITY].id, 300), credit(account, 300)],
            metadata={"grant": "pg_AAAAAAAAAAAAAAAA", "reason": REASON},
        ),
        posted_at=AT,
    )
    post_entry(
        conn,
        coin_id=coin.id,
        request=EntryRequest(
            "payment",
            [debit(account, 100), credit(chart[Standard.REVENUE_FEES].id, 100)],
            metadata={"charge": "ch_AAAAAAAAAAAAAAAA", "merchant_name": SHOP},
        ),
        posted_at=AT,
    )
    return coin.id, reserve, account


def _seal_hashes(conn: Connection, index: int) -> tuple[bytes, bytes]:
    row = conn.execute(
        text("SELECT content_hash, chain_hash FROM entry_seals WHERE chain_index = :i"),
        {"i": index},
    ).one()
    return bytes(row[0]), bytes(row[1])


def test_personal_text_leaves_the_entries_and_the_chain_still_verifies(
    old_books: tuple[str, Engine],
) -> None:
    url, engine = old_books
    with engine.begin() as conn:
        coin_id, reserve, account = _write_the_old_way(conn)
        assert seal(conn, coin_id=coin_id, at=AT) == 4
        old_head = verify_chain(conn, coin_id=coin_id).head_hash
        first_seal = _seal_hashes(conn, 1)

    command.upgrade(alembic_config(url), "head")

    with engine.begin() as conn:
        stored = conn.execute(
            text("SELECT metadata::text || coalesce(idempotency_key, '') FROM entries")
        ).scalars()
        assert [s for s in stored if REASON in s or REFERENCE in s or SHOP in s] == []
        report = verify_chain(conn, coin_id=coin_id)
        assert report.ok and report.sealed == 4, report.failures
        # The neutral first entry keeps its seal: the rebuild starts after it.
        assert _seal_hashes(conn, 1) == first_seal
        rebase = conn.execute(
            text("SELECT from_index, previous_head, new_head FROM chain_rebases")
        ).one()
        assert (rebase.from_index, bytes(rebase.previous_head), bytes(rebase.new_head)) == (
            2,
            old_head,
            report.head_hash,
        )
        assert old_head != report.head_hash
        # The bank resends the old deposit: answered with the first entry, nothing moves.
        again = post_entry(
            conn,
            coin_id=coin_id,
            request=EntryRequest(
                "topup.counter",
                [debit(reserve, 5000), credit(account, 5000, lot_kind=LotKind.MONEY)],
                idempotency_key=entry_key(Channel.COUNTER, REFERENCE),
            ),
            posted_at=AT,
        )
        assert again.result is PostResult.REPLAYED
