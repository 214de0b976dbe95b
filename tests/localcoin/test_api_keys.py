"""Named API keys over HTTP: one per person, never above the maker's role, revoked for good."""

from datetime import timedelta

import pytest
from sqlalchemy import Engine

from kit.credentials import Role
from ledger.clock import FixedClock
from tests.wallet_api.test_residents_api import Town, new_town


@pytest.fixture
def town(engine: Engine, clock: FixedClock) -> Town:
    return new_town(engine, clock)


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def operator(town: Town) -> dict[str, str]:
    return bearer(town.coin.keys[Role.OPERATOR])


def make(town: Town, headers: dict[str, str], **body: object):  # type: ignore[no-untyped-def]
    return town.client.post("/v1/api_keys", json=body, headers=headers)


def test_a_clerk_gets_a_key_of_their_own_that_works_and_is_listed_without_its_secret(
    town: Town,
) -> None:
    made = make(town, town.issuer(), role="issuer", label="窓口 佐藤")
    assert made.status_code == 201, made.text
    key = made.json()
    assert {"id", "key", "role", "label"} <= key.keys()
    assert (key["role"], key["label"], key["revoked_at"]) == ("issuer", "窓口 佐藤", None)
    assert key["id"].startswith("key_") and key["key"].startswith("lc_issuer_")
    assert key["key"].split("_")[2] == key["id"].removeprefix("key_")
    # The clerk's own key does the issuer's work.
    me = town.client.get("/v1/me", headers=bearer(key["key"]))
    assert (me.status_code, me.json()["role"]) == (200, "issuer")
    listed = town.client.get("/v1/api_keys", headers=operator(town))
    assert listed.status_code == 200
    [row] = [k for k in listed.json()["data"] if k["id"] == key["id"]]
    assert "key" not in row and key["key"] not in listed.text
    assert row["created_by"] is not None and row["last_used_at"] is not None


def test_a_key_never_makes_or_revokes_a_role_above_its_own(town: Town) -> None:
    refused = make(town, town.issuer(), role="operator", label="昇格")
    assert (refused.status_code, refused.json()["code"]) == (403, "key_role_not_allowed")
    operators = [k for k in town.client.get("/v1/api_keys", headers=operator(town)).json()["data"]]
    assert [k for k in operators if k["label"] == "昇格"] == []
    ops_key = make(town, operator(town), role="operator", label="運用 田中").json()
    revoke = town.client.post(f"/v1/api_keys/{ops_key['id']}/revoke", headers=town.issuer())
    assert (revoke.status_code, revoke.json()["code"]) == (403, "key_role_not_allowed")
    merchant = make(town, operator(town), role="merchant", label="店")
    assert (merchant.status_code, merchant.json()["code"]) == (422, "validation_error")
    municipality = bearer(town.coin.keys[Role.MUNICIPALITY])
    assert make(town, municipality, role="municipality", label="x").status_code == 403


def test_a_revoked_key_is_401_from_then_on_and_names_who_revoked_it(town: Town) -> None:
    key = make(town, town.issuer(), role="issuer", label="退職予定").json()
    assert town.client.get("/v1/me", headers=bearer(key["key"])).status_code == 200
    revoked = town.client.post(f"/v1/api_keys/{key['id']}/revoke", headers=operator(town))
    assert revoked.status_code == 200, revoked.text
    assert revoked.json()["revoked_at"] is not None
    assert revoked.json()["revoked_by"] is not None
    gone = town.client.get("/v1/me", headers=bearer(key["key"]))
    assert (gone.status_code, gone.json()["code"]) == (401, "unauthenticated")
    again = town.client.post(f"/v1/api_keys/{key['id']}/revoke", headers=operator(town))
    assert again.json()["revoked_at"] == revoked.json()["revoked_at"]


def test_an_expiring_key_stops_at_its_time_and_a_past_expiry_is_refused(town: Town) -> None:
    ends = town.clock.now() + timedelta(days=7)
    key = make(
        town, town.issuer(), role="municipality", label="臨時", expires_at=ends.isoformat()
    ).json()
    assert town.client.get("/v1/me", headers=bearer(key["key"])).status_code == 200
    town.clock.advance(timedelta(days=7))
    assert town.client.get("/v1/me", headers=bearer(key["key"])).status_code == 401
    past = make(
        town, town.issuer(), role="issuer", label="x", expires_at=town.clock.now().isoformat()
    )
    assert (past.status_code, past.json()["code"]) == (422, "key_expiry_invalid")


def test_rotation_gives_the_holder_a_new_key_and_ends_the_old(town: Town) -> None:
    old = make(town, town.issuer(), role="issuer", label="連携 予約システム").json()
    rotated = town.client.post(f"/v1/api_keys/{old['id']}/rotate", headers=town.issuer())
    assert rotated.status_code == 201, rotated.text
    new = rotated.json()
    assert (new["label"], new["role"]) == (old["label"], "issuer")
    assert new["key"] != old["key"]
    assert town.client.get("/v1/me", headers=bearer(new["key"])).status_code == 200
    assert town.client.get("/v1/me", headers=bearer(old["key"])).status_code == 401
    twice = town.client.post(f"/v1/api_keys/{old['id']}/rotate", headers=town.issuer())
    assert (twice.status_code, twice.json()["code"]) == (409, "key_not_live")


def test_another_coins_keys_and_merchants_keys_are_not_found_here(
    town: Town, engine: Engine, clock: FixedClock
) -> None:
    other = new_town(engine, clock)
    theirs = make(other, other.issuer(), role="issuer", label="他行").json()
    for path in (f"/v1/api_keys/{theirs['id']}", f"/v1/api_keys/{theirs['id']}/revoke"):
        call = town.client.get if path.endswith(theirs["id"]) else town.client.post
        answer = call(path, headers=operator(town))
        assert (answer.status_code, answer.json()["code"]) == (404, "key_not_found")
    assert other.client.get("/v1/me", headers=bearer(theirs["key"])).status_code == 200
    assert theirs["id"] not in town.client.get("/v1/api_keys", headers=operator(town)).text


def test_keys_are_listed_a_page_at_a_time_newest_first(town: Town) -> None:
    made = [
        make(town, town.issuer(), role="issuer", label=f"係員{n}").json()["id"] for n in range(3)
    ]
    first = town.client.get("/v1/api_keys?limit=2", headers=town.issuer()).json()
    assert [k["id"] for k in first["data"]] == made[::-1][:2] and first["has_more"]
    rest = town.client.get(
        f"/v1/api_keys?limit=2&starting_after={made[1]}", headers=town.issuer()
    ).json()
    assert rest["data"][0]["id"] == made[0]
    bad = town.client.get("/v1/api_keys?starting_after=key_nope", headers=town.issuer())
    assert (bad.status_code, bad.json()["code"]) == (422, "cursor_invalid")


def test_a_retried_creation_does_not_show_the_secret_again(town: Town) -> None:
    headers = town.issuer() | {"Idempotency-Key": "clerk-suzuki"}
    first = make(town, headers, role="issuer", label="窓口 鈴木")
    again = make(town, headers, role="issuer", label="窓口 鈴木")
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json()["id"] == first.json()["id"]
    assert again.json()["key"] == "secret_not_shown_again"


def test_a_key_must_name_its_holder(town: Town) -> None:
    blank = make(town, town.issuer(), role="issuer", label="   ")
    assert (blank.status_code, blank.json()["code"]) == (422, "key_label_invalid")
