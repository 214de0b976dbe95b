"""``localcoin webhooks deliver``: one webhook pass from the command line (cron, outages).

Fans out every new event and attempts every due delivery once, exactly as the
background worker of ``localcoin serve`` does; safe to run beside it (both
claim with SKIP LOCKED). Prints ``{"fanned_out", "attempted", "delivered",
"failed"}``.
"""

import typer

from kit.settings import get_settings
from localcoin.command_io import emit, open_engine, system_clock
from merchant.webhooks.delivery import deliver_pass
from merchant.webhooks.http_poster import HttpPoster

webhooks_app = typer.Typer(no_args_is_help=True, help="Webhooks to integrators.")


@webhooks_app.command("deliver")
def deliver() -> None:
    """Delivers what is due now, once."""
    settings = get_settings()
    engine = open_engine()
    poster = HttpPoster(settings.webhook_timeout_s)
    try:
        report = deliver_pass(
            engine,
            system_clock(),
            poster=poster,
            allow_private=settings.webhook_allow_private_urls,
        )
    finally:
        poster.close()
        engine.dispose()
    emit(
        {
            "fanned_out": report.fanned_out,
            "attempted": report.attempted,
            "delivered": report.delivered,
            "failed": report.failed,
        }
    )
