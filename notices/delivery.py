"""The notices worker: follows the books, fans notices out to channels, delivers with retries.

The webhook worker's design (merchant/webhooks/delivery.py), with the parts
that differ for a person rather than an integrator:

1. Follow. New sealed entries become notices (notices.chain_follower); lots
   near their expiry too (notices.expiry_scan, at most every SCAN_EVERY in
   the background worker).
2. Fan-out. Each new notice gets one delivery per channel the resident chose
   and has a verified address for (UNIQUE (notice, channel): once, however
   many workers run). Quiet hours set its first attempt; a PIN lockout is
   security and does not wait.
3. Claim. Due deliveries are leased (``LEASE``, a fresh ``lease_token``) and
   the claim commits, so no database lock is held while a channel is slow; a
   worker that dies leaves the lease to run out.
4. Attempt and outcome. The address is read at claim time (a contact removed
   since is not written to). Success delivers; a failure is retried
   ``RETRIES`` later (kit.backoff, doubling) until ``GIVE_UP_AFTER``. A
   channel failing ``BREAKER`` times in a row rests: its new deliveries wait,
   its retries keep their own schedule and tell when it is back.

Never twice to the resident: each delivery carries a ``retry_key`` that is
the same on every attempt. LINE drops a push whose X-Line-Retry-Key it has
taken (409), and an e-mail's Message-ID is that key, so a retry after an
answer that was lost is recognisably the same message.
"""

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import Connection, Engine, text

from kit.backoff import Backoff
from kit.notice_outbox import NoticeKind
from kit.periodic_pass import PeriodicPass
from ledger.clock import Clock
from ledger.unit_of_work import run_in_transaction
from notices.chain_follower import follow_all
from notices.channel import Channel, ChannelFailedError, ChannelName, Message
from notices.expiry_scan import scan_all
from notices.quiet_hours import after_quiet
from notices.words import notice_words
from wallet_api.history_words import Lang

log = structlog.get_logger(__name__)

RETRIES = Backoff(first=timedelta(minutes=1), ceiling=timedelta(hours=1))
BREAKER = Backoff(first=timedelta(minutes=5), ceiling=timedelta(hours=1), threshold=5)
# A receipt a day late is noise, not news.
GIVE_UP_AFTER = timedelta(days=1)
LEASE = timedelta(minutes=5)
FAN_OUT_BATCH_MAX = 200
CLAIM_BATCH_MAX = 50
PASS_BATCHES_MAX = 50
SCAN_EVERY = timedelta(minutes=10)
PASS_INTERVAL_S = 1.0
# Security notices are sent at any hour.
_NEVER_QUIET = frozenset({NoticeKind.PIN_LOCKED.value})
_NOT_THE_CHANNEL = frozenset({"no_address", "not_configured"})


@dataclass(frozen=True, slots=True)
class PassReport:
    """Attributes:
    entries: sealed entries read; notices: notices written;
    fanned_out: notices given their deliveries; attempted, delivered, failed:
    the attempts of this pass and how they ended (failed: given up).
    """

    entries: int = 0
    notices: int = 0
    fanned_out: int = 0
    attempted: int = 0
    delivered: int = 0
    failed: int = 0


def fan_out(conn: Connection, *, at: datetime, limit: int = FAN_OUT_BATCH_MAX) -> int:
    """Makes the deliveries of up to ``limit`` new notices; returns how many notices."""
    rows = conn.execute(
        text(
            """
            SELECT n.coin_id, n.id, n.kind, np.channels, np.quiet_start, np.quiet_end,
                   array(SELECT c.kind FROM resident_contacts c
                         WHERE c.resident_id = n.resident_id AND c.verified_at IS NOT NULL)
                     AS reachable
            FROM notices n LEFT JOIN notice_preferences np ON np.resident_id = n.resident_id
            WHERE n.fanned_out_at IS NULL ORDER BY n.coin_id, n.id LIMIT :limit
            FOR UPDATE OF n SKIP LOCKED
            """
        ),
        {"limit": limit},
    ).all()
    for row in rows:
        first = (
            at
            if row.kind in _NEVER_QUIET
            else after_quiet(at, start=row.quiet_start, end=row.quiet_end)
        )
        for channel in set(row.channels or ()) & set(row.reachable):
            conn.execute(
                text(
                    "INSERT INTO notice_deliveries (coin_id, notice_id, channel, next_attempt_at,"
                    " give_up_at, created_at) VALUES (:coin, :notice, :channel, :first,"
                    " :give_up, :at) ON CONFLICT (coin_id, notice_id, channel) DO NOTHING"
                ),
                {
                    "coin": row.coin_id,
                    "notice": row.id,
                    "channel": channel,
                    "first": first,
                    "give_up": first + GIVE_UP_AFTER,
                    "at": at,
                },
            )
        conn.execute(
            text("UPDATE notices SET fanned_out_at = :at WHERE coin_id = :coin AND id = :id"),
            {"at": at, "coin": row.coin_id, "id": row.id},
        )
    return len(rows)


@dataclass(frozen=True, slots=True)
class Claim:
    """A delivery this worker holds until ``lease_token`` is replaced.

    Attributes:
        address: the resident's verified address on the channel now; None if gone.
        attempt_count: attempts including this one.
    """

    coin_id: int
    delivery_id: int
    channel: ChannelName
    retry_key: uuid.UUID
    lease_token: uuid.UUID
    attempt_count: int
    give_up_at: datetime
    kind: str
    data: dict[str, Any]
    lang: Lang
    coin_name: str
    address: str | None


def claim_due(conn: Connection, *, at: datetime, limit: int = CLAIM_BATCH_MAX) -> list[Claim]:
    """Leases up to ``limit`` due deliveries; a resting channel's new ones wait."""
    rows = conn.execute(
        text(
            """
            WITH due AS (
                SELECT d.coin_id, d.id FROM notice_deliveries d
                JOIN notice_channels ch ON ch.channel = d.channel
                WHERE d.status = 'pending' AND d.next_attempt_at <= :at
                  AND (ch.paused_until IS NULL OR ch.paused_until <= :at OR d.attempt_count > 0)
                ORDER BY d.next_attempt_at, d.id LIMIT :limit
                FOR UPDATE OF d SKIP LOCKED
            )
            UPDATE notice_deliveries d
            SET next_attempt_at = :lease_end, lease_token = gen_random_uuid(),
                attempt_count = d.attempt_count + 1
            FROM due, notices n, coins c
            WHERE d.coin_id = due.coin_id AND d.id = due.id
              AND n.coin_id = d.coin_id AND n.id = d.notice_id AND c.id = d.coin_id
            RETURNING d.coin_id, d.id, d.channel, d.retry_key, d.lease_token, d.attempt_count,
                      d.give_up_at, n.kind, n.data, c.name AS coin_name,
                      coalesce((SELECT lang FROM notice_preferences p
                                WHERE p.resident_id = n.resident_id), 'ja') AS lang,
                      (SELECT address FROM resident_contacts rc
                        WHERE rc.resident_id = n.resident_id AND rc.kind = d.channel
                          AND rc.verified_at IS NOT NULL) AS address
            """
        ),
        {"at": at, "limit": limit, "lease_end": at + LEASE},
    ).all()
    return [
        Claim(
            coin_id=row.coin_id,
            delivery_id=row.id,
            channel=ChannelName(row.channel),
            retry_key=row.retry_key,
            lease_token=row.lease_token,
            attempt_count=row.attempt_count,
            give_up_at=row.give_up_at,
            kind=row.kind,
            data=row.data,
            lang=Lang(row.lang),
            coin_name=row.coin_name,
            address=row.address,
        )
        for row in rows
    ]


def attempt(claim: Claim, channels: Mapping[ChannelName, Channel]) -> str | None:
    """Sends the claimed delivery once; None when it was taken, else the coarse reason."""
    channel = channels.get(claim.channel)
    if channel is None:
        return "not_configured"
    if claim.address is None:
        return "no_address"
    words = notice_words(claim.kind, claim.data, lang=claim.lang, coin_name=claim.coin_name)
    message = Message(
        to=claim.address, subject=words.subject, text=words.text, retry_key=str(claim.retry_key)
    )
    try:
        channel.send(message)
    except ChannelFailedError as failed:
        return failed.reason
    return None


def record_outcome(conn: Connection, claim: Claim, error: str | None, *, at: datetime) -> str:
    """Moves the delivery on after an attempt; returns its status (or ``lease_lost``)."""
    if error is None:
        status, next_at, delivered_at = "delivered", None, at
    elif at >= claim.give_up_at or error == "no_address":
        status, next_at, delivered_at = "failed", None, None
    else:
        wait = RETRIES.wait(claim.attempt_count)
        assert wait is not None
        status, next_at, delivered_at = "pending", min(at + wait, claim.give_up_at), None
    moved = conn.execute(
        text(
            "UPDATE notice_deliveries SET status = :status, next_attempt_at = :next,"
            " delivered_at = :delivered, lease_token = NULL, last_error = :error"
            " WHERE coin_id = :coin AND id = :id AND lease_token = :token AND status = 'pending'"
        ),
        {
            "status": status,
            "next": next_at,
            "delivered": delivered_at,
            "error": error,
            "coin": claim.coin_id,
            "id": claim.delivery_id,
            "token": claim.lease_token,
        },
    ).rowcount
    # The breaker counts what the channel answered, not what this process lacks.
    if error not in _NOT_THE_CHANNEL:
        _count_for_breaker(conn, claim.channel, ok=error is None, at=at)
    log.info(
        "notice_attempt",
        delivery=claim.delivery_id,
        channel=claim.channel.value,
        attempt=claim.attempt_count,
        error=error,
        outcome=status if moved else "lease_lost",
    )
    return status if moved else "lease_lost"


def _count_for_breaker(conn: Connection, channel: ChannelName, *, ok: bool, at: datetime) -> None:
    if ok:
        conn.execute(
            text(
                "UPDATE notice_channels SET consecutive_failures = 0, paused_until = NULL"
                " WHERE channel = :channel AND consecutive_failures > 0"
            ),
            {"channel": channel.value},
        )
        return
    failures = conn.execute(
        text(
            "UPDATE notice_channels SET consecutive_failures = consecutive_failures + 1"
            " WHERE channel = :channel RETURNING consecutive_failures"
        ),
        {"channel": channel.value},
    ).scalar_one()
    pause = BREAKER.wait(failures)
    if pause is not None:
        conn.execute(
            text("UPDATE notice_channels SET paused_until = :until WHERE channel = :channel"),
            {"until": at + pause, "channel": channel.value},
        )
        log.warning("notice_channel_paused", channel=channel.value, failures=failures)


def deliver_pass(
    engine: Engine,
    clock: Clock,
    *,
    channels: Mapping[ChannelName, Channel],
    scan_expiring: bool = True,
) -> PassReport:
    """One whole pass: follow the books, (scan expiring lots), fan out, attempt what is due."""
    followed = follow_all(engine, clock)
    expiring = scan_all(engine, clock) if scan_expiring else 0
    fanned = 0
    for _ in range(PASS_BATCHES_MAX):
        made = run_in_transaction(engine, lambda conn: fan_out(conn, at=clock.now()))
        fanned += made
        if made < FAN_OUT_BATCH_MAX:
            break
    attempted = delivered = failed = 0
    for _ in range(PASS_BATCHES_MAX):
        claims = run_in_transaction(engine, lambda conn: claim_due(conn, at=clock.now()))
        for claim in claims:
            error = attempt(claim, channels)
            at = clock.now()
            status = _record(engine, claim, error, at)
            attempted += 1
            delivered += status == "delivered"
            failed += status == "failed"
        if len(claims) < CLAIM_BATCH_MAX:
            break
    return PassReport(
        followed.entries, followed.notices + expiring, fanned, attempted, delivered, failed
    )


def _record(engine: Engine, claim: Claim, error: str | None, at: datetime) -> str:
    return run_in_transaction(engine, lambda conn: record_outcome(conn, claim, error, at=at))


class NoticesWorker(PeriodicPass):
    """Runs deliver_pass beside the API, like the webhook worker; scans expiring
    lots every SCAN_EVERY rather than every second."""

    def __init__(
        self,
        engine: Engine,
        clock: Clock,
        *,
        channels: Mapping[ChannelName, Channel],
        interval_s: float = PASS_INTERVAL_S,
    ) -> None:
        self._last_scan: datetime | None = None

        def run_pass() -> None:
            now = clock.now()
            scan = self._last_scan is None or now - self._last_scan >= SCAN_EVERY
            report = deliver_pass(engine, clock, channels=channels, scan_expiring=scan)
            if scan:
                self._last_scan = now
            if report.attempted or report.notices:
                log.info("notices_pass", **_fields(report))

        super().__init__(
            "notices", run_pass, interval_s=interval_s, failure_event="notices_pass_failed"
        )


def _fields(report: PassReport) -> dict[str, int]:
    return {
        "entries": report.entries,
        "notices": report.notices,
        "fanned_out": report.fanned_out,
        "attempted": report.attempted,
        "delivered": report.delivered,
        "failed": report.failed,
    }
