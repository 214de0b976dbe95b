"""Anchors: a chain head written down outside the database, read back exactly, and
checked against the chain as it is now."""

from datetime import timedelta

import pytest

from ledger.anchors import Anchor, chain_head, check_anchor
from ledger.chain import seal
from ledger.chart import Standard
from ledger.entries import EntryRequest, credit, debit, post_entry
from ledger.unit_of_work import run_in_transaction
from tests.conftest import T0, Books


def top_up_and_seal(books: Books, wallet: int, amount: int) -> None:
    request = EntryRequest(
        "topup.counter",
        [debit(books.account(Standard.RESERVE_BANK), amount), credit(wallet, amount)],
    )
    run_in_transaction(
        books.engine,
        lambda conn: post_entry(conn, coin_id=books.coin_id, request=request, posted_at=T0),
    )
    run_in_transaction(
        books.engine,
        lambda conn: seal(conn, coin_id=books.coin_id, at=T0 + timedelta(minutes=1)),
    )


def head(books: Books) -> Anchor:
    return run_in_transaction(
        books.engine,
        lambda conn: chain_head(conn, coin_id=books.coin_id, coin_code=books.coin.code),
    )


def test_an_empty_chain_is_anchored_at_index_zero_and_stays_on_the_chain(books: Books) -> None:
    empty = head(books)
    assert (empty.chain_index, empty.chain_head) == (0, None)
    wallet = books.wallet("resident:1")
    top_up_and_seal(books, wallet, 100)
    checked = run_in_transaction(
        books.engine, lambda conn: check_anchor(conn, coin_id=books.coin_id, anchor=empty)
    )
    assert (checked.on_chain, checked.at_head) == (True, False)


def test_a_head_is_on_the_chain_until_a_different_hash_is_claimed_at_its_index(
    books: Books,
) -> None:
    wallet = books.wallet("resident:1")
    top_up_and_seal(books, wallet, 100)
    first = head(books)
    assert first.chain_index == 1 and first.chain_head is not None
    top_up_and_seal(books, wallet, 200)
    forged = Anchor(first.coin_code, first.chain_index, bytes(32))
    beyond = Anchor(first.coin_code, 3, first.chain_head)

    def check(anchor: Anchor) -> tuple[bool, bool]:
        done = run_in_transaction(
            books.engine, lambda conn: check_anchor(conn, coin_id=books.coin_id, anchor=anchor)
        )
        return done.on_chain, done.at_head

    assert check(first) == (True, False)
    assert check(head(books)) == (True, True)
    assert check(forged) == (False, False)
    assert check(beyond) == (False, False)


def test_an_anchor_reads_back_exactly_and_refuses_anything_else() -> None:
    anchor = Anchor("MIDORI", 7, bytes(range(32)))
    assert Anchor.from_dict(anchor.as_dict()) == anchor
    assert Anchor.from_dict(Anchor("MIDORI", 0, None).as_dict()) == Anchor("MIDORI", 0, None)
    refused: list[object] = [
        [],
        {"code": "MIDORI", "chain_index": 7, "chain_head": None},
        {"code": "MIDORI", "chain_index": 0, "chain_head": "00" * 32},
        {"code": "MIDORI", "chain_index": "7", "chain_head": "00" * 32},
        {"code": "MIDORI", "chain_index": 7, "chain_head": "00" * 31},
        {"code": "MIDORI", "chain_index": True, "chain_head": "00" * 32},
        {"chain_index": 7, "chain_head": "00" * 32},
    ]
    for bad in refused:
        with pytest.raises(ValueError):
            Anchor.from_dict(bad)
