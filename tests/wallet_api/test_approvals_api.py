"""Four eyes on money creation: approvals, the points budget and each key's daily ceiling."""

from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy
from sqlalchemy import Engine, text

from kit.credentials import Role
from ledger.clock import FixedClock
from ledger.unit_of_work import run_in_transaction
from tests.wallet_api.test_residents_api import Town, new_town


@pytest.fixture
def town(engine: Engine, clock: FixedClock) -> Town:
    return new_town(engine, clock)


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def clerk(town: Town, role: str, label: str) -> dict[str, str]:
    """A named key of the role, made by the coin's first key of that role's rank."""
    maker = town.issuer() if role != "operator" else bearer(town.coin.keys[Role.OPERATOR])
    made = town.client.post("/v1/api_keys", json={"role": role, "label": label}, headers=maker)
    assert made.status_code == 201, made.text
    return bearer(made.json()["key"])


def set_rules(town: Town, **rules: object) -> dict[str, Any]:
    response = town.client.post("/v1/coin_rules", json=rules, headers=town.issuer())
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


def verified_wallet(town: Town) -> str:
    created = town.sign_up()
    verified = town.client.post(
        f"/v1/residents/{created['resident_id']}/verify",
        json={"method": "my_number_card", "reference": "KYC"},
        headers=town.issuer(),
    )
    assert verified.status_code == 200
    return created["wallet_id"]


def top_up(town: Town, headers: dict[str, str], wallet_id: str, amount: int, ref: str):  # type: ignore[no-untyped-def]
    body = {"wallet_id": wallet_id, "amount": amount, "channel": "counter", "reference": ref}
    return town.client.post("/v1/topups", json=body, headers=headers)


def total(town: Town, wallet_id: str) -> int:
    value: int = run_in_transaction(
        town.engine,
        lambda c: c.execute(
            text(
                "SELECT b.posted FROM wallets w JOIN account_balances b"
                " ON b.coin_id = w.coin_id AND b.account_id = w.account_id"
                " WHERE w.public_id = :w"
            ),
            {"w": wallet_id},
        ).scalar_one(),
    )
    return value


def test_a_large_top_up_waits_for_a_second_key_and_then_moves_once(town: Town) -> None:
    wallet = verified_wallet(town)
    maker, checker = clerk(town, "issuer", "窓口 佐藤"), clerk(town, "issuer", "役席 高橋")
    asked = top_up(town, maker, wallet, 300_001, "BIG-1")
    assert asked.status_code == 202, asked.text
    pending = asked.json()
    assert pending["status"] == "pending_approval" and pending["approval_id"].startswith("apr_")
    assert total(town, wallet) == 0
    queue = town.client.get("/v1/approvals?status=pending", headers=checker).json()["data"]
    assert [a["id"] for a in queue] == [pending["approval_id"]]

    path = f"/v1/approvals/{pending['approval_id']}"
    own = town.client.post(f"{path}/approve", headers=maker)
    assert (own.status_code, own.json()["code"]) == (403, "approval_by_maker")
    assert total(town, wallet) == 0

    approved = town.client.post(f"{path}/approve", headers=checker)
    assert approved.status_code == 200, approved.text
    decided = approved.json()
    assert decided["status"] == "approved" and decided["decided_by"] != decided["requested_by"]
    assert decided["result"]["amount"] == 300_001 and decided["result"]["reference"] == "BIG-1"
    assert total(town, wallet) == 300_001
    again = town.client.post(f"{path}/approve", headers=town.issuer())
    assert (again.status_code, again.json()["code"]) == (409, "approval_decided")
    assert total(town, wallet) == 300_001
    # The top-up is on record as the maker's: the named key that asked for it.
    recorded_by = run_in_transaction(
        town.engine,
        lambda c: c.execute(
            text(
                "SELECT 'key_' || k.prefix FROM topups t JOIN api_keys k"
                " ON k.coin_id = t.coin_id AND k.id = t.recorded_by WHERE t.reference = 'BIG-1'"
                " AND t.coin_id = :c"
            ),
            {"c": town.coin.coin.id},
        ).scalar_one(),
    )
    assert recorded_by == decided["requested_by"]


def test_a_rejected_issuance_moves_nothing_and_keeps_the_reason(town: Town) -> None:
    wallet = verified_wallet(town)
    maker = clerk(town, "issuer", "窓口 伊藤")
    pending = top_up(town, maker, wallet, 400_000, "BIG-2").json()
    rejected = town.client.post(
        f"/v1/approvals/{pending['approval_id']}/reject",
        json={"reason": "入金が確認できない"},
        headers=town.issuer(),
    )
    assert rejected.status_code == 200, rejected.text
    assert (rejected.json()["status"], rejected.json()["reason"]) == (
        "rejected",
        "入金が確認できない",
    )
    late = town.client.post(
        f"/v1/approvals/{pending['approval_id']}/approve", headers=town.issuer()
    )
    assert (late.status_code, late.json()["code"]) == (409, "approval_decided")
    assert total(town, wallet) == 0


def test_a_request_that_would_be_refused_is_refused_at_once_not_queued(town: Town) -> None:
    basic = town.sign_up()["wallet_id"]  # a basic wallet holds at most 100,000
    refused = top_up(town, town.issuer(), basic, 300_001, "BIG-3")
    assert (refused.status_code, refused.json()["code"]) == (422, "limit_exceeded")
    queue = town.client.get("/v1/approvals", headers=town.issuer()).json()["data"]
    assert queue == []


def test_an_approval_that_no_longer_holds_fails_with_its_code_and_moves_nothing(
    town: Town,
) -> None:
    wallet = verified_wallet(town)
    maker = clerk(town, "issuer", "窓口 渡辺")
    pending = top_up(town, maker, wallet, 350_000, "BIG-4").json()
    # Meanwhile the wallet reached its cap for the day.
    set_rules(town, daily_topup_max=400_000)
    assert top_up(town, town.issuer(), wallet, 100_000, "SMALL-1").status_code == 201
    approved = town.client.post(
        f"/v1/approvals/{pending['approval_id']}/approve", headers=town.issuer()
    )
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "failed"
    assert approved.json()["error"]["code"] == "limit_exceeded"
    assert total(town, wallet) == 100_000


def test_points_grants_are_the_municipalitys_to_approve_and_hidden_from_the_bank(
    town: Town,
) -> None:
    wallets = [verified_wallet(town) for _ in range(4)]
    city = bearer(town.coin.keys[Role.MUNICIPALITY])
    second = clerk(town, "municipality", "市 商工課 森")
    grant = {
        "wallet_ids": wallets,
        "amount": 80_000,
        "reason": "子育て応援",
        "expires_at": (town.clock.now() + timedelta(days=90)).isoformat(),
    }
    asked = town.client.post("/v1/points/grants", json=grant, headers=city)
    assert asked.status_code == 202, asked.text
    approval_id = asked.json()["approval_id"]
    assert asked.json()["amount"] == 320_000
    hidden = town.client.post(f"/v1/approvals/{approval_id}/approve", headers=town.issuer())
    assert hidden.status_code == 404
    assert town.client.get("/v1/approvals", headers=town.issuer()).json()["data"] == []
    approved = town.client.post(f"/v1/approvals/{approval_id}/approve", headers=second)
    assert approved.json()["status"] == "approved", approved.text
    assert [total(town, w) for w in wallets] == [80_000] * 4


def test_the_database_refuses_a_decision_by_the_key_that_asked(town: Town) -> None:
    wallet = verified_wallet(town)
    pending = top_up(town, town.issuer(), wallet, 300_001, "BIG-5").json()

    def self_approve(conn: sqlalchemy.Connection) -> None:
        conn.execute(
            text(
                "UPDATE approvals SET status = 'rejected', decided_by = requested_by,"
                " decided_at = now() WHERE public_id = :p"
            ),
            {"p": pending["approval_id"]},
        )

    with pytest.raises(sqlalchemy.exc.IntegrityError, match="approvals_four_eyes"):
        run_in_transaction(town.engine, self_approve)


def test_the_points_budget_caps_what_the_city_may_grant_in_all(town: Town) -> None:
    wallet = verified_wallet(town)
    city = bearer(town.coin.keys[Role.MUNICIPALITY])
    rules = set_rules(town, points_budget=1_000)
    assert (rules["points_budget"], rules["points_granted"]) == (1_000, 0)

    def grant(amount: int):  # type: ignore[no-untyped-def]
        body = {
            "wallet_ids": [wallet],
            "amount": amount,
            "reason": "健康ポイント",
            "expires_at": (town.clock.now() + timedelta(days=30)).isoformat(),
        }
        return town.client.post("/v1/points/grants", json=body, headers=city)

    assert grant(600).status_code == 201
    refused = grant(401)
    assert (refused.status_code, refused.json()["code"]) == (422, "points_budget_exceeded")
    assert grant(400).status_code == 201
    read = town.client.get("/v1/coin_rules", headers=city).json()
    assert read["points_granted"] == 1_000
    assert total(town, wallet) == 1_000


def test_a_key_issues_at_most_the_daily_ceiling_and_the_next_day_starts_afresh(
    town: Town,
) -> None:
    wallet = verified_wallet(town)
    set_rules(town, daily_issuance_max_per_key=10_000)
    sato, suzuki = clerk(town, "issuer", "佐藤"), clerk(town, "issuer", "鈴木")
    assert top_up(town, sato, wallet, 6_000, "D-1").status_code == 201
    refused = top_up(town, sato, wallet, 4_001, "D-2")
    assert (refused.status_code, refused.json()["code"]) == (422, "issuance_ceiling_exceeded")
    assert top_up(town, suzuki, wallet, 4_001, "D-3").status_code == 201
    town.clock.advance(timedelta(days=1))
    assert top_up(town, sato, wallet, 4_001, "D-4").status_code == 201
    assert total(town, wallet) == 14_002


def test_an_unknown_approval_is_not_found(town: Town) -> None:
    for answer in (
        town.client.get("/v1/approvals/apr_nope", headers=town.issuer()),
        town.client.post("/v1/approvals/apr_nope/approve", headers=town.issuer()),
    ):
        assert (answer.status_code, answer.json()["code"]) == (404, "approval_not_found")


def campaign(name: str, *, price: int, face_value: int, units: int) -> dict[str, object]:
    return {
        "name": name,
        "price": price,
        "face_value": face_value,
        "per_resident_limit": 1,
        "total_units": units,
        "starts_at": "2030-12-01T09:00:00+09:00",
        "ends_at": "2030-12-31T17:00:00+09:00",
        "premium_expires_at": "2031-06-30T23:59:00+09:00",
    }


def campaign_names(town: Town, headers: dict[str, str]) -> list[str]:
    listed = town.client.get("/v1/premium_campaigns", headers=headers).json()["data"]
    return [c["name"] for c in listed]


def test_a_campaign_whose_premium_passes_the_threshold_waits_for_a_second_city_key(
    town: Town,
) -> None:
    maker = clerk(town, "municipality", "商工観光課 伊藤")
    checker = clerk(town, "municipality", "商工観光課長 渡辺")
    small = town.client.post(
        "/v1/premium_campaigns",
        json=campaign("小さな商品券", price=10_000, face_value=12_000, units=150),
        headers=maker,
    )
    assert small.status_code == 201, small.text  # 300,000 of premium: at the threshold
    asked = town.client.post(
        "/v1/premium_campaigns",
        json=campaign("年末商品券", price=10_000, face_value=12_000, units=151),
        headers=maker,
    )
    assert asked.status_code == 202, asked.text
    assert (asked.json()["kind"], asked.json()["amount"]) == ("premium_campaign", 302_000)
    assert campaign_names(town, checker) == ["小さな商品券"]
    own = town.client.post(f"/v1/approvals/{asked.json()['approval_id']}/approve", headers=maker)
    assert (own.status_code, own.json()["code"]) == (403, "approval_by_maker")
    bank = town.client.post(
        f"/v1/approvals/{asked.json()['approval_id']}/approve", headers=town.issuer()
    )
    assert bank.status_code in (403, 404)
    approved = town.client.post(
        f"/v1/approvals/{asked.json()['approval_id']}/approve", headers=checker
    )
    assert approved.json()["status"] == "approved", approved.text
    assert sorted(campaign_names(town, checker)) == ["小さな商品券", "年末商品券"]
    # The campaign is on record as the maker's, not the approver's.
    makers = run_in_transaction(
        town.engine,
        lambda c: c.execute(
            text(
                "SELECT p.name, k.label FROM premium_campaigns p JOIN api_keys k"
                " ON k.coin_id = p.coin_id AND k.id = p.created_by WHERE p.coin_id = :coin"
                " ORDER BY p.id"
            ),
            {"coin": town.coin.coin.id},
        ).all(),
    )
    assert [(r.name, r.label) for r in makers] == [
        ("小さな商品券", "商工観光課 伊藤"),
        ("年末商品券", "商工観光課 伊藤"),
    ]
