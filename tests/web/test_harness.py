"""The harness itself: the live server serves every app page and Chromium renders it."""

from playwright.sync_api import Page

from tests.web.conftest import LiveServer, axe_violations, outside_requests


def test_every_app_page_loads_from_our_server_alone(live_server: LiveServer, desk: Page) -> None:
    outside = outside_requests(desk, live_server.url)
    for path in ("/", "/merchant", "/admin"):
        response = desk.goto(live_server.url + path)
        assert response is not None and response.status == 200
        assert "default-src 'self'" in response.headers["content-security-policy"]
        assert desk.locator("h1").count() >= 1
        assert axe_violations(desk) == []
    assert outside == []
