"""Municipality points (行政ポイント): one grant decision credited to many wallets.

Each wallet's credit is its own entry (debit ``receivable:municipality``,
credit the wallet with a points lot expiring at the grant's date), and all of
them post in one batch: all or nothing. Points count toward the wallet's
balance cap like any coin it holds; a grant that would take any wallet over
its cap is refused as a whole (``limit_exceeded``, naming the wallet). The cap
is checked after the batch has posted, while the batch still holds every
wallet's balance row locked, so a concurrent top-up cannot slip past it.

Result codes, in the order they are checked:

| code | status | when |
| --- | --- | --- |
| ``amount_invalid`` | 422 | the amount per wallet is not 1 to the coin's ``payment_max`` |
| ``batch_too_large`` | 422 | more than ``GRANT_WALLETS_MAX`` wallets |
| ``wallet_ids_duplicated`` | 422 | a wallet is named twice |
| ``expires_at_invalid`` | 422 | the expiry is not in the future |
| ``wallet_not_found`` | 404 | a wallet id is unknown in this coin (another coin's too) |
| ``limit_exceeded`` | 422 | a wallet would hold more than its tier's cap |
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, text

from kit.errors import Code
from kit.problems import Problem
from kit.public_ids import public_id
from ledger.accounts import get_balances
from ledger.chart import Standard, standard_account
from ledger.entries import EntryRequest, PostedEntry, credit, debit, post_batch
from ledger.limits import BATCH_ENTRIES_MAX
from ledger.lots import LotKind
from wallet_api.residents import WALLET, Wallet
from wallet_api.rules import CoinRules

# One grant is one ledger batch (one entry per wallet).
GRANT_WALLETS_MAX = BATCH_ENTRIES_MAX


@dataclass(frozen=True, slots=True)
class PointsGrant:
    """Attributes:
    public_id: its id in the API (``pg_…``).
    amount: points credited to each wallet.
    wallet_count: how many wallets were credited.
    total: amount * wallet_count, owed by the municipality.
    reason: why the city granted them (shown to residents).
    expires_at: when what is left of the points expires (UTC).
    created_at: when it was granted (UTC).
    """

    public_id: str
    amount: int
    wallet_count: int
    total: int
    reason: str
    expires_at: datetime
    created_at: datetime


def grant_points(
    conn: Connection,
    *,
    rules: CoinRules,
    wallet_public_ids: Sequence[str],
    amount: int,
    reason: str,
    expires_at: datetime,
    api_key_id: int,
    at: datetime,
) -> PointsGrant:
    _check_request(rules, wallet_public_ids, amount=amount, expires_at=expires_at, at=at)
    rules.check_issuing(at)
    wallets = _wallets(conn, rules.coin_id, wallet_public_ids)
    funding = standard_account(conn, coin_id=rules.coin_id, code=Standard.RECEIVABLE_MUNICIPALITY)
    grant = PointsGrant(
        public_id("pg_"), amount, len(wallets), amount * len(wallets), reason, expires_at, at
    )
    posted = post_batch(
        conn,
        coin_id=rules.coin_id,
        requests=[
            EntryRequest(
                "points.grant",
                [
                    debit(funding.id, amount),
                    credit(
                        wallet.account_id,
                        amount,
                        lot_kind=LotKind.POINTS,
                        lot_expires_at=expires_at,
                    ),
                ],
                # The reason is the grant row's (it may name a person): the chained
                # entry carries only the grant's id, so the text can be corrected.
                metadata={"grant": grant.public_id},
            )
            for wallet in wallets
        ],
        posted_at=at,
    )
    _check_caps(conn, rules, wallets)
    _record(
        conn,
        rules.coin_id,
        grant=grant,
        api_key_id=api_key_id,
        wallet_ids=[w.id for w in wallets],
        posted=posted,
    )
    return grant


def _check_request(
    rules: CoinRules,
    wallet_public_ids: Sequence[str],
    *,
    amount: int,
    expires_at: datetime,
    at: datetime,
) -> None:
    if not 0 < amount <= rules.payment_max:
        raise Problem(
            Code.AMOUNT_INVALID,
            f"a grant is 1 to {rules.payment_max} points per wallet (the coin's payment_max)",
        )
    if len(wallet_public_ids) > GRANT_WALLETS_MAX:
        raise Problem(
            Code.BATCH_TOO_LARGE,
            f"a grant names at most {GRANT_WALLETS_MAX} wallets; split it",
        )
    if len(set(wallet_public_ids)) != len(wallet_public_ids):
        raise Problem(
            Code.WALLET_IDS_DUPLICATED,
            "each wallet is named once in a grant",
        )
    if expires_at <= at:
        raise Problem(Code.EXPIRES_AT_INVALID, "expires_at is in the future")


def _wallets(conn: Connection, coin_id: int, wallet_public_ids: Sequence[str]) -> list[Wallet]:
    """The wallets named, in the order named; refuses the first unknown one."""
    rows = conn.execute(
        text(f"SELECT {WALLET.sql} FROM wallets WHERE coin_id = :coin AND public_id = ANY(:pids)"),
        {"coin": coin_id, "pids": list(wallet_public_ids)},
    ).all()
    found = {wallet.public_id: wallet for wallet in map(WALLET.read, rows)}
    missing = [pid for pid in wallet_public_ids if pid not in found]
    if missing:
        raise Problem(Code.WALLET_NOT_FOUND, f"no wallet {missing[0]!r} in this coin")
    return [found[pid] for pid in wallet_public_ids]


def _check_caps(conn: Connection, rules: CoinRules, wallets: Sequence[Wallet]) -> None:
    balances = get_balances(
        conn, coin_id=rules.coin_id, account_ids=[w.account_id for w in wallets]
    )
    for wallet in wallets:
        cap = rules.balance_cap(wallet.tier)
        if balances[wallet.account_id].posted > cap:
            raise Problem(
                Code.LIMIT_EXCEEDED,
                f"wallet {wallet.public_id} would hold more than its cap of {cap} coin"
                f" ({wallet.tier}); nothing was granted",
            )


def _record(
    conn: Connection,
    coin_id: int,
    *,
    grant: PointsGrant,
    api_key_id: int,
    wallet_ids: Sequence[int],
    posted: Sequence[PostedEntry],
) -> None:
    grant_id = conn.execute(
        text(
            "INSERT INTO points_grants (coin_id, public_id, amount, wallet_count, total, reason,"
            " expires_at, api_key_id, created_at) VALUES (:coin, :pid, :amount, :count, :total,"
            " :reason, :expires, :key, :at) RETURNING id"
        ),
        {
            "coin": coin_id,
            "pid": grant.public_id,
            "amount": grant.amount,
            "count": grant.wallet_count,
            "total": grant.total,
            "reason": grant.reason,
            "expires": grant.expires_at,
            "key": api_key_id,
            "at": grant.created_at,
        },
    ).scalar_one()
    conn.execute(
        text(
            "INSERT INTO points_grant_wallets (coin_id, grant_id, wallet_id, entry_id)"
            " SELECT :coin, :grant, w, e"
            " FROM unnest(CAST(:wallets AS bigint[]), CAST(:entries AS bigint[])) AS u (w, e)"
        ),
        {
            "coin": coin_id,
            "grant": grant_id,
            "wallets": list(wallet_ids),
            "entries": [p.entry_id for p in posted],
        },
    )
