"""Rate limits on guessable calls, counted in the database so they hold across worker processes.

The PIN lockout stops guessing one resident's PIN; it does not stop one caller
guessing a few PINs each of many residents (or many cards at one till), which
over a city of residents with 4-digit PINs finds some. These limits bound the
*failures* one caller may have in a window:

- ``LOGIN_FAILURES``: failed ``POST /v1/auth/token`` per client address and
  home coin of the resident named (the subject is ``address|coin:ID``);
- ``CARD_PIN_FAILURES``: wrong card PINs at ``POST /v1/charges`` per API key.

How: before the attempt a slot is taken atomically (``INSERT … ON CONFLICT DO
UPDATE … WHERE hits < :limit``, one statement, so concurrent attempts from
many processes cannot overshoot); when the attempt succeeds the slot is given
back. Only failures therefore stay counted. Each runs in a transaction of its
own: the attempt's transaction may roll back (a refusal), the count must not.

Windows are fixed (10 minutes from the hour), like the sign-up limit
(wallet_api/signup_limit.py): exact and cheap; a burst straddling a window's
end may reach twice the limit. The table is keyed by a subject string naming
the caller (an address with the coin it guesses in; an API key, which belongs
to one coin) rather than by a coin_id column: a bucket may later count a
caller across coins. Its rows are transient, deleted by ``forget_old_windows``.
Behind a reverse proxy the address is the proxy's unless uvicorn trusts its
forwarded headers (``--forwarded-allow-ips``).

Refusal: 429 ``rate_limited`` with ``Retry-After`` (seconds to the window's end).
An app may set ``app.state.rate_limits`` (bucket name → Limit) to change a limit.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from math import ceil

from fastapi import Request
from fastapi.responses import JSONResponse
from sqlalchemy import Connection, Engine, text

from kit.errors import Code
from kit.problems import problem_response
from ledger.unit_of_work import run_in_transaction

SUBJECT_CHARS_MAX = 100
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Limit:
    """At most ``failures`` counted attempts per subject per ``window``."""

    bucket: str
    failures: int
    window: timedelta

    def window_start(self, at: datetime) -> datetime:
        return _EPOCH + ((at - _EPOCH) // self.window) * self.window


# A shared address (a carrier's NAT, a town hall's kiosk) fails now and then; 30
# failures in 10 minutes is far above that and far below what guessing needs.
LOGIN_FAILURES = Limit("login_failures", 30, timedelta(minutes=10))
# A till sees a few mistyped PINs an hour; sweeping cards needs many per minute.
CARD_PIN_FAILURES = Limit("card_pin_failures", 20, timedelta(minutes=10))


def limit_for(request: Request, default: Limit) -> Limit:
    overrides: dict[str, Limit] = getattr(request.app.state, "rate_limits", {})
    return overrides.get(default.bucket, default)


def take(engine: Engine, limit: Limit, subject: str, *, at: datetime) -> int | None:
    """Takes a slot for an attempt; None when taken, else the seconds to wait."""
    start = limit.window_start(at)

    def work(conn: Connection) -> bool:
        return (
            conn.execute(
                text(
                    "INSERT INTO rate_limit_counts AS r (bucket, subject, window_start, hits)"
                    " VALUES (:bucket, :subject, :start, 1)"
                    " ON CONFLICT (bucket, subject, window_start)"
                    " DO UPDATE SET hits = r.hits + 1 WHERE r.hits < :limit"
                    " RETURNING r.hits"
                ),
                {
                    "bucket": limit.bucket,
                    "subject": subject[:SUBJECT_CHARS_MAX] or "unknown",
                    "start": start,
                    "limit": limit.failures,
                },
            ).one_or_none()
            is not None
        )

    if run_in_transaction(engine, work):
        return None
    return max(1, ceil((start + limit.window - at).total_seconds()))


def give_back(engine: Engine, limit: Limit, subject: str, *, at: datetime) -> None:
    """Returns the slot of an attempt that succeeded: only failures stay counted."""
    run_in_transaction(
        engine,
        lambda conn: conn.execute(
            text(
                "UPDATE rate_limit_counts SET hits = hits - 1"
                " WHERE bucket = :bucket AND subject = :subject AND window_start = :start"
                " AND hits > 0"
            ),
            {
                "bucket": limit.bucket,
                "subject": subject[:SUBJECT_CHARS_MAX] or "unknown",
                "start": limit.window_start(at),
            },
        ),
    )


def refusal(limit: Limit, retry_after_s: int, what: str) -> JSONResponse:
    response = problem_response(
        Code.RATE_LIMITED,
        f"at most {limit.failures} failed {what} per {limit.window.seconds // 60} minutes;"
        f" try again in {retry_after_s} seconds",
    )
    response.headers["Retry-After"] = str(retry_after_s)
    return response


def forget_old_windows(conn: Connection, *, now: datetime, keep: timedelta) -> int:
    """Deletes the counts of windows that started more than ``keep`` ago; returns how many."""
    deleted: int = conn.execute(
        text("DELETE FROM rate_limit_counts WHERE window_start < :cutoff"),
        {"cutoff": now - keep},
    ).rowcount
    return deleted
