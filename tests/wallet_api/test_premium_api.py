"""Premium campaigns (プレミアム付商品券) through the API: reserve, pay at the issuer, the rush."""

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from kit.credentials import Role
from kit.database import make_engine
from ledger.accounts import get_balance
from ledger.chart import Standard, standard_account
from ledger.clock import FixedClock
from ledger.unit_of_work import run_in_transaction
from localcoin.app import create_app
from tests.conftest import T0
from tests.wallet_api.test_residents_api import FAST_PINS, Town, new_town
from wallet_api.premium import PAYMENT_WINDOW

PREMIUM_EXPIRY = datetime(2027, 3, 31, 15, 0, tzinfo=UTC)


@pytest.fixture
def town(engine: Engine, clock: FixedClock) -> Town:
    return new_town(engine, clock)


def key(town: Town, role: Role) -> dict[str, str]:
    return {"Authorization": f"Bearer {town.coin.keys[role]}"}


def open_campaign(town: Town, **overrides: object) -> dict[str, object]:
    body: dict[str, object] = {
        "name": "2026 冬のプレミアム付商品券",
        "price": 10_000,
        "face_value": 12_000,
        "per_resident_limit": 3,
        "total_units": 100,
        "starts_at": T0.isoformat(),
        "ends_at": (T0 + timedelta(days=14)).isoformat(),
        "premium_expires_at": PREMIUM_EXPIRY.isoformat(),
    } | overrides
    response = town.client.post(
        "/v1/premium_campaigns", json=body, headers=key(town, Role.MUNICIPALITY)
    )
    assert response.status_code == 201, response.text
    created: dict[str, object] = response.json()
    return created


def buy(client: TestClient, campaign_id: object, headers: dict[str, str], units: int = 1):  # type: ignore[no-untyped-def]
    return client.post(
        f"/v1/premium_campaigns/{campaign_id}/purchases", json={"units": units}, headers=headers
    )


def confirm(town: Town, purchase_id: str, reference: str, headers: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    return town.client.post(
        f"/v1/premium_purchases/{purchase_id}/confirm",
        json={"channel": "counter", "reference": reference},
        headers=headers if headers is not None else key(town, Role.ISSUER),
    )


def campaign_of(town: Town, campaign_id: object) -> dict[str, object]:
    body: dict[str, object] = town.client.get(
        f"/v1/premium_campaigns/{campaign_id}", headers=key(town, Role.ISSUER)
    ).json()
    return body


def standard_balance(town: Town, code: Standard) -> int:
    def read(conn):  # type: ignore[no-untyped-def]
        coin_id = town.coin.coin.id
        account = standard_account(conn, coin_id=coin_id, code=code)
        return get_balance(conn, coin_id=coin_id, account_id=account.id).posted

    posted: int = run_in_transaction(town.engine, read)
    return posted


def test_a_reservation_paid_at_the_counter_credits_money_and_expiring_premium(
    town: Town,
) -> None:
    campaign = open_campaign(town)
    assert (campaign["premium"], campaign["sold_units"]) == (2_000, 0)
    alice = town.sign_up()
    headers = town.token(alice["resident_id"])
    reserved = buy(town.client, campaign["id"], headers, units=2)
    assert reserved.status_code == 201, reserved.text
    purchase = reserved.json()
    assert {k: purchase[k] for k in ("units", "price_total", "face_total", "status")} == {
        "units": 2,
        "price_total": 20_000,
        "face_total": 24_000,
        "status": "reserved",
    }
    assert datetime.fromisoformat(purchase["pay_by"]) == T0 + PAYMENT_WINDOW
    # Nothing is credited until the yen is paid.
    assert town.client.get("/v1/wallet", headers=headers).json()["balance"]["total"] == 0
    paid = confirm(town, purchase["id"], "窓口-PR-1")
    assert paid.status_code == 200, paid.text
    assert (paid.json()["status"], paid.json()["reference"]) == ("paid", "窓口-PR-1")
    wallet = town.client.get("/v1/wallet", headers=headers).json()
    assert wallet["balance"] == {
        "total": 24_000,
        "available": 24_000,
        "money": 20_000,
        "premium": 4_000,
        "points": 0,
        "held": 0,
    }
    assert wallet["lots"] == [
        {"kind": "premium", "amount": 4_000, "expires_at": PREMIUM_EXPIRY.isoformat()},
        {"kind": "money", "amount": 20_000, "expires_at": None},
    ]
    assert standard_balance(town, Standard.RESERVE_BANK) == 20_000
    assert standard_balance(town, Standard.RECEIVABLE_MUNICIPALITY) == 4_000
    assert campaign_of(town, campaign["id"])["sold_units"] == 2


@pytest.mark.parametrize(
    "overrides",
    [
        {"face_value": 10_000},  # no premium
        {"per_resident_limit": 101},  # more than the total
        {"ends_at": T0.isoformat()},  # the window is empty
        {"premium_expires_at": (T0 + timedelta(days=7)).isoformat()},  # before sales end
    ],
)
def test_inconsistent_campaigns_are_refused(town: Town, overrides: dict[str, object]) -> None:
    body = {
        "name": "x",
        "price": 10_000,
        "face_value": 12_000,
        "per_resident_limit": 3,
        "total_units": 100,
        "starts_at": T0.isoformat(),
        "ends_at": (T0 + timedelta(days=14)).isoformat(),
        "premium_expires_at": PREMIUM_EXPIRY.isoformat(),
    } | overrides
    response = town.client.post(
        "/v1/premium_campaigns", json=body, headers=key(town, Role.MUNICIPALITY)
    )
    assert (response.status_code, response.json()["code"]) == (422, "campaign_invalid")


def test_only_the_municipality_opens_campaigns(town: Town) -> None:
    response = town.client.post(
        "/v1/premium_campaigns", json={"name": "x"}, headers=key(town, Role.ISSUER)
    )
    assert (response.status_code, response.json()["code"]) == (403, "forbidden")


def test_purchases_outside_the_sales_window_are_refused(town: Town) -> None:
    campaign = open_campaign(
        town,
        starts_at=(T0 + timedelta(days=1)).isoformat(),
        ends_at=(T0 + timedelta(days=2)).isoformat(),
    )
    resident = town.sign_up()["resident_id"]
    early = buy(town.client, campaign["id"], town.token(resident))
    assert (early.status_code, early.json()["code"]) == (422, "campaign_closed")
    town.clock.advance(timedelta(days=1))
    assert buy(town.client, campaign["id"], town.token(resident)).status_code == 201
    town.clock.advance(timedelta(days=1))
    late = buy(town.client, campaign["id"], town.token(town.sign_up()["resident_id"]))
    assert (late.status_code, late.json()["code"]) == (422, "campaign_closed")


def test_the_per_resident_limit_counts_every_purchase(town: Town) -> None:
    campaign = open_campaign(town)
    headers = town.token(town.sign_up()["resident_id"])
    too_many = buy(town.client, campaign["id"], headers, units=4)
    assert (too_many.status_code, too_many.json()["code"]) == (422, "limit_exceeded")
    assert buy(town.client, campaign["id"], headers, units=2).status_code == 201
    again = buy(town.client, campaign["id"], headers, units=2)
    assert (again.status_code, again.json()["code"]) == (422, "limit_exceeded")
    assert buy(town.client, campaign["id"], headers, units=1).status_code == 201
    assert campaign_of(town, campaign["id"])["sold_units"] == 3


def test_a_campaign_sells_out(town: Town) -> None:
    campaign = open_campaign(town, total_units=3)
    first = town.token(town.sign_up()["resident_id"])
    assert buy(town.client, campaign["id"], first, units=2).status_code == 201
    second = town.token(town.sign_up()["resident_id"])
    refused = buy(town.client, campaign["id"], second, units=2)
    assert (refused.status_code, refused.json()["code"]) == (409, "sold_out")
    assert buy(town.client, campaign["id"], second, units=1).status_code == 201


def test_the_purchase_would_break_the_wallets_cap(town: Town) -> None:
    campaign = open_campaign(town)
    alice = town.sign_up()
    assert town.top_up(alice["wallet_id"], 70_000, "big").status_code == 201
    refused = buy(town.client, campaign["id"], town.token(alice["resident_id"]), units=3)
    assert (refused.status_code, refused.json()["code"]) == (422, "limit_exceeded")
    assert campaign_of(town, campaign["id"])["sold_units"] == 0


def test_a_verified_wallet_is_held_to_the_verified_cap_when_its_purchase_is_paid(
    town: Town,
) -> None:
    campaign = open_campaign(town)
    alice = town.sign_up()
    verified = town.client.post(
        f"/v1/residents/{alice['resident_id']}/verify",
        json={"method": "counter", "reference": "窓口-本人確認-1"},
        headers=town.issuer(),
    )
    assert verified.status_code == 200, verified.text
    # 90,000 + 12,000 passes the basic wallet's 100,000 cap; a verified wallet holds more.
    assert town.top_up(alice["wallet_id"], 90_000, "big").status_code == 201
    reserved = buy(town.client, campaign["id"], town.token(alice["resident_id"]), units=1)
    assert reserved.status_code == 201, reserved.text
    paid = confirm(town, reserved.json()["id"], "窓口-PR-V")
    assert paid.status_code == 200, paid.text
    wallet = town.client.get("/v1/wallet", headers=town.token(alice["resident_id"])).json()
    assert wallet["balance"]["total"] == 102_000


def test_an_unpaid_reservation_is_released_at_its_deadline(town: Town) -> None:
    campaign = open_campaign(town, total_units=3, per_resident_limit=3)
    alice = town.sign_up()
    late = buy(town.client, campaign["id"], town.token(alice["resident_id"]), units=3).json()
    bob = town.sign_up()["resident_id"]
    sold_out = buy(town.client, campaign["id"], town.token(bob))
    assert (sold_out.status_code, sold_out.json()["code"]) == (409, "sold_out")
    # Access tokens live 15 minutes here; the reservation 30: log in again.
    town.clock.advance(PAYMENT_WINDOW)
    assert buy(town.client, campaign["id"], town.token(bob), units=2).status_code == 201
    refused = confirm(town, late["id"], "too-late")
    assert (refused.status_code, refused.json()["code"]) == (409, "purchase_not_reserved")
    # The released units count no more toward alice's limit either.
    again = buy(town.client, campaign["id"], town.token(alice["resident_id"]), units=1)
    assert again.status_code == 201
    assert campaign_of(town, campaign["id"])["sold_units"] == 3


def test_a_confirmation_after_the_deadline_is_refused(town: Town) -> None:
    campaign = open_campaign(town)
    resident = town.sign_up()["resident_id"]
    purchase = buy(town.client, campaign["id"], town.token(resident)).json()
    town.clock.advance(PAYMENT_WINDOW)
    refused = confirm(town, purchase["id"], "late-1")
    assert (refused.status_code, refused.json()["code"]) == (409, "reservation_expired")
    wallet = town.client.get("/v1/wallet", headers=town.token(resident)).json()
    assert wallet["balance"]["total"] == 0


def test_a_purchase_is_paid_once_and_a_reference_pays_one_purchase(town: Town) -> None:
    campaign = open_campaign(town)
    alice, bob = town.sign_up(name="alice"), town.sign_up(name="bob")
    first = buy(town.client, campaign["id"], town.token(alice["resident_id"])).json()
    second = buy(town.client, campaign["id"], town.token(bob["resident_id"])).json()
    assert confirm(town, first["id"], "REF-1").status_code == 200
    twice = confirm(town, first["id"], "REF-2")
    assert (twice.status_code, twice.json()["code"]) == (409, "purchase_not_reserved")
    reused = confirm(town, second["id"], "REF-1")
    assert (reused.status_code, reused.json()["code"]) == (409, "payment_reference_reused")
    alice_wallet = town.client.get("/v1/wallet", headers=town.token(alice["resident_id"])).json()
    assert alice_wallet["balance"]["total"] == 12_000


def test_keys_and_residents_act_only_in_their_own_coin(
    town: Town, engine: Engine, clock: FixedClock
) -> None:
    campaign = open_campaign(town)
    purchase = buy(town.client, campaign["id"], town.token(town.sign_up()["resident_id"])).json()
    other = new_town(engine, clock)
    foreign = confirm(town, purchase["id"], "X-1", headers=key(other, Role.ISSUER))
    assert (foreign.status_code, foreign.json()["code"]) == (404, "purchase_not_found")
    stranger = other.token(other.sign_up()["resident_id"])
    refused = buy(town.client, campaign["id"], stranger)
    assert (refused.status_code, refused.json()["code"]) == (404, "wallet_not_found")
    unseen = town.client.get(
        f"/v1/premium_campaigns/{campaign['id']}", headers=key(other, Role.MUNICIPALITY)
    )
    assert (unseen.status_code, unseen.json()["code"]) == (404, "campaign_not_found")
    by_resident = confirm(town, purchase["id"], "X-2", headers=stranger)
    assert by_resident.status_code == 401
    missing = buy(town.client, "pc_nosuchcampaign000000", stranger)
    assert (missing.status_code, missing.json()["code"]) == (404, "campaign_not_found")


@pytest.fixture
def rush_app(database_url: str, clock: FixedClock, town: Town) -> Iterator[TestClient]:
    """The town's API on an engine of its own with more connections (44) than
    buyers: a request holds one connection and authenticates on a second, so
    with fewer the buyers could each hold one and wait for ever on another."""
    engine = make_engine(database_url, pool_size=22)
    yield TestClient(create_app(engine, clock, run_sealer=False, settings=FAST_PINS))
    engine.dispose()


def test_a_rush_of_buyers_never_oversells(town: Town, rush_app: TestClient) -> None:
    campaign = open_campaign(town, total_units=25, per_resident_limit=1)
    town.client.app.state.signups_per_window = 100  # type: ignore[attr-defined]
    buyers = [town.token(town.sign_up(name=f"buyer {n}")["resident_id"]) for n in range(40)]
    barrier = threading.Barrier(len(buyers))

    def rush(headers: dict[str, str]) -> tuple[int, str]:
        client = TestClient(rush_app.app)
        barrier.wait()
        response = buy(client, campaign["id"], headers)
        return response.status_code, response.json().get("code", "")

    with ThreadPoolExecutor(max_workers=len(buyers)) as pool:
        outcomes = list(pool.map(rush, buyers))
    assert sorted(outcomes).count((201, "")) == 25
    assert sorted(outcomes)[25:] == [(409, "sold_out")] * 15
    assert campaign_of(town, campaign["id"])["sold_units"] == 25
    per_wallet = run_in_transaction(
        town.engine,
        lambda c: c.execute(
            text(
                "SELECT p.wallet_id, sum(p.units) FROM premium_purchases p"
                " JOIN premium_campaigns c ON c.coin_id = p.coin_id AND c.id = p.campaign_id"
                " WHERE c.public_id = :c GROUP BY p.wallet_id"
            ),
            {"c": campaign["id"]},
        ).all(),
    )
    assert len(per_wallet) == 25
    assert all(units == 1 for _, units in per_wallet)


def test_one_resident_hammering_never_exceeds_the_limit(town: Town, rush_app: TestClient) -> None:
    campaign = open_campaign(town, total_units=100, per_resident_limit=3)
    headers = town.token(town.sign_up()["resident_id"])
    barrier = threading.Barrier(12)

    def hammer(_: int) -> int:
        client = TestClient(rush_app.app)
        barrier.wait()
        return int(buy(client, campaign["id"], headers).status_code)

    with ThreadPoolExecutor(max_workers=12) as pool:
        statuses = sorted(pool.map(hammer, range(12)))
    assert statuses == [201] * 3 + [422] * 9
    assert campaign_of(town, campaign["id"])["sold_units"] == 3


def test_a_retried_purchase_reserves_once(town: Town) -> None:
    campaign = open_campaign(town)
    headers = town.token(town.sign_up()["resident_id"]) | {"Idempotency-Key": "buy-1"}
    first = buy(town.client, campaign["id"], headers)
    again = buy(town.client, campaign["id"], headers)
    assert again.json()["id"] == first.json()["id"]
    assert campaign_of(town, campaign["id"])["sold_units"] == 1


def verified(town: Town, reference: str, method: str = "my_number_card") -> dict[str, str]:
    """A resident verified with this check's reference; their headers."""
    resident_id = town.sign_up()["resident_id"]
    done = town.client.post(
        f"/v1/residents/{resident_id}/verify",
        json={"method": method, "reference": reference},
        headers=key(town, Role.ISSUER),
    )
    assert done.status_code == 200, done.text
    return town.token(resident_id)


def test_a_campaign_for_verified_residents_limits_each_person_not_each_account(
    town: Town,
) -> None:
    town.client.app.state.signups_per_window = 100  # type: ignore[attr-defined]
    campaign = open_campaign(town, verified_only=True, per_resident_limit=2)
    assert campaign["verified_only"] is True
    basic = town.token(town.sign_up()["resident_id"])
    refused = buy(town.client, campaign["id"], basic)
    assert (refused.status_code, refused.json()["code"]) == (403, "tier_not_allowed")
    # One person, two accounts, the same identity check (written a little differently).
    first, second = verified(town, "KYC-777"), verified(town, " kyc-777 ")
    assert buy(town.client, campaign["id"], first, units=2).status_code == 201
    over = buy(town.client, campaign["id"], second, units=1)
    assert (over.status_code, over.json()["code"]) == (422, "limit_exceeded")
    # Another person buys their own two.
    assert buy(town.client, campaign["id"], verified(town, "KYC-778"), units=2).status_code == 201
    assert campaign_of(town, campaign["id"])["sold_units"] == 4


def test_a_released_reservation_gives_the_units_back_to_the_identity(town: Town) -> None:
    campaign = open_campaign(town, verified_only=True, per_resident_limit=1)
    resident_id = town.sign_up()["resident_id"]
    town.client.post(
        f"/v1/residents/{resident_id}/verify",
        json={"method": "drivers_license", "reference": "DL-123"},
        headers=key(town, Role.ISSUER),
    )
    assert buy(town.client, campaign["id"], town.token(resident_id)).status_code == 201
    again = buy(town.client, campaign["id"], town.token(resident_id))
    assert again.json()["code"] == "limit_exceeded"
    town.clock.advance(PAYMENT_WINDOW)
    assert buy(town.client, campaign["id"], town.token(resident_id)).status_code == 201
