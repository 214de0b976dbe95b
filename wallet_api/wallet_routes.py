"""Opening a wallet in another coin: one resident, the coins of several towns."""

from fastapi import APIRouter, Request

from kit.auth import CurrentResident
from kit.errors import Code
from kit.idempotency import Db, IdempotentRoute
from kit.refusal_docs import refusals
from ledger.clock import Clock
from wallet_api.resident_coins import coin_by_code
from wallet_api.residents import open_wallet
from wallet_api.transfer_schemas import WalletCreate, WalletOpened

router = APIRouter(route_class=IdempotentRoute, tags=["residents"])


@router.post(
    "/wallets",
    status_code=201,
    response_model=WalletOpened,
    responses=refusals(Code.COIN_NOT_FOUND, Code.WALLET_EXISTS),
)
def create_wallet(
    body: WalletCreate, db: Db, resident_id: CurrentResident, request: Request
) -> WalletOpened:
    """Opens the resident's basic wallet in another coin. Its balance, caps and
    rules are that coin's; the tier starts basic until that coin's issuer checks
    the resident's identity. Refusals: 404 ``coin_not_found``, 409 ``wallet_exists``."""
    coin = coin_by_code(db, body.coin)
    clock: Clock = request.app.state.clock
    wallet = open_wallet(db, coin=coin, resident_id=resident_id, at=clock.now())
    return WalletOpened(wallet_id=wallet.public_id, coin=coin.code, tier=wallet.tier.value)
