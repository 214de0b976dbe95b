"""``localcoin webhooks deliver`` runs one worker pass and prints what it did."""

import json
from collections.abc import Iterator

import pytest
import typer
from sqlalchemy import Engine
from typer.testing import CliRunner

from kit.settings import get_settings
from ledger.clock import FixedClock
from localcoin.webhook_commands import webhooks_app
from tests.merchant.shops import open_shop
from tests.merchant.webhook_receiver import running_receiver
from tests.merchant.webhook_town import add_endpoint, emit, webhook_town

# How localcoin.cli wires it: app.add_typer(webhooks_app, name="webhooks").
root = typer.Typer()
root.add_typer(webhooks_app, name="webhooks")


@pytest.fixture
def cli(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("LOCALCOIN_WEBHOOK_ALLOW_PRIVATE_URLS", "true")
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


def test_webhooks_deliver_sends_what_the_outbox_holds(
    cli: CliRunner, engine: Engine, clock: FixedClock
) -> None:
    town = webhook_town(engine, clock)
    shop = open_shop(town)
    with running_receiver() as receiver:
        add_endpoint(town, shop, receiver.url)
        event = emit(town, shop)
        result = cli.invoke(root, ["webhooks", "deliver"])
    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout.strip().splitlines()[-1])
    assert printed["delivered"] >= 1
    assert receiver.event_ids() == [event.public_id]
