"""BtoB: a merchant pays another of the same coin; the fee comes out of what the receiver gets."""

import pytest
from httpx import Response
from sqlalchemy import Engine, text

from ledger.clock import FixedClock
from ledger.unit_of_work import run_in_transaction
from tests.merchant.shops import Shop, funded_resident, open_shop
from tests.merchant.tills import (
    charged,
    count_rows,
    fees_posted,
    merchant_posted,
    set_fee,
    terminal_headers,
)
from tests.wallet_api.test_residents_api import Town, new_town


@pytest.fixture
def town(engine: Engine, clock: FixedClock) -> Town:
    return new_town(engine, clock)


def send(
    town: Town, headers: dict[str, str], to: str, amount: int, key: str | None = None
) -> Response:
    sent = headers if key is None else {**headers, "Idempotency-Key": key}
    response: Response = town.client.post(
        "/v1/merchant/transfers", json={"to_merchant_id": to, "amount": amount}, headers=sent
    )
    return response


def code_of(response: Response) -> tuple[int, str]:
    return response.status_code, response.json()["code"]


def funded_shop(town: Town, amount: int) -> Shop:
    shop = open_shop(town)
    charged(town, shop, funded_resident(town, amount), amount)
    return shop


def test_the_receiver_gets_the_amount_less_the_btob_fee(town: Town) -> None:
    sender, supplier = funded_shop(town, 20_000), open_shop(town, name="問屋")
    response = send(town, sender.headers, supplier.merchant.public_id, 10_099)
    assert response.status_code == 201, response.text
    body = response.json()
    # The standard 0.5% of 10,099 is 50.495: rounded down to 50.
    assert {k: body[k] for k in ("amount", "fee", "net", "direction")} == {
        "amount": 10_099,
        "fee": 51,
        "net": 10_048,
        "direction": "sent",
    }
    assert body["id"].startswith("mtr_")
    assert merchant_posted(town, sender) == 20_000 - 10_099
    assert merchant_posted(town, supplier) == 10_048
    assert fees_posted(town) == 51
    metadata = run_in_transaction(
        town.engine,
        lambda c: c.execute(
            text("SELECT metadata FROM entries WHERE coin_id = :coin AND kind = 'btob'"),
            {"coin": town.coin.coin.id},
        ).scalar_one(),
    )
    assert (metadata["merchant"], metadata["to_merchant"]) == (
        sender.merchant.public_id,
        supplier.merchant.public_id,
    )


def test_both_merchants_see_it_in_their_lists(town: Town) -> None:
    sender, supplier = funded_shop(town, 5_000), open_shop(town)
    first = send(town, sender.headers, supplier.merchant.public_id, 1_000).json()
    back = send(town, supplier.headers, sender.merchant.public_id, 500).json()
    sent_list = town.client.get("/v1/merchant/transfers", headers=sender.headers).json()
    assert [(t["id"], t["direction"]) for t in sent_list["data"]] == [
        (back["id"], "received"),
        (first["id"], "sent"),
    ]
    page = town.client.get("/v1/merchant/transfers?limit=1", headers=supplier.headers).json()
    assert page["has_more"] is True and page["data"][0]["direction"] == "sent"
    outsider = open_shop(town)
    empty = town.client.get("/v1/merchant/transfers", headers=outsider.headers).json()
    assert empty == {"data": [], "has_more": False}


def test_refusals_leave_the_books_alone(town: Town, engine: Engine, clock: FixedClock) -> None:
    sender, supplier = funded_shop(town, 1_000), open_shop(town)
    foreign = open_shop(new_town(engine, clock))
    assert code_of(send(town, sender.headers, foreign.merchant.public_id, 100)) == (
        404,
        "merchant_not_found",
    )
    assert code_of(send(town, sender.headers, sender.merchant.public_id, 100)) == (
        422,
        "transfer_to_self",
    )
    assert code_of(send(town, sender.headers, supplier.merchant.public_id, 1_001)) == (
        402,
        "insufficient_funds",
    )
    # 0.5% of 1 rounds up to all of it: too small to send.
    assert code_of(send(town, sender.headers, supplier.merchant.public_id, 1)) == (
        422,
        "transfer_below_fee",
    )
    till = terminal_headers(town, sender)
    assert code_of(send(town, till, supplier.merchant.public_id, 100)) == (
        403,
        "terminal_key_not_allowed",
    )
    # Every attempt was refused, the 1 yen one included (all fee): nothing moved.
    assert count_rows(town, "merchant_transfers") == 0
    assert merchant_posted(town, sender) == 1_000


def test_a_transfer_that_would_be_all_fee_is_refused(town: Town) -> None:
    sender, supplier = funded_shop(town, 1_000), open_shop(town)
    set_fee(town, sender, "btob_bp", 10_000)
    response = send(town, sender.headers, supplier.merchant.public_id, 100)
    assert code_of(response) == (422, "transfer_below_fee")
    assert merchant_posted(town, sender) == 1_000


def test_a_suspended_receiver_is_refused(town: Town) -> None:
    sender, supplier = funded_shop(town, 1_000), open_shop(town)
    run_in_transaction(
        town.engine,
        lambda c: c.execute(
            text("UPDATE merchants SET status = 'suspended' WHERE coin_id = :coin AND id = :id"),
            {"coin": supplier.merchant.coin_id, "id": supplier.merchant.id},
        ),
    )
    response = send(town, sender.headers, supplier.merchant.public_id, 100)
    assert code_of(response) == (403, "merchant_suspended")
    assert merchant_posted(town, sender) == 1_000


def test_a_retried_transfer_with_its_key_moves_once(town: Town) -> None:
    sender, supplier = funded_shop(town, 1_000), open_shop(town)
    first = send(town, sender.headers, supplier.merchant.public_id, 400, key="b-1")
    again = send(town, sender.headers, supplier.merchant.public_id, 400, key="b-1")
    assert first.status_code == again.status_code == 201
    assert first.json()["id"] == again.json()["id"]
    assert merchant_posted(town, sender) == 600


def test_a_transfer_below_the_coins_minimum_is_refused(town: Town) -> None:
    sender, supplier = funded_shop(town, 1_000), open_shop(town)
    town.client.post("/v1/coin_rules", json={"btob_min": 300}, headers=town.issuer())
    assert code_of(send(town, sender.headers, supplier.merchant.public_id, 299)) == (
        422,
        "transfer_below_minimum",
    )
    assert send(town, sender.headers, supplier.merchant.public_id, 300).status_code == 201
