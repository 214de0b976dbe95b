"""The database itself refuses a second delivery of an event to an endpoint, and incoherent rows."""

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import IntegrityError

from ledger.clock import FixedClock
from ledger.unit_of_work import run_in_transaction
from tests.merchant.shops import open_shop
from tests.merchant.webhook_receiver import running_receiver
from tests.merchant.webhook_town import add_endpoint, emit, run_pass, webhook_town

COPY = (
    "INSERT INTO webhook_deliveries (coin_id, public_id, event_id, endpoint_id, round,"
    " status, next_attempt_at, give_up_at, created_at)"
    " SELECT coin_id, :pid, event_id, endpoint_id, :round, :status, :next, give_up_at, created_at"
    " FROM webhook_deliveries WHERE coin_id = :coin"
)


@pytest.mark.parametrize(
    ("round_", "status", "next_at"),
    [
        (0, "pending", "2026-11-23T01:00:00Z"),  # the same round again
        (5, "pending", None),  # pending but never due
        (5, "sent", "2026-11-23T01:00:00Z"),  # not a status
        (-1, "pending", "2026-11-23T01:00:00Z"),
    ],
)
def test_the_database_refuses_what_python_never_writes(
    engine: Engine, clock: FixedClock, round_: int, status: str, next_at: str | None
) -> None:
    town = webhook_town(engine, clock)
    shop = open_shop(town)
    with running_receiver() as receiver:
        add_endpoint(town, shop, receiver.url)
        emit(town, shop)
        run_pass(town)
    with pytest.raises(IntegrityError):
        run_in_transaction(
            engine,
            lambda c: c.execute(
                text(COPY),
                {
                    "pid": "whd_" + "x" * 20,
                    "round": round_,
                    "status": status,
                    "next": next_at,
                    "coin": shop.merchant.coin_id,
                },
            ),
        )
