"""Cash-out requests: the coin held for the batch, the fee fixed at the request."""

import pytest
from sqlalchemy import Engine

from ledger.accounts import get_balance as balance_of
from ledger.clock import FixedClock
from ledger.errors import Code, LedgerError
from ledger.unit_of_work import run_in_transaction
from merchant.payouts.payouts import PayoutSource, request_payout
from tests.conftest import T0
from tests.merchant.payments.test_charges import charge_from
from tests.merchant.shops import funded_resident, open_shop
from tests.wallet_api.test_residents_api import Town, new_town


@pytest.fixture
def town(engine: Engine, clock: FixedClock) -> Town:
    return new_town(engine, clock)


def test_a_cash_out_request_holds_the_coin_and_fixes_its_fee(town: Town) -> None:
    shop = open_shop(town)
    payer = funded_resident(town, 20_000)
    charge_from(town, shop.merchant, payer.wallet_id, 10_000)
    payout = run_in_transaction(
        town.engine,
        lambda c: request_payout(
            c, merchant=shop.merchant, amount=9_999, source=PayoutSource.REQUEST, at=T0
        ),
    )
    # 1.6% of 9,999 is 159.98: rounded down to 159.
    assert (payout.fee, payout.net, payout.status.value) == (160, 9_839, "pending")
    balance = run_in_transaction(
        town.engine,
        lambda c: balance_of(c, coin_id=town.coin.coin.id, account_id=shop.merchant.account_id),
    )
    assert (balance.posted, balance.held, balance.available) == (10_000, 9_999, 1)
    with pytest.raises(LedgerError) as refused:
        run_in_transaction(
            town.engine,
            lambda c: request_payout(
                c, merchant=shop.merchant, amount=500, source=PayoutSource.REQUEST, at=T0
            ),
        )
    assert refused.value.code is Code.INSUFFICIENT_FUNDS
