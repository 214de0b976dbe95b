"""The web apps in a real headless Chromium (Debian's ``chromium``, driven by Playwright).

A live server (uvicorn on a free loopback port, the real app on this worker's
database, the system clock) and a browser launched from the machine's own
Chromium, never a downloaded one. Each test gets a fresh coin (a Town) and a
fresh browser context; ``axe_violations`` runs axe-core (vendored under
tests/web/vendor) on the current page.
"""

import json
import os
import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from playwright.sync_api import Browser, BrowserContext, Page, ViewportSize
from sqlalchemy import Engine

from kit.credentials import Role
from kit.settings import Settings
from ledger.clock import SystemClock
from ledger.unit_of_work import run_in_transaction
from localcoin.app import create_app
from localcoin.coin_setup import NewCoin, set_up_coin
from tests.conftest import T0

VENDOR = Path(__file__).parent / "vendor"
# Screenshots go to a temporary folder, so the suite leaves the checkout clean;
# `make screenshots` points this at docs/screenshots to refresh the README's.
SCREENSHOTS = Path(
    os.environ.get("LOCALCOIN_SCREENSHOTS_DIR")
    or Path(tempfile.gettempdir()) / "localcoin-screenshots"
)
WEB_SETTINGS = Settings(
    pin_hash_memory_kib=1024,
    pin_hash_time_cost=1,
    access_token_ttl_s=900,
    webhook_allow_private_urls=True,
)
PHONE: ViewportSize = {"width": 390, "height": 844}
DESKTOP: ViewportSize = {"width": 1280, "height": 900}
_codes = iter(range(1, 1_000_000))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass(frozen=True)
class LiveServer:
    url: str
    engine: Engine


@pytest.fixture(scope="session")
def live_server(engine: Engine) -> Iterator[LiveServer]:
    app = create_app(engine, SystemClock(), run_sealer=True, settings=WEB_SETTINGS)
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, lifespan="on")
    )
    thread = threading.Thread(target=server.run, name="live-server", daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/ready", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.1)
    else:
        raise AssertionError("the live server did not become ready")
    yield LiveServer(url, engine)
    server.should_exit = True
    thread.join(timeout=15)


@dataclass(frozen=True)
class WebTown:
    """A fresh coin on the live server, with its keys and an HTTP client for set-up."""

    server: LiveServer
    coin: NewCoin
    api: httpx.Client

    @property
    def code(self) -> str:
        return self.coin.coin.code

    def key(self, role: Role) -> str:
        return self.coin.keys[role]

    def as_role(self, role: Role) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key(role)}"}


@pytest.fixture
def web_town(live_server: LiveServer) -> Iterator[WebTown]:
    code = f"WEB{next(_codes)}X{int(time.time() * 1000) % 100000}"
    coin = run_in_transaction(
        live_server.engine,
        lambda c: set_up_coin(
            c, code=code, name="みどり市コイン", issuer_name="みどり信用金庫", at=T0
        ),
    )
    with httpx.Client(base_url=live_server.url, timeout=30) as api:
        yield WebTown(live_server, coin, api)


@pytest.fixture
def phone(browser: Browser) -> Iterator[Page]:
    """A small phone screen in Japanese, as most residents hold it."""
    context: BrowserContext = browser.new_context(
        viewport=PHONE,
        locale="ja-JP",
        device_scale_factor=2,
        has_touch=True,
        bypass_csp=True,  # to inject axe-core; the CSP itself is tested on the response
    )
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def desk(browser: Browser) -> Iterator[Page]:
    """A shop's or a bank's desktop screen in Japanese."""
    context = browser.new_context(viewport=DESKTOP, locale="ja-JP", bypass_csp=True)
    page = context.new_page()
    yield page
    context.close()


def axe_violations(page: Page, *, impacts: tuple[str, ...] = ("serious", "critical")) -> list[Any]:
    """axe-core's violations of these impacts on the page as it is now."""
    page.add_script_tag(path=str(VENDOR / "axe.min.js"))
    result = page.evaluate("async () => await axe.run(document)")
    found = [v for v in result["violations"] if v["impact"] in impacts]
    return [{"id": v["id"], "help": v["help"], "nodes": len(v["nodes"])} for v in found]


def screenshot(page: Page, name: str) -> Path:
    """Saves the page to SCREENSHOTS (docs/screenshots under `make screenshots`)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=False)
    return path


def outside_requests(page: Page, base_url: str) -> list[str]:
    """Starts recording every request the page makes that does not go to our server."""
    seen: list[str] = []
    page.on(
        "request",
        lambda request: (
            seen.append(request.url)
            if not request.url.startswith((base_url, "data:", "blob:"))
            else None
        ),
    )
    return seen


__all__ = ["axe_violations", "json", "outside_requests", "screenshot"]
