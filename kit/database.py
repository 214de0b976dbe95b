"""Engine creation: the one place that turns a database URL into an engine.

A URL may name several hosts, as ``pg_autoctl show uri`` prints them for a
pg_auto_failover formation (``postgresql://h1:p1,h2:p2/db?target_session_attrs=
read-write``) or in libpq's query form (``?host=h1:p1&host=h2:p2``). libpq tries
them in turn and, with ``target_session_attrs=read-write``, settles on the
primary, so after a failover new connections find the new primary by
themselves.
"""

from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import Engine, create_engine, event, make_url

# A dead host (a crashed machine sends no reset) must fail a connection in
# seconds, and a connection to it must not wait for the kernel's two-hour
# keepalive: these are libpq's settings, checked on every connection.
CONNECT_TIMEOUT_S = 5
KEEPALIVES_IDLE_S = 10
KEEPALIVES_INTERVAL_S = 5
KEEPALIVES_COUNT = 3
# Keepalives only probe an idle connection. A query sent to a host that vanished
# is unacknowledged data, which the kernel retransmits for about 15 minutes
# (tcp_retries2) unless this bounds it. A query that is merely slow is
# acknowledged and never hits it.
TCP_USER_TIMEOUT_MS = 10_000


def _hosts_to_query(raw: str) -> str:
    """``scheme://user@h1:p1,h2:p2/db?q`` → ``scheme://user@/db?host=h1:p1&host=h2:p2&q``,
    the form SQLAlchemy reads; any other URL as it is."""
    parts = urlsplit(raw)
    credentials, at, hosts = parts.netloc.rpartition("@")
    if "," not in hosts:
        return raw
    query = "&".join([f"host={host}" for host in hosts.split(",") if host] + [parts.query])
    # Written out, not urlunsplit: that drops the "//" of an empty host part.
    return f"{parts.scheme}://{credentials}{at}{parts.path}?{query.rstrip('&')}"


def sqlalchemy_url(raw: str) -> str:
    url = make_url(_hosts_to_query(raw))
    if url.drivername in ("postgresql", "postgres"):
        url = url.set(drivername="postgresql+psycopg")
    return url.render_as_string(hide_password=False)


# Connections are recycled rather than pinged: a ping is a round trip on every
# checkout (a fifth of a payment's cost), while a connection broken by a server
# restart is detected by its first error, and SQLAlchemy then replaces the
# whole pool.
POOL_RECYCLE_S = 1800


SESSION_TIME_ZONE = "UTC"


def _session_in_utc(dbapi_connection: Any, _record: Any) -> None:
    """Puts a new connection's session in UTC unless the server already did.

    Not a startup option (``options=-c timezone=UTC``): PgBouncer refuses
    startup options it does not know (Debian's 1.18 refuses ``options``
    outright). With ``ALTER ROLE localcoin SET timezone = 'UTC'`` (or the
    server's ``timezone``) the server reports UTC at startup and this costs no
    round trip; otherwise one ``SET``, which PgBouncer tracks per client
    (TimeZone is one of the parameters it replays onto whichever server
    connection a transaction gets).
    """
    if dbapi_connection.info.parameter_status("TimeZone") == SESSION_TIME_ZONE:
        return
    autocommit = dbapi_connection.autocommit
    dbapi_connection.autocommit = True
    try:
        dbapi_connection.execute(f"SET TIME ZONE '{SESSION_TIME_ZONE}'")
    finally:
        dbapi_connection.autocommit = autocommit


def make_engine(url: str, *, pool_size: int = 10) -> Engine:
    """An engine whose sessions run in UTC, whatever the server's zone."""
    engine = create_engine(
        url,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_recycle=POOL_RECYCLE_S,
        # A failed statement's log line must not carry its parameters: PINs'
        # hashes, tokens, names. The statement itself is enough to debug.
        hide_parameters=True,
        connect_args={
            "connect_timeout": CONNECT_TIMEOUT_S,
            "keepalives": 1,
            "keepalives_idle": KEEPALIVES_IDLE_S,
            "keepalives_interval": KEEPALIVES_INTERVAL_S,
            "keepalives_count": KEEPALIVES_COUNT,
            "tcp_user_timeout": TCP_USER_TIMEOUT_MS,
        },
    )
    event.listen(engine, "connect", _session_in_utc)
    return engine
