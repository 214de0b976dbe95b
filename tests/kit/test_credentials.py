"""API keys are random, stored only as hashes, and scoped to one coin."""

from datetime import timedelta
from functools import partial

from sqlalchemy import text

from kit.credentials import Role, authenticate, issue_key
from ledger.unit_of_work import run_in_transaction
from tests.conftest import T0, Books, new_books

MINUTE = timedelta(minutes=1)


def test_a_key_authenticates_as_its_coin_and_role(books: Books) -> None:
    secret = run_in_transaction(
        books.engine, lambda conn: issue_key(conn, coin_id=books.coin_id, role=Role.ISSUER, at=T0)
    )
    key = run_in_transaction(books.engine, lambda conn: authenticate(conn, secret, at=T0))
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
    # lc_<role>_<prefix>_<secret>: the secret itself may contain "_" (urlsafe base64).
    assert secret.split("_", 3)[3] not in dump


def test_altered_or_foreign_keys_do_not_authenticate(books: Books) -> None:
    secret = run_in_transaction(
        books.engine, lambda conn: issue_key(conn, coin_id=books.coin_id, role=Role.OPERATOR, at=T0)
    )
    altered = secret[:-1] + ("A" if secret[-1] != "A" else "B")
    for candidate in (altered, "lc_operator_nope_nope", "not-a-key", ""):
        assert run_in_transaction(books.engine, partial(authenticate, key=candidate, at=T0)) is None


def test_keys_of_two_coins_stay_apart(books: Books) -> None:
    other = new_books(books.engine)
    secret = run_in_transaction(
        books.engine, lambda conn: issue_key(conn, coin_id=other.coin_id, role=Role.OPERATOR, at=T0)
    )
    key = run_in_transaction(books.engine, lambda conn: authenticate(conn, secret, at=T0))
    assert key is not None and key.coin_id == other.coin_id != books.coin_id


def test_an_expired_key_no_longer_authenticates(books: Books) -> None:
    ends = T0 + timedelta(days=30)
    secret = run_in_transaction(
        books.engine,
        lambda conn: issue_key(
            conn, coin_id=books.coin_id, role=Role.ISSUER, at=T0, label="夏季応援", expires_at=ends
        ),
    )
    before = run_in_transaction(books.engine, lambda c: authenticate(c, secret, at=ends - MINUTE))
    after = run_in_transaction(books.engine, lambda c: authenticate(c, secret, at=ends))
    assert (before is not None, after) == (True, None)


def test_the_last_use_is_noted_at_most_hourly(books: Books) -> None:
    secret = run_in_transaction(
        books.engine, lambda conn: issue_key(conn, coin_id=books.coin_id, role=Role.ISSUER, at=T0)
    )

    def last_used() -> object:
        return run_in_transaction(
            books.engine,
            lambda c: c.execute(
                text("SELECT last_used_at FROM api_keys WHERE coin_id = :c"),
                {"c": books.coin_id},
            ).scalar_one(),
        )

    for minutes, noted in ((0, T0), (59, T0), (60, T0 + 60 * MINUTE)):
        at = T0 + minutes * MINUTE
        run_in_transaction(books.engine, lambda c, at=at: authenticate(c, secret, at=at))  # type: ignore[misc]
        assert last_used() == noted
