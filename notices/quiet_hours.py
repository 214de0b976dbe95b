"""Quiet hours: a resident's notices wait until the end of the night they chose.

Hours are Tokyo wall-clock times; a window may span midnight (22:00 to 07:00).
"""

from datetime import datetime, time, timedelta

from ledger.clock import BUSINESS_TZ


def after_quiet(at: datetime, *, start: time | None, end: time | None) -> datetime:
    """``at`` if it is outside the quiet window, else the window's end (UTC)."""
    assert at.tzinfo is not None
    if start is None or end is None or start == end:
        return at
    local = at.astimezone(BUSINESS_TZ)
    now = local.time()
    if start < end:
        quiet, next_day = start <= now < end, False
    else:
        quiet, next_day = now >= start or now < end, now >= start
    if not quiet:
        return at
    day = local.date() + timedelta(days=1 if next_day else 0)
    return datetime.combine(day, end, tzinfo=BUSINESS_TZ).astimezone(at.tzinfo)
