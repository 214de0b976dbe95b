"""A merchant's stores, terminals and keys through the API: owner-only, scoped, revocable."""

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from sqlalchemy import Engine, text

from ledger.clock import FixedClock
from ledger.unit_of_work import run_in_transaction
from tests.merchant.shops import Shop, open_shop
from tests.wallet_api.test_residents_api import Town, new_town


@pytest.fixture
def town(engine: Engine, clock: FixedClock) -> Town:
    return new_town(engine, clock)


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def new_store(town: Town, shop: Shop, name: str = "本店") -> dict[str, Any]:
    response = town.client.post("/v1/merchant/stores", json={"name": name}, headers=shop.headers)
    assert response.status_code == 201, response.text
    store: dict[str, Any] = response.json()
    return store


def new_terminal(town: Town, shop: Shop, name: str = "レジ1") -> dict[str, Any]:
    store = new_store(town, shop)
    response = town.client.post(
        "/v1/merchant/terminals", json={"store_id": store["id"], "name": name}, headers=shop.headers
    )
    assert response.status_code == 201, response.text
    terminal: dict[str, Any] = response.json()
    return terminal


def live_keys_of(town: Town, terminal_public_id: str) -> int:
    count: int = run_in_transaction(
        town.engine,
        lambda c: c.execute(
            text(
                "SELECT count(*) FROM api_keys k JOIN terminals t"
                " ON t.coin_id = k.coin_id AND t.id = k.terminal_id"
                " WHERE t.public_id = :t AND k.revoked_at IS NULL"
            ),
            {"t": terminal_public_id},
        ).scalar_one(),
    )
    return count


def test_stores_are_made_and_listed_newest_first(town: Town) -> None:
    shop = open_shop(town)
    first, second = new_store(town, shop, "本店"), new_store(town, shop, "駅前店")
    assert first["id"].startswith("sto_")
    page = town.client.get("/v1/merchant/stores?limit=1", headers=shop.headers).json()
    assert ([s["id"] for s in page["data"]], page["has_more"]) == ([second["id"]], True)
    rest = town.client.get(
        f"/v1/merchant/stores?starting_after={second['id']}", headers=shop.headers
    ).json()
    assert ([s["name"] for s in rest["data"]], rest["has_more"]) == (["本店"], False)


def test_a_terminal_gets_its_own_key_which_takes_payments_but_not_the_back_office(
    town: Town,
) -> None:
    shop = open_shop(town)
    terminal = new_terminal(town, shop)
    assert terminal["id"].startswith("ter_") and terminal["status"] == "active"
    till = bearer(terminal["api_key"])
    assert town.client.get("/v1/merchant/qr", headers=till).status_code == 200
    for method, path, body in [
        ("GET", "/v1/merchant", None),
        ("GET", "/v1/merchant/stores", None),
        ("POST", "/v1/merchant/stores", {"name": "x"}),
        ("GET", "/v1/merchant/terminals", None),
        ("POST", f"/v1/merchant/terminals/{terminal['id']}/rotate_key", None),
        ("GET", "/v1/merchant/api_keys", None),
        ("POST", "/v1/merchant/api_keys", {"label": "mine now"}),
    ]:
        refused = town.client.request(method, path, json=body, headers=till)
        assert (refused.status_code, refused.json()["code"]) == (403, "terminal_key_not_allowed")
    listed = town.client.get("/v1/merchant/terminals", headers=shop.headers).json()["data"]
    assert [t["id"] for t in listed] == [terminal["id"]]
    assert "api_key" not in listed[0]


def test_rotating_a_terminal_key_revokes_the_old_one(town: Town) -> None:
    shop = open_shop(town)
    terminal = new_terminal(town, shop)
    rotated = town.client.post(
        f"/v1/merchant/terminals/{terminal['id']}/rotate_key", headers=shop.headers
    )
    assert rotated.status_code == 200, rotated.text
    assert rotated.json()["api_key"] != terminal["api_key"]
    old = town.client.get("/v1/merchant/qr", headers=bearer(terminal["api_key"]))
    assert (old.status_code, old.json()["code"]) == (401, "unauthenticated")
    assert (
        town.client.get("/v1/merchant/qr", headers=bearer(rotated.json()["api_key"])).status_code
        == 200
    )
    assert live_keys_of(town, terminal["id"]) == 1


def test_concurrent_rotations_leave_one_live_key(town: Town) -> None:
    shop = open_shop(town)
    terminal = new_terminal(town, shop)

    def rotate(n: int) -> int:
        status: int = town.client.post(
            f"/v1/merchant/terminals/{terminal['id']}/rotate_key",
            headers=shop.headers | {"Idempotency-Key": f"rotate-{n}"},
        ).status_code
        return status

    with ThreadPoolExecutor(max_workers=4) as pool:
        assert set(pool.map(rotate, range(4))) == {200}
    assert live_keys_of(town, terminal["id"]) == 1


def test_a_disabled_terminal_loses_its_keys_and_gets_no_new_one(town: Town) -> None:
    shop = open_shop(town)
    terminal = new_terminal(town, shop)
    disabled = town.client.post(
        f"/v1/merchant/terminals/{terminal['id']}/disable", headers=shop.headers
    )
    assert (disabled.status_code, disabled.json()["status"]) == (200, "disabled")
    assert (
        town.client.get("/v1/merchant/qr", headers=bearer(terminal["api_key"])).status_code == 401
    )
    rotated = town.client.post(
        f"/v1/merchant/terminals/{terminal['id']}/rotate_key", headers=shop.headers
    )
    assert (rotated.status_code, rotated.json()["code"]) == (409, "terminal_disabled")
    assert live_keys_of(town, terminal["id"]) == 0


def test_another_merchants_stores_terminals_and_keys_are_not_found(town: Town) -> None:
    shop, other = open_shop(town), open_shop(town)
    terminal = new_terminal(town, shop)
    their_store = town.client.post(
        "/v1/merchant/terminals",
        json={"store_id": terminal["store_id"], "name": "盗む"},
        headers=other.headers,
    )
    assert (their_store.status_code, their_store.json()["code"]) == (404, "store_not_found")
    for action in ("rotate_key", "disable"):
        refused = town.client.post(
            f"/v1/merchant/terminals/{terminal['id']}/{action}", headers=other.headers
        )
        assert (refused.status_code, refused.json()["code"]) == (404, "terminal_not_found")
    key_id = town.client.get("/v1/merchant/api_keys", headers=shop.headers).json()["data"][0]["id"]
    revoked = town.client.post(f"/v1/merchant/api_keys/{key_id}/revoke", headers=other.headers)
    assert (revoked.status_code, revoked.json()["code"]) == (404, "api_key_not_found")
    assert town.client.get("/v1/merchant/terminals", headers=other.headers).json()["data"] == []
    assert live_keys_of(town, terminal["id"]) == 1


def test_a_merchant_key_is_shown_once_listed_without_secret_and_revocable(town: Town) -> None:
    shop = open_shop(town)
    terminal = new_terminal(town, shop)
    made = town.client.post(
        "/v1/merchant/api_keys", json={"label": "会計ソフト"}, headers=shop.headers
    )
    assert made.status_code == 201, made.text
    key = made.json()
    assert key["id"] == f"key_{key['prefix']}" and key["api_key"].startswith("lc_merchant_")
    assert town.client.get("/v1/merchant", headers=bearer(key["api_key"])).status_code == 200
    listed = town.client.get("/v1/merchant/api_keys", headers=shop.headers).json()["data"]
    assert [(k["label"], k["terminal_id"]) for k in listed] == [
        ("会計ソフト", None),
        (f"terminal {terminal['id']}", terminal["id"]),
        ("test shop", None),
    ]
    fields = {"id", "prefix", "label", "terminal_id", "created_at", "revoked_at"}
    assert all(set(k) == fields for k in listed)
    revoked = town.client.post(f"/v1/merchant/api_keys/{key['id']}/revoke", headers=shop.headers)
    assert revoked.status_code == 200, revoked.text
    assert revoked.json()["revoked_at"] is not None
    dead = town.client.get("/v1/merchant", headers=bearer(key["api_key"]))
    assert (dead.status_code, dead.json()["code"]) == (401, "unauthenticated")


def test_a_key_cannot_revoke_itself(town: Town) -> None:
    shop = open_shop(town)
    own = town.client.get("/v1/merchant/api_keys", headers=shop.headers).json()["data"][0]
    refused = town.client.post(f"/v1/merchant/api_keys/{own['id']}/revoke", headers=shop.headers)
    assert (refused.status_code, refused.json()["code"]) == (409, "api_key_in_use")
    assert town.client.get("/v1/merchant", headers=shop.headers).status_code == 200


def test_revoking_a_terminals_key_from_the_list_cuts_the_terminal_off(town: Town) -> None:
    shop = open_shop(town)
    terminal = new_terminal(town, shop)
    listed = town.client.get("/v1/merchant/api_keys", headers=shop.headers).json()["data"]
    till_key = next(k for k in listed if k["terminal_id"] == terminal["id"])
    town.client.post(f"/v1/merchant/api_keys/{till_key['id']}/revoke", headers=shop.headers)
    assert (
        town.client.get("/v1/merchant/qr", headers=bearer(terminal["api_key"])).status_code == 401
    )


def test_the_database_refuses_a_terminal_in_another_merchants_store(town: Town) -> None:
    shop, other = open_shop(town), open_shop(town)
    store = new_store(town, shop)

    def sneak(conn):  # type: ignore[no-untyped-def]
        conn.execute(
            text(
                "INSERT INTO terminals (coin_id, public_id, merchant_id, store_id, name, created_at)"
                " SELECT coin_id, 'ter_AAAAAAAAAAAAAAAA', :other, id, 'x', now() FROM stores"
                " WHERE public_id = :store"
            ),
            {"other": other.merchant.id, "store": store["id"]},
        )

    with pytest.raises(Exception, match="terminals_store_of_merchant"):
        run_in_transaction(town.engine, sneak)
