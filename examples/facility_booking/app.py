"""The booking site as one ASGI app: its pages, its webhook endpoint, and its start-up."""

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from fastapi import FastAPI

from examples.facility_booking.bookings import Desk
from examples.facility_booking.localcoin_gateway import Localcoin
from examples.facility_booking.pages import pages_router
from examples.facility_booking.store import Store
from examples.facility_booking.webhook_receiver import webhook_router


@dataclass(frozen=True, slots=True)
class SiteConfig:
    localcoin_url: str  # the API, e.g. https://coin.example-city.jp
    api_key: str  # the facility merchant's integration key (lc_merchant_…)
    public_url: str  # where localcoin can reach this site, for webhooks
    wallet_url: str  # the residents' wallet, for ?pay= links
    data_dir: Path


def create_site(config: SiteConfig, now: Callable[[], datetime] | None = None) -> FastAPI:
    clock = now or (lambda: datetime.now(UTC))
    config.data_dir.mkdir(parents=True, exist_ok=True)
    store = Store(config.data_dir / "bookings.json")
    localcoin = Localcoin(config.localcoin_url, config.api_key)
    desk = Desk(store, localcoin, config.wallet_url, clock)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if store.endpoint() is None:
            hook = f"{config.public_url}/webhooks/localcoin"
            store.set_endpoint(*localcoin.register_endpoint(hook, key=f"site-endpoint-{hook}"))
        # Whatever happened while we were down: read every open booking again.
        desk.refresh_open()
        yield

    site = FastAPI(title="施設予約", lifespan=lifespan, docs_url=None, redoc_url=None)
    site.include_router(pages_router(store, desk, clock))
    site.include_router(webhook_router(store, desk, lambda: int(clock().timestamp())))
    return site
