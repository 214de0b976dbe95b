"""Card top-ups with Stripe: nothing is credited until a signed webhook says the card was paid."""

import socket
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from ledger.chart import Standard
from ledger.clock import FixedClock
from ledger.entries import EntryRequest, credit, debit, post_entry
from ledger.unit_of_work import run_in_transaction
from localcoin.app import create_app
from tests.fakes.stripe_server import FakeStripe, signed_event
from tests.wallet_api.test_residents_api import FAST_PINS, Town, new_town
from wallet_api.card_topups import CARD_STARTS_PER_HOUR

WEBHOOK_SECRET = "whsec_test_card_topups"


@pytest.fixture
def stripe_fake() -> Iterator[FakeStripe]:
    with FakeStripe() as fake:
        yield fake


@pytest.fixture
def town(engine: Engine, clock: FixedClock, stripe_fake: FakeStripe) -> Town:
    town = new_town(engine, clock)
    settings = FAST_PINS.model_copy(
        update={"stripe_api_base": stripe_fake.url, "stripe_webhook_secret": WEBHOOK_SECRET}
    )
    town.client = TestClient(create_app(engine, clock, run_sealer=False, settings=settings))
    return town


def start(town: Town, headers: dict[str, str], amount: int, key: str | None = None) -> Any:
    extra = {"Idempotency-Key": key} if key else {}
    return town.client.post(
        "/v1/wallet/card_topups", json={"amount": amount}, headers=headers | extra
    )


def deliver(
    town: Town,
    event_type: str,
    obj: dict[str, Any],
    *,
    secret: str = WEBHOOK_SECRET,
    event_id: str | None = None,
) -> Any:
    body, signature = signed_event(secret, event_type, obj, event_id)
    return town.client.post(
        "/v1/stripe/webhook",
        content=body,
        headers={"Stripe-Signature": signature, "Content-Type": "application/json"},
    )


def balance(town: Town, headers: dict[str, str]) -> dict[str, int]:
    result: dict[str, int] = town.client.get("/v1/wallet", headers=headers).json()["balance"]
    return result


def status(town: Town, topup_id: str) -> str:
    with town.engine.connect() as conn:
        found: str = conn.execute(
            text("SELECT status FROM card_topups WHERE public_id = :p"), {"p": topup_id}
        ).scalar_one()
        return found


@pytest.fixture
def resident(town: Town) -> dict[str, str]:
    created = town.sign_up()
    return town.token(created["resident_id"])


def test_a_paid_card_top_up_credits_money_once(
    town: Town, resident: dict[str, str], stripe_fake: FakeStripe
) -> None:
    started = start(town, resident, 3_000)
    assert started.status_code == 201
    assert started.json()["client_secret"].startswith("pi_")
    assert balance(town, resident)["total"] == 0  # nothing before Stripe confirms
    (intent,) = stripe_fake.intents.values()
    assert (intent["amount"], intent["currency"]) == (3_000, "jpy")
    assert stripe_fake.requests[0]["key"] == started.json()["id"]

    paid = intent | {"status": "succeeded"}
    first = deliver(town, "payment_intent.succeeded", paid, event_id="evt_paid_1")
    assert first.json()["outcome"] == "credited"
    again = deliver(town, "payment_intent.succeeded", paid, event_id="evt_paid_1")
    assert again.json()["outcome"] == "duplicate"
    redelivered = deliver(town, "payment_intent.succeeded", paid, event_id="evt_paid_2")
    assert redelivered.json()["outcome"] == "already_settled"
    assert balance(town, resident)["money"] == 3_000
    assert status(town, started.json()["id"]) == "succeeded"


def test_a_bad_signature_credits_nothing(
    town: Town, resident: dict[str, str], stripe_fake: FakeStripe
) -> None:
    start(town, resident, 3_000)
    (intent,) = stripe_fake.intents.values()
    forged = deliver(
        town,
        "payment_intent.succeeded",
        intent | {"status": "succeeded"},
        secret="whsec_someone_else",
    )
    assert (forged.status_code, forged.json()["code"]) == (400, "signature_invalid")
    unsigned = town.client.post("/v1/stripe/webhook", content=b'{"id": "evt_x"}')
    assert unsigned.status_code == 400
    assert balance(town, resident)["total"] == 0


def test_a_failed_payment_moves_nothing(
    town: Town, resident: dict[str, str], stripe_fake: FakeStripe
) -> None:
    started = start(town, resident, 3_000)
    (intent,) = stripe_fake.intents.values()
    assert deliver(town, "payment_intent.payment_failed", intent).json()["outcome"] == "failed"
    assert deliver(town, "payment_intent.succeeded", intent).json()["outcome"] == "already_settled"
    assert balance(town, resident)["total"] == 0
    assert status(town, started.json()["id"]) == "failed"


def test_a_refunded_charge_takes_the_coin_back(
    town: Town, resident: dict[str, str], stripe_fake: FakeStripe
) -> None:
    started = start(town, resident, 3_000)
    (intent,) = stripe_fake.intents.values()
    deliver(town, "payment_intent.succeeded", intent)
    charge = {
        "id": "ch_1",
        "object": "charge",
        "payment_intent": intent["id"],
        "amount_refunded": 3_000,
    }
    assert deliver(town, "charge.refunded", charge).json()["outcome"] == "taken_back"
    assert balance(town, resident)["total"] == 0
    assert status(town, started.json()["id"]) == "refunded"


def test_a_refund_of_coin_already_spent_is_flagged_not_forced(
    town: Town, resident: dict[str, str], stripe_fake: FakeStripe
) -> None:
    started = start(town, resident, 3_000)
    (intent,) = stripe_fake.intents.values()
    deliver(town, "payment_intent.succeeded", intent)
    # The resident spends part of it: move 1,000 out of the wallet in the books.
    with town.engine.begin() as conn:
        wallet_account = conn.execute(
            text(
                "SELECT w.account_id FROM card_topups t JOIN wallets w ON w.coin_id = t.coin_id"
                " AND w.id = t.wallet_id WHERE t.public_id = :p"
            ),
            {"p": started.json()["id"]},
        ).scalar_one()
    breakage = run_in_transaction(
        town.engine,
        lambda c: c.execute(
            text("SELECT id FROM accounts WHERE coin_id = :c AND code = :code"),
            {"c": town.coin.coin.id, "code": Standard.REVENUE_BREAKAGE.value},
        ).scalar_one(),
    )
    run_in_transaction(
        town.engine,
        lambda c: post_entry(
            c,
            coin_id=town.coin.coin.id,
            request=EntryRequest(
                "test.spend", [debit(wallet_account, 1_000), credit(breakage, 1_000)]
            ),
            posted_at=town.clock.now(),
        ),
    )
    charge = {
        "id": "ch_2",
        "object": "charge",
        "payment_intent": intent["id"],
        "amount_refunded": 3_000,
    }
    assert deliver(town, "charge.refunded", charge).json()["outcome"] == "shortfall"
    assert balance(town, resident)["total"] == 2_000
    assert status(town, started.json()["id"]) == "refund_shortfall"


def test_a_card_top_up_beyond_the_cap_is_refused_before_charging(
    town: Town, resident: dict[str, str], stripe_fake: FakeStripe
) -> None:
    refused = start(town, resident, 100_001)
    assert (refused.status_code, refused.json()["code"]) == (422, "limit_exceeded")
    assert stripe_fake.intents == {}


def test_a_paid_top_up_the_cap_no_longer_allows_waits_for_a_refund(
    town: Town, resident: dict[str, str], stripe_fake: FakeStripe
) -> None:
    started = start(town, resident, 60_000)
    (intent,) = stripe_fake.intents.values()
    wallet_id = town.client.get("/v1/wallet", headers=resident).json()["wallet_id"]
    assert town.top_up(wallet_id, 50_000, "counter-9").status_code == 201
    outcome = deliver(town, "payment_intent.succeeded", intent).json()["outcome"]
    assert outcome == "refund_required"
    assert balance(town, resident)["total"] == 50_000
    assert status(town, started.json()["id"]) == "refund_required"


def test_a_retried_start_makes_one_payment_intent(
    town: Town, resident: dict[str, str], stripe_fake: FakeStripe
) -> None:
    first = start(town, resident, 1_000, key="card-1")
    again = start(town, resident, 1_000, key="card-1")
    # The same top-up; Stripe's client secret was handed out once and is not kept.
    assert again.json() == {**first.json(), "client_secret": "secret_not_shown_again"}
    assert len(stripe_fake.intents) == 1


def test_an_unreachable_card_processor_is_a_502_that_leaves_the_key_free(
    engine: Engine, clock: FixedClock, town: Town, resident: dict[str, str]
) -> None:
    unreachable = FAST_PINS.model_copy(
        update={"stripe_api_base": f"http://127.0.0.1:{_closed_port()}"}
    )
    offline = TestClient(create_app(engine, clock, run_sealer=False, settings=unreachable))
    offline.app.state.stripe_client.max_network_retries = 0  # type: ignore[attr-defined]
    headers = resident | {"Idempotency-Key": "card-topup-offline"}
    before = _card_topups(engine)

    refused = offline.post("/v1/wallet/card_topups", json={"amount": 3_000}, headers=headers)

    assert refused.status_code == 502
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["code"] == "card_processor_unavailable"
    assert _card_topups(engine) == before
    # Stripe is back: the app's retry under the same key runs, it is not the 502 again.
    retried = start(town, resident, 3_000, key="card-topup-offline")
    assert retried.status_code == 201, retried.text
    assert "Idempotent-Replayed" not in retried.headers


def _card_topups(engine: Engine) -> int:
    with engine.connect() as conn:
        count: int = conn.execute(text("SELECT count(*) FROM card_topups")).scalar_one()
        return count


def _closed_port() -> int:
    """A loopback port nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def test_partial_refunds_take_back_each_refunded_part_once(
    town: Town, resident: dict[str, str], stripe_fake: FakeStripe
) -> None:
    started = start(town, resident, 3_000)
    (intent,) = stripe_fake.intents.values()
    deliver(town, "payment_intent.succeeded", intent)
    charge = {"id": "ch_2", "object": "charge", "payment_intent": intent["id"]}
    first = deliver(town, "charge.refunded", charge | {"amount_refunded": 1_000})
    assert first.json()["outcome"] == "partly_taken_back"
    assert balance(town, resident)["money"] == 2_000
    assert status(town, started.json()["id"]) == "succeeded"
    # Stripe's amounts are cumulative: the next event takes back only what is new.
    second = deliver(town, "charge.refunded", charge | {"amount_refunded": 2_500})
    assert second.json()["outcome"] == "partly_taken_back"
    assert balance(town, resident)["money"] == 500
    last = deliver(town, "charge.refunded", charge | {"amount_refunded": 3_000})
    assert last.json()["outcome"] == "taken_back"
    assert balance(town, resident)["money"] == 0
    assert status(town, started.json()["id"]) == "refunded"


def test_card_top_ups_count_toward_the_daily_top_up_limit(
    town: Town, stripe_fake: FakeStripe
) -> None:
    created = town.sign_up()
    headers = town.token(created["resident_id"])
    town.client.post("/v1/coin_rules", json={"daily_topup_max": 5_000}, headers=town.issuer())
    assert start(town, headers, 4_000).status_code == 201
    over = start(town, headers, 1_001)
    assert (over.status_code, over.json()["code"]) == (422, "limit_exceeded")
    # And a counter top-up the same day sees the card's 4,000.
    counter = town.top_up(created["wallet_id"], 1_001, "counter-after-card")
    assert (counter.status_code, counter.json()["code"]) == (422, "limit_exceeded")
    assert town.top_up(created["wallet_id"], 1_000, "counter-after-card-2").status_code == 201


def test_a_resident_starts_a_bounded_number_of_card_payments_an_hour(
    town: Town, stripe_fake: FakeStripe
) -> None:
    resident_id = town.sign_up()["resident_id"]
    headers = town.token(resident_id)
    for _ in range(CARD_STARTS_PER_HOUR):
        assert start(town, headers, 100).status_code == 201
    refused = start(town, headers, 100)
    assert (refused.status_code, refused.json()["code"]) == (429, "rate_limited")
    assert len(stripe_fake.intents) == CARD_STARTS_PER_HOUR
    town.clock.advance(timedelta(hours=1, seconds=1))
    assert start(town, town.token(resident_id), 100).status_code == 201


def spend(town: Town, topup_id: str, amount: int) -> None:
    """The resident spends ``amount`` of the wallet (in the books, to breakage)."""

    def post(c: Any) -> None:
        wallet_account = c.execute(
            text(
                "SELECT w.account_id FROM card_topups t JOIN wallets w ON w.coin_id = t.coin_id"
                " AND w.id = t.wallet_id WHERE t.public_id = :p"
            ),
            {"p": topup_id},
        ).scalar_one()
        breakage = c.execute(
            text("SELECT id FROM accounts WHERE coin_id = :c AND code = :code"),
            {"c": town.coin.coin.id, "code": Standard.REVENUE_BREAKAGE.value},
        ).scalar_one()
        post_entry(
            c,
            coin_id=town.coin.coin.id,
            request=EntryRequest(
                "test.spend", [debit(wallet_account, amount), credit(breakage, amount)]
            ),
            posted_at=town.clock.now(),
        )

    run_in_transaction(town.engine, post)


def dispute(intent: dict[str, Any], status_: str = "needs_response") -> dict[str, Any]:
    return {
        "id": "dp_1",
        "object": "dispute",
        "charge": "ch_1",
        "payment_intent": intent["id"],
        "amount": intent["amount"],
        "status": status_,
    }


def attention(town: Town) -> list[dict[str, Any]]:
    listed = town.client.get("/v1/card_topups/needing_attention", headers=town.issuer())
    assert listed.status_code == 200, listed.text
    rows: list[dict[str, Any]] = listed.json()["data"]
    return rows


def test_a_disputed_card_top_up_is_frozen_and_a_won_dispute_releases_it(
    town: Town, resident: dict[str, str], stripe_fake: FakeStripe
) -> None:
    started = start(town, resident, 3_000)
    (intent,) = stripe_fake.intents.values()
    deliver(town, "payment_intent.succeeded", intent)
    opened = deliver(town, "charge.dispute.created", dispute(intent))
    assert opened.json()["outcome"] == "frozen"
    shown = balance(town, resident)
    assert (shown["total"], shown["available"], shown["held"]) == (3_000, 0, 3_000)
    assert status(town, started.json()["id"]) == "disputed"
    (flagged,) = attention(town)
    assert (flagged["id"], flagged["status"], flagged["frozen"]) == (
        started.json()["id"],
        "disputed",
        3_000,
    )
    won = deliver(town, "charge.dispute.closed", dispute(intent, "won"))
    assert won.json()["outcome"] == "released"
    assert balance(town, resident)["available"] == 3_000
    assert status(town, started.json()["id"]) == "succeeded"
    assert attention(town) == []


def test_a_lost_dispute_takes_the_frozen_coin_back(
    town: Town, resident: dict[str, str], stripe_fake: FakeStripe
) -> None:
    started = start(town, resident, 3_000)
    (intent,) = stripe_fake.intents.values()
    deliver(town, "payment_intent.succeeded", intent)
    deliver(town, "charge.dispute.created", dispute(intent))
    lost = deliver(town, "charge.dispute.closed", dispute(intent, "lost"))
    assert lost.json()["outcome"] == "charged_back"
    assert balance(town, resident) == {
        "total": 0,
        "available": 0,
        "money": 0,
        "premium": 0,
        "points": 0,
        "held": 0,
    }
    assert status(town, started.json()["id"]) == "charged_back"
    # The receivable the card top-up opened is closed again: the card network has the yen.
    again = deliver(town, "charge.dispute.closed", dispute(intent, "lost"), event_id="evt_again")
    assert again.json()["outcome"] == "not_disputed"


def test_coin_spent_before_the_dispute_is_flagged_and_the_rest_taken_back(
    town: Town, resident: dict[str, str], stripe_fake: FakeStripe
) -> None:
    started = start(town, resident, 3_000)
    (intent,) = stripe_fake.intents.values()
    deliver(town, "payment_intent.succeeded", intent)
    spend(town, started.json()["id"], 1_000)
    assert deliver(town, "charge.dispute.created", dispute(intent)).json()["outcome"] == (
        "partly_frozen"
    )
    assert balance(town, resident)["available"] == 0
    lost = deliver(town, "charge.dispute.closed", dispute(intent, "lost"))
    assert lost.json()["outcome"] == "shortfall"
    assert balance(town, resident)["total"] == 0
    (flagged,) = attention(town)
    assert (flagged["status"], flagged["refunded_amount"], flagged["frozen"]) == (
        "refund_shortfall",
        2_000,
        0,
    )


def test_a_resident_cannot_see_the_card_top_ups_needing_attention(
    town: Town, resident: dict[str, str]
) -> None:
    """Who else may (the bank and the operator only) is tests/attacks/route_access.py's row."""
    assert town.client.get("/v1/card_topups/needing_attention", headers=resident).status_code == 401
    assert town.client.get("/v1/card_topups/needing_attention").status_code == 401
