"""Erasing a resident's personal data on request (APPI art. 35), once retention allows.

The books stay as they are: the resident's wallets, accounts, entries and the
hash chain are untouched (entries hold no personal text: docs/ledger.md), so
``ledger verify`` passes before and after. What names or reaches the person is
pseudonymised in place:

- the resident: display name replaced, PIN hash made unusable, resident
  number replaced by one no log-in can name (a wrong check digit),
  ``erased_at`` set; an erased resident cannot log in;
- their contact details (e-mail, phone, LINE: the other login ids), notice
  preferences, access tokens and PIN-reset records deleted, their stored
  idempotent answers deleted, their notices still to send given up, their
  active cards blocked;
- each wallet's verification reference removed;
- their bank top-ups' references, their imported row's old platform id and
  their refund claims' bank account replaced by placeholders;
- their contacts deleted (e-mail, phone, LINE user id: no longer a login, no
  notice reaches them), with their notices preferences and LINE link nonces.

The retention rule: every wallet of the resident is empty (nothing posted,
nothing held) and its coin's ``retention_years`` have passed since the
wallet last moved (or was opened, if it never moved). Until then the issuer
must keep the records (transaction and verification records, seven years
under the Act on Prevention of Transfer of Criminal Proceeds), so the request
is refused and the detail says until when. Asking again for an erased
resident answers the first erasure.
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, text

from kit.errors import Code
from kit.problems import Problem
from ledger.accounts import get_balance
from ledger.history import last_posted_at
from wallet_api.resident_numbers import unusable_number

ERASED_NAME = "削除済み"
# Not an argon2 hash: every PIN check against it fails.
ERASED_PIN_HASH = "!erased"
ERASED_KANA = "ｻｸｼﾞﾖｽﾞﾐ"


@dataclass(frozen=True, slots=True)
class Erasure:
    """Attributes:
    resident_public_id: the resident erased (the id stays; it names no one now).
    erased_at: when their data was pseudonymised.
    """

    resident_public_id: str
    erased_at: datetime


@dataclass(frozen=True, slots=True)
class _HeldWallet:
    coin_id: int
    coin_code: str
    account_id: int
    opened_at: datetime
    retention_years: int


def erase_resident(
    conn: Connection, *, coin_id: int, resident_public_id: str, at: datetime
) -> Erasure:
    """Pseudonymises the resident of ``coin_id`` (their home coin) if retention allows.

    Refusals: ``resident_not_found`` (404) for a resident of another coin,
    ``erasure_balance_remaining`` (409), ``retention_period_running`` (409).
    """
    row = conn.execute(
        text(
            "SELECT id, erased_at FROM residents WHERE public_id = :pid AND home_coin_id = :coin"
            " FOR UPDATE"
        ),
        {"pid": resident_public_id, "coin": coin_id},
    ).one_or_none()
    if row is None:
        raise Problem(Code.RESIDENT_NOT_FOUND, "no such resident in this coin")
    if row.erased_at is not None:
        return Erasure(resident_public_id, row.erased_at)
    for wallet in _wallets(conn, row.id):
        _check_retention(conn, wallet, at)
    _pseudonymise(conn, resident_id=row.id, at=at)
    return Erasure(resident_public_id, at)


def _wallets(conn: Connection, resident_id: int) -> list[_HeldWallet]:
    rows = conn.execute(
        text(
            "SELECT w.coin_id, c.code, w.account_id, w.created_at, r.retention_years"
            " FROM wallets w JOIN coins c ON c.id = w.coin_id"
            " JOIN coin_rules r ON r.coin_id = w.coin_id"
            " WHERE w.resident_id = :resident ORDER BY w.coin_id"
        ),
        {"resident": resident_id},
    ).all()
    return [_HeldWallet(*row) for row in rows]


def kept_until(last_moved: datetime, years: int) -> datetime:
    """``years`` after ``last_moved``; a 29 February falls to the 28th."""
    try:
        return last_moved.replace(year=last_moved.year + years)
    except ValueError:
        return last_moved.replace(year=last_moved.year + years, day=28)


def _check_retention(conn: Connection, wallet: _HeldWallet, at: datetime) -> None:
    balance = get_balance(conn, coin_id=wallet.coin_id, account_id=wallet.account_id)
    if balance.posted != 0 or balance.held != 0:
        raise Problem(
            Code.ERASURE_BALANCE_REMAINING,
            f"the wallet in {wallet.coin_code} holds {balance.posted} coin"
            f" ({balance.held} reserved); it must be empty first",
        )
    moved = last_posted_at(conn, coin_id=wallet.coin_id, account_id=wallet.account_id)
    until = kept_until(moved or wallet.opened_at, wallet.retention_years)
    if at < until:
        raise Problem(
            Code.RETENTION_PERIOD_RUNNING,
            f"the records of the wallet in {wallet.coin_code} are kept until"
            f" {until.isoformat()} ({wallet.retention_years} years after its last movement)",
        )


def _pseudonymise(conn: Connection, *, resident_id: int, at: datetime) -> None:
    params = {"resident": resident_id, "at": at}
    conn.execute(
        text(
            "UPDATE residents SET display_name = :name, pin_hash = :pin, erased_at = :at,"
            " resident_number = :number, failed_pin_count = 0, locked_until = NULL"
            " WHERE id = :resident"
        ),
        params
        | {"name": ERASED_NAME, "pin": ERASED_PIN_HASH, "number": unusable_number(resident_id)},
    )
    for statement in _PSEUDONYMISE:
        conn.execute(text(statement), params | {"kana": ERASED_KANA})


# Each statement touches only the resident's own rows; the books are not among them.
_PSEUDONYMISE = (
    "DELETE FROM resident_contacts WHERE resident_id = :resident",
    "DELETE FROM line_link_nonces WHERE resident_id = :resident",
    "DELETE FROM notice_preferences WHERE resident_id = :resident",
    "UPDATE notice_deliveries d SET status = 'failed', next_attempt_at = NULL,"
    " last_error = 'resident erased' FROM notices n WHERE n.resident_id = :resident"
    " AND d.coin_id = n.coin_id AND d.notice_id = n.id AND d.status = 'pending'",
    "DELETE FROM access_tokens WHERE resident_id = :resident",
    "DELETE FROM pin_resets WHERE resident_id = :resident",
    "DELETE FROM resident_contacts WHERE resident_id = :resident",
    "DELETE FROM line_link_nonces WHERE resident_id = :resident",
    "DELETE FROM notice_preferences WHERE resident_id = :resident",
    "DELETE FROM idempotency_requests WHERE scope = 'resident:' || :resident",
    "UPDATE wallets SET verification_reference = NULL WHERE resident_id = :resident",
    "UPDATE cards c SET status = 'blocked', blocked_at = :at, block_reason = 'erased'"
    " FROM wallets w WHERE w.resident_id = :resident AND c.coin_id = w.coin_id"
    " AND c.wallet_id = w.id AND c.status = 'active'",
    "UPDATE topups t SET reference = 'erased:' || t.public_id FROM wallets w"
    " WHERE w.resident_id = :resident AND t.coin_id = w.coin_id AND t.wallet_id = w.id"
    " AND t.channel <> 'card'",
    "UPDATE imported_records i SET ref = 'erased:' || i.public_id FROM residents r"
    " WHERE r.id = :resident AND i.kind = 'resident' AND i.public_id = r.public_id",
    "UPDATE winddown_claims k SET holder_kana = :kana, account_number = '0000000'"
    " FROM wallets w WHERE w.resident_id = :resident AND k.coin_id = w.coin_id"
    " AND k.wallet_id = w.id",
)
