"""A business day of cash-outs for settlement tests: shops with coin, payouts asked, the cut-off passed."""

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import text

from ledger.unit_of_work import run_in_transaction
from merchant.payouts.payouts import Payout, PayoutSource, request_payout
from tests.conftest import T0
from tests.merchant.payments.test_charges import charge_from
from tests.merchant.shops import Shop, funded_resident, open_shop
from tests.wallet_api.test_residents_api import Town

# T0 is 2026-11-23 10:00 in Tokyo (勤労感謝の日, a Monday holiday): the batch
# of that date transfers on Tuesday the 24th.
DAY = date(2026, 11, 23)
TRANSFER_DAY = date(2026, 11, 24)
AFTER_CUT_OFF = T0 + timedelta(hours=6)  # 16:00 in Tokyo

ORIGINATOR = {
    "requester_code": "1234567890",
    "name": "テストシンキン",
    "bank_code": "0001",
    "branch_code": "001",
    "account_type": "ordinary",
    "account_number": "7654321",
}


@dataclass(frozen=True)
class Cashout:
    shop: Shop
    payout: Payout


def funded_shop(town: Town, takings: int, **shop: Any) -> Shop:
    """A shop a resident has paid ``takings`` coin."""
    opened = open_shop(town, **shop)
    payer = funded_resident(town, takings)
    charge_from(town, opened.merchant, payer.wallet_id, takings)
    return opened


def ask_payout(town: Town, shop: Shop, amount: int) -> Payout:
    payout: Payout = run_in_transaction(
        town.engine,
        lambda c: request_payout(
            c, merchant=shop.merchant, amount=amount, source=PayoutSource.REQUEST, at=T0
        ),
    )
    return payout


def cashouts(town: Town, amounts: list[int]) -> list[Cashout]:
    """One shop per amount, each asking to cash out that amount of its takings."""
    made = []
    for amount in amounts:
        shop = funded_shop(town, amount + 1_000)
        made.append(Cashout(shop, ask_payout(town, shop, amount)))
    return made


def set_originator(town: Town) -> None:
    response = town.client.post(
        "/v1/settlement/settings", json={"originator": ORIGINATOR}, headers=town.issuer()
    )
    assert response.status_code == 200, response.text


def close(town: Town, day: date = DAY, key: str | None = None) -> Any:
    extra = {} if key is None else {"Idempotency-Key": key}
    return town.client.post(
        "/v1/settlement/batches",
        json={"business_date": day.isoformat()},
        headers=town.issuer() | extra,
    )


def closed_batch(town: Town, day: date = DAY) -> dict[str, Any]:
    town.clock.set(AFTER_CUT_OFF)
    response = close(town, day)
    assert response.status_code == 201, response.text
    batch: dict[str, Any] = response.json()
    return batch


def exported_batch(town: Town) -> tuple[dict[str, Any], bytes]:
    set_originator(town)
    batch = closed_batch(town)
    response = town.client.get(
        f"/v1/settlement/batches/{batch['id']}/zengin", headers=town.issuer()
    )
    assert response.status_code == 200, response.text
    return batch, response.content


def balance(town: Town, account_id: int) -> tuple[int, int]:
    """(posted, held) of an account."""
    row = run_in_transaction(
        town.engine,
        lambda c: c.execute(
            text(
                "SELECT sum(posted), sum(held) FROM account_balances"
                " WHERE coin_id = :coin AND account_id = :acc"
            ),
            {"coin": town.coin.coin.id, "acc": account_id},
        ).one(),
    )
    return int(row[0]), int(row[1])


def standard_balance(town: Town, code: str) -> int:
    posted: int = run_in_transaction(
        town.engine,
        lambda c: c.execute(
            text(
                "SELECT sum(b.posted) FROM account_balances b JOIN accounts a"
                " ON a.coin_id = b.coin_id AND a.id = b.account_id"
                " WHERE a.coin_id = :coin AND a.code = :code"
            ),
            {"coin": town.coin.coin.id, "code": code},
        ).scalar_one(),
    )
    return posted


def payout_row(town: Town, payout_public_id: str) -> dict[str, Any]:
    row = run_in_transaction(
        town.engine,
        lambda c: (
            c.execute(
                text(
                    "SELECT status, batch_id, entry_id, result_entry_id, return_reason FROM payouts"
                    " WHERE public_id = :pid"
                ),
                {"pid": payout_public_id},
            )
            .mappings()
            .one()
        ),
    )
    return dict(row)
