"""The operator's view of a coin's books."""

from fastapi import APIRouter, Request
from sqlalchemy import Connection

from kit.auth import OperatorKey
from ledger.accounts import get_balance, sum_balances
from ledger.chart import Standard, standard_account
from ledger.coins import get_coin
from ledger.unit_of_work import run_in_transaction
from localcoin.operator_schemas import LedgerSummary, Outstanding

router = APIRouter(prefix="/v1", tags=["operator"])


@router.get("/ledger/summary", response_model=LedgerSummary)
def ledger_summary(request: Request, key: OperatorKey) -> LedgerSummary:
    def read(conn: Connection) -> LedgerSummary:
        coin = get_coin(conn, key.coin_id)
        residents = sum_balances(conn, coin_id=coin.id, code_prefix="wallet:resident:")
        merchants = sum_balances(conn, coin_id=coin.id, code_prefix="wallet:merchant:")

        def balance(code: Standard) -> int:
            account = standard_account(conn, coin_id=coin.id, code=code)
            return get_balance(conn, coin_id=coin.id, account_id=account.id).posted

        return LedgerSummary(
            coin=coin.code,
            outstanding=Outstanding(
                residents=residents, merchants=merchants, total=residents + merchants
            ),
            reserve=balance(Standard.RESERVE_BANK),
            fees=balance(Standard.REVENUE_FEES),
            breakage=balance(Standard.REVENUE_BREAKAGE),
        )

    return run_in_transaction(request.app.state.engine, read)
