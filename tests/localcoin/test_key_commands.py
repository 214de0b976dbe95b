"""``localcoin keys create|list|revoke|rotate``: named keys from the server's shell."""

import json
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from typer.testing import CliRunner

from kit.settings import get_settings
from ledger.clock import FixedClock
from localcoin.cli import app
from tests.wallet_api.test_residents_api import Town, new_town


@pytest.fixture
def cli(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    monkeypatch.setenv("DATABASE_URL", database_url)
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


@pytest.fixture
def town(engine: Engine, clock: FixedClock) -> Town:
    return new_town(engine, clock)


def run(cli: CliRunner, *args: str) -> tuple[int, dict]:  # type: ignore[type-arg]
    result = cli.invoke(app, list(args))
    return result.exit_code, json.loads(result.stdout.strip().splitlines()[-1])


def me(client: TestClient, key: str) -> int:
    status: int = client.get("/v1/me", headers={"Authorization": f"Bearer {key}"}).status_code
    return status


def test_create_list_rotate_and_revoke_a_clerks_key(cli: CliRunner, town: Town) -> None:
    code, made = run(
        cli, "keys", "create", "--coin", town.code, "--role", "issuer", "--label", "窓口 山本"
    )
    assert code == 0, made
    assert {"id", "key", "role", "label"} <= made.keys()
    assert (made["role"], made["label"]) == ("issuer", "窓口 山本")
    assert me(town.client, made["key"]) == 200

    code, listed = run(cli, "keys", "list", "--coin", town.code)
    assert code == 0
    [row] = [k for k in listed["data"] if k["id"] == made["id"]]
    assert "key" not in row and made["key"] not in json.dumps(listed)

    code, rotated = run(cli, "keys", "rotate", made["id"])
    assert code == 0, rotated
    assert me(town.client, made["key"]) == 401
    assert me(town.client, rotated["key"]) == 200

    code, revoked = run(cli, "keys", "revoke", rotated["id"])
    assert (code, revoked["id"]) == (0, rotated["id"])
    assert revoked["revoked_at"] is not None
    assert me(town.client, rotated["key"]) == 401


def test_refusals_are_codes_and_exit_1(cli: CliRunner, town: Town) -> None:
    args = ["keys", "create", "--coin", town.code, "--label", "x"]
    assert run(cli, *args, "--role", "merchant") == (
        1,
        {
            "ok": False,
            "code": "key_role_not_allowed",
            "detail": "the role is operator, issuer or municipality",
        },
    )
    code, out = run(cli, "keys", "revoke", "key_000000000000")
    assert (code, out["code"]) == (1, "key_not_found")
    code, out = run(cli, "keys", "list", "--coin", "NOSUCHCOIN")
    assert (code, out["code"]) == (1, "coin_not_found")
