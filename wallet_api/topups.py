"""Top-ups the issuer records: at the bank counter, at an ATM, or by debit from a linked account.

Each carries the bank's reference, unique per channel, so the same deposit is
never credited twice even if the bank's system sends it again. The wallet's
balance cap and the daily top-up limit are checked after the entry is posted,
while its balance row is locked, so concurrent top-ups cannot both slip under
a limit.

A coin with a charge bonus also credits points on the top-up (topup_bonus.py);
they count toward the balance cap like the rest of the wallet.
"""

import hashlib
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import Connection, text

from kit.errors import Code
from kit.problems import Problem
from kit.public_ids import public_id
from ledger.accounts import get_balance
from ledger.chart import Standard, standard_account
from ledger.clock import business_date
from ledger.entries import EntryRequest, PostResult, credit, debit, post_entry
from ledger.errors import Code as LedgerCode
from ledger.errors import LedgerError
from ledger.limits import AMOUNT_MAX
from ledger.lots import LotKind
from ledger.records import Column, RecordColumns
from wallet_api.card_topups import topped_up_on
from wallet_api.residents import Wallet
from wallet_api.rules import CoinRules
from wallet_api.topup_bonus import bonus_points, post_bonus


class Channel(StrEnum):
    COUNTER = "counter"
    ATM = "atm"
    BANK_ACCOUNT = "bank_account"


@dataclass(frozen=True, slots=True)
class Topup:
    """Attributes:
    public_id: its id in the API (``top_…``).
    wallet_public_id: the wallet credited.
    amount: yen received, credited as money.
    channel: where the yen came in.
    reference: the bank's reference.
    entry_id: the ledger entry.
    created_at: when it was recorded (UTC).
    """

    public_id: str
    wallet_public_id: str
    amount: int
    channel: Channel
    reference: str
    entry_id: int
    created_at: datetime


def entry_key(channel: Channel, reference: str) -> str:
    """The top-up entry's idempotency key: a digest of the bank's reference, not the
    reference, since a reference may carry a name and the entry is chained for ever
    (the top-up's row keeps the text, where it can be corrected or erased)."""
    digest = hashlib.sha256(reference.encode()).hexdigest()
    return f"topup:{channel.value}:{digest}"


def record_topup(
    conn: Connection,
    *,
    rules: CoinRules,
    wallet: Wallet,
    amount: int,
    channel: Channel,
    reference: str,
    at: datetime,
    institution_bank_code: str | None = None,
    recorded_by: int | None = None,
) -> Topup:
    """Credits the wallet for yen the issuer (or the participating institution
    ``institution_bank_code``, when another took it) received.

    Refusals: ``amount_invalid`` (422), ``institution_not_found`` (404) for a
    bank that is not a participating institution of the coin,
    ``topup_reference_reused`` (409), ``limit_exceeded`` (422).
    """
    if not 0 < amount <= AMOUNT_MAX:
        raise Problem(Code.AMOUNT_INVALID, f"a top-up is 1 to {AMOUNT_MAX} yen")
    rules.check_issuing(at)
    if institution_bank_code is not None:
        _check_institution(conn, rules.coin_id, institution_bank_code)
    reserve = standard_account(conn, coin_id=rules.coin_id, code=Standard.RESERVE_BANK)
    try:
        # The bank's reference, digested, is the entry's idempotency key: a
        # concurrent duplicate waits for the first on the ledger's unique index.
        posted = post_entry(
            conn,
            coin_id=rules.coin_id,
            request=EntryRequest(
                f"topup.{channel.value}",
                [
                    debit(reserve.id, amount),
                    credit(wallet.account_id, amount, lot_kind=LotKind.MONEY),
                ],
                idempotency_key=entry_key(channel, reference),
                # The institution is part of what the bank's reference names: the same
                # reference from another institution is another deposit, refused. The
                # reference itself stays in the top-up's row, out of the hash chain.
                metadata=(
                    {} if institution_bank_code is None else {"institution": institution_bank_code}
                ),
            ),
            posted_at=at,
        )
    except LedgerError as error:
        if error.code is not LedgerCode.IDEMPOTENCY_KEY_REUSED:
            raise
        raise Problem(
            Code.TOPUP_REFERENCE_REUSED,
            f"reference {reference!r} was recorded for another top-up",
        ) from error
    if posted.result is PostResult.REPLAYED:
        existing = _existing(conn, rules.coin_id, channel, reference)
        assert existing is not None, "a top-up's entry and its row commit together"
        return existing
    topup = Topup(
        public_id("top_"), wallet.public_id, amount, channel, reference, posted.entry_id, at
    )
    bonus = bonus_points(rules, amount=amount, channel=channel.value)
    if bonus > 0:
        post_bonus(
            conn,
            coin_id=rules.coin_id,
            wallet_account_id=wallet.account_id,
            points=bonus,
            topup_public_id=topup.public_id,
            at=at,
        )
    conn.execute(
        text(
            "INSERT INTO topups (coin_id, public_id, wallet_id, amount, bonus, channel, reference,"
            " business_date, entry_id, created_at, institution_bank_code, recorded_by)"
            " VALUES (:coin, :pid, :wallet, :amount, :bonus, :channel, :reference, :day, :entry,"
            " :at, :institution, :recorded_by)"
        ),
        {
            "coin": rules.coin_id,
            "pid": topup.public_id,
            "wallet": wallet.id,
            "amount": amount,
            "bonus": bonus,
            "channel": channel.value,
            "reference": reference,
            "day": business_date(at),
            "entry": posted.entry_id,
            "at": at,
            "institution": institution_bank_code,
            "recorded_by": recorded_by,
        },
    )
    _check_limits(conn, rules=rules, wallet=wallet, at=at)
    return topup


def _check_limits(conn: Connection, *, rules: CoinRules, wallet: Wallet, at: datetime) -> None:
    balance = get_balance(conn, coin_id=rules.coin_id, account_id=wallet.account_id)
    cap = rules.balance_cap(wallet.tier)
    if balance.posted > cap:
        raise Problem(
            Code.LIMIT_EXCEEDED,
            f"a {wallet.tier} wallet holds at most {cap} coin",
        )
    # Card top-ups count too: the limit is the wallet's, whatever the channel.
    today = topped_up_on(conn, coin_id=rules.coin_id, wallet_id=wallet.id, at=at)
    if today > rules.daily_topup_max:
        raise Problem(
            Code.LIMIT_EXCEEDED,
            f"a wallet is topped up at most {rules.daily_topup_max} yen a day",
        )


# A top-up (t) with its wallet's (w) public id.
_TOPUP = RecordColumns(Topup, wallet_public_id=Column("w.public_id"), channel=Channel)


def _existing(conn: Connection, coin_id: int, channel: Channel, reference: str) -> Topup | None:
    row = conn.execute(
        text(
            f"SELECT {_TOPUP.select('t')} FROM topups t JOIN wallets w ON w.coin_id = t.coin_id"
            " AND w.id = t.wallet_id WHERE t.coin_id = :coin AND t.channel = :channel"
            " AND t.reference = :reference"
        ),
        {"coin": coin_id, "channel": channel.value, "reference": reference},
    ).one_or_none()
    if row is None:
        return None
    return _TOPUP.read(row)


def _check_institution(conn: Connection, coin_id: int, bank_code: str) -> None:
    known = conn.execute(
        text("SELECT 1 FROM institutions WHERE coin_id = :coin AND bank_code = :bank"),
        {"coin": coin_id, "bank": bank_code},
    ).first()
    if known is None:
        raise Problem(
            Code.INSTITUTION_NOT_FOUND,
            f"bank {bank_code} is not a participating institution of this coin",
        )
