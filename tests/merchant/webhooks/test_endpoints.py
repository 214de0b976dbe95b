"""Registering webhook endpoints: the secret shown once, the URL policy, bad input, other merchants."""

from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import Engine, text

from ledger.clock import FixedClock
from ledger.unit_of_work import run_in_transaction
from merchant.webhooks.endpoints import ENDPOINTS_PER_MERCHANT_MAX
from tests.merchant.shops import Shop, open_shop
from tests.merchant.webhook_town import add_endpoint, webhook_town
from tests.wallet_api.test_residents_api import Town, new_town


@pytest.fixture
def town(engine: Engine, clock: FixedClock) -> Town:
    return webhook_town(engine, clock)


def stored_endpoints(town: Town, shop: Shop) -> int:
    count: int = run_in_transaction(
        town.engine,
        lambda c: c.execute(
            text(
                "SELECT count(*) FROM webhook_endpoints WHERE coin_id = :coin AND merchant_id = :m"
            ),
            {"coin": shop.merchant.coin_id, "m": shop.merchant.id},
        ).scalar_one(),
    )
    return count


def test_an_endpoint_gets_a_secret_shown_once(town: Town) -> None:
    shop = open_shop(town)
    created = add_endpoint(
        town, shop, "http://127.0.0.1:9/hooks", ["charge.succeeded", "charge.succeeded"]
    )
    assert created["id"].startswith("we_")
    assert created["secret"].startswith("whsec_") and len(created["secret"]) > 40
    assert (created["events"], created["status"]) == (["charge.succeeded"], "enabled")
    listed = town.client.get("/v1/webhook_endpoints", headers=shop.headers).json()
    assert [e["id"] for e in listed["data"]] == [created["id"]]
    assert "secret" not in listed["data"][0]
    one = town.client.get(f"/v1/webhook_endpoints/{created['id']}", headers=shop.headers).json()
    assert "secret" not in one and one["url"] == "http://127.0.0.1:9/hooks"


def test_a_replayed_idempotency_key_returns_the_same_endpoint_once(town: Town) -> None:
    shop = open_shop(town)
    body = {"url": "http://127.0.0.1:9/hooks", "events": ["*"]}
    headers = {**shop.headers, "Idempotency-Key": "hook-1"}

    def create(_: int):  # type: ignore[no-untyped-def]
        return town.client.post("/v1/webhook_endpoints", json=body, headers=headers)

    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(create, range(4)))
    assert {a.status_code for a in answers} == {201}
    # One endpoint; its secret reaches the first answer only (replays say so).
    assert len({a.json()["id"] for a in answers}) == 1
    secrets_seen = [a.json()["secret"] for a in answers]
    assert sorted(secrets_seen)[:3] == ["secret_not_shown_again"] * 3
    assert secrets_seen.count("secret_not_shown_again") == 3
    assert stored_endpoints(town, shop) == 1
    other_body = town.client.post(
        "/v1/webhook_endpoints", json={**body, "events": ["payout.paid"]}, headers=headers
    )
    assert (other_body.status_code, other_body.json()["code"]) == (422, "idempotency_key_reused")


def test_rotating_gives_a_new_secret_and_disabling_is_final(town: Town) -> None:
    shop = open_shop(town)
    created = add_endpoint(town, shop, "http://127.0.0.1:9/hooks")
    rotated = town.client.post(
        f"/v1/webhook_endpoints/{created['id']}/rotate_secret", headers=shop.headers
    )
    assert rotated.status_code == 200
    assert rotated.json()["secret"] not in (created["secret"], None)
    assert rotated.json()["previous_secret_expires_at"] == "2026-11-24T01:00:00+00:00"
    path = f"/v1/webhook_endpoints/{created['id']}/disable"
    assert town.client.post(path, headers=shop.headers).json()["status"] == "disabled"
    assert town.client.post(path, headers=shop.headers).json()["status"] == "disabled"
    again = town.client.post(
        f"/v1/webhook_endpoints/{created['id']}/rotate_secret", headers=shop.headers
    )
    assert (again.status_code, again.json()["code"]) == (409, "webhook_endpoint_disabled")


@pytest.mark.parametrize(
    "kind", ["payment_intent.created", "payment_intent.expired", "payout.canceled"]
)
def test_every_event_the_product_writes_can_be_subscribed_to(town: Town, kind: str) -> None:
    shop = open_shop(town)
    created = add_endpoint(town, shop, "http://127.0.0.1:9/hooks", [kind])
    assert created["events"] == [kind]


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (
            {"url": "http://127.0.0.1:9/", "events": ["charge.exploded"]},
            "webhook_event_type_unknown",
        ),
        ({"url": "ftp://127.0.0.1/", "events": ["*"]}, "webhook_url_invalid"),
        ({"url": "https://user:pw@127.0.0.1/", "events": ["*"]}, "webhook_url_invalid"),
        ({"url": "not a url", "events": ["*"]}, "webhook_url_invalid"),
        ({"url": "http://127.0.0.1:9/", "events": []}, "validation_error"),
        ({"events": ["*"]}, "validation_error"),
        ({"url": "http://127.0.0.1:9/", "events": ["*"], "extra": 1}, "validation_error"),
    ],
)
def test_bad_input_is_refused_and_nothing_is_stored(town: Town, body: dict, code: str) -> None:  # type: ignore[type-arg]
    shop = open_shop(town)
    refused = town.client.post("/v1/webhook_endpoints", json=body, headers=shop.headers)
    assert (refused.status_code, refused.json()["code"]) == (422, code)
    assert refused.headers["content-type"] == "application/problem+json"
    assert stored_endpoints(town, shop) == 0


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/hooks",
        "https://localhost:8443/hooks",
        "https://169.254.169.254/latest/meta-data",
        "https://10.1.2.3/hooks",
        "https://192.168.0.10/hooks",
        "https://[::1]/hooks",
        "https://[::ffff:127.0.0.1]/hooks",
        "http://203.0.113.7/hooks",
    ],
)
def test_private_urls_and_plain_http_are_refused_without_the_setting(
    engine: Engine, clock: FixedClock, url: str
) -> None:
    strict = new_town(engine, clock)
    shop = open_shop(strict)
    refused = strict.client.post(
        "/v1/webhook_endpoints", json={"url": url, "events": ["*"]}, headers=shop.headers
    )
    assert (refused.status_code, refused.json()["code"]) == (422, "webhook_url_not_allowed")
    assert stored_endpoints(strict, shop) == 0


def test_another_merchant_cannot_touch_your_endpoint(town: Town) -> None:
    shop, stranger = open_shop(town), open_shop(town)
    created = add_endpoint(town, shop, "http://127.0.0.1:9/hooks")
    for action in ("disable", "rotate_secret"):
        refused = town.client.post(
            f"/v1/webhook_endpoints/{created['id']}/{action}", headers=stranger.headers
        )
        assert (refused.status_code, refused.json()["code"]) == (404, "webhook_endpoint_not_found")
    assert town.client.get("/v1/webhook_endpoints", headers=stranger.headers).json()["data"] == []
    listed = town.client.get("/v1/webhook_endpoints", headers=shop.headers).json()["data"]
    assert [e["status"] for e in listed] == ["enabled"]


def test_other_keys_cannot_manage_webhooks(town: Town) -> None:
    refused = town.client.post(
        "/v1/webhook_endpoints",
        json={"url": "http://127.0.0.1:9/", "events": ["*"]},
        headers=town.issuer(),
    )
    assert refused.status_code in (401, 403)
    assert town.client.get("/v1/events").status_code == 401


def test_a_merchant_has_a_bounded_number_of_endpoints(town: Town) -> None:
    shop = open_shop(town)
    for n in range(ENDPOINTS_PER_MERCHANT_MAX):
        add_endpoint(town, shop, f"http://127.0.0.1:9/hooks/{n}")
    refused = town.client.post(
        "/v1/webhook_endpoints",
        json={"url": "http://127.0.0.1:9/one-more", "events": ["*"]},
        headers=shop.headers,
    )
    assert (refused.status_code, refused.json()["code"]) == (422, "limit_exceeded")
    assert stored_endpoints(town, shop) == ENDPOINTS_PER_MERCHANT_MAX
