"""Closing a day's batch: one entry per payout, idempotent, concurrent-safe, all or nothing."""

from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta

import pytest
from sqlalchemy import Engine, text

from kit.credentials import Role
from ledger.clock import FixedClock
from ledger.limits import HOLD_TTL_S_MAX
from ledger.unit_of_work import run_in_transaction
from merchant.payouts.payouts import PayoutSource, request_payout
from settlement import batches
from tests.conftest import T0
from tests.settlement.settlement_day import (
    AFTER_CUT_OFF,
    DAY,
    TRANSFER_DAY,
    ask_payout,
    balance,
    cashouts,
    close,
    closed_batch,
    funded_shop,
    payout_row,
    standard_balance,
)
from tests.wallet_api.test_residents_api import Town, new_town


@pytest.fixture
def town(engine: Engine, clock: FixedClock) -> Town:
    return new_town(engine, clock)


def entries_of_kind(town: Town, kind: str) -> list[dict]:  # type: ignore[type-arg]
    rows = run_in_transaction(
        town.engine,
        lambda c: (
            c.execute(
                text("SELECT id, metadata FROM entries WHERE coin_id = :coin AND kind = :kind"),
                {"coin": town.coin.coin.id, "kind": kind},
            )
            .mappings()
            .all()
        ),
    )
    return [dict(r) for r in rows]


def test_closing_moves_each_payout_to_the_payable_and_its_fee_to_revenue(town: Town) -> None:
    first, second = cashouts(town, [10_000, 5_000])
    batch = closed_batch(town)
    # 1.6% rounded down per payout: 160 and 80.
    assert batch["totals"] == {
        "count": 2,
        "amount": 15_000,
        "fee": 240,
        "net": 14_760,
        "canceled": 0,
    }
    assert (batch["status"], batch["business_date"], batch["transfer_date"]) == (
        "closed",
        DAY.isoformat(),
        TRANSFER_DAY.isoformat(),
    )
    assert batch["id"].startswith("stb_")
    assert [p["id"] for p in batch["payouts"]] == [first.payout.public_id, second.payout.public_id]
    assert {p["status"] for p in batch["payouts"]} == {"in_batch"}
    assert [(e["from"], e["to"]) for e in batch["events"]] == [(None, "open"), ("open", "closed")]
    assert standard_balance(town, "payable:payout") == 14_760
    assert standard_balance(town, "revenue:fees") == 240
    # The merchant kept its other 1,000; nothing is held any more.
    assert balance(town, first.shop.merchant.account_id) == (1_000, 0)
    closes = entries_of_kind(town, "payout.close")
    assert len(closes) == 2
    assert {e["metadata"]["payout"] for e in closes} == {
        first.payout.public_id,
        second.payout.public_id,
    }
    assert closes[0]["metadata"]["merchant"] == first.shop.merchant.public_id
    row = payout_row(town, first.payout.public_id)
    assert row["status"] == "in_batch" and row["entry_id"] in {e["id"] for e in closes}


def test_a_payout_after_the_cut_off_waits_for_the_next_day(town: Town) -> None:
    (early,) = cashouts(town, [3_000])
    late_shop = funded_shop(town, 5_000)
    town.clock.set(AFTER_CUT_OFF)
    late = run_in_transaction(
        town.engine,
        lambda c: request_payout(
            c,
            merchant=late_shop.merchant,
            amount=2_000,
            source=PayoutSource.REQUEST,
            at=AFTER_CUT_OFF,
        ),
    )
    batch = close(town).json()
    assert [p["id"] for p in batch["payouts"]] == [early.payout.public_id]
    assert payout_row(town, late.public_id)["status"] == "pending"
    town.clock.set(AFTER_CUT_OFF + timedelta(days=1))
    next_day = close(town, DAY + timedelta(days=1)).json()
    assert [p["id"] for p in next_day["payouts"]] == [late.public_id]
    assert next_day["transfer_date"] == "2026-11-25"


def test_closing_before_the_cut_off_is_refused_and_changes_nothing(town: Town) -> None:
    cashouts(town, [3_000])
    refused = close(town)  # 10:00 in Tokyo, before 15:00
    assert (refused.status_code, refused.json()["code"]) == (409, "cut_off_not_reached")
    listed = town.client.get("/v1/settlement/batches", headers=town.issuer()).json()
    assert listed == {"data": [], "has_more": False}


def test_a_later_cut_off_set_by_the_issuer_moves_the_boundary(town: Town) -> None:
    set_cut_off = town.client.post(
        "/v1/settlement/settings", json={"cut_off": "17:30"}, headers=town.issuer()
    )
    assert set_cut_off.json()["cut_off"] == "17:30"
    cashouts(town, [3_000])
    town.clock.set(AFTER_CUT_OFF)  # 16:00 in Tokyo
    assert close(town).json()["code"] == "cut_off_not_reached"
    town.clock.set(T0 + timedelta(hours=8))  # 18:00
    batch = close(town).json()
    assert batch["cut_off_at"] == "2026-11-23T08:30:00+00:00"
    assert batch["totals"]["count"] == 1


def test_closing_again_changes_nothing_and_returns_the_same_batch(town: Town) -> None:
    cashouts(town, [4_000])
    first = closed_batch(town)
    again = close(town)
    assert again.status_code == 200
    assert again.json() == first
    assert len(entries_of_kind(town, "payout.close")) == 1


def test_a_replayed_idempotency_key_returns_the_first_answer(town: Town) -> None:
    cashouts(town, [4_000])
    town.clock.set(AFTER_CUT_OFF)
    first = close(town, key="close-1")
    replay = close(town, key="close-1")
    assert (first.status_code, replay.status_code) == (201, 201)
    assert replay.json() == first.json()
    assert replay.headers["Idempotent-Replayed"] == "true"
    other = close(town, DAY - timedelta(days=1), key="close-1")
    assert (other.status_code, other.json()["code"]) == (422, "idempotency_key_reused")


def test_two_closers_at_once_close_it_once(town: Town) -> None:
    cashouts(town, [1_000, 2_000, 3_000])
    town.clock.set(AFTER_CUT_OFF)
    with ThreadPoolExecutor(max_workers=2) as pool:
        answers = list(pool.map(lambda _: close(town), range(2)))
    assert sorted(a.status_code for a in answers) == [200, 201]
    assert answers[0].json()["id"] == answers[1].json()["id"]
    assert len(entries_of_kind(town, "payout.close")) == 3
    assert standard_balance(town, "payable:payout") == 1_000 + 2_000 + 3_000 - (16 + 32 + 48)


def test_a_crash_halfway_through_closing_leaves_the_old_state(
    town: Town, monkeypatch: pytest.MonkeyPatch
) -> None:
    made = cashouts(town, [1_000, 2_000, 3_000])
    real = batches.close_payout
    calls = []

    def crash_on_second(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("power cut")
        return real(*args, **kwargs)

    monkeypatch.setattr(batches, "close_payout", crash_on_second)
    town.clock.set(AFTER_CUT_OFF)
    with pytest.raises(RuntimeError, match="power cut"):
        close(town)
    assert len(calls) == 2
    assert entries_of_kind(town, "payout.close") == []
    assert {payout_row(town, c.payout.public_id)["status"] for c in made} == {"pending"}
    assert balance(town, made[0].shop.merchant.account_id) == (2_000, 1_000)
    count = run_in_transaction(
        town.engine,
        lambda c: c.execute(
            text("SELECT count(*) FROM settlement_batches WHERE coin_id = :coin"),
            {"coin": town.coin.coin.id},
        ).scalar_one(),
    )
    assert count == 0
    monkeypatch.setattr(batches, "close_payout", real)
    resumed = close(town)
    assert resumed.status_code == 201
    assert resumed.json()["totals"]["count"] == 3
    assert len(entries_of_kind(town, "payout.close")) == 3


def test_a_payout_whose_hold_lapsed_is_canceled_and_listed(town: Town) -> None:
    shop = funded_shop(town, 5_000)
    lapsed = ask_payout(town, shop, 2_000)
    late_day = DAY + timedelta(days=91)
    # The hold lasts HOLD_TTL_S_MAX (90 days); the batch 91 days later finds it lapsed.
    assert timedelta(days=91) > timedelta(seconds=HOLD_TTL_S_MAX)
    town.clock.set(AFTER_CUT_OFF + timedelta(days=91))
    batch = close(town, late_day).json()
    assert batch["totals"]["count"] == 0 and batch["totals"]["canceled"] == 1
    assert [(p["id"], p["status"]) for p in batch["payouts"]] == [(lapsed.public_id, "canceled")]
    assert balance(town, shop.merchant.account_id) == (5_000, 0)
    assert entries_of_kind(town, "payout.close") == []


def test_another_coins_batch_is_not_found(town: Town, engine: Engine, clock: FixedClock) -> None:
    cashouts(town, [1_000])
    batch = closed_batch(town)
    other = new_town(engine, clock)
    for path in ("", "/zengin", "/reconciliation"):
        seen = other.client.get(
            f"/v1/settlement/batches/{batch['id']}{path}", headers=other.issuer()
        )
        assert (seen.status_code, seen.json()["code"]) == (404, "batch_not_found")
    assert other.client.get("/v1/settlement/batches", headers=other.issuer()).json()["data"] == []


def test_only_the_issuer_may_close(town: Town) -> None:
    town.clock.set(AFTER_CUT_OFF)
    municipality = {"Authorization": f"Bearer {town.coin.keys[Role.MUNICIPALITY]}"}
    refused = town.client.post(
        "/v1/settlement/batches", json={"business_date": DAY.isoformat()}, headers=municipality
    )
    assert (refused.status_code, refused.json()["code"]) == (403, "forbidden")


def test_a_bad_date_is_a_problem_and_nothing_is_made(town: Town) -> None:
    town.clock.set(AFTER_CUT_OFF)
    bad = town.client.post(
        "/v1/settlement/batches", json={"business_date": "2026-13-01"}, headers=town.issuer()
    )
    assert (bad.status_code, bad.json()["code"]) == (422, "validation_error")
    far = close(town, date(2020, 1, 6))
    assert (far.status_code, far.json()["code"]) == (422, "business_date_invalid")
    assert town.client.get("/v1/settlement/batches", headers=town.issuer()).json()["data"] == []


def test_batches_are_listed_latest_first_in_pages(town: Town) -> None:
    town.clock.set(AFTER_CUT_OFF + timedelta(days=3))
    made = [close(town, DAY + timedelta(days=n)).json() for n in range(3)]
    page = town.client.get("/v1/settlement/batches?limit=2", headers=town.issuer()).json()
    assert [b["id"] for b in page["data"]] == [made[2]["id"], made[1]["id"]]
    assert page["has_more"] is True
    rest = town.client.get(
        f"/v1/settlement/batches?limit=2&starting_after={made[1]['id']}", headers=town.issuer()
    ).json()
    assert ([b["id"] for b in rest["data"]], rest["has_more"]) == ([made[0]["id"]], False)
    # 11/24 (Tue) transfers on 11/25; 11/25 on 11/26.
    assert [b["transfer_date"] for b in page["data"]] == ["2026-11-26", "2026-11-25"]
    one = town.client.get(f"/v1/settlement/batches/{made[0]['id']}", headers=town.issuer())
    assert one.json() == made[0]
