"""What a resident wants to hear and where: kinds and channels they opted into,
their language, their quiet hours. Nothing is sent to anyone who said nothing."""

from dataclasses import dataclass
from datetime import datetime, time

from sqlalchemy import Connection, text

from kit.notice_outbox import NoticeKind
from notices.channel import ChannelName
from wallet_api.history_words import Lang

# A kind stored by a newer version than this one is ignored rather than refused.
_KINDS = frozenset(kind.value for kind in NoticeKind)


@dataclass(frozen=True, slots=True)
class Preferences:
    """Attributes:
    kinds: the kinds opted into (none by default).
    channels: the channels to use (none by default).
    lang: the language of the words (Japanese by default).
    quiet_start, quiet_end: Tokyo times between which nothing is sent but a
        PIN lockout; None: no quiet hours.
    """

    kinds: tuple[NoticeKind, ...] = ()
    channels: tuple[ChannelName, ...] = ()
    lang: Lang = Lang.JA
    quiet_start: time | None = None
    quiet_end: time | None = None


def preferences_of(conn: Connection, *, resident_id: int) -> Preferences:
    row = conn.execute(
        text(
            "SELECT kinds, channels, lang, quiet_start, quiet_end FROM notice_preferences"
            " WHERE resident_id = :resident"
        ),
        {"resident": resident_id},
    ).one_or_none()
    if row is None:
        return Preferences()
    return Preferences(
        kinds=tuple(NoticeKind(kind) for kind in row.kinds if kind in _KINDS),
        channels=tuple(ChannelName(channel) for channel in row.channels),
        lang=Lang(row.lang),
        quiet_start=row.quiet_start,
        quiet_end=row.quiet_end,
    )


def save_preferences(
    conn: Connection, *, resident_id: int, preferences: Preferences, at: datetime
) -> None:
    assert (preferences.quiet_start is None) == (preferences.quiet_end is None)
    conn.execute(
        text(
            """
            INSERT INTO notice_preferences (resident_id, kinds, channels, lang, quiet_start,
                                            quiet_end, updated_at)
            VALUES (:resident, :kinds, :channels, :lang, :start, :end, :at)
            ON CONFLICT (resident_id) DO UPDATE SET kinds = excluded.kinds,
                channels = excluded.channels, lang = excluded.lang,
                quiet_start = excluded.quiet_start, quiet_end = excluded.quiet_end,
                updated_at = excluded.updated_at
            """
        ),
        {
            "resident": resident_id,
            "kinds": sorted({kind.value for kind in preferences.kinds}),
            "channels": sorted({channel.value for channel in preferences.channels}),
            "lang": preferences.lang.value,
            "start": preferences.quiet_start,
            "end": preferences.quiet_end,
            "at": at,
        },
    )
