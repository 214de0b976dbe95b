"""``localcoin secrets rotate``: every sealed secret wrapped again under the current key.

Run it after setting a new LOCALCOIN_SECRETS_KEY with the old one in
LOCALCOIN_SECRETS_KEYS_PREVIOUS; when it reports nothing left under an old
key, the old key can be removed. Prints ``{"checked", "rewrapped", "key_id"}``.
"""

import typer

from kit.sealed_secrets import SealError, secret_box
from kit.secret_keys import key_id
from kit.settings import get_settings
from localcoin.command_io import emit, fail, open_engine, progress
from merchant.webhooks.secret_rewrap import rewrap_endpoint_secrets

secrets_app = typer.Typer(no_args_is_help=True, help="Secrets sealed at rest.")


@secrets_app.command("rotate")
def rotate() -> None:
    """Wraps every sealed secret under LOCALCOIN_SECRETS_KEY (from the previous keys)."""
    engine = open_engine()
    try:
        with progress() as bar:
            task = bar.add_task("webhook endpoint secrets", total=None)
            checked, rewrapped = rewrap_endpoint_secrets(
                engine,
                secret_box(),
                progress=lambda done, total: bar.update(task, completed=done, total=total),
            )
    except SealError as refused:
        raise fail("secrets_key_missing", str(refused)) from refused
    finally:
        engine.dispose()
    emit(
        {
            "checked": checked,
            "rewrapped": rewrapped,
            "key_id": key_id(get_settings().secrets_key),
        }
    )
