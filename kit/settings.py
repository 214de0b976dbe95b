"""Settings read from the environment (prefix LOCALCOIN_, plus DATABASE_URL)."""

from functools import lru_cache
from pathlib import Path
from typing import Literal

from platformdirs import user_data_path
from pydantic import AliasChoices, Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# Known to everyone, so refused in production (see Settings.pin_pepper).
DEV_PIN_PEPPER = "localcoin-development-pepper"
DEV_TOKEN_MASTER_KEY = "localcoin-development-payment-token-master-key"  # noqa: S105 - refused in production
DEV_STRIPE_SECRET_KEY = "sk_test_localcoin_development"  # noqa: S105 - refused in production
DEV_STRIPE_WEBHOOK_SECRET = "whsec_localcoin_development"  # noqa: S105 - refused in production
DEV_SECRETS_KEY = "localcoin-development-secrets-key-not-for-production"


def default_home() -> Path:
    """The user's data directory for localcoin (XDG on Linux)."""
    return user_data_path("localcoin", appauthor=False)


# A secret's floor in production: long, and not a repeated or typed pattern.
SECRET_LENGTH_MIN = 32
SECRET_DISTINCT_MIN = 16
# OWASP's floor for argon2id (19 MiB, 2 passes); our default is 64 MiB, 3 passes.
PIN_HASH_MEMORY_KIB_MIN = 19_456


def strong_secret(value: str) -> bool:
    return len(value) >= SECRET_LENGTH_MIN and len(set(value)) >= SECRET_DISTINCT_MIN


class Settings(BaseSettings):
    """How this process finds its database and behaves.

    Attributes:
        database_url: a ``postgresql://`` URL; None means start the embedded
            PostgreSQL under ``home``.
        home: where the embedded PostgreSQL keeps its data directory.
        environment: ``local`` and ``test`` allow demo data; ``production``
            refuses it.
        log_level: the structlog level name.
        log_json: JSON log lines (production) instead of console rendering.
        pool_size: SQLAlchemy pool connections per process.
        pin_pepper: a server secret mixed into every PIN hash, so that a stolen
            table of hashes of 4-to-6-digit PINs cannot be guessed offline
            without it. Must be set outside local and test.
        pin_hash_memory_kib, pin_hash_time_cost: argon2id's cost; the tests
            lower it, production keeps argon2's recommended defaults.
        access_token_ttl_s: how long a resident's access token lives.
        token_master_key: the server secret each coin's Ed25519 payment-token
            signing key is derived from (HKDF-SHA256), so no private key is
            stored in the database. Must be set outside local and test.
        token_kid: the key id (0..255) tokens are signed with now; changing
            it rotates every coin's signing key.
        stripe_api_base: Stripe's API address (a local fake in tests).
        stripe_secret_key, stripe_webhook_secret: Stripe credentials; the
            webhook secret verifies every event's signature.
        webhook_allow_private_urls: let webhook endpoints be loopback, private
            or plain-http URLs (tests, local development); refused in production.
        webhook_timeout_s: how long one webhook delivery may take.
        request_body_max_bytes: the largest request body the API reads; a
            larger one is refused (413) before any of it is parsed.
        secrets_key: the server key secrets at rest are sealed with (webhook
            signing secrets) and idempotency fingerprints are keyed with;
            refused in production unless set. At least 32 characters.
        secrets_keys_previous: earlier secrets keys, comma-separated, still
            able to open what they sealed until ``localcoin secrets rotate``
            has sealed it again under ``secrets_key``.
        signups_per_window: public sign-ups one address may make per 10 minutes
            and coin (LOCALCOIN_SIGNUPS_PER_WINDOW).
        api_docs: serve the API's pages /docs and /redoc (LOCALCOIN_API_DOCS);
            unset: yes, except in production. /openapi.json stays either way.
        smtp_host, smtp_port, smtp_from, smtp_starttls, smtp_username,
            smtp_password, smtp_timeout_s: the relay notices and one-time
            codes are e-mailed through; no host: no e-mail channel.
        line_api_base: LINE's Messaging API (a local stand-in in tests).
        line_access_base: where LINE's account-linking dialog lives.
        line_channel_token: the channel access token pushes are sent with;
            none: no LINE channel. From the environment only, never stored.
        line_channel_secret: verifies the signature of the events LINE sends.
        public_url: the wallet's address, sent to a LINE user to link the account.
    """

    model_config = SettingsConfigDict(env_prefix="LOCALCOIN_", extra="ignore")

    database_url: str | None = Field(
        default=None, validation_alias=AliasChoices("DATABASE_URL", "LOCALCOIN_DATABASE_URL")
    )
    home: Path = Field(default_factory=default_home)
    environment: Literal["local", "test", "production"] = "local"
    log_level: str = "INFO"
    log_json: bool = False
    pool_size: int = Field(default=10, ge=1, le=200)
    pin_pepper: str = DEV_PIN_PEPPER
    pin_hash_memory_kib: int = Field(default=65536, ge=1024, le=1048576)
    pin_hash_time_cost: int = Field(default=3, ge=1, le=10)
    access_token_ttl_s: int = Field(default=900, ge=60, le=86400)
    token_master_key: str = Field(default=DEV_TOKEN_MASTER_KEY, min_length=32, repr=False)
    token_kid: int = Field(default=0, ge=0, le=255)
    stripe_api_base: str = "https://api.stripe.com"
    stripe_secret_key: str = DEV_STRIPE_SECRET_KEY
    stripe_webhook_secret: str = DEV_STRIPE_WEBHOOK_SECRET
    webhook_allow_private_urls: bool = False
    webhook_timeout_s: float = Field(default=5.0, gt=0, le=30)
    request_body_max_bytes: int = Field(default=1_048_576, ge=1024, le=104_857_600)
    secrets_key: str = Field(default=DEV_SECRETS_KEY, min_length=32, repr=False)
    secrets_keys_previous: str = Field(default="", repr=False)
    signups_per_window: int = Field(default=5, ge=1, le=1_000_000)
    api_docs: bool | None = None
    smtp_host: str | None = None
    smtp_port: int = Field(default=25, ge=1, le=65535)
    smtp_from: str = "localcoin@localhost"
    smtp_starttls: bool = False
    smtp_username: str | None = None
    smtp_password: str | None = Field(default=None, repr=False)
    smtp_timeout_s: float = Field(default=10.0, gt=0, le=60)
    line_api_base: str = "https://api.line.me"
    line_access_base: str = "https://access.line.me"
    line_channel_token: str | None = Field(default=None, repr=False)
    line_channel_secret: str | None = Field(default=None, repr=False)
    public_url: str = "http://127.0.0.1:8000"

    @property
    def serves_api_docs(self) -> bool:
        return self.environment != "production" if self.api_docs is None else self.api_docs

    def development_secrets(self) -> list[str]:
        """The settings still at the repository's development values (public knowledge)."""
        defaults = {
            "LOCALCOIN_PIN_PEPPER": (self.pin_pepper, DEV_PIN_PEPPER),
            "LOCALCOIN_TOKEN_MASTER_KEY": (self.token_master_key, DEV_TOKEN_MASTER_KEY),
            "LOCALCOIN_SECRETS_KEY": (self.secrets_key, DEV_SECRETS_KEY),
            "LOCALCOIN_STRIPE_SECRET_KEY": (self.stripe_secret_key, DEV_STRIPE_SECRET_KEY),
            "LOCALCOIN_STRIPE_WEBHOOK_SECRET": (
                self.stripe_webhook_secret,
                DEV_STRIPE_WEBHOOK_SECRET,
            ),
        }
        return [name for name, (value, default) in defaults.items() if value == default]

    @model_validator(mode="after")
    def _strong_secrets_in_production(self) -> "Settings":
        if self.environment != "production":
            return self
        for name, value in (
            ("LOCALCOIN_PIN_PEPPER", self.pin_pepper),
            ("LOCALCOIN_TOKEN_MASTER_KEY", self.token_master_key),
            ("LOCALCOIN_SECRETS_KEY", self.secrets_key),
        ):
            if value not in self.development_secrets() and not strong_secret(value):
                raise ValueError(
                    f"{name} is weak: production needs at least {SECRET_LENGTH_MIN} characters"
                    f" with at least {SECRET_DISTINCT_MIN} different ones (e.g. `openssl rand"
                    " -base64 48`)"
                )
        if self.pin_hash_memory_kib < PIN_HASH_MEMORY_KIB_MIN:
            raise ValueError(
                f"LOCALCOIN_PIN_HASH_MEMORY_KIB below {PIN_HASH_MEMORY_KIB_MIN} is refused in"
                " production: argon2id needs its memory cost to resist guessing on GPUs"
            )
        return self

    @model_validator(mode="after")
    def _no_default_secrets_in_production(self) -> "Settings":
        if self.environment == "production" and self.pin_pepper == DEV_PIN_PEPPER:
            raise ValueError("LOCALCOIN_PIN_PEPPER must be set in production")
        if self.environment == "production" and self.token_master_key == DEV_TOKEN_MASTER_KEY:
            raise ValueError("LOCALCOIN_TOKEN_MASTER_KEY must be set in production")
        if self.environment == "production" and (
            self.stripe_secret_key == DEV_STRIPE_SECRET_KEY
            or self.stripe_webhook_secret == DEV_STRIPE_WEBHOOK_SECRET
        ):
            raise ValueError("LOCALCOIN_STRIPE_SECRET_KEY and _WEBHOOK_SECRET must be set")
        if self.environment == "production" and self.secrets_key == DEV_SECRETS_KEY:
            raise ValueError("LOCALCOIN_SECRETS_KEY must be set in production")
        if self.environment == "production" and self.webhook_allow_private_urls:
            raise ValueError("LOCALCOIN_WEBHOOK_ALLOW_PRIVATE_URLS is refused in production")
        return self

    @field_validator("database_url")
    @classmethod
    def _postgres_only(cls, value: str | None) -> str | None:
        # libpq's two schemes; pg_autoctl show uri prints the short one.
        schemes = ("postgresql://", "postgres://", "postgresql+psycopg://")
        if value is not None and not value.startswith(schemes):
            raise ValueError("DATABASE_URL must be a postgresql:// URL")
        return value


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
