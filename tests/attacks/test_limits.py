"""Limits on what one request may ask for: body size, page size, and values PostgreSQL cannot hold.

Enumerated from the OpenAPI document, so a new endpoint is covered (or fails)
without a new test:

- every POST and PUT refuses a body over the server's limit with 413
  ``request_too_large`` before reading it (localcoin/observability.py), by
  Content-Length and for a chunked body, whoever calls; every idempotent POST
  refuses one over the idempotency store's 64 KiB;
- every list endpoint declares a bounded ``limit`` and refuses one past its
  maximum, or below 1, with 422 ``validation_error``;
- a NUL character (which PostgreSQL text cannot hold) is a 422, never a 500.

Rate limits are in test_brute_force.py (log-in, card PINs) and
tests/wallet_api/test_signup_limit.py (sign-up). Webhook URLs pointing at
loopback, private or link-local addresses are refused outside test mode in
tests/merchant/webhooks/test_urls.py, and production refuses the setting that
allows them in tests/kit/test_settings.py.
"""

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from sqlalchemy import Engine

from kit.idempotency import BODY_BYTES_MAX, IdempotentRoute
from ledger.clock import FixedClock
from tests.attacks.populated_town import Caller, PopulatedTown, populated_town
from tests.attacks.route_access import MATRIX
from tests.conftest import T0
from tests.wallet_api.test_residents_api import FAST_PINS

SERVER_BODY_MAX = FAST_PINS.request_body_max_bytes
# Lists whose length is bounded by nature, so they answer in one page (has_more false).
UNPAGED = {"/v1/fee_plans": "a coin has a handful of fee plans, one per member group"}


@pytest.fixture(scope="module")
def place(engine: Engine) -> PopulatedTown:
    return populated_town(engine, FixedClock(T0))


def _document(place: PopulatedTown) -> dict[str, Any]:
    app: FastAPI = place.town.client.app  # type: ignore[assignment]
    return app.openapi()


def _operations(place: PopulatedTown, *methods: str) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, operations in _document(place)["paths"].items():
        for method, operation in operations.items():
            if method.upper() in methods:
                yield method.upper(), path, operation


def _filled(path: str, place: PopulatedTown) -> str:
    for name, value in place.object_ids.items():
        path = path.replace("{" + name + "}", value)
    return path


def _caller(method: str, path: str) -> Caller:
    allowed = MATRIX[(method, path)] - {Caller.NONE}
    return min(allowed) if allowed else Caller.NONE


def test_every_post_and_put_refuses_a_body_over_the_server_limit(place: PopulatedTown) -> None:
    body = b"{" + b" " * SERVER_BODY_MAX + b"}"
    wrong = []
    for method, path, _ in _operations(place, "POST", "PUT"):
        headers = place.headers[_caller(method, path)] | {"Content-Type": "application/json"}
        response = place.town.client.request(
            method, _filled(path, place), content=body, headers=headers
        )
        if (response.status_code, response.json().get("code")) != (413, "request_too_large"):
            wrong.append((method, path, response.status_code))
    assert wrong == []


def test_a_chunked_body_over_the_limit_is_cut_off(place: PopulatedTown) -> None:
    def chunks() -> Iterator[bytes]:
        for _ in range(SERVER_BODY_MAX // 65_536 + 2):
            yield b" " * 65_536

    response = place.town.client.post(
        "/v1/auth/token", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert (response.status_code, response.json()["code"]) == (413, "request_too_large")


def test_every_idempotent_post_refuses_a_body_the_key_store_would_not_keep(
    place: PopulatedTown,
) -> None:
    app: FastAPI = place.town.client.app  # type: ignore[assignment]
    idempotent = {
        str(context.path)
        for context in iter_route_contexts(app.routes)
        if isinstance(context.route, IdempotentRoute) and "POST" in (context.methods or set())
    }
    assert len(idempotent) > 30
    body = b"[" + b"0," * (BODY_BYTES_MAX // 2) + b"0]"
    wrong = []
    for path in sorted(idempotent):
        headers = place.headers[_caller("POST", path)] | {"Content-Type": "application/json"}
        response = place.town.client.post(_filled(path, place), content=body, headers=headers)
        if response.status_code != 413:
            wrong.append((path, response.status_code))
    assert wrong == []


def _list_operations(place: PopulatedTown) -> list[tuple[str, dict[str, Any]]]:
    lists = []
    for _, path, operation in _operations(place, "GET"):
        ok = operation["responses"].get("200", {}).get("content", {}).get("application/json", {})
        ref = ok.get("schema", {}).get("$ref", "")
        schema = _document(place)["components"]["schemas"].get(ref.rsplit("/", 1)[-1], {})
        if "has_more" in schema.get("properties", {}) and path not in UNPAGED:
            lists.append((path, operation))
    return lists


def test_every_list_endpoint_declares_a_bounded_limit(place: PopulatedTown) -> None:
    lists = _list_operations(place)
    assert len(lists) >= 15
    unbounded = []
    for path, operation in lists:
        limit = next((p for p in operation.get("parameters", []) if p["name"] == "limit"), None)
        if limit is None or "maximum" not in limit["schema"]:
            unbounded.append(path)
    assert unbounded == []


def test_every_list_endpoint_refuses_a_page_past_its_maximum(place: PopulatedTown) -> None:
    wrong = []
    for path, operation in _list_operations(place):
        limit = next(p for p in operation["parameters"] if p["name"] == "limit")
        most = int(limit["schema"]["maximum"])
        headers = place.headers[_caller("GET", path)]
        url = _filled(path, place)
        for asked, expected in ((most + 1, 422), (0, 422), (10**30, 422), (most, 200)):
            response = place.town.client.get(url, params={"limit": asked}, headers=headers)
            refused = response.status_code == 422 and response.json()["code"] == (
                "validation_error"
            )
            if (expected == 422 and not refused) or (
                expected == 200 and response.status_code != 200
            ):
                wrong.append((path, asked, response.status_code))
    assert wrong == []


def test_a_nul_character_in_a_log_in_is_refused_not_a_server_error(
    place: PopulatedTown,
) -> None:
    response = place.town.client.post(
        "/v1/auth/token", json={"resident_id": "res_\x00abc", "pin": "1234"}
    )
    assert (response.status_code, response.json()["code"]) == (422, "validation_error")


def test_a_nul_character_in_a_body_or_a_path_is_refused(place: PopulatedTown) -> None:
    signed_up = place.town.client.post(
        "/v1/residents",
        json={"coin": place.town.code, "display_name": "山田\x00花子", "pin": "1234"},
    )
    assert signed_up.status_code == 422, signed_up.text
    in_path = place.town.client.get("/v1/charges/ch_%00x", headers=place.shop.headers)
    assert in_path.status_code in {404, 422}, in_path.text
    in_query = place.town.client.get(
        "/v1/charges", params={"starting_after": "ch_\x00"}, headers=place.shop.headers
    )
    assert in_query.status_code in {404, 422}, in_query.text


@pytest.mark.parametrize(
    "query",
    [
        "/v1/reports/kpi?from=0001-01-01&to=0001-01-01",
        "/v1/reports/kpi.csv?from=0001-01-01&to=0001-01-01",
        "/v1/reports/kpi?from=9999-12-31&to=9999-12-31",
        "/v1/reports/institutions?business_date=0001-01-01",
        "/v1/reports/institutions?business_date=9999-12-31",
    ],
)
def test_dates_at_the_ends_of_the_calendar_are_refused_not_a_server_error(
    place: PopulatedTown, query: str
) -> None:
    # Found by the schemathesis run: the day before 0001-01-01 overflowed into a 500.
    response = place.town.client.get(query, headers=place.headers[Caller.ISSUER])
    assert (response.status_code, response.json()["code"]) == (422, "validation_error")
