"""The API's pages (/docs, /redoc) in Chromium: everything from our own origin, under the
web apps' Content-Security-Policy (not bypassed here), and they render."""

from fastapi.testclient import TestClient
from playwright.sync_api import Browser, expect
from sqlalchemy import Engine

from ledger.clock import FixedClock
from localcoin.app import create_app
from localcoin.web_apps import PAGE_HEADERS
from tests.conftest import T0
from tests.wallet_api.test_residents_api import FAST_PINS
from tests.web.conftest import DESKTOP, WebTown, outside_requests


def test_swagger_ui_and_redoc_load_nothing_from_outside_and_break_no_policy(
    web_town: WebTown, browser: Browser
) -> None:
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    refused: list[str] = []
    page.on("console", lambda m: refused.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: refused.append(str(e)))
    outside = outside_requests(page, web_town.server.url)

    docs = page.goto(web_town.server.url + "/docs")
    assert docs is not None
    assert docs.headers["content-security-policy"] == PAGE_HEADERS["Content-Security-Policy"]
    # The whole API's document is large: rendering it takes seconds on a busy machine.
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("localcoin", timeout=30_000)
    expect(page.get_by_text("/v1/wallet/payments").first).to_be_visible(timeout=30_000)

    redoc = page.goto(web_town.server.url + "/redoc")
    assert redoc is not None
    # The same policy but for inline styles (ReDoc's styled-components); scripts stay ours.
    policy = redoc.headers["content-security-policy"]
    assert "script-src 'self';" in policy and "style-src 'self' 'unsafe-inline';" in policy
    expect(page.locator("h1").first).to_contain_text("localcoin", timeout=30_000)
    context.close()
    assert outside == []
    assert refused == []


def test_production_serves_no_api_pages_unless_asked_but_keeps_the_document(
    engine: Engine,
) -> None:
    production = FAST_PINS.model_copy(update={"environment": "production"})
    off = TestClient(create_app(engine, FixedClock(T0), run_sealer=False, settings=production))
    assert off.get("/docs").status_code == 404
    assert off.get("/redoc").status_code == 404
    assert off.get("/docs-assets/swagger-ui-bundle.js").status_code == 404
    assert off.get("/openapi.json").status_code == 200
    asked = production.model_copy(update={"api_docs": True})
    on = TestClient(create_app(engine, FixedClock(T0), run_sealer=False, settings=asked))
    assert on.get("/docs").status_code == 200
    assert on.get("/docs-assets/swagger-ui-bundle.js").status_code == 200
