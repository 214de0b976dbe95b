"""The charge bonus through the API: the issuer sets the rule, top-ups earn expiring points."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, text

from kit.credentials import Role
from ledger.accounts import get_balance
from ledger.chart import Standard, standard_account
from ledger.clock import FixedClock
from ledger.unit_of_work import run_in_transaction
from tests.wallet_api.test_residents_api import Town, new_town

# T0 is 23 November 2026 in Tokyo: six months on is May 2027, which ends at
# 2027-06-01 00:00 Tokyo time.
BONUS_EXPIRY = datetime(2027, 5, 31, 15, 0, tzinfo=UTC)


@pytest.fixture
def town(engine: Engine, clock: FixedClock) -> Town:
    return new_town(engine, clock)


def key(town: Town, role: Role) -> dict[str, str]:
    return {"Authorization": f"Bearer {town.coin.keys[role]}"}


def set_rules(town: Town, role: Role = Role.ISSUER, **rules: object):  # type: ignore[no-untyped-def]
    return town.client.post("/v1/coin_rules", json=rules, headers=key(town, role))


def seen(town: Town, resident: dict[str, str]) -> dict[str, object]:
    body: dict[str, object] = town.client.get(
        "/v1/wallet", headers=town.token(resident["resident_id"])
    ).json()
    return body


def municipality_receivable(town: Town) -> int:
    def read(conn):  # type: ignore[no-untyped-def]
        coin_id = town.coin.coin.id
        account = standard_account(conn, coin_id=coin_id, code=Standard.RECEIVABLE_MUNICIPALITY)
        return get_balance(conn, coin_id=coin_id, account_id=account.id).posted

    posted: int = run_in_transaction(town.engine, read)
    return posted


def test_one_percent_of_12345_is_123_points_expiring_six_months_on(town: Town) -> None:
    changed = set_rules(town, topup_bonus_bp=100)
    assert changed.status_code == 200, changed.text
    assert changed.json()["topup_bonus_bp"] == 100
    alice = town.sign_up()
    assert town.top_up(alice["wallet_id"], 12_345, "B-1").status_code == 201
    wallet = seen(town, alice)
    assert wallet["balance"] == {
        "total": 12_468,
        "available": 12_468,
        "money": 12_345,
        "premium": 0,
        "points": 123,
        "held": 0,
    }
    assert wallet["lots"] == [
        {"kind": "points", "amount": 123, "expires_at": BONUS_EXPIRY.isoformat()},
        {"kind": "money", "amount": 12_345, "expires_at": None},
    ]
    assert municipality_receivable(town) == 123
    bonus = run_in_transaction(
        town.engine,
        lambda c: c.execute(
            text("SELECT bonus FROM topups WHERE coin_id = :c AND reference = 'B-1'"),
            {"c": town.coin.coin.id},
        ).scalar_one(),
    )
    assert bonus == 123


def test_the_bonus_rounds_down_per_top_up(town: Town) -> None:
    set_rules(town, topup_bonus_bp=100)
    alice = town.sign_up()
    for n in range(3):
        assert town.top_up(alice["wallet_id"], 199, f"small-{n}").status_code == 201
    assert seen(town, alice)["balance"]["points"] == 3  # type: ignore[index]


def test_an_excluded_channel_earns_nothing(town: Town) -> None:
    assert set_rules(town, topup_bonus_bp=100, topup_bonus_excluded_channels=["atm"]).json()[
        "topup_bonus_excluded_channels"
    ] == ["atm"]
    alice = town.sign_up()
    assert town.top_up(alice["wallet_id"], 10_000, "A-1", channel="atm").status_code == 201
    assert seen(town, alice)["balance"]["points"] == 0  # type: ignore[index]
    assert town.top_up(alice["wallet_id"], 10_000, "C-1", channel="counter").status_code == 201
    assert seen(town, alice)["balance"]["points"] == 100  # type: ignore[index]


def test_a_retried_deposit_replays_even_after_the_rule_changed(town: Town) -> None:
    set_rules(town, topup_bonus_bp=100)
    alice = town.sign_up()
    first = town.top_up(alice["wallet_id"], 10_000, "R-1")
    set_rules(town, topup_bonus_bp=300)
    town.clock.advance(timedelta(days=40))
    again = town.top_up(alice["wallet_id"], 10_000, "R-1")
    assert (again.status_code, again.json()["id"]) == (201, first.json()["id"])
    assert seen(town, alice)["balance"]["points"] == 100  # type: ignore[index]


def test_bonus_points_count_toward_the_cap(town: Town) -> None:
    set_rules(town, topup_bonus_bp=100)
    alice = town.sign_up()
    refused = town.top_up(alice["wallet_id"], 99_500, "cap-1")
    assert (refused.status_code, refused.json()["code"]) == (422, "limit_exceeded")
    assert seen(town, alice)["balance"]["total"] == 0  # type: ignore[index]
    assert municipality_receivable(town) == 0
    assert town.top_up(alice["wallet_id"], 99_000, "cap-2").status_code == 201


def test_no_bonus_by_default(town: Town) -> None:
    alice = town.sign_up()
    assert town.top_up(alice["wallet_id"], 10_000, "D-1").status_code == 201
    assert seen(town, alice)["balance"]["points"] == 0  # type: ignore[index]


def test_a_change_keeps_the_rules_it_does_not_name(town: Town) -> None:
    before = town.client.get("/v1/coin_rules", headers=key(town, Role.ISSUER)).json()
    after = set_rules(town, Role.OPERATOR, basic_balance_cap=50_000).json()
    assert after == before | {"basic_balance_cap": 50_000}
    alice = town.sign_up()
    over = town.top_up(alice["wallet_id"], 50_001, "cap-3")
    assert (over.status_code, over.json()["code"]) == (422, "limit_exceeded")


def test_inconsistent_rules_are_refused(town: Town) -> None:
    refused = set_rules(town, basic_balance_cap=3_000_000)
    assert (refused.status_code, refused.json()["code"]) == (422, "rules_invalid")
    too_much = set_rules(town, topup_bonus_bp=10_001)
    assert [e["field"] for e in too_much.json()["errors"]] == ["topup_bonus_bp"]
    channel = set_rules(town, topup_bonus_excluded_channels=["bitcoin"])
    assert channel.json()["code"] == "validation_error"
    rules = town.client.get("/v1/coin_rules", headers=key(town, Role.ISSUER)).json()
    assert rules["basic_balance_cap"] == 100_000
    assert rules["topup_bonus_bp"] == 0


def test_only_the_issuer_or_operator_changes_its_own_coins_rules(
    town: Town, engine: Engine, clock: FixedClock
) -> None:
    as_city = set_rules(town, Role.MUNICIPALITY, topup_bonus_bp=100)
    assert (as_city.status_code, as_city.json()["code"]) == (403, "forbidden")
    resident = town.sign_up()
    as_resident = town.client.post(
        "/v1/coin_rules", json={"topup_bonus_bp": 100}, headers=town.token(resident["resident_id"])
    )
    assert as_resident.status_code == 401
    other = new_town(engine, clock)
    assert set_rules(other, topup_bonus_bp=500).status_code == 200
    mine = town.client.get("/v1/coin_rules", headers=key(town, Role.MUNICIPALITY)).json()
    assert mine["topup_bonus_bp"] == 0
