"""Recording a charge: one entry, the fee by the merchant's plan, its event in the outbox."""

import pytest
from sqlalchemy import Engine, text

from kit.problems import Problem
from ledger.accounts import get_balance
from ledger.chart import Standard, standard_account
from ledger.clock import FixedClock
from ledger.errors import Code, LedgerError
from ledger.unit_of_work import run_in_transaction
from merchant.payments.charges import Source, record_charge
from tests.conftest import T0
from tests.merchant.shops import funded_resident, open_shop
from tests.wallet_api.test_residents_api import FAST_PINS, Town, new_town
from wallet_api.residents import find_wallet
from wallet_api.rules import get_rules

assert FAST_PINS


@pytest.fixture
def town(engine: Engine, clock: FixedClock) -> Town:
    return new_town(engine, clock)


def charge_from(town: Town, shop_merchant, wallet_id: str, amount: int):  # type: ignore[no-untyped-def]
    coin_id = town.coin.coin.id

    def work(conn):  # type: ignore[no-untyped-def]
        wallet = find_wallet(conn, coin_id=coin_id, wallet_public_id=wallet_id)
        return record_charge(
            conn,
            rules=get_rules(conn, coin_id=coin_id),
            merchant=shop_merchant,
            wallet=wallet,
            amount=amount,
            source=Source.STATIC_QR,
            at=T0,
        )

    return run_in_transaction(town.engine, work)


def test_a_charge_moves_coin_to_the_merchant_less_its_fee_and_reports_it(town: Town) -> None:
    coin_id = town.coin.coin.id
    run_in_transaction(
        town.engine,
        lambda c: c.execute(
            text("UPDATE fee_plans SET payment_bp = 125 WHERE coin_id = :c"), {"c": coin_id}
        ),
    )
    shop = open_shop(town)
    payer = funded_resident(town, 5_000)
    charge = charge_from(town, shop.merchant, payer.wallet_id, 999)
    # 999 * 1.25% = 12.4875: rounded down to 12.
    assert (charge.amount, charge.fee, charge.status) == (999, 12, "succeeded")

    def look(conn):  # type: ignore[no-untyped-def]
        fees = standard_account(conn, coin_id=coin_id, code=Standard.REVENUE_FEES)
        events = conn.execute(
            text("SELECT type, data->>'id' FROM webhook_events WHERE coin_id = :c"),
            {"c": coin_id},
        ).all()
        return (
            get_balance(conn, coin_id=coin_id, account_id=shop.merchant.account_id).posted,
            get_balance(conn, coin_id=coin_id, account_id=fees.id).posted,
            [tuple(e) for e in events],
        )

    assert run_in_transaction(town.engine, look) == (
        987,
        12,
        [("charge.succeeded", charge.public_id)],
    )


def test_a_refused_charge_leaves_no_row_and_no_event(town: Town) -> None:
    shop = open_shop(town)
    payer = funded_resident(town, 100)
    with pytest.raises(LedgerError) as refused:
        charge_from(town, shop.merchant, payer.wallet_id, 101)
    assert refused.value.code is Code.INSUFFICIENT_FUNDS
    counts = run_in_transaction(
        town.engine,
        lambda c: c.execute(
            text(
                "SELECT (SELECT count(*) FROM charges WHERE coin_id = :c),"
                " (SELECT count(*) FROM webhook_events WHERE coin_id = :c)"
            ),
            {"c": town.coin.coin.id},
        ).one(),
    )
    assert tuple(counts) == (0, 0)


def test_a_payment_above_the_coins_largest_is_refused(town: Town) -> None:
    shop = open_shop(town)
    payer = funded_resident(town, 1_000)
    with pytest.raises(Problem) as refused:
        charge_from(town, shop.merchant, payer.wallet_id, 500_001)
    assert refused.value.code == "limit_exceeded"
