"""Delivering webhooks to a real receiver: signatures, retries on the clock, giving up, crashes, races."""

import itertools
import json
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from kit.sealed_secrets import SecretBox, secret_box
from ledger.clock import FixedClock
from ledger.unit_of_work import run_in_transaction
from localcoin.app import create_app
from merchant.payments.charges import Source, record_charge
from merchant.webhooks import event_log
from merchant.webhooks.delivery import (
    BREAKER_FAILURES,
    BREAKER_PAUSE_FIRST,
    GIVE_UP_AFTER,
    LEASE,
    RETRY_MAX,
    Outcome,
    claim_due,
    fan_out,
    record_outcome,
    retry_delay,
)
from merchant.webhooks.endpoints import SECRET_PURPOSE
from merchant.webhooks.signing import SignatureError, verify
from tests.conftest import T0
from tests.merchant.shops import Shop, funded_resident, open_shop
from tests.merchant.webhook_receiver import Received, running_receiver
from tests.merchant.webhook_town import PRIVATE_OK, add_endpoint, emit, run_pass, webhook_town
from tests.wallet_api.test_residents_api import Town
from wallet_api.residents import find_wallet
from wallet_api.rules import get_rules


@pytest.fixture
def town(engine: Engine, clock: FixedClock) -> Town:
    return webhook_town(engine, clock)


def event_view(town: Town, shop: Shop, event_id: str) -> dict:  # type: ignore[type-arg]
    response = town.client.get(f"/v1/events/{event_id}", headers=shop.headers)
    assert response.status_code == 200, response.text
    view: dict = response.json()  # type: ignore[type-arg]
    return view


def checked(received: Received, secret: str, now: datetime) -> dict:  # type: ignore[type-arg]
    """What a careful integrator does: verify the signature, then parse."""
    verify(secret, received.headers["localcoin-signature"], received.body, int(now.timestamp()))
    body: dict = json.loads(received.body)  # type: ignore[type-arg]
    return body


def test_a_charge_is_delivered_signed_and_the_receiver_verifies_it(town: Town) -> None:
    shop = open_shop(town)
    payer = funded_resident(town, 1_000)
    with running_receiver() as receiver:
        endpoint = add_endpoint(town, shop, receiver.url, ["charge.succeeded"])
        coin_id = town.coin.coin.id

        def pay(conn):  # type: ignore[no-untyped-def]
            wallet = find_wallet(conn, coin_id=coin_id, wallet_public_id=payer.wallet_id)
            return record_charge(
                conn,
                rules=get_rules(conn, coin_id=coin_id),
                merchant=shop.merchant,
                wallet=wallet,
                amount=300,
                source=Source.STATIC_QR,
                at=town.clock.now(),
            )

        charge = run_in_transaction(town.engine, pay)
        run_pass(town)
    [received] = receiver.received
    body = checked(received, endpoint["secret"], town.clock.now())
    assert body["type"] == "charge.succeeded"
    assert body["data"]["id"] == charge.public_id
    assert set(body) == {"id", "type", "created", "data"}
    assert received.headers["localcoin-event-id"] == body["id"]
    with pytest.raises(SignatureError):
        verify("whsec_" + "x" * 43, received.headers["localcoin-signature"], received.body, 0)
    [delivery] = event_view(town, shop, body["id"])["deliveries"]
    assert (delivery["status"], delivery["attempt_count"], delivery["endpoint_id"]) == (
        "delivered",
        1,
        endpoint["id"],
    )
    assert [a["status_code"] for a in delivery["attempts"]] == [200]


def test_a_failing_receiver_is_retried_on_schedule_until_it_answers(town: Town) -> None:
    shop = open_shop(town)
    with running_receiver(statuses=[500, 503, 500]) as receiver:
        add_endpoint(town, shop, receiver.url)
        event = emit(town, shop)
        run_pass(town)
        town.clock.advance(timedelta(seconds=59))
        run_pass(town)  # not yet due
        assert len(receiver.received) == 1
        for wait in (timedelta(seconds=1), timedelta(minutes=2), timedelta(minutes=4)):
            town.clock.advance(wait)
            run_pass(town)
        assert receiver.event_ids() == [event.public_id] * 4
    [delivery] = event_view(town, shop, event.public_id)["deliveries"]
    assert delivery["status"] == "delivered"
    assert [(a["attempted_at"], a["status_code"]) for a in delivery["attempts"]] == [
        ((T0 + timedelta(minutes=m)).isoformat(), code)
        for m, code in ((0, 500), (1, 503), (3, 500), (7, 200))
    ]


def test_delivery_gives_up_three_days_after_the_event(town: Town) -> None:
    shop = open_shop(town)
    with running_receiver(then=500) as receiver:
        add_endpoint(town, shop, receiver.url)
        event = emit(town, shop)
        run_pass(town)
        for _ in range(60):
            [delivery] = event_view(town, shop, event.public_id)["deliveries"]
            if delivery["status"] != "pending":
                break
            town.clock.set(datetime.fromisoformat(delivery["next_attempt_at"]))
            run_pass(town)
        town.clock.advance(timedelta(days=1))
        run_pass(town)
        sent = len(receiver.received)
    assert delivery["status"] == "failed"
    times = [datetime.fromisoformat(a["attempted_at"]) for a in delivery["attempts"]]
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert gaps[:4] == [timedelta(minutes=m) for m in (1, 2, 4, 8)]
    assert max(gaps) == RETRY_MAX
    assert times[-1] == T0 + GIVE_UP_AFTER
    assert sent == len(times)  # nothing after giving up


def test_an_event_committed_before_a_crash_is_delivered_by_the_next_run(town: Town) -> None:
    shop = open_shop(town)
    with running_receiver() as receiver:
        add_endpoint(town, shop, receiver.url)
        # The charge's transaction committed its event; the process died before
        # any worker ran. A new process's worker finds it in the outbox.
        event = emit(town, shop)
        assert receiver.received == []
        run_pass(town)
    assert receiver.event_ids() == [event.public_id]


def test_a_delivery_claimed_by_a_dead_worker_is_retried_after_its_lease(town: Town) -> None:
    shop = open_shop(town)
    with running_receiver() as receiver:
        add_endpoint(town, shop, receiver.url)
        event = emit(town, shop)
        run_pass(town)  # fans out and delivers the first
        second = emit(town, shop)
        run_in_transaction(town.engine, lambda c: fan_out(c, at=town.clock.now()))
        [dead] = [
            c
            for c in run_in_transaction(town.engine, lambda c: claim_due(c, at=town.clock.now()))
            if c.event_public_id == second.public_id
        ]
        # The worker that claimed it died before sending.
        run_pass(town)
        assert receiver.event_ids() == [event.public_id]
        town.clock.advance(LEASE)
        run_pass(town)
        assert receiver.event_ids() == [event.public_id, second.public_id]
        # The dead worker waking up late cannot move the delivery back.
        late = run_in_transaction(
            town.engine,
            lambda c: record_outcome(c, dead, Outcome(500, None, 1), at=town.clock.now()),
        )
    assert late == "lease_lost"
    [delivery] = event_view(town, shop, second.public_id)["deliveries"]
    assert (delivery["status"], delivery["attempt_count"]) == ("delivered", 2)


def test_an_endpoint_whose_secret_cannot_be_opened_does_not_hold_up_the_others(
    town: Town,
) -> None:
    stuck, other = open_shop(town), open_shop(town)
    with running_receiver() as receiver:
        stuck_endpoint = add_endpoint(town, stuck, receiver.url)
        add_endpoint(town, other, receiver.url)

        def reseal(box: SecretBox) -> None:
            run_in_transaction(
                town.engine,
                lambda c: c.execute(
                    text("UPDATE webhook_endpoints SET secret = :s WHERE public_id = :p"),
                    {
                        "s": box.seal(stuck_endpoint["secret"], purpose=SECRET_PURPOSE),
                        "p": stuck_endpoint["id"],
                    },
                ),
            )

        # Sealed under a key this server was not given (a botched key rollout).
        reseal(SecretBox("a-key-this-server-does-not-hold-Qw8Zr3Lm5Xp1"))
        waiting, sent = emit(town, stuck), emit(town, other)
        run_pass(town)
        assert receiver.event_ids() == [sent.public_id]
        reseal(secret_box())  # the operator configures the key
        town.clock.advance(LEASE)
        run_pass(town)
        assert receiver.event_ids() == [sent.public_id, waiting.public_id]


def test_two_workers_at_once_deliver_each_event_once(town: Town) -> None:
    shop = open_shop(town)
    with running_receiver() as receiver:
        add_endpoint(town, shop, receiver.url)
        events = [emit(town, shop, data={"n": n}) for n in range(40)]
        start = threading.Barrier(2)

        def worker(_: int) -> None:
            start.wait()
            run_pass(town)

        with ThreadPoolExecutor(2) as pool:
            list(pool.map(worker, range(2)))
        run_pass(town)
    assert sorted(receiver.event_ids()) == sorted(e.public_id for e in events)
    rows = run_in_transaction(
        town.engine,
        lambda c: c.execute(
            text(
                "SELECT count(*), count(DISTINCT event_id) FROM webhook_deliveries"
                " WHERE coin_id = :coin"
            ),
            {"coin": town.coin.coin.id},
        ).one(),
    )
    assert tuple(rows) == (40, 40)


def test_a_replay_is_a_new_visible_delivery_even_after_success(town: Town) -> None:
    shop = open_shop(town)
    with running_receiver() as receiver:
        add_endpoint(town, shop, receiver.url)
        event = emit(town, shop)
        run_pass(town)
        town.clock.advance(timedelta(hours=1))
        replay = town.client.post(f"/v1/events/{event.public_id}/redeliver", headers=shop.headers)
        assert replay.status_code == 202, replay.text
        [queued] = replay.json()["data"]
        assert (queued["round"], queued["status"], queued["attempts"]) == (1, "pending", [])
        run_pass(town)
    assert receiver.event_ids() == [event.public_id] * 2
    deliveries = event_view(town, shop, event.public_id)["deliveries"]
    assert [(d["round"], d["status"], len(d["attempts"])) for d in deliveries] == [
        (0, "delivered", 1),
        (1, "delivered", 1),
    ]
    assert deliveries[1]["attempts"][0]["attempted_at"] == (T0 + timedelta(hours=1)).isoformat()


def test_another_merchant_can_neither_see_nor_replay_your_events(town: Town) -> None:
    shop, stranger = open_shop(town), open_shop(town)
    with running_receiver() as receiver:
        endpoint = add_endpoint(town, shop, receiver.url)
        event = emit(town, shop)
        run_pass(town)
    for path in (f"/v1/events/{event.public_id}", f"/v1/webhook_endpoints/{endpoint['id']}"):
        seen = town.client.get(path, headers=stranger.headers)
        assert seen.status_code == 404, path
    deliveries = town.client.get(
        f"/v1/webhook_endpoints/{endpoint['id']}/deliveries", headers=stranger.headers
    )
    assert (deliveries.status_code, deliveries.json()["code"]) == (
        404,
        "webhook_endpoint_not_found",
    )
    replay = town.client.post(f"/v1/events/{event.public_id}/redeliver", headers=stranger.headers)
    assert (replay.status_code, replay.json()["code"]) == (404, "event_not_found")
    assert town.client.get("/v1/events", headers=stranger.headers).json()["data"] == []
    assert len(event_view(town, shop, event.public_id)["deliveries"]) == 1


def test_events_and_deliveries_are_listed_newest_first_a_page_at_a_time(town: Town) -> None:
    shop = open_shop(town)
    with running_receiver() as receiver:
        endpoint = add_endpoint(town, shop, receiver.url)
        events = [emit(town, shop, data={"n": n}) for n in range(3)]
        run_pass(town)
    first = town.client.get("/v1/events", params={"limit": 2}, headers=shop.headers).json()
    assert [e["id"] for e in first["data"]] == [events[2].public_id, events[1].public_id]
    assert first["has_more"] is True
    rest = town.client.get(
        "/v1/events",
        params={"limit": 2, "starting_after": first["data"][-1]["id"]},
        headers=shop.headers,
    ).json()
    assert ([e["id"] for e in rest["data"]], rest["has_more"]) == ([events[0].public_id], False)
    deliveries = town.client.get(
        f"/v1/webhook_endpoints/{endpoint['id']}/deliveries", headers=shop.headers
    ).json()
    assert [d["event_id"] for d in deliveries["data"]] == [e.public_id for e in reversed(events)]
    assert all(d["status"] == "delivered" for d in deliveries["data"])
    bad = town.client.get("/v1/events", params={"starting_after": "evt_nope"}, headers=shop.headers)
    assert (bad.status_code, bad.json()["code"]) == (422, "cursor_invalid")


def test_only_subscribed_enabled_endpoints_get_an_event(town: Town) -> None:
    shop = open_shop(town)
    with running_receiver() as charges, running_receiver() as payouts, running_receiver() as gone:
        add_endpoint(town, shop, charges.url, ["charge.succeeded", "charge.refunded"])
        add_endpoint(town, shop, payouts.url, ["payout.paid"])
        disabled = add_endpoint(town, shop, gone.url)
        off = town.client.post(
            f"/v1/webhook_endpoints/{disabled['id']}/disable", headers=shop.headers
        )
        assert (off.status_code, off.json()["status"]) == (200, "disabled")
        refunded = emit(town, shop, "charge.refunded")
        paid = emit(town, shop, "payout.paid")
        run_pass(town)
    assert charges.event_ids() == [refunded.public_id]
    assert payouts.event_ids() == [paid.public_id]
    assert gone.received == []


def test_disabling_an_endpoint_cancels_its_pending_retries(town: Town) -> None:
    shop = open_shop(town)
    with running_receiver(then=500) as receiver:
        endpoint = add_endpoint(town, shop, receiver.url)
        event = emit(town, shop)
        run_pass(town)
        town.client.post(f"/v1/webhook_endpoints/{endpoint['id']}/disable", headers=shop.headers)
        town.clock.advance(timedelta(hours=1))
        run_pass(town)
    assert len(receiver.received) == 1
    [delivery] = event_view(town, shop, event.public_id)["deliveries"]
    assert (delivery["status"], delivery["next_attempt_at"]) == ("canceled", None)
    replay = town.client.post(f"/v1/events/{event.public_id}/redeliver", headers=shop.headers)
    assert (replay.status_code, replay.json()["code"]) == (409, "webhook_endpoint_none")


def test_after_a_rotation_both_secrets_sign_for_a_day(town: Town) -> None:
    shop = open_shop(town)
    with running_receiver() as receiver:
        endpoint = add_endpoint(town, shop, receiver.url)
        rotated = town.client.post(
            f"/v1/webhook_endpoints/{endpoint['id']}/rotate_secret", headers=shop.headers
        ).json()
        assert rotated["secret"] != endpoint["secret"]
        emit(town, shop)
        run_pass(town)
        town.clock.advance(timedelta(days=1))
        emit(town, shop)
        run_pass(town)
    during, after = receiver.received
    now = int(town.clock.now().timestamp())
    for secret in (endpoint["secret"], rotated["secret"]):
        verify(secret, during.headers["localcoin-signature"], during.body, now - 86400)
    verify(rotated["secret"], after.headers["localcoin-signature"], after.body, now)
    with pytest.raises(SignatureError) as old:
        verify(endpoint["secret"], after.headers["localcoin-signature"], after.body, now)
    assert old.value.code == "signature_mismatch"


def test_the_backoff_doubles_from_a_minute_and_is_capped() -> None:
    assert [retry_delay(n) for n in (1, 2, 3)] == [timedelta(minutes=m) for m in (1, 2, 4)]
    assert retry_delay(100) == RETRY_MAX


def test_the_app_runs_the_worker_beside_the_api(engine: Engine, clock: FixedClock) -> None:
    town = webhook_town(engine, clock)
    shop = open_shop(town)
    app = create_app(engine, clock, settings=PRIVATE_OK)
    with running_receiver() as receiver, TestClient(app):
        add_endpoint(town, shop, receiver.url)
        event = emit(town, shop)
        assert receiver.arrived.wait(timeout=30)
    assert receiver.event_ids() == [event.public_id]


def test_an_endpoint_failing_again_and_again_rests_then_resumes(town: Town) -> None:
    shop = open_shop(town)
    with running_receiver(statuses=[500] * BREAKER_FAILURES, then=200) as receiver:
        endpoint = add_endpoint(town, shop, receiver.url)
        first = emit(town, shop)
        for n in range(1, BREAKER_FAILURES + 1):
            run_pass(town)
            if n < BREAKER_FAILURES:
                town.clock.advance(retry_delay(n))
        shown = town.client.get(f"/v1/webhook_endpoints/{endpoint['id']}", headers=shop.headers)
        paused_until = town.clock.now() + BREAKER_PAUSE_FIRST
        assert (shown.json()["consecutive_failures"], shown.json()["paused_until"]) == (
            BREAKER_FAILURES,
            paused_until.isoformat(),
        )
        # A new event waits while the endpoint rests; nothing is sent to it.
        second = emit(town, shop)
        town.clock.advance(BREAKER_PAUSE_FIRST - timedelta(seconds=1))
        run_pass(town)
        assert len(receiver.received) == BREAKER_FAILURES
        town.clock.advance(timedelta(seconds=1))
        run_pass(town)
        assert receiver.event_ids()[BREAKER_FAILURES:] == [second.public_id]
        town.clock.advance(retry_delay(BREAKER_FAILURES))
        run_pass(town)
        assert receiver.event_ids()[-1] == first.public_id
    shown = town.client.get(f"/v1/webhook_endpoints/{endpoint['id']}", headers=shop.headers)
    assert (shown.json()["consecutive_failures"], shown.json()["paused_until"]) == (0, None)


def test_replays_are_limited_per_endpoint_and_hour(
    town: Town, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(event_log, "REDELIVERIES_PER_WINDOW", 2)
    shop = open_shop(town)
    add_endpoint(town, shop, "http://127.0.0.1:9/hooks")
    event = emit(town, shop)
    run_pass(town)  # its first delivery (nothing listens on port 9)
    path = f"/v1/events/{event.public_id}/redeliver"
    assert [town.client.post(path, headers=shop.headers).status_code for _ in range(2)] == [202] * 2
    refused = town.client.post(path, headers=shop.headers)
    assert (refused.status_code, refused.json().get("code")) == (429, "rate_limited"), refused.text
    town.clock.advance(timedelta(hours=1, seconds=1))
    assert town.client.post(path, headers=shop.headers).status_code == 202
