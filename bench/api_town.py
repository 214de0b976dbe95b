"""A town for HTTP benchmarks: a coin, merchants and funded residents with access tokens.

Set up in the database with the product's own functions (``set_up_coin``,
``open_merchant``, ``sign_up``, ``record_topup``, ``issue_access_token``),
not through the API: sign-up is rate-limited per address and hashes a PIN
with argon2 by design, and neither is what the benchmarks measure. The PINs
are hashed with a cheap argon2 cost for the same reason; payments never
check a PIN. Everything the load then does goes through the HTTP API.
"""

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial

from sqlalchemy import Connection, Engine

from kit.access_tokens import issue_access_token
from kit.credentials import Role, issue_key
from kit.settings import get_settings
from ledger.coins import Coin
from ledger.unit_of_work import run_in_transaction
from localcoin.coin_setup import set_up_coin
from merchant.accounts.merchants import AccountType, BankAccount, Merchant, open_merchant
from merchant.qr.static_qr import static_payload
from wallet_api.pins import PinHasher
from wallet_api.residents import sign_up
from wallet_api.rules import get_rules
from wallet_api.topups import Channel, record_topup

BANK = BankAccount("0001", "001", AccountType.ORDINARY, "1234567", "ﾍﾞﾝﾁ")
PER_COMMIT = 200
TOKEN_TTL = timedelta(hours=6)


@dataclass(frozen=True, slots=True)
class Shop:
    public_id: str
    account_id: int
    static_qr: str


@dataclass(frozen=True, slots=True)
class Buyer:
    """A resident: its wallet's public id and ledger account, and the header its app sends."""

    wallet_id: str
    account_id: int
    authorization: str


@dataclass(frozen=True, slots=True)
class BenchTown:
    coin: Coin
    keys: dict[Role, str]
    shops: list[Shop]
    residents: list[Buyer]

    @property
    def coin_id(self) -> int:
        return self.coin.id


def build_town(engine: Engine, *, merchants: int, residents: int, funding: int) -> BenchTown:
    now = datetime.now(UTC)
    code = f"B{secrets.token_hex(3).upper()}"
    coin = run_in_transaction(
        engine, lambda c: set_up_coin(c, code=code, name="bench", issuer_name="bench", at=now)
    )
    shops: list[Shop] = []
    while len(shops) < merchants:
        count = min(PER_COMMIT, merchants - len(shops))
        shops += run_in_transaction(
            engine, partial(_open_shops, coin_id=coin.coin.id, count=count, at=now)
        )
    buyers = add_residents(engine, coin.coin, count=residents, funding=funding)
    return BenchTown(coin.coin, dict(coin.keys), shops, buyers)


def add_residents(engine: Engine, coin: Coin, *, count: int, funding: int) -> list[Buyer]:
    """``count`` residents of the coin, each topped up with ``funding`` (0: none)."""
    now = datetime.now(UTC)
    hasher = PinHasher(pepper=get_settings().pin_pepper, memory_kib=1024, time_cost=1)
    buyers: list[Buyer] = []
    while len(buyers) < count:
        buyers += run_in_transaction(
            engine,
            partial(
                _sign_up,
                coin=coin,
                count=min(PER_COMMIT, count - len(buyers)),
                funding=funding,
                hasher=hasher,
                at=now,
            ),
        )
    return buyers


def open_bench_shop(conn: Connection, *, coin_id: int, index: int, at: datetime) -> Merchant:
    """A food shop paid into the bench bank account."""
    return open_merchant(
        conn,
        coin_id=coin_id,
        name=f"shop {index}",
        name_kana="ﾍﾞﾝﾁ",
        category="food",
        bank_account=BANK,
        at=at,
    )


def _open_shops(conn: Connection, *, coin_id: int, count: int, at: datetime) -> list[Shop]:
    shops = []
    for index in range(count):
        merchant = open_bench_shop(conn, coin_id=coin_id, index=index, at=at)
        issue_key(conn, coin_id=coin_id, role=Role.MERCHANT, at=at, merchant_id=merchant.id)
        shops.append(Shop(merchant.public_id, merchant.account_id, static_payload(conn, merchant)))
    return shops


def _sign_up(
    conn: Connection, *, coin: Coin, count: int, funding: int, hasher: PinHasher, at: datetime
) -> list[Buyer]:
    rules = get_rules(conn, coin_id=coin.id)
    buyers = []
    for _ in range(count):
        resident, wallet = sign_up(
            conn, coin=coin, display_name="bench", pin="1234", hasher=hasher, at=at
        )
        if funding:
            record_topup(
                conn,
                rules=rules,
                wallet=wallet,
                amount=funding,
                channel=Channel.COUNTER,
                reference=f"bench-{wallet.public_id}",
                at=at,
            )
        token = issue_access_token(
            conn,
            resident_id=resident.id,
            resident_public_id=resident.public_id,
            at=at,
            ttl=TOKEN_TTL,
        )
        buyers.append(Buyer(wallet.public_id, wallet.account_id, f"Bearer {token.token}"))
    return buyers
