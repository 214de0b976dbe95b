"""``localcoin notices deliver``: one notices pass from the command line (cron, outages).

Reads the sealed books past each coin's cursor, scans lots near their expiry,
fans new notices out and attempts every due delivery once, exactly as the
background worker of ``localcoin serve`` does; safe beside it (cursors are
locked, deliveries claimed with SKIP LOCKED). Prints ``{"entries",
"notices", "fanned_out", "attempted", "delivered", "failed"}``.
"""

import typer
from rich.console import Console

from kit.settings import get_settings
from localcoin.command_io import emit, open_engine, system_clock
from notices.channel_setup import configured_channels
from notices.delivery import deliver_pass
from notices.line_api import LineApi

notices_app = typer.Typer(no_args_is_help=True, help="Notices to residents (e-mail, LINE).")


@notices_app.command("deliver")
def deliver() -> None:
    """Follows the books and delivers what is due now, once."""
    channels = configured_channels(get_settings())
    engine = open_engine()
    try:
        with Console(stderr=True).status("notices: one pass"):
            report = deliver_pass(engine, system_clock(), channels=channels)
    finally:
        for channel in channels.values():
            if isinstance(channel, LineApi):
                channel.close()
        engine.dispose()
    emit(
        {
            "entries": report.entries,
            "notices": report.notices,
            "fanned_out": report.fanned_out,
            "attempted": report.attempted,
            "delivered": report.delivered,
            "failed": report.failed,
        }
    )
