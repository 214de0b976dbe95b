"""How many notices each channel delivered, is still trying, or gave up on: the console's figures.

Counts only, per coin and channel: nothing about any resident.
"""

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Connection, text

from notices.channel import ChannelName

STATUSES = ("pending", "delivered", "failed")


@dataclass(frozen=True, slots=True)
class ChannelCounts:
    """Attributes: pending (still being tried), delivered, failed (given up);
    paused_until: the channel rests after failing in a row (ISO time) or None."""

    pending: int = 0
    delivered: int = 0
    failed: int = 0
    paused_until: str | None = None


@dataclass(frozen=True, slots=True)
class DeliveryCounts:
    """Attributes: notices: written for the coin; channels: each channel's deliveries."""

    notices: int
    channels: dict[str, ChannelCounts] = field(default_factory=dict)


def delivery_counts(conn: Connection, *, coin_id: int) -> DeliveryCounts:
    notices: int = conn.execute(
        text("SELECT count(*) FROM notices WHERE coin_id = :coin"), {"coin": coin_id}
    ).scalar_one()
    counted: dict[str, dict[str, int]] = {channel.value: {} for channel in ChannelName}
    for channel, status, count in conn.execute(
        text(
            "SELECT channel, status, count(*) FROM notice_deliveries WHERE coin_id = :coin"
            " GROUP BY channel, status"
        ),
        {"coin": coin_id},
    ):
        counted[channel][status] = count
    paused: dict[str, datetime] = dict(
        conn.execute(
            text("SELECT channel, paused_until FROM notice_channels WHERE paused_until IS NOT NULL")
        ).all()
    )
    return DeliveryCounts(
        notices=notices,
        channels={
            channel: ChannelCounts(
                **{status: by_status.get(status, 0) for status in STATUSES},
                paused_until=paused[channel].isoformat() if channel in paused else None,
            )
            for channel, by_status in counted.items()
        },
    )
