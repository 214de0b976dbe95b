"""Everything a resident's QR payment must know before it posts, read in one statement.

Paying a shop's code needs the coin, the merchant, the resident's wallet in
that coin, the coin's rules, the merchant's payment fee rate and whether the
wallet holds lots past their date. Read one by one that was seven round
trips, most of the payment's time at load (docs/benchmarks.md, the HTTP
payments section); one statement joins them. The rows are read, not locked:
what must not change under the payment (the balance) is locked by the
ledger when it posts.

Refusals keep the order of the reads they replace: an unknown coin or
merchant is 404 ``merchant_not_found``, then a resident without a wallet in
that coin is 404 ``wallet_not_found``.
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, text

from kit.errors import Code
from kit.problems import Problem
from ledger.coins import COIN, Coin
from merchant.accounts.merchants import MERCHANT, Merchant
from wallet_api.residents import WALLET, Wallet
from wallet_api.rules import COIN_RULES, CoinRules


@dataclass(frozen=True, slots=True)
class PaymentContext:
    """Attributes:
    payment_bp: the merchant's payment fee rate (its override, else its group's plan).
    lots_due: whether the wallet holds unspent lots past their date as of the payment.
    """

    coin: Coin
    merchant: Merchant
    wallet: Wallet
    rules: CoinRules
    payment_bp: int
    lots_due: bool


# The four records share column names (id, coin_id), so each one's labels carry
# its table's alias: c_id, m_id, w_id, r_coin_id.
PAYMENT_READ = text(
    f"SELECT {COIN.select('c', prefix='c_')}, {MERCHANT.select('m', prefix='m_')},"
    f" {WALLET.select('w', prefix='w_')},"
    f" {COIN_RULES.select('r', prefix='r_')},"
    " coalesce(m.payment_bp, f.payment_bp) AS payment_bp,"
    " EXISTS (SELECT 1 FROM lots l WHERE l.coin_id = c.id AND l.account_id = w.account_id"
    "   AND l.remaining > 0 AND l.expires_at IS NOT NULL AND l.expires_at <= :at) AS lots_due"
    " FROM coins c"
    " JOIN coin_rules r ON r.coin_id = c.id"
    " LEFT JOIN merchants m ON m.coin_id = c.id AND m.public_id = :merchant"
    " LEFT JOIN fee_plans f ON f.coin_id = c.id AND f.member_group = m.member_group"
    " LEFT JOIN wallets w ON w.coin_id = c.id AND w.resident_id = :resident"
    " WHERE c.code = :coin"
)


def payment_context(
    conn: Connection, *, coin_code: str, merchant_public_id: str, resident_id: int, at: datetime
) -> PaymentContext:
    row = conn.execute(
        PAYMENT_READ,
        {"coin": coin_code, "merchant": merchant_public_id, "resident": resident_id, "at": at},
    ).one_or_none()
    # A coin of another deployment hides its merchants as well as a made-up one.
    if row is None or row.m_id is None:
        raise Problem(Code.MERCHANT_NOT_FOUND, "no such merchant in this coin")
    if row.w_id is None:
        raise Problem(Code.WALLET_NOT_FOUND, "no wallet in this coin")
    return PaymentContext(
        coin=COIN.read(row, prefix="c_"),
        merchant=MERCHANT.read(row, prefix="m_"),
        wallet=WALLET.read(row, prefix="w_"),
        rules=COIN_RULES.read(row, prefix="r_"),
        payment_bp=row.payment_bp,
        lots_due=row.lots_due,
    )
