"""The charge bonus: points a coin grants on every top-up.

Rule: ``bonus = amount * topup_bonus_bp // 10,000``, rounded down per top-up
(a top-up of 12,345 at 100 bp earns 123 points; one of 99 earns none), and
nothing on a channel the coin excludes. The points are funded from
``receivable:municipality`` and expire at the end of the month six months
after the top-up, in Asia/Tokyo (a top-up on 23 November 2026 earns points
that expire at the end of 31 May 2027, Tokyo time).

The bonus is a second entry beside the top-up's: the top-up's own entry keeps
the bank's reference as its idempotency key and a fingerprint that does not
depend on the rules of the day, so a late retry of the same deposit still
replays instead of being refused.
"""

from datetime import date, datetime, timedelta

from sqlalchemy import Connection

from ledger.chart import Standard, standard_account
from ledger.clock import business_date, end_of_business_date
from ledger.entries import EntryRequest, PostedEntry, credit, debit, post_entry
from ledger.lots import LotKind
from wallet_api.rules import CoinRules

BASIS_POINTS = 10_000
BONUS_LIFETIME_MONTHS = 6


def bonus_points(rules: CoinRules, *, amount: int, channel: str) -> int:
    """The points a top-up of ``amount`` yen earns on ``channel``. Pure."""
    assert amount > 0
    if channel in rules.topup_bonus_excluded_channels:
        return 0
    return amount * rules.topup_bonus_bp // BASIS_POINTS


def bonus_expiry(at: datetime) -> datetime:
    """The end (Tokyo time) of the month six months after ``at``'s Tokyo date."""
    day = business_date(at)
    months = day.year * 12 + day.month - 1 + BONUS_LIFETIME_MONTHS
    target_month = date(months // 12, months % 12 + 1, 1)
    following_month = (target_month + timedelta(days=31)).replace(day=1)
    return end_of_business_date(following_month - timedelta(days=1))


def post_bonus(
    conn: Connection,
    *,
    coin_id: int,
    wallet_account_id: int,
    points: int,
    topup_public_id: str,
    at: datetime,
) -> PostedEntry:
    """Credits the bonus as a points lot, debiting the municipality's receivable."""
    assert points > 0
    funding = standard_account(conn, coin_id=coin_id, code=Standard.RECEIVABLE_MUNICIPALITY)
    return post_entry(
        conn,
        coin_id=coin_id,
        request=EntryRequest(
            "points.topup_bonus",
            [
                debit(funding.id, points),
                credit(
                    wallet_account_id,
                    points,
                    lot_kind=LotKind.POINTS,
                    lot_expires_at=bonus_expiry(at),
                ),
            ],
            metadata={"topup": topup_public_id},
        ),
        posted_at=at,
    )
