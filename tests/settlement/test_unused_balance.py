"""The Payment Services Act unused balance: the ledger as it stood at the end of the base date."""

from datetime import date, timedelta

import pytest
from sqlalchemy import Engine

from kit.credentials import Role
from ledger.clock import FixedClock
from settlement.unused_balance import THRESHOLD_YEN, filing_deadline, security_deposit
from tests.merchant.shops import funded_resident, open_shop
from tests.settlement.report_books import key, pay, tokyo, top_up
from tests.wallet_api.test_points_api import grant
from tests.wallet_api.test_premium_api import buy, confirm, open_campaign
from tests.wallet_api.test_residents_api import Town, new_town


@pytest.fixture
def town(engine: Engine, clock: FixedClock) -> Town:
    return new_town(engine, clock)


def report(town: Town, base_date: str, role: Role = Role.ISSUER, **params: str):  # type: ignore[no-untyped-def]
    return town.client.get(
        "/v1/reports/unused_balance",
        params={"base_date": base_date, **params},
        headers=key(town, role),
    )


def test_the_figures_are_the_ledgers_at_the_base_date_and_later_activity_does_not_move_them(
    town: Town,
) -> None:
    town.clock.set(tokyo(2027, 3, 30))
    shop = open_shop(town)
    alice = funded_resident(town, 50_000)
    now = town.clock.now()
    campaign = open_campaign(
        town,
        starts_at=now.isoformat(),
        ends_at=(now + timedelta(days=14)).isoformat(),
        premium_expires_at=tokyo(2027, 9, 30).isoformat(),
    )
    bought = buy(town.client, campaign["id"], alice.headers)
    assert bought.status_code == 201, bought.text
    assert confirm(town, bought.json()["id"], "PR-1").status_code == 200
    june = tokyo(2027, 6, 30).isoformat()
    assert grant(town, [alice.wallet_id], amount=1_000, expires_at=june).status_code == 201
    # Points go first (they expire first), then 500 of the premium.
    pay(town, shop.merchant, alice.wallet_id, 1_500)
    assert grant(town, [alice.wallet_id], amount=800, expires_at=june).status_code == 201
    town.clock.set(tokyo(2027, 3, 31, 23, 59))
    funded_resident(town, 5_000)  # the last minute of the base date counts
    town.clock.set(tokyo(2027, 4, 1, 0, 0))  # the next day does not
    carol = funded_resident(town, 30_000)
    pay(town, shop.merchant, alice.wallet_id, 20_000)
    pay(town, shop.merchant, carol.wallet_id, 10_000)
    assert grant(town, [carol.wallet_id], amount=700, expires_at=june).status_code == 201
    town.clock.set(tokyo(2027, 5, 2))

    response = report(town, "2027-03-31")

    assert response.status_code == 200, response.text
    assert response.json() == {
        "coin": town.code,
        "base_date": "2027-03-31",
        "statutory": True,
        "as_of": "2027-03-31T15:00:00+00:00",
        "residents_money": 50_000 + 10_000 + 5_000,
        "residents_premium": 1_500,
        "merchants": 1_500,
        "unused_balance": 68_000,
        "points": 800,
        "threshold": 10_000_000,
        "exceeds_threshold": False,
        "security_deposit": 0,
        "filing_deadline": "2027-05-31",
    }
    today = town.client.get("/v1/ledger/summary", headers=key(town, Role.OPERATOR)).json()
    assert today["outstanding"]["total"] == 68_000 + 800 + 30_000 + 700
    assert report(town, "2027-03-31", Role.OPERATOR).json() == response.json()


def test_above_the_threshold_half_is_secured_rounded_up(town: Town) -> None:
    rules = town.client.post(
        "/v1/coin_rules",
        json={
            "basic_balance_cap": 20_000_000,
            "verified_balance_cap": 20_000_000,
            "daily_topup_max": 20_000_000,
            # One deposit of ten million, recorded by one key without a second's approval.
            "approval_threshold": 20_000_000,
            "daily_issuance_max_per_key": 20_000_000,
        },
        headers=key(town, Role.ISSUER),
    )
    assert rules.status_code == 200, rules.text
    town.clock.set(tokyo(2027, 9, 30, 18))
    rich = funded_resident(town, 0)
    top_up(town, rich.wallet_id, THRESHOLD_YEN + 1)
    town.clock.set(tokyo(2027, 10, 1, 9))

    figures = report(town, "2027-09-30").json()

    assert (figures["unused_balance"], figures["exceeds_threshold"]) == (10_000_001, True)
    assert figures["security_deposit"] == 5_000_001
    assert figures["filing_deadline"] == "2027-11-30"


def test_the_threshold_is_exceeded_only_above_ten_million() -> None:
    assert security_deposit(THRESHOLD_YEN) == 0
    assert security_deposit(THRESHOLD_YEN + 1) == 5_000_001
    assert security_deposit(12_345_679) == 6_172_840
    assert security_deposit(20_000_000) == 10_000_000


def test_the_filing_deadline_is_two_months_after_the_base_date() -> None:
    assert filing_deadline(date(2027, 3, 31)) == date(2027, 5, 31)
    assert filing_deadline(date(2027, 9, 30)) == date(2027, 11, 30)
    assert filing_deadline(date(2027, 12, 31)) == date(2028, 2, 29)


def test_a_base_date_is_3_31_or_9_30_unless_any_date_is_asked_for(town: Town) -> None:
    town.clock.set(tokyo(2027, 4, 2))
    refused = report(town, "2027-03-30")
    assert refused.status_code == 422
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["code"] == "base_date_invalid"
    allowed = report(town, "2027-03-30", any_date="true")
    assert allowed.status_code == 200, allowed.text
    assert (allowed.json()["statutory"], allowed.json()["filing_deadline"]) == (False, "2027-05-30")
    assert report(town, "2027-13-01").json()["code"] == "validation_error"


def test_a_base_date_that_has_not_ended_is_refused(town: Town) -> None:
    town.clock.set(tokyo(2027, 3, 31, 23, 59))
    assert report(town, "2027-03-31").json()["code"] == "base_date_not_past"
    town.clock.set(tokyo(2027, 4, 1, 0, 0))
    assert report(town, "2027-03-31").status_code == 200


def test_only_the_issuer_and_operator_read_it_and_only_for_their_own_coin(
    town: Town, engine: Engine, clock: FixedClock
) -> None:
    town.clock.set(tokyo(2027, 3, 30))
    funded_resident(town, 9_000)
    other = new_town(engine, clock)
    town.clock.set(tokyo(2027, 4, 1))
    for role in (Role.MUNICIPALITY,):
        assert report(town, "2027-03-31", role).json()["code"] == "forbidden"
    assert town.client.get("/v1/reports/unused_balance?base_date=2027-03-31").status_code == 401
    theirs = report(other, "2027-03-31").json()
    assert (theirs["coin"], theirs["unused_balance"]) == (other.code, 0)
    assert report(town, "2027-03-31").json()["unused_balance"] == 9_000
