"""No secret the API hands out, nor a PIN, can be read back from the database.

Every route whose answer carries a secret (an API key, a webhook signing
secret, a payment token and its QR, a card's QR, an access token) is called
under an Idempotency-Key; then every row of every table is read as text and
none may contain any of those secrets. A resident signed up with a PIN under
a key leaves a fingerprint that no plain hash of any PIN reproduces.
"""

import hashlib
import json
import os
import uuid
from typing import Any

import pytest
from alembic import command
from sqlalchemy import Engine, create_engine, make_url, text
from typer.testing import CliRunner

from kit.database import make_engine
from kit.sealed_secrets import SecretBox
from kit.settings import get_settings
from ledger.clock import FixedClock
from ledger.unit_of_work import run_in_transaction
from localcoin.cli import app as cli_app
from localcoin.migrate import alembic_config
from merchant.webhooks.endpoints import SECRET_PURPOSE
from tests.conftest import migrated_database
from tests.merchant.accounts.test_onboarding_api import application
from tests.merchant.webhook_town import webhook_town
from tests.wallet_api.test_residents_api import Town

SECRET_FIELDS = ("api_key", "secret", "token", "qr_payload", "access_token", "client_secret")


@pytest.fixture
def town(engine: Engine, clock: FixedClock) -> Town:
    return webhook_town(engine, clock)  # webhooks may go to loopback here


def keyed(headers: dict[str, str], key: str) -> dict[str, str]:
    return headers | {"Idempotency-Key": key}


def handed_out(town: Town) -> list[str]:
    """Calls every secret-bearing route under a key (twice) and returns the secrets seen."""
    answers: list[Any] = []

    def post(path: str, headers: dict[str, str], body: Any = None) -> Any:
        first = town.client.post(path, json=body, headers=headers)
        assert first.status_code in (200, 201), (path, first.text)
        again = town.client.post(path, json=body, headers=headers)
        assert again.status_code == first.status_code
        answers.append(first.json())
        return first.json()

    merchant = post("/v1/merchants", keyed(town.issuer(), "m-1"), application())
    shop = {"Authorization": f"Bearer {merchant['api_key']}"}
    post("/v1/merchant/api_keys", keyed(shop, "k-1"), {"label": "online shop"})
    store = post("/v1/merchant/stores", keyed(shop, "s-1"), {"name": "本店"})
    post("/v1/merchant/terminals", keyed(shop, "t-1"), {"store_id": store["id"], "name": "レジ"})
    hook = post(
        "/v1/webhook_endpoints",
        keyed(shop, "w-1"),
        {"url": "http://127.0.0.1:9/hooks", "events": ["*"]},
    )
    post(f"/v1/webhook_endpoints/{hook['id']}/rotate_secret", keyed(shop, "w-2"))
    resident = town.sign_up()
    post(
        "/v1/auth/token",
        keyed({}, "login-1"),
        {"resident_id": resident["resident_id"], "pin": "1234"},
    )
    post("/v1/wallet/payment_tokens", keyed(town.token(resident["resident_id"]), "qr-1"))
    post(f"/v1/residents/{resident['resident_id']}/cards", keyed(town.issuer(), "card-1"))
    return [
        answer[field]
        for answer in answers
        for field in SECRET_FIELDS
        if isinstance(answer.get(field), str) and field in answer
    ]


def every_row_as_text(engine: Engine) -> str:
    def read(conn):  # type: ignore[no-untyped-def]
        tables = conn.execute(
            text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        ).scalars()
        return "\n".join(
            row[0]
            for table in list(tables)
            for row in conn.execute(text(f'SELECT t::text FROM "{table}" t'))
        )

    dump: str = run_in_transaction(engine, read)
    return dump


def test_a_database_dump_holds_no_secret_the_api_handed_out(town: Town) -> None:
    secrets_seen = handed_out(town)
    assert len(secrets_seen) >= 9
    dump = every_row_as_text(town.engine)
    # Binary columns print as hex: look for the secrets in both forms.
    leaked = [s for s in secrets_seen if s in dump or s.encode().hex() in dump]
    assert leaked == []


def test_a_stored_sign_up_cannot_be_brute_forced_for_its_pin(town: Town) -> None:
    body = {"coin": town.code, "display_name": "山田花子", "pin": "482913"}
    raw = json.dumps(body, ensure_ascii=False).encode()
    # Sign-ups are public: every test client shares one address, so the key is unique.
    key = f"signup-{uuid.uuid4()}"
    created = town.client.post(
        "/v1/residents",
        content=raw,
        headers={"Content-Type": "application/json", "Idempotency-Key": key},
    )
    assert created.status_code == 201, created.text
    stored = run_in_transaction(
        town.engine,
        lambda c: c.execute(
            text("SELECT request_hash, body FROM idempotency_requests WHERE key = :k"), {"k": key}
        ).one(),
    )
    assert b"482913" not in bytes(stored.body)
    template = raw.replace(b"482913", b"%s")
    guesses = {
        hashlib.sha256(b"\0".join([b"POST", b"/v1/residents", template % pin])).digest()
        for pin in (f"{n:06d}".encode() for n in range(1_000_000))
    }
    assert bytes(stored.request_hash) not in guesses


def test_webhook_secrets_are_sealed_and_rotate_to_a_new_key(
    server_url: str, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Rotation reseals every endpoint in the database: a database of its own keeps
    # the other tests' endpoints under the key their apps hold.
    with migrated_database(server_url, f"localcoin_rotate_{os.getpid()}") as database_url:
        engine = make_engine(database_url)
        try:
            _rotate(webhook_town(engine, clock), database_url, monkeypatch)
        finally:
            engine.dispose()


def _rotate(town: Town, database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    old, new = get_settings().secrets_key, "a-new-secrets-key-from-the-vault-Zq8Wm3Rt5Yx1"
    merchant = town.client.post("/v1/merchants", json=application(), headers=town.issuer()).json()
    shop = {"Authorization": f"Bearer {merchant['api_key']}"}
    hook = town.client.post(
        "/v1/webhook_endpoints",
        json={"url": "http://127.0.0.1:9/hooks", "events": ["*"]},
        headers=shop,
    ).json()

    def stored_secret() -> str:
        value: str = run_in_transaction(
            town.engine,
            lambda c: c.execute(
                text("SELECT secret FROM webhook_endpoints WHERE public_id = :p"),
                {"p": hook["id"]},
            ).scalar_one(),
        )
        return value

    assert SecretBox(old).open(stored_secret(), purpose=SECRET_PURPOSE) == hook["secret"]
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("LOCALCOIN_SECRETS_KEY", new)
    monkeypatch.setenv("LOCALCOIN_SECRETS_KEYS_PREVIOUS", old)
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(cli_app, ["secrets", "rotate"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["rewrapped"] >= 1
    assert SecretBox(new).open(stored_secret(), purpose=SECRET_PURPOSE) == hook["secret"]


def test_the_migration_redacts_stored_answers_and_retires_plain_fingerprints(
    server_url: str,
) -> None:
    name = f"localcoin_secrets_{os.getpid()}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(server_url).set(database=name).render_as_string(hide_password=False)
    try:
        command.upgrade(alembic_config(url), "0018")
        engine = create_engine(url)
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO coins (code, name, issuer_name, created_at)"
                    " VALUES ('MIG', 'm', 'i', now())"
                )
            )
            coin = conn.execute(text("SELECT id FROM coins WHERE code = 'MIG'")).scalar_one()
            conn.execute(
                text(
                    "INSERT INTO idempotency_requests (scope, key, method, path, request_hash,"
                    " created_at, status_code, media_type, body, completed_at)"
                    " VALUES ('key:1', 'k', 'POST', '/v1/merchants', :h, now(), 201,"
                    " 'application/json', :b, now())"
                ),
                {"h": b"\x01" * 32, "b": b'{"merchant_id":"mer_1","api_key":"lc_merchant_x_y"}'},
            )
            assert coin
        command.upgrade(alembic_config(url), "head")
        with engine.begin() as conn:
            body = conn.execute(text("SELECT body FROM idempotency_requests")).scalar_one()
            assert json.loads(bytes(body)) == {
                "merchant_id": "mer_1",
                "api_key": "secret_not_shown_again",
            }
            stale = conn.execute(text("SELECT request_hash FROM idempotency_requests")).scalar_one()
            assert bytes(stale) == b"\x00" * 32  # no request matches it any more
        # And back, and forth again (the endpoints' sealing is checked on live rows above).
        command.downgrade(alembic_config(url), "0018")
        command.upgrade(alembic_config(url), "head")
        engine.dispose()
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
