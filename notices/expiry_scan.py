"""Points and premium about to expire: a notice 30 and 7 days before (the coin's setting).

A lot (one kind and one expiry in a wallet) is noticed once per warning: the
source ``lot:<id>:<expiry date>:<days>`` is unique per resident. A lot first
seen late (the scan was down, or the lot was granted 10 days before its end)
gets only the nearest warning, never the 30-day one after the 7-day one. Days
are counted between Tokyo dates, the dates the wallet shows.
"""

from datetime import datetime, timedelta

from sqlalchemy import Connection, Engine, text

from kit.notice_outbox import NoticeKind, record_notice
from ledger.clock import Clock, business_date
from ledger.coins import list_coins
from ledger.unit_of_work import run_in_transaction

DEFAULT_WARNING_DAYS = (30, 7)
SCAN_ROWS_MAX = 5_000


def warning_days(conn: Connection, *, coin_id: int) -> tuple[int, ...]:
    days = conn.execute(
        text("SELECT expiry_warning_days FROM notice_settings WHERE coin_id = :coin"),
        {"coin": coin_id},
    ).scalar_one_or_none()
    return tuple(days) if days else DEFAULT_WARNING_DAYS


def due_warning(days_left: int, warnings: tuple[int, ...]) -> int | None:
    """The warning a lot ``days_left`` from its expiry is due: the nearest one not
    before it; None when it is further off than every warning, or already over."""
    if days_left < 0:
        return None
    fitting = [days for days in warnings if days >= days_left]
    return min(fitting) if fitting else None


def scan(conn: Connection, *, coin_id: int, at: datetime) -> int:
    """Writes the coin's due expiry notices; returns how many are new."""
    warnings = warning_days(conn, coin_id=coin_id)
    today = business_date(at)
    lots = conn.execute(
        text(
            """
            SELECT l.id, l.kind, l.expires_at, l.remaining, w.resident_id
            FROM lots l
            JOIN wallets w ON w.coin_id = l.coin_id AND w.account_id = l.account_id
            JOIN notice_preferences np ON np.resident_id = w.resident_id
            WHERE l.coin_id = :coin AND l.remaining > 0 AND l.kind IN ('points', 'premium')
              AND l.expires_at > :at AND l.expires_at <= :horizon
              AND 'expiring' = ANY (np.kinds) AND cardinality(np.channels) > 0
            ORDER BY l.expires_at, l.id LIMIT :rows
            """
        ),
        {
            "coin": coin_id,
            "at": at,
            "horizon": at + timedelta(days=max(warnings) + 1),
            "rows": SCAN_ROWS_MAX,
        },
    ).all()
    written = 0
    for lot in lots:
        expires_on = business_date(lot.expires_at)
        days_left = (expires_on - today).days
        due = due_warning(days_left, warnings)
        if due is None:
            continue
        written += record_notice(
            conn,
            coin_id=coin_id,
            resident_id=lot.resident_id,
            kind=NoticeKind.EXPIRING,
            source=f"lot:{lot.id}:{expires_on.isoformat()}:{due}",
            data={
                "lot_kind": lot.kind,
                "amount": lot.remaining,
                "expires_on": expires_on.isoformat(),
                "days": days_left,
            },
            at=at,
        )
    return written


def scan_all(engine: Engine, clock: Clock) -> int:
    written = 0
    for coin in run_in_transaction(engine, list_coins):
        written += _scan_coin(engine, clock, coin.id)
    return written


def _scan_coin(engine: Engine, clock: Clock, coin_id: int) -> int:
    return run_in_transaction(engine, lambda conn: scan(conn, coin_id=coin_id, at=clock.now()))
