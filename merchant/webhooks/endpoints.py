"""Webhook endpoints: where a merchant wants its events sent, and the secret they are signed with.

An endpoint is a URL (checked by merchant.webhooks.urls), the event types it
subscribes to (known types, or ``*`` for all) and a secret ``whsec_…`` shown
once, at creation and at each rotation. Signing needs the secret itself, so it
is stored sealed under the server's secrets key (kit/sealed_secrets.py), never
in clear, and opened when read. A rotation keeps
the old secret signing beside the new one for ``ROTATION_OVERLAP`` so the
integrator can switch without dropping deliveries. Disabling an endpoint
cancels its pending deliveries; it is not re-enabled (create a new one).

Refusals: 404 ``webhook_endpoint_not_found`` (not the caller's), 422
``webhook_event_type_unknown``, 422 ``webhook_url_invalid`` / ``webhook_url_not_allowed``
(see merchant.webhooks.urls), 422 ``limit_exceeded`` (more than
``ENDPOINTS_PER_MERCHANT_MAX`` enabled endpoints), 409 ``webhook_endpoint_disabled``
(rotating a disabled endpoint's secret).
"""

import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import Connection, text

from kit.errors import Code
from kit.problems import Problem
from kit.public_ids import public_id
from kit.sealed_secrets import secret_box
from ledger.records import RecordColumns
from merchant.accounts.merchants import Merchant
from merchant.pages import page_of
from merchant.webhooks.urls import Resolver, UrlRefusedError, check_url, resolve

ALL_EVENTS = "*"
EVENT_TYPES = frozenset(
    {
        "charge.succeeded",
        "charge.refunded",
        "payment_intent.created",
        "payment_intent.succeeded",
        "payment_intent.canceled",
        "payment_intent.requires_capture",
        "payment_intent.expired",
        "payout.paid",
        "payout.canceled",
    }
)
ENDPOINTS_PER_MERCHANT_MAX = 16
ROTATION_OVERLAP = timedelta(hours=24)


class EndpointStatus(StrEnum):
    ENABLED = "enabled"
    DISABLED = "disabled"


@dataclass(frozen=True, slots=True)
class Endpoint:
    """Attributes:
    coin_id, id: its key; public_id: its id in the API (``we_…``).
    merchant_id: whose events it receives.
    url: where they are POSTed.
    events: the subscribed types, sorted; ``("*",)`` means all.
    status: enabled or disabled; disabled_at: when it was disabled (None while enabled).
    secret: the current signing secret.
    previous_secret, previous_secret_until: the secret before the last rotation and
        until when it still signs (both None when there is none).
    consecutive_failures: failed attempts in a row.
    paused_until: the circuit breaker's pause after repeated failures; None if not paused.
    """

    coin_id: int
    id: int
    public_id: str
    merchant_id: int
    url: str
    events: tuple[str, ...]
    status: EndpointStatus
    created_at: datetime
    disabled_at: datetime | None
    secret: str = field(repr=False)
    previous_secret: str | None = field(repr=False)
    previous_secret_until: datetime | None
    consecutive_failures: int = 0
    paused_until: datetime | None = None

    def subscribes_to(self, event_type: str) -> bool:
        return ALL_EVENTS in self.events or event_type in self.events


# The signing secret is sealed at rest (kit/sealed_secrets.py) and opened on read.
SECRET_PURPOSE = "webhook endpoint signing secret"  # noqa: S105 - a label, not a secret


def opened(sealed: str | None) -> str | None:
    return None if sealed is None else secret_box().open(sealed, purpose=SECRET_PURPOSE)


def sealed_new_secret() -> str:
    return secret_box().seal(new_secret(), purpose=SECRET_PURPOSE)


_ENDPOINT = RecordColumns(
    Endpoint, events=tuple, status=EndpointStatus, secret=opened, previous_secret=opened
)


def signing_secrets(
    secret: str, previous_secret: str | None, previous_secret_until: datetime | None, at: datetime
) -> list[str]:
    """The secrets a delivery at ``at`` is signed with: the current one, and the
    previous one while its overlap lasts."""
    if (
        previous_secret is not None
        and previous_secret_until is not None
        and at < previous_secret_until
    ):
        return [secret, previous_secret]
    return [secret]


def new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def check_events(events: list[str]) -> tuple[str, ...]:
    """The subscribed types, deduplicated and sorted; ``*`` stands alone."""
    unknown = sorted({e for e in events if e != ALL_EVENTS and e not in EVENT_TYPES})
    if unknown:
        raise Problem(
            Code.WEBHOOK_EVENT_TYPE_UNKNOWN,
            f"unknown event types: {', '.join(unknown)[:200]}",
        )
    if ALL_EVENTS in events:
        return (ALL_EVENTS,)
    return tuple(sorted(set(events)))


def allowed_url(url: str, *, allow_private: bool, resolver: Resolver = resolve) -> str:
    try:
        return check_url(url, allow_private=allow_private, resolver=resolver)
    except UrlRefusedError as refused:
        raise Problem(refused.code, refused.detail) from refused


def create_endpoint(
    conn: Connection,
    *,
    merchant: Merchant,
    url: str,
    events: list[str],
    allow_private: bool,
    at: datetime,
    resolver: Resolver = resolve,
) -> Endpoint:
    subscribed = check_events(events)
    checked_url = allowed_url(url, allow_private=allow_private, resolver=resolver)
    # Counting under the merchant's row lock keeps two requests from both
    # passing the limit; NO KEY UPDATE leaves charges' foreign keys unblocked.
    conn.execute(
        text("SELECT 1 FROM merchants WHERE coin_id = :coin AND id = :id FOR NO KEY UPDATE"),
        {"coin": merchant.coin_id, "id": merchant.id},
    )
    enabled = conn.execute(
        text(
            "SELECT count(*) FROM webhook_endpoints"
            " WHERE coin_id = :coin AND merchant_id = :merchant AND status = 'enabled'"
        ),
        {"coin": merchant.coin_id, "merchant": merchant.id},
    ).scalar_one()
    if enabled >= ENDPOINTS_PER_MERCHANT_MAX:
        raise Problem(
            Code.LIMIT_EXCEEDED,
            f"a merchant has at most {ENDPOINTS_PER_MERCHANT_MAX} enabled webhook endpoints",
        )
    row = conn.execute(
        text(
            "INSERT INTO webhook_endpoints"
            " (coin_id, public_id, merchant_id, url, events, secret, created_at)"
            " VALUES (:coin, :pid, :merchant, :url, :events, :secret, :at)"
            f" RETURNING {_ENDPOINT.sql}"
        ),
        {
            "coin": merchant.coin_id,
            "pid": public_id("we_"),
            "merchant": merchant.id,
            "url": checked_url,
            "events": list(subscribed),
            "secret": sealed_new_secret(),
            "at": at,
        },
    ).one()
    return _ENDPOINT.read(row)


def find_endpoint(
    conn: Connection, *, merchant: Merchant, endpoint_public_id: str, lock: bool = False
) -> Endpoint:
    row = conn.execute(
        text(
            f"SELECT {_ENDPOINT.sql} FROM webhook_endpoints"
            " WHERE coin_id = :coin AND merchant_id = :merchant AND public_id = :pid"
            + (" FOR NO KEY UPDATE" if lock else "")
        ),
        {"coin": merchant.coin_id, "merchant": merchant.id, "pid": endpoint_public_id},
    ).one_or_none()
    if row is None:
        raise Problem(Code.WEBHOOK_ENDPOINT_NOT_FOUND, "no such webhook endpoint")
    return _ENDPOINT.read(row)


def endpoints_page(
    conn: Connection, *, merchant: Merchant, limit: int, starting_after: str | None
) -> tuple[list[Endpoint], bool]:
    """The merchant's endpoints, newest first."""
    rows, has_more = page_of(
        conn,
        table="webhook_endpoints",
        columns=_ENDPOINT.sql,
        where="coin_id = :coin AND merchant_id = :merchant",
        params={"coin": merchant.coin_id, "merchant": merchant.id},
        limit=limit,
        starting_after=starting_after,
    )
    return [_ENDPOINT.read(row) for row in rows], has_more


def disable_endpoint(
    conn: Connection, *, merchant: Merchant, endpoint_public_id: str, at: datetime
) -> Endpoint:
    """Stops deliveries to the endpoint, pending ones included. Disabling twice is a no-op."""
    endpoint = find_endpoint(
        conn, merchant=merchant, endpoint_public_id=endpoint_public_id, lock=True
    )
    if endpoint.status is EndpointStatus.DISABLED:
        return endpoint
    row = conn.execute(
        text(
            "UPDATE webhook_endpoints SET status = 'disabled', disabled_at = :at"
            f" WHERE coin_id = :coin AND id = :id RETURNING {_ENDPOINT.sql}"
        ),
        {"coin": endpoint.coin_id, "id": endpoint.id, "at": at},
    ).one()
    conn.execute(
        text(
            "UPDATE webhook_deliveries SET status = 'canceled', next_attempt_at = NULL,"
            " lease_token = NULL"
            " WHERE coin_id = :coin AND endpoint_id = :id AND status = 'pending'"
        ),
        {"coin": endpoint.coin_id, "id": endpoint.id},
    )
    return _ENDPOINT.read(row)


def rotate_secret(
    conn: Connection, *, merchant: Merchant, endpoint_public_id: str, at: datetime
) -> Endpoint:
    """A new secret; the old one keeps signing for ROTATION_OVERLAP."""
    endpoint = find_endpoint(
        conn, merchant=merchant, endpoint_public_id=endpoint_public_id, lock=True
    )
    if endpoint.status is EndpointStatus.DISABLED:
        raise Problem(Code.WEBHOOK_ENDPOINT_DISABLED, "the endpoint is disabled")
    row = conn.execute(
        text(
            "UPDATE webhook_endpoints SET previous_secret = secret,"
            " previous_secret_until = :until, secret = :secret"
            f" WHERE coin_id = :coin AND id = :id RETURNING {_ENDPOINT.sql}"
        ),
        {
            "coin": endpoint.coin_id,
            "id": endpoint.id,
            "until": at + ROTATION_OVERLAP,
            "secret": sealed_new_secret(),
        },
    ).one()
    return _ENDPOINT.read(row)
