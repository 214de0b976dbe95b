"""API keys are random, stored only as hashes, and scoped to one coin."""

from functools import partial

from sqlalchemy import text

from kit.credentials import Role, authenticate, issue_key
from ledger.unit_of_work import run_in_transaction
from tests.conftest import T0, Books, new_books


def test_a_key_authenticates_as_its_coin_and_role(books: Books) -> None:
    secret = run_in_transaction(
        books.engine, lambda conn: issue_key(conn, coin_id=books.coin_id, role=Role.ISSUER, at=T0)
    )
    key = run_in_transaction(books.engine, lambda conn: authenticate(conn, secret))
    assert key is not None
    assert (key.coin_id, key.role) == (books.coin_id, Role.ISSUER)


def test_the_secret_is_never_stored(books: Books) -> None:
    secret = run_in_transaction(
        books.engine, lambda conn: issue_key(conn, coin_id=books.coin_id, role=Role.OPERATOR, at=T0)
    )
    dump = run_in_transaction(
        books.engine,
        lambda conn: conn.execute(
            text("SELECT string_agg(api_keys::text, '|') FROM api_keys WHERE coin_id = :c"),
            {"c": books.coin_id},
        ).scalar_one(),
    )
    assert secret.split("_")[-1] not in dump


def test_altered_or_foreign_keys_do_not_authenticate(books: Books) -> None:
    secret = run_in_transaction(
        books.engine, lambda conn: issue_key(conn, coin_id=books.coin_id, role=Role.OPERATOR, at=T0)
    )
    altered = secret[:-1] + ("A" if secret[-1] != "A" else "B")
    for candidate in (altered, "lc_operator_nope_nope", "not-a-key", ""):
        assert run_in_transaction(books.engine, partial(authenticate, key=candidate)) is None


def test_keys_of_two_coins_stay_apart(books: Books) -> None:
    other = new_books(books.engine)
    secret = run_in_transaction(
        books.engine, lambda conn: issue_key(conn, coin_id=other.coin_id, role=Role.OPERATOR, at=T0)
    )
    key = run_in_transaction(books.engine, lambda conn: authenticate(conn, secret))
    assert key is not None and key.coin_id == other.coin_id != books.coin_id
