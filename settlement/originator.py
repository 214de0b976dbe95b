"""The issuer's originating account per coin (振込依頼人), the batch cut-off time
and the file's 振込指定区分.

All live in one row of ``settlement_settings`` per coin, set by the issuer
(``POST /v1/settlement/settings``). Without a row the cut-off is 15:00 in
Asia/Tokyo, there is no originating account, so no Zengin file can be
written until the issuer sets one, and 振込指定区分 is blank (the bank's
default); the issuer sets "7" (電信) or "8" (文書) when its bank's guide asks.

The account is checked when it is set, exactly as the Zengin writer would
check it (requester code digits, the bank and branch in the code list, the
account number, the name in at most 40 Zengin characters), so a file is never
refused for the header.

Refusals: ``cut_off_invalid`` (422), and the writer's own codes for the
account: ``requester_code_invalid``, ``bank_code_invalid``,
``branch_code_invalid``, ``bank_unknown``, ``branch_unknown``,
``account_number_invalid``, ``name_not_representable``, ``name_too_long``,
``name_empty`` (422); ``originator_not_set`` (409) when a file is asked for
before the account is set.
"""

from dataclasses import dataclass
from datetime import datetime, time
from typing import Any

from sqlalchemy import Connection, text

from jp_banking.bank_codes import find_branch
from jp_banking.kana import to_zengin
from jp_banking.zengin import (
    REQUESTER_NAME_BYTES,
    AccountType,
    Originator,
    TransferDesignation,
)
from jp_banking.zengin_errors import ZenginCode, ZenginError
from kit.errors import Code
from kit.problems import Problem
from ledger.records import Column, RecordColumns

DEFAULT_CUT_OFF = time(15, 0)

_ACCOUNT_TYPES = {"ordinary": AccountType.ORDINARY, "current": AccountType.CURRENT}
_TYPE_NAMES = {code: name for name, code in _ACCOUNT_TYPES.items()}


@dataclass(frozen=True, slots=True)
class SettlementSettings:
    """Attributes:
    cut_off: the wall-clock time in Asia/Tokyo after which a day's batch may
        close; payouts asked for at or before it belong to that day.
    originator: the issuer's originating account; None until set.
    designation: 振込指定区分 of every transfer in the coin's files.
    registration_number: the issuer's invoice registration number (T + 13
        digits, checked by ``registration_number``); None until set.
    """

    cut_off: time
    originator: Originator | None
    designation: TransferDesignation = TransferDesignation.DEFAULT
    registration_number: str | None = None

    def as_json(self) -> dict[str, Any]:
        account = self.originator
        return {
            "cut_off": self.cut_off.strftime("%H:%M"),
            "transfer_designation": self.designation.value.strip(),
            "invoice_registration_number": self.registration_number,
            "originator": None
            if account is None
            else {
                "requester_code": account.requester_code,
                "name": account.name,
                "bank_code": account.bank_code,
                "branch_code": account.branch_code,
                "account_type": _TYPE_NAMES[account.account_type],
                "account_number": account.account_number,
            },
        }


_ORIGINATOR = RecordColumns(
    Originator, name=Column("originator_name"), account_type=_ACCOUNT_TYPES.__getitem__
)


def get_settings(conn: Connection, *, coin_id: int) -> SettlementSettings:
    row = conn.execute(
        text(
            "SELECT cut_off, transfer_designation, invoice_registration_number,"
            f" {_ORIGINATOR.sql} FROM settlement_settings WHERE coin_id = :coin"
        ),
        {"coin": coin_id},
    ).one_or_none()
    if row is None:
        return SettlementSettings(DEFAULT_CUT_OFF, None)
    originator = None if row.requester_code is None else _ORIGINATOR.read(row)
    return SettlementSettings(
        row.cut_off,
        originator,
        TransferDesignation(row.transfer_designation),
        row.invoice_registration_number,
    )


def require_originator(conn: Connection, *, coin_id: int) -> Originator:
    originator = get_settings(conn, coin_id=coin_id).originator
    if originator is None:
        raise Problem(
            Code.ORIGINATOR_NOT_SET,
            "set the issuer's originating account (POST /v1/settlement/settings) first",
        )
    return originator


def checked_originator(
    *,
    requester_code: str,
    name: str,
    bank_code: str,
    branch_code: str,
    account_type: str,
    account_number: str,
) -> Originator:
    """The account, its name normalised to Zengin kana, or a ``ZenginError``."""
    if not (requester_code.isascii() and requester_code.isdigit() and len(requester_code) <= 10):
        raise ZenginError(
            ZenginCode.REQUESTER_CODE_INVALID,
            f"requester code {requester_code!r} is not 1-10 digits",
        )
    find_branch(bank_code=bank_code, branch_code=branch_code)
    if not (account_number.isascii() and account_number.isdigit() and len(account_number) <= 7):
        raise ZenginError(
            ZenginCode.ACCOUNT_NUMBER_INVALID,
            f"account number {account_number!r} is not 1-7 digits",
        )
    zengin_name = to_zengin(name)
    if not zengin_name:
        raise ZenginError(ZenginCode.NAME_EMPTY, "the originator's name is empty")
    if len(zengin_name) > REQUESTER_NAME_BYTES:
        raise ZenginError(
            ZenginCode.NAME_TOO_LONG,
            f"{zengin_name!r} is {len(zengin_name)} characters, over {REQUESTER_NAME_BYTES}",
        )
    return Originator(
        requester_code=requester_code,
        name=zengin_name,
        bank_code=bank_code,
        branch_code=branch_code,
        account_type=_ACCOUNT_TYPES[account_type],
        account_number=account_number,
    )


def save_settings(
    conn: Connection, *, coin_id: int, settings: SettlementSettings, at: datetime
) -> SettlementSettings:
    account = settings.originator
    conn.execute(
        text(
            "INSERT INTO settlement_settings (coin_id, cut_off, requester_code, originator_name,"
            " bank_code, branch_code, account_type, account_number, updated_at,"
            " transfer_designation, invoice_registration_number) VALUES (:coin, :cut_off, :code,"
            " :name, :bank, :branch, :type, :number, :at, :designation, :registration)"
            " ON CONFLICT (coin_id) DO UPDATE SET cut_off = EXCLUDED.cut_off,"
            " transfer_designation = EXCLUDED.transfer_designation,"
            " invoice_registration_number = EXCLUDED.invoice_registration_number,"
            " requester_code = EXCLUDED.requester_code, originator_name = EXCLUDED.originator_name,"
            " bank_code = EXCLUDED.bank_code, branch_code = EXCLUDED.branch_code,"
            " account_type = EXCLUDED.account_type, account_number = EXCLUDED.account_number,"
            " updated_at = EXCLUDED.updated_at"
        ),
        {
            "coin": coin_id,
            "cut_off": settings.cut_off,
            "code": account.requester_code if account else None,
            "name": account.name if account else None,
            "bank": account.bank_code if account else None,
            "branch": account.branch_code if account else None,
            "type": _TYPE_NAMES[account.account_type] if account else None,
            "number": account.account_number if account else None,
            "at": at,
            "designation": settings.designation.value,
            "registration": settings.registration_number,
        },
    )
    return settings
