"""Merchants: who they are, where their coin sits and where their yen is paid.

A merchant's wallet is a liability account (``wallet:merchant:ID``) split over
balance slots, because a festival stall or the city's arena at opening takes
many payments at once. Merchants hold plain coin: the lots of what residents
paid with (points, premium) end at the resident's side.
"""

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from sqlalchemy import Connection, text

from kit.errors import Code
from kit.problems import Problem
from kit.public_ids import public_id
from ledger.accounts import AccountClass, open_account
from ledger.records import Derived, RecordColumns

MERCHANT_BALANCE_SLOTS = 8


class AccountType(StrEnum):
    """普通 (ordinary) and 当座 (current) deposits, as the Zengin file codes them (1, 2)."""

    ORDINARY = "ordinary"
    CURRENT = "current"


class MerchantStatus(StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"


@dataclass(frozen=True, slots=True)
class BankAccount:
    """Where the merchant's cash-outs are paid, already checked and normalised.

    Attributes:
        bank_code: 4 digits, a bank in the Zengin code list.
        branch_code: 3 digits, a branch of that bank.
        account_type: ordinary or current.
        account_number: 7 digits.
        holder_kana: the holder's name in half-width katakana (Zengin characters).
    """

    bank_code: str
    branch_code: str
    account_type: AccountType
    account_number: str
    holder_kana: str


@dataclass(frozen=True, slots=True)
class Merchant:
    """Attributes:
    coin_id: the coin the merchant accepts.
    id: its id in the coin.
    public_id: its id in the API (``mer_…``).
    name: its trading name.
    name_kana: its name in half-width katakana.
    category: the kind of shop (``food``, ``retail``, …), for fees and the city's figures.
    member_group: the group whose reduced fee plan applies ('' for the standard plan).
    account_id: its ledger wallet.
    wallet_public_id: its wallet's id in the API (``wal_…``).
    bank_account: where its yen is paid.
    fee_overrides: its own rates by kind (``payment``, ``cashout``, ``btob``), if any.
    status: active or suspended.
    postal_code: seven digits, no hyphen; None if not given at onboarding.
    city: the city (municipality) it is in, as registered; None if not given.
    jpqr_store_id: the unified store id Payments Japan assigned it (29 digits);
        None if it has none (its codes are then of our scheme alone).
    till_refund_days: how many days back a till's own key may refund a charge.
    till_refund_max: the largest refund a till's own key may give at once.
    customer_key: the key of the ids its customers have here
        (merchant/accounts/customer_ids.py); never shown.
    city_romaji: the city in Latin letters, as the QR's field 60 carries it;
        None if not given (the city itself then, when it is ASCII).
    """

    coin_id: int
    id: int
    public_id: str
    name: str
    name_kana: str
    category: str
    member_group: str
    account_id: int
    wallet_public_id: str
    bank_account: BankAccount
    fee_overrides: dict[str, int]
    status: MerchantStatus
    postal_code: str | None = None
    city: str | None = None
    jpqr_store_id: str | None = None
    till_refund_days: int = 7
    till_refund_max: int = 10_000
    customer_key: bytes = field(default=b"", repr=False)
    city_romaji: str | None = None


def _fee_overrides(
    payment_bp: int | None, cashout_bp: int | None, btob_bp: int | None
) -> dict[str, int]:
    rates = {"payment": payment_bp, "cashout": cashout_bp, "btob": btob_bp}
    return {kind: bp for kind, bp in rates.items() if bp is not None}


MERCHANT = RecordColumns(
    Merchant,
    bank_account=RecordColumns(BankAccount, account_type=AccountType),
    fee_overrides=Derived(("payment_bp", "cashout_bp", "btob_bp"), _fee_overrides),
    status=MerchantStatus,
    customer_key=bytes,
)


def open_merchant(
    conn: Connection,
    *,
    coin_id: int,
    name: str,
    name_kana: str,
    category: str,
    bank_account: BankAccount,
    at: datetime,
    member_group: str = "",
    postal_code: str | None = None,
    city: str | None = None,
    jpqr_store_id: str | None = None,
    city_romaji: str | None = None,
) -> Merchant:
    """Records an onboarded merchant and opens its wallet.

    The caller has already checked and normalised the names and the bank
    account; the database still refuses what is out of shape.
    """
    merchant_public_id = public_id("mer_")
    wallet_public_id = public_id("wal_")
    account = open_account(
        conn,
        coin_id=coin_id,
        code=f"wallet:merchant:{merchant_public_id}",
        account_class=AccountClass.LIABILITY,
        balance_slots=MERCHANT_BALANCE_SLOTS,
        at=at,
    )
    row = conn.execute(
        text(
            "INSERT INTO merchants (coin_id, public_id, name, name_kana, category, member_group,"
            " account_id, wallet_public_id, bank_code, branch_code, account_type, account_number,"
            " holder_kana, created_at, postal_code, city, jpqr_store_id, city_romaji)"
            " VALUES (:coin, :pid, :name, :kana, :category, :group, :account, :wallet, :bank,"
            " :branch, :type, :number, :holder, :at, :postal_code, :city, :jpqr_store_id,"
            " :city_romaji)"
            f" RETURNING {MERCHANT.sql}"
        ),
        {
            "coin": coin_id,
            "pid": merchant_public_id,
            "name": name,
            "kana": name_kana,
            "category": category,
            "group": member_group,
            "account": account.id,
            "wallet": wallet_public_id,
            "bank": bank_account.bank_code,
            "branch": bank_account.branch_code,
            "type": bank_account.account_type.value,
            "number": bank_account.account_number,
            "holder": bank_account.holder_kana,
            "at": at,
            "postal_code": postal_code,
            "city": city,
            "jpqr_store_id": jpqr_store_id,
            "city_romaji": city_romaji,
        },
    ).one()
    return MERCHANT.read(row)


def get_merchant(conn: Connection, *, coin_id: int, merchant_id: int) -> Merchant:
    row = conn.execute(
        text(f"SELECT {MERCHANT.sql} FROM merchants WHERE coin_id = :coin AND id = :id"),
        {"coin": coin_id, "id": merchant_id},
    ).one()
    return MERCHANT.read(row)


def find_merchant(conn: Connection, *, coin_id: int, merchant_public_id: str) -> Merchant:
    """The merchant with this public id in this coin; 404 ``merchant_not_found`` otherwise.

    A merchant of another coin is not found, so nobody learns it exists.
    """
    row = conn.execute(
        text(f"SELECT {MERCHANT.sql} FROM merchants WHERE coin_id = :coin AND public_id = :pid"),
        {"coin": coin_id, "pid": merchant_public_id},
    ).one_or_none()
    if row is None:
        raise Problem(Code.MERCHANT_NOT_FOUND, "no such merchant in this coin")
    return MERCHANT.read(row)


def list_merchants(
    conn: Connection, *, coin_id: int, limit: int, starting_after: str | None
) -> tuple[list[Merchant], bool]:
    """A page of the coin's merchants, newest first, and whether older ones follow.

    ``starting_after`` is the public id of the last merchant seen; one of
    another coin is ``merchant_not_found``.
    """
    after_id = None
    if starting_after is not None:
        after_id = find_merchant(conn, coin_id=coin_id, merchant_public_id=starting_after).id
    rows = conn.execute(
        text(
            f"SELECT {MERCHANT.sql} FROM merchants WHERE coin_id = :coin"
            " AND (CAST(:after AS bigint) IS NULL OR id < :after) ORDER BY id DESC LIMIT :limit"
        ),
        {"coin": coin_id, "after": after_id, "limit": limit + 1},
    ).all()
    return [MERCHANT.read(row) for row in rows[:limit]], len(rows) > limit


def set_status(
    conn: Connection, *, coin_id: int, merchant_id: int, status: MerchantStatus
) -> Merchant:
    """Suspends or reactivates a merchant; setting the status it has already is no change."""
    row = conn.execute(
        text(
            "UPDATE merchants SET status = :status WHERE coin_id = :coin AND id = :id"
            f" RETURNING {MERCHANT.sql}"
        ),
        {"status": status.value, "coin": coin_id, "id": merchant_id},
    ).one()
    return MERCHANT.read(row)


def set_location(
    conn: Connection,
    *,
    coin_id: int,
    merchant_id: int,
    postal_code: str,
    city: str,
    city_romaji: str | None,
    jpqr_store_id: str | None,
) -> Merchant:
    """Records where the shop is and its unified store id, checked by the caller.

    The static code changes with them: the merchant prints a new sticker.
    """
    row = conn.execute(
        text(
            "UPDATE merchants SET postal_code = :postal_code, city = :city,"
            " city_romaji = :city_romaji, jpqr_store_id = :jpqr_store_id"
            f" WHERE coin_id = :coin AND id = :id RETURNING {MERCHANT.sql}"
        ),
        {
            "postal_code": postal_code,
            "city": city,
            "city_romaji": city_romaji,
            "jpqr_store_id": jpqr_store_id,
            "coin": coin_id,
            "id": merchant_id,
        },
    ).one()
    return MERCHANT.read(row)


def require_active(merchant: Merchant) -> None:
    if merchant.status is not MerchantStatus.ACTIVE:
        raise Problem(Code.MERCHANT_SUSPENDED, "this merchant may not take payments now")
