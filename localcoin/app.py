"""The application factory: the API (and, later, the web apps) on one engine and clock."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import stripe
from fastapi import FastAPI
from sqlalchemy import Engine, text

from kit.periodic_pass import PeriodicPass
from kit.problems import install_problem_handlers
from kit.secret_keys import fingerprint_key
from kit.settings import Settings, get_settings
from ledger.clock import Clock
from localcoin.api_docs import install as install_api_docs
from localcoin.api_key_routes import router as api_key_router
from localcoin.observability import install as install_observability
from localcoin.openapi import install as install_openapi
from localcoin.operator_routes import router as operator_router
from localcoin.sealer import Sealer
from localcoin.web_apps import install as install_web_apps
from localcoin.whoami_routes import router as whoami_router
from merchant.payments.intent_sweeper import IntentSweeper
from merchant.router import router as merchant_router
from merchant.webhooks.delivery import WebhookWorker
from notices.channel_setup import configured_channels, line_api
from notices.delivery import NoticesWorker
from notices.router import router as notices_router
from settlement.router import router as settlement_router
from wallet_api.pins import PinHasher
from wallet_api.router import router as wallet_router

# Each side builds its own router; localcoin adds the operator's routes and the keys'.
_API_ROUTERS = (
    operator_router,
    api_key_router,
    whoami_router,
    wallet_router,
    settlement_router,
    notices_router,
)


def _background_workers(engine: Engine, clock: Clock, config: Settings) -> list[PeriodicPass]:
    """The sealer; the sweeper of expired intents and uncaptured holds; webhook
    deliveries from their outbox; notices from the sealed books and theirs."""
    return [
        Sealer(engine, clock),
        IntentSweeper(engine, clock),
        WebhookWorker(
            engine,
            clock,
            timeout_s=config.webhook_timeout_s,
            allow_private=config.webhook_allow_private_urls,
        ),
        NoticesWorker(engine, clock, channels=configured_channels(config)),
    ]


def create_app(
    engine: Engine, clock: Clock, *, run_sealer: bool = True, settings: Settings | None = None
) -> FastAPI:
    config = settings or get_settings()

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        # Off with the sealer, so tests drive each pass themselves.
        workers = _background_workers(engine, clock, config) if run_sealer else []
        for worker in workers:
            worker.start()
        try:
            yield
        finally:
            for worker in workers:
                worker.stop()

    app = FastAPI(
        title="localcoin",
        version="0.1.0",
        summary="Ledger and payment platform for Japan's digital regional currencies",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    app.state.engine = engine
    app.state.clock = clock
    app.state.webhook_allow_private_urls = config.webhook_allow_private_urls
    app.state.pin_hasher = PinHasher(
        pepper=config.pin_pepper,
        memory_kib=config.pin_hash_memory_kib,
        time_cost=config.pin_hash_time_cost,
    )
    app.state.access_token_ttl_s = config.access_token_ttl_s
    app.state.signups_per_window = config.signups_per_window
    app.state.fingerprint_key = fingerprint_key(config.secrets_key)
    app.state.stripe_client = stripe.StripeClient(
        config.stripe_secret_key, base_addresses={"api": config.stripe_api_base}
    )
    app.state.stripe_webhook_secret = config.stripe_webhook_secret
    app.state.notice_channels = configured_channels(config)
    app.state.line_api = line_api(config)
    app.state.line_channel_secret = config.line_channel_secret
    app.state.line_access_base = config.line_access_base
    app.state.public_url = config.public_url
    # Routes are matched one by one in the order they were added; a payment at
    # the till is the busiest request, so its side, whose first route it is, comes first.
    app.include_router(merchant_router)
    install_problem_handlers(app)
    install_openapi(app)
    install_web_apps(app)
    install_api_docs(app, enabled=config.serves_api_docs)
    install_observability(
        app,
        engine=engine,
        body_max_bytes=config.request_body_max_bytes,
        production=config.environment == "production",
    )
    for router in _API_ROUTERS:
        app.include_router(router)

    @app.get("/health", tags=["operations"])
    def health() -> dict[str, str]:
        """The process is up."""
        return {"status": "ok"}

    @app.get("/ready", tags=["operations"])
    def ready() -> dict[str, str]:
        """The database answers; the process can take traffic."""
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return {"status": "ready"}

    return app
