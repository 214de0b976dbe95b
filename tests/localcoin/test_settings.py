"""Settings come from the environment; the database is PostgreSQL or nothing."""

import pytest
from pydantic import ValidationError

from localcoin.database import sqlalchemy_url
from localcoin.settings import Settings


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


def test_production_refuses_the_development_pin_pepper(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOCALCOIN_ENVIRONMENT", "production")
    monkeypatch.delenv("LOCALCOIN_PIN_PEPPER", raising=False)
    with pytest.raises(ValidationError, match="PIN_PEPPER"):
        Settings()
    monkeypatch.setenv("LOCALCOIN_PIN_PEPPER", "a-real-secret-from-the-vault")
    assert Settings().pin_pepper == "a-real-secret-from-the-vault"
