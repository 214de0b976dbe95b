"""Settings come from the environment; the database is PostgreSQL or nothing."""

import pytest
from pydantic import ValidationError

from kit.database import sqlalchemy_url
from kit.settings import Settings


def test_database_url_is_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://u:p@db.example/localcoin")
    assert Settings().database_url == "postgresql://u:p@db.example/localcoin"


def test_no_database_url_means_the_embedded_server(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("LOCALCOIN_HOME", "/srv/localcoin")
    settings = Settings()
    assert settings.database_url is None
    assert str(settings.home) == "/srv/localcoin"


def test_other_databases_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "sqlite:///books.db")
    with pytest.raises(ValidationError, match="postgresql"):
        Settings()


def test_urls_are_driven_by_psycopg_3() -> None:
    assert sqlalchemy_url("postgresql://u:p@h:5432/d") == "postgresql+psycopg://u:p@h:5432/d"
    socket = "postgresql://postgres:@/postgres?host=/tmp/pg"
    assert sqlalchemy_url(socket).startswith("postgresql+psycopg://postgres:@/postgres?host=")


PRODUCTION_SECRETS = {
    "LOCALCOIN_PIN_PEPPER": "pepper-from-the-vault-Qm9hX2J3VnR5ZkE",
    "LOCALCOIN_TOKEN_MASTER_KEY": "token-master-key-from-the-vault-0123456789",
    "LOCALCOIN_SECRETS_KEY": "secrets-key-from-the-vault-ZyXwVuTs0987654321",
    "LOCALCOIN_STRIPE_SECRET_KEY": "sk_live_from_the_vault",
    "LOCALCOIN_STRIPE_WEBHOOK_SECRET": "whsec_from_the_vault",
}


@pytest.mark.parametrize(
    ("missing", "named"),
    [
        ("LOCALCOIN_PIN_PEPPER", "PIN_PEPPER"),
        ("LOCALCOIN_TOKEN_MASTER_KEY", "TOKEN_MASTER_KEY"),
        ("LOCALCOIN_STRIPE_SECRET_KEY", "STRIPE"),
        ("LOCALCOIN_STRIPE_WEBHOOK_SECRET", "STRIPE"),
        ("LOCALCOIN_SECRETS_KEY", "SECRETS_KEY"),
    ],
)
def test_production_refuses_each_development_secret(
    monkeypatch: pytest.MonkeyPatch, missing: str, named: str
) -> None:
    monkeypatch.setenv("LOCALCOIN_ENVIRONMENT", "production")
    for name, value in PRODUCTION_SECRETS.items():
        if name == missing:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError, match=named):
        Settings()


def test_production_starts_with_every_secret_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOCALCOIN_ENVIRONMENT", "production")
    for name, value in PRODUCTION_SECRETS.items():
        monkeypatch.setenv(name, value)
    assert Settings().pin_pepper == PRODUCTION_SECRETS["LOCALCOIN_PIN_PEPPER"]


@pytest.mark.parametrize(
    ("name", "weak"),
    [
        ("LOCALCOIN_PIN_PEPPER", "short-pepper"),
        ("LOCALCOIN_TOKEN_MASTER_KEY", "a" * 64),
        ("LOCALCOIN_SECRETS_KEY", "abcabcabcabcabcabcabcabcabcabcabcabc"),
    ],
)
def test_production_refuses_weak_secrets(
    monkeypatch: pytest.MonkeyPatch, name: str, weak: str
) -> None:
    monkeypatch.setenv("LOCALCOIN_ENVIRONMENT", "production")
    for secret, value in PRODUCTION_SECRETS.items():
        monkeypatch.setenv(secret, value)
    monkeypatch.setenv(name, weak)
    with pytest.raises(ValidationError, match=f"{name} is weak"):
        Settings()


def test_production_refuses_a_low_argon2_memory_cost(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOCALCOIN_ENVIRONMENT", "production")
    for secret, value in PRODUCTION_SECRETS.items():
        monkeypatch.setenv(secret, value)
    monkeypatch.setenv("LOCALCOIN_PIN_HASH_MEMORY_KIB", "1024")
    with pytest.raises(ValidationError, match="PIN_HASH_MEMORY_KIB"):
        Settings()


def test_the_development_secrets_in_use_are_named() -> None:
    assert "LOCALCOIN_SECRETS_KEY" in Settings(environment="local").development_secrets()
    vaulted = Settings(
        environment="local",
        pin_pepper="x" * 40,
        token_master_key="y" * 40,
        secrets_key="z" * 40,
        stripe_secret_key="sk_live_1",
        stripe_webhook_secret="whsec_1",
    )
    assert vaulted.development_secrets() == []


def test_the_uri_pg_autoctl_prints_is_accepted(monkeypatch: pytest.MonkeyPatch) -> None:
    printed = "postgres://10.0.0.1:5432,10.0.0.2:5432/localcoin?target_session_attrs=read-write"
    monkeypatch.setenv("DATABASE_URL", printed)
    assert Settings().database_url == printed
    assert sqlalchemy_url(printed).startswith("postgresql+psycopg:///localcoin?host=10.0.0.1")
