"""Sign-up rate limiting: at most SIGNUPS_PER_WINDOW sign-ups per client address per window.

``POST /v1/residents`` is public, so a script could fill a coin with
residents (and the server with argon2 work). The counter lives in the
database (``signup_counts``), so the limit holds across worker processes and
restarts, and it is counted in the sign-up's own transaction: the row's lock
makes concurrent sign-ups from one address take turns, and a sign-up that
fails afterwards (a bad PIN) rolls its count back with it.

Windows are fixed (10 minutes from the hour): simple and exact to enforce;
the price is that a burst straddling a window's end may reach twice the
limit within 10 minutes. The count is per coin and address, like every key of
the schema; a deployment hosts a handful of coins, so this bounds an address
all the same. Behind a reverse proxy the client address is the proxy's unless
the server trusts its forwarded headers (``uvicorn --forwarded-allow-ips``).

The limit is ``LOCALCOIN_SIGNUPS_PER_WINDOW`` (``app.state.signups_per_window``;
default SIGNUPS_PER_WINDOW). A clerk signing residents up at a city hall desk
with the coin's issuer key is not limited per address: the desk sits behind
one address and helps dozens of residents a day.
"""

import ipaddress
from datetime import UTC, datetime, timedelta
from math import ceil

from fastapi import Request
from fastapi.responses import JSONResponse
from sqlalchemy import Connection, text

from kit.errors import Code
from kit.problems import problem_response

SIGNUPS_PER_WINDOW = 5
WINDOW = timedelta(minutes=10)
ADDRESS_CHARS_MAX = 100
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def client_address(request: Request) -> str:
    """The caller's address as the server sees it ("unknown" when there is none).

    An IPv6 address counts by its /64: one subscriber line is handed a whole
    /64, and a limit per single address would be a limit on nothing there."""
    host = request.client.host if request.client else "unknown"
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return host[:ADDRESS_CHARS_MAX] or "unknown"
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network(f"{ip}/64", strict=False))
    return str(ip)


def window_start(at: datetime) -> datetime:
    """The start of the fixed window that holds ``at``."""
    return _EPOCH + ((at - _EPOCH) // WINDOW) * WINDOW


def limit_signups(
    request: Request, conn: Connection, *, coin_id: int, at: datetime
) -> JSONResponse | None:
    """Counts this sign-up; returns the 429 refusal (with Retry-After) when the
    address has used up its window, else None. The refusal is returned rather
    than raised so that it can carry its header."""
    limit: int = getattr(request.app.state, "signups_per_window", SIGNUPS_PER_WINDOW)
    assert limit >= 1, "a limit of no sign-ups at all is closing the coin, not rate limiting"
    start = window_start(at)
    counted = conn.execute(
        text(
            "INSERT INTO signup_counts AS s (coin_id, client_address, window_start, signups)"
            " VALUES (:coin, :address, :start, 1)"
            " ON CONFLICT (coin_id, client_address, window_start)"
            " DO UPDATE SET signups = s.signups + 1 WHERE s.signups < :limit"
            " RETURNING s.signups"
        ),
        {"coin": coin_id, "address": client_address(request), "start": start, "limit": limit},
    ).one_or_none()
    if counted is not None:
        return None
    retry_after_s = max(1, ceil((start + WINDOW - at).total_seconds()))
    refusal = problem_response(
        Code.RATE_LIMITED,
        f"at most {limit} sign-ups per {WINDOW.seconds // 60} minutes from one address;"
        f" try again in {retry_after_s} seconds",
    )
    refusal.headers["Retry-After"] = str(retry_after_s)
    return refusal


def forget_old_windows(conn: Connection, *, now: datetime) -> int:
    """Deletes the counts of windows that have ended; returns how many."""
    deleted: int = conn.execute(
        text("DELETE FROM signup_counts WHERE window_start < :cutoff"),
        {"cutoff": window_start(now)},
    ).rowcount
    return deleted
