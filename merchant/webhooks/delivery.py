"""The webhook worker: fans the outbox out to endpoints and delivers, with retries.

One pass (``deliver_pass``), run by the background thread every second or by
a test with its own clock:

1. Fan-out. Events not yet fanned out (``fanned_out_at IS NULL``) are taken
   with ``FOR UPDATE SKIP LOCKED``; one statement inserts a delivery for each
   enabled endpoint of the merchant subscribed to the type and marks the
   events. UNIQUE (event, endpoint, round) with ON CONFLICT DO NOTHING makes
   each delivery exactly once, however many workers run.
2. Claim. The oldest due delivery of each endpoint with nothing in flight is
   taken, the endpoint row locked ``FOR NO KEY UPDATE SKIP LOCKED``, so an
   endpoint has at most one attempt in flight (a slow receiver slows only
   itself); claiming moves ``next_attempt_at`` to the end of a lease
   (``LEASE``) and sets a fresh ``lease_token``, and commits, so the HTTP call
   holds no database lock. If the worker dies, the delivery comes due again
   when the lease ends.
3. Attempt. The claimed deliveries are POSTed in parallel
   (``PARALLEL_ATTEMPTS`` at a time, each to its own endpoint) as ``{"id",
   "type", "created", "data"}`` with ``Localcoin-Signature``
   (merchant.webhooks.signing) and ``Localcoin-Event-Id``, redirects not
   followed, to the address the URL's host was checked to resolve to, within a
   total deadline (merchant.webhooks.http_poster). The URL is checked again
   (merchant.webhooks.urls) because DNS may have changed since registration.
   The attempt's log keeps a coarse reason (``timeout``, ``refused``, ``tls``,
   ``connection``, ``not_allowed``) for the merchant; the detail goes to our
   own log only.
4. Outcome. Every attempt is a row of webhook_attempts and a log line. A 2xx
   delivers. Anything else is retried ``RETRY_FIRST`` later, doubling up to
   ``RETRY_MAX``, until ``GIVE_UP_AFTER`` from the event (the last try falls
   exactly on that instant); a failure after it marks the delivery failed.
   Only the holder of the lease token moves the delivery on.

Delivery is at least once: a worker that dies after the receiver answered but
before recording it sends again. Receivers drop duplicates by event id.
Nothing is lost between commit and delivery: the event row is the outbox.
"""

import json
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

import structlog
from sqlalchemy import Connection, Engine, text

from kit.backoff import Backoff
from kit.periodic_pass import PeriodicPass
from kit.sealed_secrets import SealError
from ledger.clock import Clock
from ledger.records import GIVEN, Column, RecordColumns
from ledger.unit_of_work import run_in_transaction
from merchant.webhooks.endpoints import opened, signing_secrets
from merchant.webhooks.http_poster import DeliveryFailedError, HttpPoster
from merchant.webhooks.signing import signature_header
from merchant.webhooks.urls import Resolver, Target, UrlRefusedError, resolve, target_of

log = structlog.get_logger(__name__)

RETRY_FIRST = timedelta(minutes=1)
RETRY_MAX = timedelta(hours=6)
GIVE_UP_AFTER = timedelta(days=3)
LEASE = timedelta(minutes=5)
FAN_OUT_BATCH_MAX = 200
CLAIM_BATCH_MAX = 20
PARALLEL_ATTEMPTS = 8
# The circuit breaker: after this many failed attempts in a row an endpoint is
# paused, first for BREAKER_PAUSE_FIRST, doubling with each further failure up
# to RETRY_MAX. While it rests its new deliveries wait (they are not failed for
# it); deliveries already failing keep their own backed-off retry schedule, so
# one of them tells when the receiver is back.
BREAKER_FAILURES = 5
BREAKER_PAUSE_FIRST = timedelta(minutes=10)
PASSES_BATCHES_MAX = 50
ERROR_CHARS_MAX = 500
SIGNATURE_HEADER = "Localcoin-Signature"
EVENT_ID_HEADER = "Localcoin-Event-Id"
DELIVERY_ID_HEADER = "Localcoin-Delivery-Id"
USER_AGENT = "localcoin-webhooks/1"
PASS_INTERVAL_S = 1.0


RETRIES = Backoff(first=RETRY_FIRST, ceiling=RETRY_MAX)
BREAKER = Backoff(first=BREAKER_PAUSE_FIRST, ceiling=RETRY_MAX, threshold=BREAKER_FAILURES)


def retry_delay(attempt_count: int) -> timedelta:
    """How long after the ``attempt_count``-th failed attempt the next one is due."""
    assert attempt_count >= 1
    wait = RETRIES.wait(attempt_count)
    assert wait is not None
    return wait


class Poster(Protocol):
    def __call__(self, target: Target, body: bytes, headers: dict[str, str]) -> int:
        """POSTs ``body``; returns the status code, raises DeliveryFailedError if none came."""
        ...


@dataclass(frozen=True, slots=True)
class Claim:
    """A delivery this worker holds until ``lease_token`` is replaced.

    Attributes:
        attempt_count: attempts including this one.
        secrets: what the attempt is signed with (see webhook_endpoints.signing_secrets).
    """

    coin_id: int
    delivery_id: int
    delivery_public_id: str
    lease_token: uuid.UUID
    attempt_count: int
    give_up_at: datetime
    event_public_id: str
    event_type: str
    event_data: dict[str, Any]
    event_created_at: datetime
    endpoint_public_id: str
    url: str
    secrets: list[str]


@dataclass(frozen=True, slots=True)
class Outcome:
    """Attributes: status_code: the receiver's answer, None if none came; error: why not."""

    status_code: int | None
    error: str | None
    duration_ms: int

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


@dataclass(frozen=True, slots=True)
class PassReport:
    fanned_out: int
    attempted: int
    delivered: int
    failed: int


def fan_out(conn: Connection, *, at: datetime, limit: int = FAN_OUT_BATCH_MAX) -> int:
    """Creates the deliveries of up to ``limit`` new events; returns how many events."""
    marked = conn.execute(
        text(
            """
            WITH batch AS (
                SELECT coin_id, id, merchant_id, type, created_at FROM webhook_events
                WHERE fanned_out_at IS NULL ORDER BY id LIMIT :limit
                FOR UPDATE SKIP LOCKED
            ), made AS (
                INSERT INTO webhook_deliveries (coin_id, public_id, event_id, endpoint_id, round,
                                                next_attempt_at, give_up_at, created_at)
                SELECT b.coin_id, 'whd_' || replace(gen_random_uuid()::text, '-', ''), b.id, w.id,
                       0, :at, GREATEST(b.created_at + :give_up, :at + :first), :at
                FROM batch b
                JOIN webhook_endpoints w ON w.coin_id = b.coin_id AND w.merchant_id = b.merchant_id
                WHERE w.status = 'enabled' AND (b.type = ANY (w.events) OR '*' = ANY (w.events))
                -- Deliveries numbered in event order, so newest-first lists follow the events.
                ORDER BY b.id, w.id
                ON CONFLICT (coin_id, event_id, endpoint_id, round) DO NOTHING
            )
            UPDATE webhook_events e SET fanned_out_at = :at
            FROM batch b WHERE e.coin_id = b.coin_id AND e.id = b.id
            """
        ),
        {"limit": limit, "at": at, "give_up": GIVE_UP_AFTER, "first": RETRY_FIRST},
    ).rowcount
    return int(marked)


# A delivery (d) with its event (e) and endpoint (w); the secrets are chosen after.
_CLAIM = RecordColumns(
    Claim,
    delivery_id=Column("id"),
    delivery_public_id=Column("public_id"),
    event_public_id=Column("e.public_id"),
    event_type=Column("e.type"),
    event_data=Column("e.data"),
    event_created_at=Column("e.created_at"),
    endpoint_public_id=Column("w.public_id"),
    url=Column("w.url"),
    secrets=GIVEN,
)


def claim_due(conn: Connection, *, at: datetime, limit: int = CLAIM_BATCH_MAX) -> list[Claim]:
    """Leases up to ``limit`` due deliveries to this worker."""
    rows = conn.execute(
        text(
            f"""
            WITH ready AS (
                SELECT w.coin_id, w.id, w.paused_until FROM webhook_endpoints w
                WHERE EXISTS (
                    SELECT 1 FROM webhook_deliveries d
                    WHERE d.coin_id = w.coin_id AND d.endpoint_id = w.id
                      AND d.status = 'pending' AND d.next_attempt_at <= :at
                      AND (w.paused_until IS NULL OR w.paused_until <= :at
                           OR d.attempt_count > 0))
                  -- An endpoint whose lease is still running has an attempt in flight.
                  AND NOT EXISTS (
                    SELECT 1 FROM webhook_deliveries f
                    WHERE f.coin_id = w.coin_id AND f.endpoint_id = w.id
                      AND f.status = 'pending' AND f.lease_token IS NOT NULL
                      AND f.next_attempt_at > :at)
                LIMIT :limit
                FOR NO KEY UPDATE OF w SKIP LOCKED
            ), due AS (
                SELECT DISTINCT ON (d.coin_id, d.endpoint_id) d.coin_id, d.id
                FROM webhook_deliveries d
                JOIN ready r ON r.coin_id = d.coin_id AND r.id = d.endpoint_id
                WHERE d.status = 'pending' AND d.next_attempt_at <= :at
                  -- A paused endpoint's new deliveries wait; its retries keep their schedule.
                  AND (r.paused_until IS NULL OR r.paused_until <= :at OR d.attempt_count > 0)
                ORDER BY d.coin_id, d.endpoint_id, d.next_attempt_at, d.id
            )
            UPDATE webhook_deliveries d
            SET next_attempt_at = :lease_end, lease_token = gen_random_uuid(),
                attempt_count = d.attempt_count + 1
            FROM due, webhook_events e, webhook_endpoints w
            WHERE d.coin_id = due.coin_id AND d.id = due.id
              AND e.coin_id = d.coin_id AND e.id = d.event_id
              AND w.coin_id = d.coin_id AND w.id = d.endpoint_id
            RETURNING {_CLAIM.select("d")},
                      w.secret, w.previous_secret, w.previous_secret_until
            """
        ),
        {"at": at, "limit": limit, "lease_end": at + LEASE},
    ).all()
    return [claim for claim in (_claim(row, at) for row in rows) if claim is not None]


def _claim(row: Any, at: datetime) -> Claim | None:
    """The claim with its signing secrets, or None when the secrets key cannot open
    them: that endpoint waits (its lease runs out and it is claimed again once the
    operator configures the key), and every other endpoint's deliveries go on."""
    try:
        secret, previous = opened(row.secret), opened(row.previous_secret)
    except SealError as refused:
        log.error("webhook_secret_unopenable", endpoint=row.endpoint_public_id, error=str(refused))
        return None
    assert secret is not None
    secrets = signing_secrets(secret, previous, row.previous_secret_until, at)
    return _CLAIM.read(row, secrets=secrets)


def event_body(claim: Claim) -> bytes:
    """The JSON the receiver gets; signed byte for byte."""
    payload = {
        "id": claim.event_public_id,
        "type": claim.event_type,
        "created": int(claim.event_created_at.timestamp()),
        "data": claim.event_data,
    }
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()


def attempt(
    claim: Claim, *, at: datetime, poster: Poster, allow_private: bool, resolver: Resolver
) -> Outcome:
    """One POST of the claimed delivery."""
    try:
        target = target_of(claim.url, allow_private=allow_private, resolver=resolver)
    except UrlRefusedError as refused:
        log.info("webhook_url_refused", endpoint=claim.endpoint_public_id, detail=refused.detail)
        return Outcome(None, "not_allowed", 0)
    body = event_body(claim)
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        SIGNATURE_HEADER: signature_header(claim.secrets, int(at.timestamp()), body),
        EVENT_ID_HEADER: claim.event_public_id,
        DELIVERY_ID_HEADER: claim.delivery_public_id,
    }
    started = time.monotonic()
    try:
        status_code = poster(target, body, headers)
    except DeliveryFailedError as failed:
        elapsed = int((time.monotonic() - started) * 1000)
        cause = failed.__cause__
        log.info(
            "webhook_no_answer",
            endpoint=claim.endpoint_public_id,
            reason=failed.reason,
            detail=f"{type(cause).__name__}: {cause}"[:ERROR_CHARS_MAX] if cause else None,
        )
        return Outcome(None, failed.reason, elapsed)
    return Outcome(status_code, None, int((time.monotonic() - started) * 1000))


def record_outcome(conn: Connection, claim: Claim, outcome: Outcome, *, at: datetime) -> str:
    """Logs the attempt and moves the delivery on; returns its status."""
    conn.execute(
        text(
            "INSERT INTO webhook_attempts"
            " (coin_id, delivery_id, attempted_at, status_code, error, duration_ms)"
            " VALUES (:coin, :delivery, :at, :code, :error, :ms)"
        ),
        {
            "coin": claim.coin_id,
            "delivery": claim.delivery_id,
            "at": at,
            "code": outcome.status_code,
            "error": outcome.error,
            "ms": outcome.duration_ms,
        },
    )
    if outcome.ok:
        status, next_at, delivered_at = "delivered", None, at
    elif at >= claim.give_up_at:
        status, next_at, delivered_at = "failed", None, None
    else:
        next_try = min(at + retry_delay(claim.attempt_count), claim.give_up_at)
        status, next_at, delivered_at = "pending", next_try, None
    moved = conn.execute(
        text(
            "UPDATE webhook_deliveries SET status = :status, next_attempt_at = :next,"
            " delivered_at = :delivered, lease_token = NULL"
            " WHERE coin_id = :coin AND id = :id AND lease_token = :token AND status = 'pending'"
        ),
        {
            "status": status,
            "next": next_at,
            "delivered": delivered_at,
            "coin": claim.coin_id,
            "id": claim.delivery_id,
            "token": claim.lease_token,
        },
    ).rowcount
    _count_for_breaker(conn, claim, ok=outcome.ok, at=at)
    log.info(
        "webhook_attempt",
        event_id=claim.event_public_id,
        delivery=claim.delivery_public_id,
        endpoint=claim.endpoint_public_id,
        attempt=claim.attempt_count,
        status_code=outcome.status_code,
        error=outcome.error,
        duration_ms=outcome.duration_ms,
        outcome=status if moved else "lease_lost",
    )
    return status if moved else "lease_lost"


def breaker_pause(failures: int) -> timedelta | None:
    """How long an endpoint rests after ``failures`` failed attempts in a row."""
    return BREAKER.wait(failures)


def _count_for_breaker(conn: Connection, claim: Claim, *, ok: bool, at: datetime) -> None:
    if ok:
        conn.execute(
            text(
                "UPDATE webhook_endpoints SET consecutive_failures = 0, paused_until = NULL"
                " WHERE coin_id = :coin AND public_id = :endpoint"
                " AND (consecutive_failures > 0 OR paused_until IS NOT NULL)"
            ),
            {"coin": claim.coin_id, "endpoint": claim.endpoint_public_id},
        )
        return
    failures = conn.execute(
        text(
            "UPDATE webhook_endpoints SET consecutive_failures = consecutive_failures + 1"
            " WHERE coin_id = :coin AND public_id = :endpoint RETURNING consecutive_failures"
        ),
        {"coin": claim.coin_id, "endpoint": claim.endpoint_public_id},
    ).scalar_one()
    pause = breaker_pause(failures)
    if pause is not None:
        conn.execute(
            text(
                "UPDATE webhook_endpoints SET paused_until = :until"
                " WHERE coin_id = :coin AND public_id = :endpoint"
            ),
            {"until": at + pause, "coin": claim.coin_id, "endpoint": claim.endpoint_public_id},
        )
        log.warning(
            "webhook_endpoint_paused",
            endpoint=claim.endpoint_public_id,
            failures=failures,
            until=(at + pause).isoformat(),
        )


def deliver_pass(
    engine: Engine,
    clock: Clock,
    *,
    poster: Poster,
    allow_private: bool,
    resolver: Resolver = resolve,
) -> PassReport:
    """Fans out every new event, then attempts every due delivery once."""
    fanned = 0
    for _ in range(PASSES_BATCHES_MAX):
        made = run_in_transaction(engine, lambda conn: fan_out(conn, at=clock.now()))
        fanned += made
        if made < FAN_OUT_BATCH_MAX:
            break
    attempted = delivered = failed = 0

    def deliver(claim: Claim) -> str:
        at = clock.now()
        outcome = attempt(
            claim, at=at, poster=poster, allow_private=allow_private, resolver=resolver
        )
        return _record(engine, claim, outcome, at)

    with ThreadPoolExecutor(PARALLEL_ATTEMPTS, thread_name_prefix="webhook") as pool:
        for _ in range(PASSES_BATCHES_MAX):
            claims = run_in_transaction(engine, lambda conn: claim_due(conn, at=clock.now()))
            for status in pool.map(deliver, claims):
                attempted += 1
                delivered += status == "delivered"
                failed += status == "failed"
            # One claim per endpoint at a time: claim again while anything is due.
            if not claims:
                break
    return PassReport(fanned, attempted, delivered, failed)


def _record(engine: Engine, claim: Claim, outcome: Outcome, at: datetime) -> str:
    return run_in_transaction(engine, lambda conn: record_outcome(conn, claim, outcome, at=at))


class WebhookWorker(PeriodicPass):
    """Runs deliver_pass in a thread beside the API, like the Sealer."""

    def __init__(
        self,
        engine: Engine,
        clock: Clock,
        *,
        timeout_s: float,
        allow_private: bool,
        interval_s: float = PASS_INTERVAL_S,
    ) -> None:
        self._poster = HttpPoster(timeout_s)

        def run_pass() -> None:
            report = deliver_pass(engine, clock, poster=self._poster, allow_private=allow_private)
            if report.attempted or report.fanned_out:
                log.info(
                    "webhook_pass",
                    fanned_out=report.fanned_out,
                    attempted=report.attempted,
                    delivered=report.delivered,
                    failed=report.failed,
                )

        super().__init__(
            "webhooks",
            run_pass,
            interval_s=interval_s,
            failure_event="webhook_pass_failed",
            stop_timeout_s=30.0,
        )

    def stop(self) -> None:
        super().stop()
        self._poster.close()
