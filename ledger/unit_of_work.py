"""The one commit point: run work in a transaction, commit once, retry what PostgreSQL asks us to.

Services below this only execute statements; they never commit. A
serialization failure (40001) or deadlock (40P01) rolls the whole unit back
and runs it again after a short random pause, up to RETRIES_MAX times, so a
caller never sees one. Refusals of the books (the deferred balance check fires
at COMMIT) come out as LedgerError.
"""

import random
import time
from collections.abc import Callable
from typing import TypeVar

import psycopg
import structlog
from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DBAPIError

from ledger.errors import is_retryable, translate_db_error
from ledger.limits import RETRIES_MAX

T = TypeVar("T")

log = structlog.get_logger(__name__)

BACKOFF_MS_BASE = 2
BACKOFF_MS_MAX = 200


def backoff_s(attempt: int, rng: random.Random) -> float:
    """Full-jitter exponential backoff: a random pause up to base * 2**attempt, capped."""
    ceiling_ms = min(BACKOFF_MS_MAX, BACKOFF_MS_BASE * 2**attempt)
    return rng.uniform(0, ceiling_ms) / 1000


def run_in_transaction(
    engine: Engine,
    work: Callable[[Connection], T],
    *,
    retries: int = RETRIES_MAX,
    rng: random.Random | None = None,
) -> T:
    """Runs ``work`` in one transaction and commits it; retries conflicts."""

    def attempt() -> T:
        with engine.connect() as conn, conn.begin():
            return work(conn)

    return retrying(attempt, retries=retries, rng=rng)


def run_as_one_statement(
    engine: Engine,
    statement: Callable[[Connection], T],
    *,
    retries: int = RETRIES_MAX,
    rng: random.Random | None = None,
) -> T:
    """Runs ``statement``, which must issue exactly one SQL statement, as its own
    transaction: one round trip instead of three (no BEGIN, no COMMIT).

    The statement commits when it ends, deferred checks included, so a posting
    function called this way is exactly as atomic as inside a transaction. Work
    that issues two statements must use ``run_in_transaction``.
    """

    def attempt() -> T:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            return statement(conn)

    return retrying(attempt, retries=retries, rng=rng)


_default_rng = random.Random()  # noqa: S311 - jitter, not a secret


def retrying(
    attempt: Callable[[], T], *, retries: int = RETRIES_MAX, rng: random.Random | None = None
) -> T:
    """Runs ``attempt`` again after a serialization failure or deadlock; translates
    refusals of the books into LedgerError."""
    assert 0 <= retries <= RETRIES_MAX
    chooser = rng or _default_rng
    tries = 0
    while True:
        try:
            return attempt()
        except (DBAPIError, psycopg.Error) as error:
            if is_retryable(error) and tries < retries:
                log.info("unit_of_work_retry", attempt=tries, reason=type(error).__name__)
                time.sleep(backoff_s(tries, chooser))
                tries += 1
                continue
            translated = translate_db_error(error)
            if translated is not None:
                raise translated from error
            raise
