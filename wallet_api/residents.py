"""Residents: sign-up, PIN log-in with lockout, identity verification, wallets in several coins.

Services only execute statements; the request's unit of work commits.
"""

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta

import structlog
from sqlalchemy import Connection, text

from kit.access_tokens import IssuedAccessToken, issue_access_token
from kit.errors import Code
from kit.notice_outbox import NoticeKind, record_notice
from kit.problems import Problem
from kit.public_ids import public_id
from ledger.accounts import AccountClass, open_account
from ledger.coins import Coin
from ledger.records import RecordColumns
from wallet_api.contact_logins import login_contact, resident_public_id_by_contact
from wallet_api.pins import PinHasher, is_valid_pin, lock_duration
from wallet_api.resident_numbers import new_resident_number, normalised
from wallet_api.rules import Tier

log = structlog.get_logger(__name__)

VERIFICATION_METHODS = frozenset({"my_number_card", "drivers_license", "bank_account", "counter"})


@dataclass(frozen=True, slots=True)
class Wallet:
    """A resident's wallet in one coin.

    Attributes:
        coin_id: the coin.
        id: its id in the coin.
        public_id: its id in the API (``wal_…``).
        resident_id: its owner.
        account_id: its ledger account (a lot-tracked liability).
        tier: basic or verified.
    """

    coin_id: int
    id: int
    public_id: str
    resident_id: int
    account_id: int
    tier: Tier


@dataclass(frozen=True, slots=True)
class Resident:
    """Attributes:
    id: internal id.
    public_id: its id in the API (``res_…``).
    display_name: the name the resident chose.
    home_coin_id: the coin the resident signed up in.
    resident_number: the short login id (ten digits, the last a check digit).
    """

    id: int
    public_id: str
    display_name: str
    home_coin_id: int
    resident_number: str


def open_wallet(conn: Connection, *, coin: Coin, resident_id: int, at: datetime) -> Wallet:
    """Opens the resident's wallet in a coin (one per coin), with its ledger account."""
    wallet_public_id = public_id("wal_")
    account = open_account(
        conn,
        coin_id=coin.id,
        code=f"wallet:resident:{wallet_public_id}",
        account_class=AccountClass.LIABILITY,
        tracks_lots=True,
        at=at,
    )
    row = conn.execute(
        text(
            "INSERT INTO wallets (coin_id, public_id, resident_id, account_id, tier, created_at)"
            " VALUES (:coin, :pid, :resident, :account, 'basic', :at)"
            " ON CONFLICT (coin_id, resident_id) DO NOTHING RETURNING id"
        ),
        {
            "coin": coin.id,
            "pid": wallet_public_id,
            "resident": resident_id,
            "account": account.id,
            "at": at,
        },
    ).one_or_none()
    if row is None:
        raise Problem(Code.WALLET_EXISTS, "the resident has a wallet in this coin")
    return Wallet(coin.id, row[0], wallet_public_id, resident_id, account.id, Tier.BASIC)


def sign_up(
    conn: Connection, *, coin: Coin, display_name: str, pin: str, hasher: PinHasher, at: datetime
) -> tuple[Resident, Wallet]:
    # The request's schema (``ResidentCreate``) refuses any other PIN first.
    assert is_valid_pin(pin), "a PIN is 4 to 6 digits"
    return _enrol(conn, coin=coin, display_name=display_name, pin_hash=hasher.hash(pin), at=at)


def _enrol(
    conn: Connection, *, coin: Coin, display_name: str, pin_hash: str, at: datetime
) -> tuple[Resident, Wallet]:
    resident_public_id = public_id("res_")
    # A random number may be taken (one chance in millions): draw again, a few times.
    for _ in range(NUMBER_DRAWS):
        number = new_resident_number()
        resident_id = conn.execute(
            text(
                "INSERT INTO residents (home_coin_id, public_id, display_name, pin_hash,"
                " created_at, resident_number) VALUES (:coin, :pid, :name, :hash, :at, :number)"
                " ON CONFLICT (resident_number) DO NOTHING RETURNING id"
            ),
            {
                "coin": coin.id,
                "pid": resident_public_id,
                "name": display_name,
                "hash": pin_hash,
                "at": at,
                "number": number,
            },
        ).scalar_one_or_none()
        if resident_id is not None:
            break
    else:
        raise AssertionError("no free resident number in several draws")
    wallet = open_wallet(conn, coin=coin, resident_id=resident_id, at=at)
    return Resident(resident_id, resident_public_id, display_name, coin.id, number), wallet


NUMBER_DRAWS = 5


def resident_public_id_for(conn: Connection, login: str) -> str | None:
    """The resident a log-in names: a resident id (``res_…``) as is, a resident
    number (with a right check digit), or a verified e-mail or phone; None for
    anything else."""
    if login.startswith("res_"):
        return login
    contact = login_contact(login)
    if contact is not None:
        return resident_public_id_by_contact(conn, *contact)
    number = normalised(login)
    if number is None:
        return None
    found: str | None = conn.execute(
        text("SELECT public_id FROM residents WHERE resident_number = :n"), {"n": number}
    ).scalar_one_or_none()
    return found


_RESIDENT = RecordColumns(Resident)


def find_resident(conn: Connection, public_id_: str) -> Resident:
    row = conn.execute(
        text(f"SELECT {_RESIDENT.sql} FROM residents WHERE public_id = :p"),
        {"p": public_id_},
    ).one_or_none()
    if row is None:
        raise Problem(Code.RESIDENT_NOT_FOUND, "no such resident")
    return _RESIDENT.read(row)


def find_resident_by_id(conn: Connection, resident_id: int) -> Resident:
    row = conn.execute(
        text(f"SELECT {_RESIDENT.sql} FROM residents WHERE id = :id"), {"id": resident_id}
    ).one()
    return _RESIDENT.read(row)


def log_in(
    conn: Connection,
    *,
    resident_public_id: str,
    pin: str,
    hasher: PinHasher,
    at: datetime,
    ttl: timedelta,
    device: str | None = None,
) -> IssuedAccessToken | Problem:
    """A token for the right PIN (``device``'s older tokens end: kit.access_tokens);
    otherwise the refusal, *returned* rather than raised, because the failure count
    it updates must commit with it."""
    resident_id: int | None = conn.execute(
        # An erased resident is nobody: no PIN opens it (wallet_api/resident_erasure.py).
        text("SELECT id FROM residents WHERE public_id = :p AND erased_at IS NULL"),
        {"p": resident_public_id},
    ).scalar_one_or_none()
    refused = Problem(Code.CREDENTIALS_INVALID, "wrong resident or PIN")
    if resident_id is None:
        hasher.verify_for_nobody(pin)
        return refused
    refusal = check_pin(conn, resident_id=resident_id, pin=pin, hasher=hasher, at=at, via="log_in")
    if refusal is not None:
        return refused if refusal.locked_until is None else locked_problem(refusal.locked_until)
    return issue_access_token(
        conn,
        resident_id=resident_id,
        resident_public_id=resident_public_id,
        at=at,
        ttl=ttl,
        device=device,
    )


@dataclass(frozen=True, slots=True)
class PinRefusal:
    """A wrong PIN, or a locked resident.

    Attributes:
        locked_until: the end of the lock; None when the PIN was wrong and the
            resident is not (yet) locked.
    """

    locked_until: datetime | None


def locked_problem(until: datetime) -> Problem:
    return Problem(
        Code.RESIDENT_LOCKED,
        f"too many wrong PINs; try again after {until.isoformat()}",
    )


# Where a PIN is typed at a merchant's till (a resident's QR card).
TILL = "card"


def check_pin(
    conn: Connection, *, resident_id: int, pin: str, hasher: PinHasher, at: datetime, via: str
) -> PinRefusal | None:
    """None for the resident's right PIN (the failure count starts again);
    otherwise why not. A PIN typed at a merchant's till (``via="card"``) has a
    failure count and lock of its own; every PIN typed online (log-in,
    step-up, PIN change) shares the other: a stranger guessing online cannot
    lock the resident out of paying at the shop, nor a stolen card's guesses
    lock the app. The caller must commit the count even when it refuses:
    return the refusal, don't raise it. ``via`` also names the place in the log."""
    count, lock_column = (
        ("till_failed_pin_count", "till_locked_until")
        if via == TILL
        else ("failed_pin_count", "locked_until")
    )
    resident = conn.execute(
        text(
            f"SELECT public_id, home_coin_id, pin_hash, {count} AS failures,"
            f" {lock_column} AS locked_until"
            " FROM residents WHERE id = :id FOR NO KEY UPDATE"
        ),
        {"id": resident_id},
    ).one()
    if resident.locked_until is not None and resident.locked_until > at:
        return PinRefusal(resident.locked_until)
    if hasher.verify(resident.pin_hash, pin):
        conn.execute(
            text(f"UPDATE residents SET {count} = 0, {lock_column} = NULL WHERE id = :id"),
            {"id": resident_id},
        )
        return None
    failures = resident.failures + 1
    lock = lock_duration(failures)
    until = at + lock if lock is not None else None
    conn.execute(
        text(f"UPDATE residents SET {count} = :f, {lock_column} = :until WHERE id = :id"),
        {"f": failures, "until": until, "id": resident_id},
    )
    if until is not None:
        # The resident hears of it (if they asked to): a lock they did not cause
        # is someone else guessing. It commits with the count, refusal and all.
        record_notice(
            conn,
            coin_id=resident.home_coin_id,
            resident_id=resident_id,
            kind=NoticeKind.PIN_LOCKED,
            source=f"lock:{via}:{until.isoformat()}",
            data={"locked_until": until.isoformat(), "via": via},
            at=at,
        )
        log.warning(
            "resident_locked",
            resident=resident.public_id,
            via=via,
            failures=failures,
            locked_until=until.isoformat(),
        )
    return PinRefusal(until)


WALLET = RecordColumns(Wallet, tier=Tier)


def wallet_of(conn: Connection, *, coin_id: int, resident_id: int) -> Wallet:
    row = conn.execute(
        text(f"SELECT {WALLET.sql} FROM wallets WHERE coin_id = :coin AND resident_id = :resident"),
        {"coin": coin_id, "resident": resident_id},
    ).one_or_none()
    if row is None:
        raise Problem(Code.WALLET_NOT_FOUND, "no wallet in this coin")
    return WALLET.read(row)


def get_wallet(conn: Connection, *, coin_id: int, wallet_id: int) -> Wallet:
    """The wallet with this id, which the caller knows exists (a card or a token names it)."""
    row = conn.execute(
        text(f"SELECT {WALLET.sql} FROM wallets WHERE coin_id = :coin AND id = :id"),
        {"coin": coin_id, "id": wallet_id},
    ).one()
    return WALLET.read(row)


def find_wallet(conn: Connection, *, coin_id: int, wallet_public_id: str) -> Wallet:
    row = conn.execute(
        text(f"SELECT {WALLET.sql} FROM wallets WHERE coin_id = :coin AND public_id = :pid"),
        {"coin": coin_id, "pid": wallet_public_id},
    ).one_or_none()
    if row is None:
        raise Problem(Code.WALLET_NOT_FOUND, "no such wallet in this coin")
    return WALLET.read(row)


# Twelve digits, however written: the shape of an individual number (マイナンバー).
_TWELVE_DIGITS = re.compile(r"^[0-9]{12}$")


def looks_like_individual_number(reference: str) -> bool:
    """The My Number Act allows keeping individual numbers only for the purposes it
    lists (tax, social security, disaster relief); identity checks for a wallet
    are not among them, so a reference that could be one is refused."""
    digits = re.sub(r"[\s\-]", "", unicodedata.normalize("NFKC", reference))
    return bool(_TWELVE_DIGITS.match(digits))


def verify_identity(
    conn: Connection,
    *,
    coin_id: int,
    resident_public_id: str,
    method: str,
    reference: str,
    at: datetime,
) -> Wallet:
    """The issuer checked the resident's identity: the wallet moves to the verified tier."""
    # The request's schema (``VerificationCreate``) refuses any other method first.
    assert method in VERIFICATION_METHODS, f"method is one of {sorted(VERIFICATION_METHODS)}"
    if looks_like_individual_number(reference):
        raise Problem(
            Code.INDIVIDUAL_NUMBER_REFUSED,
            "the reference looks like an individual number (マイナンバー), which may not be"
            " kept for this; record the check's own reference instead",
        )
    resident = find_resident(conn, resident_public_id)
    wallet = wallet_of(conn, coin_id=coin_id, resident_id=resident.id)
    conn.execute(
        text(
            "UPDATE wallets SET tier = 'verified', verified_at = coalesce(verified_at, :at),"
            " verification_method = :method, verification_reference = :reference"
            " WHERE coin_id = :coin AND id = :id"
        ),
        {"at": at, "method": method, "reference": reference, "coin": coin_id, "id": wallet.id},
    )
    return Wallet(
        wallet.coin_id,
        wallet.id,
        wallet.public_id,
        wallet.resident_id,
        wallet.account_id,
        Tier.VERIFIED,
    )
