"""Winding a coin down (払戻し): the notice, the end of issuance and acceptance, the
residents' refund claims, and what is left unclaimed (docs/winddown.md).

Under the Payment Services Act (art. 20) an issuer that stops issuing a prepaid
instrument refunds its holders' balances: it gives public notice, takes claims
for a period of at least 60 days, and holders who do not claim in that period
are excluded from the refund. Here:

- The issuer asks for a wind-down with three dates; a second issuer key
  approves it (an approval of kind ``winddown``, always, whatever the amount:
  ending a currency is not one clerk's decision). The approval is the notice:
  its time is ``announced_at``, and the claims must stay open 60 days past it.
- From ``issuance_ends_at`` no new coin is issued (top-ups, card top-ups,
  points, premium sales: ``coin_winding_down``); from ``acceptance_ends_at`` no
  payment or transfer is taken (``coin_acceptance_ended``). The dates sit on
  ``coin_rules``, which every such path reads already.
- A resident claims once, in the wallet or at the counter, giving a bank
  account: the refundable balance (money and premium, the value bought; free
  points were never paid for and are not refunded) moves out of the wallet in
  one ``winddown.claim`` entry into ``payable:winddown``, to be paid to that
  account.
- After the claims close, ``close_winddown`` moves whatever wallets still
  hold to breakage (``winddown.unclaimed``), one entry per wallet, and records
  the total; the statutory figures (claims made, their total, what is owed,
  what went unclaimed) come from ``winddown_report``.
"""

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, text

from jp_banking.bank_codes import find_branch
from jp_banking.kana import to_zengin
from jp_banking.zengin_errors import ZenginError
from kit.credentials import ApiKey
from kit.errors import Code
from kit.problems import Problem
from kit.public_ids import public_id
from ledger.accounts import AccountClass, find_account, open_account
from ledger.chart import Standard, standard_account
from ledger.entries import EntryRequest, credit, debit, post_batch, post_entry
from ledger.errors import LedgerError
from ledger.limits import BATCH_ENTRIES_MAX
from ledger.lots import LotKind
from wallet_api.balances import wallet_balance
from wallet_api.residents import Wallet

CLAIM_PERIOD_MIN = timedelta(days=60)  # art. 20(2)(ii): "六十日を下らない一定の期間"
PAYABLE_CODE = "payable:winddown"
HOLDER_KANA_LENGTH_MAX = 30
_ACCOUNT_NUMBER = re.compile(r"[0-9]{1,7}")
_REFUNDABLE = frozenset({LotKind.MONEY, LotKind.PREMIUM})


@dataclass(frozen=True, slots=True)
class Winddown:
    """Attributes:
    announced_at: the notice (when the second issuer key approved it).
    issuance_ends_at: no top-ups, points or premium sales from then on.
    acceptance_ends_at: no payments or transfers from then on.
    claims_close_at: the last moment a refund may be claimed.
    closed_at: when what was left unclaimed went to breakage; None before.
    unclaimed_total: what went to breakage then; None before.
    """

    announced_at: datetime
    issuance_ends_at: datetime
    acceptance_ends_at: datetime
    claims_close_at: datetime
    closed_at: datetime | None
    unclaimed_total: int | None

    def as_json(self) -> dict[str, Any]:
        def iso(at: datetime | None) -> str | None:
            return None if at is None else at.isoformat()

        return {
            "announced_at": iso(self.announced_at),
            "issuance_ends_at": iso(self.issuance_ends_at),
            "acceptance_ends_at": iso(self.acceptance_ends_at),
            "claims_close_at": iso(self.claims_close_at),
            "closed_at": iso(self.closed_at),
            "unclaimed_total": self.unclaimed_total,
        }


def check_dates(
    *,
    issuance_ends_at: datetime,
    acceptance_ends_at: datetime,
    claims_close_at: datetime,
    at: datetime,
) -> None:
    """The dates hold together, and the claims stay open 60 days past a notice given now."""
    if not at <= issuance_ends_at <= acceptance_ends_at <= claims_close_at:
        raise Problem(
            Code.WINDDOWN_INVALID,
            "now <= issuance_ends_at <= acceptance_ends_at <= claims_close_at",
        )
    if claims_close_at < at + CLAIM_PERIOD_MIN:
        raise Problem(
            Code.WINDDOWN_INVALID,
            "claims stay open at least 60 days after the notice (Payment Services Act art. 20)",
        )


def refundable_outstanding(conn: Connection, *, coin_id: int) -> int:
    """Money and premium in residents' wallets: what a wind-down would refund in all."""
    total: int = conn.execute(
        text(
            "SELECT coalesce(sum(l.remaining), 0) FROM lots l JOIN wallets w"
            " ON w.coin_id = l.coin_id AND w.account_id = l.account_id"
            " WHERE l.coin_id = :coin AND l.kind IN ('money', 'premium') AND l.remaining > 0"
        ),
        {"coin": coin_id},
    ).scalar_one()
    return total


def announce(conn: Connection, request: dict[str, Any], maker: ApiKey, at: datetime) -> Winddown:
    """Records the wind-down the maker asked for, now that a second key approved it: the
    approval (the coin's one pending of kind ``winddown``) is the notice."""
    if find_winddown(conn, coin_id=maker.coin_id) is not None:
        raise Problem(Code.WINDDOWN_EXISTS, "the coin's wind-down is announced already")
    dates = {
        name: datetime.fromisoformat(request[name])
        for name in ("issuance_ends_at", "acceptance_ends_at", "claims_close_at")
    }
    check_dates(**dates, at=at)
    conn.execute(
        text(
            "INSERT INTO coin_winddowns (coin_id, announced_at, issuance_ends_at,"
            " acceptance_ends_at, claims_close_at, requested_by, approval_id)"
            " SELECT :coin, :at, :issuance_ends_at, :acceptance_ends_at, :claims_close_at,"
            " :maker, a.id FROM approvals a WHERE a.coin_id = :coin AND a.kind = 'winddown'"
            " AND a.status = 'pending'"
        ),
        {"coin": maker.coin_id, "at": at, "maker": maker.id, **dates},
    )
    conn.execute(
        text(
            "UPDATE coin_rules SET issuance_ends_at = :issuance_ends_at,"
            " acceptance_ends_at = :acceptance_ends_at WHERE coin_id = :coin"
        ),
        {"coin": maker.coin_id, **dates},
    )
    found = find_winddown(conn, coin_id=maker.coin_id)
    assert found is not None, "just recorded"
    return found


def pending_winddown(conn: Connection, *, coin_id: int) -> bool:
    """Whether a wind-down waits for its approval (the coin takes one at a time)."""
    found = conn.execute(
        text(
            "SELECT 1 FROM approvals WHERE coin_id = :coin AND kind = 'winddown'"
            " AND status = 'pending'"
        ),
        {"coin": coin_id},
    ).first()
    return found is not None


def public_notices(conn: Connection, *, coin_ids: list[int]) -> dict[int, dict[str, str]]:
    """The wind-down notice of each coin that has one: public (公告), like its name."""
    rows = conn.execute(
        text(
            "SELECT coin_id, announced_at, issuance_ends_at, acceptance_ends_at, claims_close_at"
            " FROM coin_winddowns WHERE coin_id = ANY(:coins)"
        ),
        {"coins": coin_ids},
    ).all()
    return {
        row.coin_id: {
            "announced_at": row.announced_at.isoformat(),
            "issuance_ends_at": row.issuance_ends_at.isoformat(),
            "acceptance_ends_at": row.acceptance_ends_at.isoformat(),
            "claims_close_at": row.claims_close_at.isoformat(),
        }
        for row in rows
    }


def find_winddown(conn: Connection, *, coin_id: int) -> Winddown | None:
    row = conn.execute(
        text(
            "SELECT announced_at, issuance_ends_at, acceptance_ends_at, claims_close_at,"
            " closed_at, unclaimed_total FROM coin_winddowns WHERE coin_id = :coin"
        ),
        {"coin": coin_id},
    ).one_or_none()
    return None if row is None else Winddown(*row)


def require_winddown(conn: Connection, *, coin_id: int) -> Winddown:
    found = find_winddown(conn, coin_id=coin_id)
    if found is None:
        raise Problem(Code.WINDDOWN_NOT_ANNOUNCED, "the coin has no wind-down announced")
    return found


@dataclass(frozen=True, slots=True)
class RefundAccount:
    """Where a resident's refund is paid (a Japanese bank account, as Zengin writes it)."""

    bank_code: str
    branch_code: str
    account_type: str
    account_number: str
    holder_kana: str


def checked_account(
    *, bank_code: str, branch_code: str, account_type: str, account_number: str, holder_kana: str
) -> RefundAccount:
    """The account as the bank's file will carry it, or the first refusal (as onboarding's)."""
    try:
        find_branch(bank_code=bank_code, branch_code=branch_code)
    except ZenginError as error:
        raise _bank_refusal(error) from error
    if account_type not in ("ordinary", "current"):
        raise Problem(
            Code.ACCOUNT_TYPE_INVALID, f"{account_type!r} is neither ordinary nor current"
        )
    if not _ACCOUNT_NUMBER.fullmatch(account_number):
        raise Problem(Code.ACCOUNT_NUMBER_INVALID, f"{account_number!r} is not 1 to 7 digits")
    try:
        kana = to_zengin(holder_kana)
    except ZenginError as error:
        raise Problem(Code.HOLDER_KANA_INVALID, error.detail) from error
    if not kana:
        raise Problem(Code.HOLDER_KANA_INVALID, "the holder's name is empty")
    if len(kana) > HOLDER_KANA_LENGTH_MAX:
        raise Problem(
            Code.HOLDER_KANA_TOO_LONG,
            f"{kana!r} is {len(kana)} half-width characters; at most {HOLDER_KANA_LENGTH_MAX}",
        )
    return RefundAccount(bank_code, branch_code, account_type, account_number.rjust(7, "0"), kana)


def _bank_refusal(error: ZenginError) -> Problem:
    """The Zengin lists' refusal of a bank or branch, with onboarding's codes."""
    reason = error.code.value
    if reason == "bank_code_invalid":
        return Problem(Code.BANK_CODE_INVALID, error.detail)
    if reason == "bank_unknown":
        return Problem(Code.BANK_NOT_FOUND, error.detail)
    if reason == "branch_code_invalid":
        return Problem(Code.BRANCH_CODE_INVALID, error.detail)
    return Problem(Code.BRANCH_NOT_FOUND, error.detail)


def _payable(conn: Connection, *, coin_id: int, at: datetime) -> int:
    try:
        return find_account(conn, coin_id=coin_id, code=PAYABLE_CODE).id
    except LedgerError:
        return open_account(
            conn, coin_id=coin_id, code=PAYABLE_CODE, account_class=AccountClass.LIABILITY, at=at
        ).id


def claim_refund(
    conn: Connection, *, wallet: Wallet, account: RefundAccount, via: str, at: datetime
) -> dict[str, Any]:
    """Moves the wallet's money and premium out to ``payable:winddown`` for ``account``."""
    winddown = require_winddown(conn, coin_id=wallet.coin_id)
    if not winddown.announced_at <= at < winddown.claims_close_at:
        raise Problem(
            Code.WINDDOWN_CLAIMS_CLOSED,
            f"claims are taken until {winddown.claims_close_at.isoformat()}",
        )
    # One claim per wallet: the row lock orders a concurrent second claim behind the first.
    conn.execute(
        text("SELECT 1 FROM wallets WHERE coin_id = :coin AND id = :id FOR UPDATE"),
        {"coin": wallet.coin_id, "id": wallet.id},
    )
    claimed = conn.execute(
        text("SELECT 1 FROM winddown_claims WHERE coin_id = :coin AND wallet_id = :wallet"),
        {"coin": wallet.coin_id, "wallet": wallet.id},
    ).first()
    if claimed is not None:
        raise Problem(Code.WINDDOWN_CLAIMED, "this wallet's refund is claimed already")
    balance = wallet_balance(conn, coin_id=wallet.coin_id, account_id=wallet.account_id)
    amount = balance.money + balance.premium
    if amount == 0:
        raise Problem(Code.NOTHING_TO_REFUND, "the wallet holds no money or premium")
    entry = post_entry(
        conn,
        coin_id=wallet.coin_id,
        request=EntryRequest(
            "winddown.claim",
            [
                debit(wallet.account_id, amount, spend_kinds=_REFUNDABLE),
                credit(_payable(conn, coin_id=wallet.coin_id, at=at), amount),
            ],
        ),
        posted_at=at,
    )
    claim_id = public_id("wdc_")
    conn.execute(
        text(
            "INSERT INTO winddown_claims (coin_id, public_id, wallet_id, amount, money, premium,"
            " bank_code, branch_code, account_type, account_number, holder_kana, via, entry_id,"
            " created_at) VALUES (:coin, :pid, :wallet, :amount, :money, :premium, :bank,"
            " :branch, :type, :number, :holder, :via, :entry, :at)"
        ),
        {
            "coin": wallet.coin_id,
            "pid": claim_id,
            "wallet": wallet.id,
            "amount": amount,
            "money": balance.money,
            "premium": balance.premium,
            "bank": account.bank_code,
            "branch": account.branch_code,
            "type": account.account_type,
            "number": account.account_number,
            "holder": account.holder_kana,
            "via": via,
            "entry": entry.entry_id,
            "at": at,
        },
    )
    return {
        "id": claim_id,
        "wallet_id": wallet.public_id,
        "amount": amount,
        "money": balance.money,
        "premium": balance.premium,
        "points_not_refunded": balance.points,
        "via": via,
        "created_at": at.isoformat(),
    }


def close_winddown(conn: Connection, *, coin_id: int, at: datetime) -> Winddown:
    """After the claims close: what wallets still hold goes to breakage (holders who did
    not claim are excluded from the refund, art. 20(2)(iii)); the total is recorded."""
    winddown = require_winddown(conn, coin_id=coin_id)
    if winddown.closed_at is not None:
        return winddown
    if at < winddown.claims_close_at:
        raise Problem(
            Code.WINDDOWN_NOT_OVER,
            f"claims are open until {winddown.claims_close_at.isoformat()}",
        )
    breakage = standard_account(conn, coin_id=coin_id, code=Standard.REVENUE_BREAKAGE).id
    rows = conn.execute(
        text(
            "SELECT w.account_id, sum(b.posted)::bigint AS posted FROM wallets w"
            " JOIN account_balances b ON b.coin_id = w.coin_id AND b.account_id = w.account_id"
            " WHERE w.coin_id = :coin GROUP BY w.account_id HAVING sum(b.posted) > 0"
            " ORDER BY w.account_id"
        ),
        {"coin": coin_id},
    ).all()
    requests = [
        EntryRequest(
            "winddown.unclaimed", [debit(row.account_id, row.posted), credit(breakage, row.posted)]
        )
        for row in rows
    ]
    for start in range(0, len(requests), BATCH_ENTRIES_MAX):
        post_batch(
            conn,
            coin_id=coin_id,
            requests=requests[start : start + BATCH_ENTRIES_MAX],
            posted_at=at,
        )
    unclaimed = sum(row.posted for row in rows)
    conn.execute(
        text(
            "UPDATE coin_winddowns SET closed_at = :at, unclaimed_total = :total"
            " WHERE coin_id = :coin"
        ),
        {"at": at, "total": unclaimed, "coin": coin_id},
    )
    return require_winddown(conn, coin_id=coin_id)


def winddown_report(conn: Connection, *, coin_id: int) -> dict[str, Any]:
    """The statutory figures: the notice's dates, claims made and their total, what is
    still owed on them (not yet paid out), and what went unclaimed."""
    winddown = require_winddown(conn, coin_id=coin_id)
    claims = conn.execute(
        text(
            "SELECT count(*) AS n, coalesce(sum(amount), 0)::bigint AS total,"
            " count(*) FILTER (WHERE via = 'counter') AS at_counter"
            " FROM winddown_claims WHERE coin_id = :coin"
        ),
        {"coin": coin_id},
    ).one()
    owed: int = conn.execute(
        text(
            "SELECT coalesce(sum(b.posted), 0)::bigint FROM account_balances b JOIN accounts a"
            " ON a.coin_id = b.coin_id AND a.id = b.account_id"
            " WHERE a.coin_id = :coin AND a.code = :code"
        ),
        {"coin": coin_id, "code": PAYABLE_CODE},
    ).scalar_one()
    return winddown.as_json() | {
        "claims": {"count": claims.n, "at_counter": claims.at_counter, "total": claims.total},
        "owed_on_claims": owed,
        "refundable_outstanding": refundable_outstanding(conn, coin_id=coin_id),
    }
