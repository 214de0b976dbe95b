"""``localcoin notices deliver`` runs one notices pass and prints what it did."""

import json
from collections.abc import Iterator

import pytest
import typer
from sqlalchemy import Engine
from typer.testing import CliRunner

from kit.settings import get_settings
from ledger.clock import FixedClock
from localcoin.notices_commands import notices_app
from localcoin.sealer import seal_coin
from tests.notices.notice_town import Mailbox, notice_town

# How localcoin.cli wires it: app.add_typer(notices_app, name="notices").
root = typer.Typer()
root.add_typer(notices_app, name="notices")


@pytest.fixture
def cli(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    monkeypatch.setenv("DATABASE_URL", database_url)
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


def test_notices_deliver_follows_the_books_and_e_mails(
    cli: CliRunner, engine: Engine, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    with notice_town(engine, clock) as town:
        created = town.sign_up(name="山田")
        headers = town.token(created["resident_id"])
        town.add_email(headers, town.mail("cli"))
        town.opt_in(headers, ["topup"], ["email"])
        assert town.top_up(created["wallet_id"], 1_200, "dep-cli").status_code == 201
        monkeypatch.setenv("LOCALCOIN_SMTP_HOST", "127.0.0.1")
        monkeypatch.setenv("LOCALCOIN_SMTP_PORT", str(town.smtp.port))
        get_settings.cache_clear()
        seal_coin(engine, town.coin.coin.id, clock)
        result = cli.invoke(root, ["notices", "deliver"])
        assert result.exit_code == 0, result.output
        printed = json.loads(result.stdout.strip().splitlines()[-1])
        assert printed["delivered"] >= 1
        mails = town.smtp.mailbox.to(town.mail("cli"))[1:]
        assert [Mailbox.body(m).splitlines()[1] for m in mails] == ["窓口でチャージ: 1,200コイン"]
