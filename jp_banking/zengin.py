"""The Zengin 総合振込 (bulk credit transfer) file: records, writer and reader.

The layout is the one the 全銀協 (Japanese Bankers Association) set for
総合振込 data transmission, as the banks publish it: "全銀協制定ファイルフォーマット
【総合振込】" (https://expydoc.com/doc/11700435/), checked against Mizuho Web21's
"ファイルレイアウト 総合振込(全銀形式)" (https://happylibus.com/doc/455113/) and
the 持込規格 of https://expydoc.com/doc/8010391/ (byte columns of the header).

- Every record is 120 bytes of JIS X 0201 characters, written in cp932
  (Shift_JIS), where each half-width character is one byte. Records are
  followed by CRLF (each line then 122 bytes) or by nothing, as the bank asks.
  The reader also takes LF alone (files that passed through other tools) and
  one trailing 0x1A, the end-of-file byte some DOS-era tools still append.
- N fields are ASCII digits, right-aligned and zero-padded; C fields are
  half-width kana, A-Z, digits and a few symbols, left-aligned and space-padded.
- Records come in one order: header (データ区分 1), data (2) once per transfer,
  trailer (8), end (9).

Header (1), byte offsets from 0:
    0 データ区分 N1 "1" | 1 種別コード N2 "21" 総合振込 | 3 コード区分 N1 "0" JIS |
    4 振込依頼人コード N10 | 14 振込依頼人名 C40 | 54 振込指定日 N4 MMDD |
    58 仕向銀行番号 N4 | 62 仕向銀行名 C15 | 77 仕向支店番号 N3 | 80 仕向支店名 C15 |
    95 預金種目 N1 | 96 口座番号 N7 | 103 ダミー C17
Data (2):
    0 データ区分 N1 "2" | 1 被仕向銀行番号 N4 | 5 被仕向銀行名 C15 |
    20 被仕向支店番号 N3 | 23 被仕向支店名 C15 | 38 手形交換所番号 N4 "0000" |
    42 預金種目 N1 | 43 口座番号 N7 | 50 受取人名 C30 | 80 振込金額 N10 |
    90 新規コード N1 "0" | 91 顧客コード1 N10 | 101 顧客コード2 N10 |
    111 振込指定区分 N1 " " | 112 識別表示 C1 " " | 113 ダミー C7
Trailer (8):
    0 データ区分 N1 "8" | 1 合計件数 N6 | 7 合計金額 N12 | 19 ダミー C101
End (9):
    0 データ区分 N1 "9" | 1 ダミー C119

Choices where the banks' guides differ:
- 手形交換所番号 is unused; the 全銀協 table says "未使用(0とする)", so "0000"
  is written (a numeric field); the reader also takes spaces.
- 振込指定区分 is the issuer's setting (``TransferDesignation``): blank by
  default (each bank then sends by 電信, its default), or "7" (電信) or "8"
  (文書) where the bank's guide asks for one. 識別表示 is blank (no EDI); the
  reader refuses EDI files ("Y"), whose customer-code area is free text.
- 新規コード is "0" (その他).
- Bank and branch names come from the code list (``bank_codes``) and are cut
  to 15 bytes: they are informative, the codes route the money. People's
  names are never cut: a name too long is refused.
"""

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from enum import Enum, IntEnum

from jp_banking.bank_codes import Branch, find_branch
from jp_banking.business_days import is_business_day
from jp_banking.kana import to_zengin, truncate
from jp_banking.zengin_errors import ZenginCode, ZenginError

RECORD_BYTES = 120
ENCODING = "cp932"

AMOUNT_YEN_MAX = 9_999_999_999  # 振込金額 N(10)
TOTAL_YEN_MAX = 999_999_999_999  # 合計金額 N(12)
COUNT_MAX = 999_999  # 合計件数 N(6)
ACCOUNT_NUMBER_DIGITS = 7
REQUESTER_CODE_DIGITS = 10
CUSTOMER_CODE_DIGITS = 10
REQUESTER_NAME_BYTES = 40
RECIPIENT_NAME_BYTES = 30
BANK_NAME_BYTES = 15
BRANCH_NAME_BYTES = 15


class RecordSeparator(Enum):
    """What follows each 120-byte record: CRLF (the usual) or nothing."""

    CRLF = b"\r\n"
    NONE = b""


class TransferDesignation(Enum):
    """振込指定区分 of every data record: how the receiving bank is reached."""

    DEFAULT = " "  # blank: the bank's own default (電信 at every bank we know)
    TELEGRAPHIC = "7"  # 電信扱い
    DOCUMENT = "8"  # 文書扱い


class AccountType(IntEnum):
    """預金種目: the kind of deposit account, as its one-digit code."""

    ORDINARY = 1  # 普通預金
    CURRENT = 2  # 当座預金


@dataclass(frozen=True, slots=True, kw_only=True)
class Originator:
    """The account the money leaves: the issuer's settlement account (振込依頼人).

    Attributes:
        requester_code: 振込依頼人コード, the 1-10 digit code the bank assigned
            to the issuer for this service; written zero-padded to 10 digits.
        name: 振込依頼人名 as the recipients' banks show it; any text that
            normalises to at most 40 Zengin characters (see ``kana``).
        bank_code: 仕向銀行番号, 4 digits.
        branch_code: 仕向支店番号, 3 digits.
        account_type: 預金種目 of the issuer's account.
        account_number: 口座番号, 1-7 digits; written zero-padded to 7 digits.
    """

    requester_code: str
    name: str
    bank_code: str
    branch_code: str
    account_type: AccountType
    account_number: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Transfer:
    """One credit transfer to one account (a data record).

    Attributes:
        bank_code: 被仕向銀行番号, 4 digits, in the code list.
        branch_code: 被仕向支店番号, 3 digits, a branch of that bank in the list.
        account_type: 預金種目 of the receiving account.
        account_number: 口座番号, 1-7 digits; written zero-padded to 7 digits.
        recipient_name: 受取人名, the account holder's name in kana as the
            bank holds it; any text that normalises to at most 30 Zengin
            characters. A mismatch makes the bank return the transfer.
        amount_yen: 振込金額, a positive whole number of yen, at most 10 digits.
        customer_code_1: 顧客コード1, 0-10 digits of the issuer's own reference
            (e.g. the cash-out id); "" for none. Leading zeros are not
            significant: the field is numeric and written zero-padded.
        customer_code_2: 顧客コード2, the same.
    """

    bank_code: str
    branch_code: str
    account_type: AccountType
    account_number: str
    recipient_name: str
    amount_yen: int
    customer_code_1: str = ""
    customer_code_2: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class TransferLine:
    """A data record as read from a file.

    Attributes:
        transfer: the transfer, its codes and names exactly as in the file
            (account number 7 digits, customer codes 10 digits or "").
        bank_name: 被仕向銀行名 as in the file, trailing spaces dropped.
        branch_name: 被仕向支店名 as in the file, trailing spaces dropped.
        designation: 振込指定区分 as in the file.
    """

    transfer: Transfer
    bank_name: str
    branch_name: str
    designation: TransferDesignation = TransferDesignation.DEFAULT


@dataclass(frozen=True, slots=True, kw_only=True)
class TransferFile:
    """A whole 総合振込 file as read.

    Attributes:
        originator: the header's account, codes as in the file (requester code
            10 digits, account number 7 digits).
        bank_name: 仕向銀行名 as in the file.
        branch_name: 仕向支店名 as in the file.
        transfer_month: 振込指定日's month, 1-12 (the file carries no year).
        transfer_day: 振込指定日's day of the month.
        lines: the data records in file order.
        count: 合計件数, equal to ``len(lines)``.
        total_yen: 合計金額, equal to the sum of the lines' amounts.
    """

    originator: Originator
    bank_name: str
    branch_name: str
    transfer_month: int
    transfer_day: int
    lines: tuple[TransferLine, ...]
    count: int
    total_yen: int


# --- The layout: (field, width, numeric) per record kind, in byte order. ---

_HEADER = (
    ("data_kind", 1, True),
    ("kind_code", 2, True),
    ("code_kind", 1, True),
    ("requester_code", 10, True),
    ("requester_name", 40, False),
    ("transfer_mmdd", 4, True),
    ("bank_code", 4, True),
    ("bank_name", 15, False),
    ("branch_code", 3, True),
    ("branch_name", 15, False),
    ("account_type", 1, True),
    ("account_number", 7, True),
    ("dummy", 17, False),
)
_DATA = (
    ("data_kind", 1, True),
    ("bank_code", 4, True),
    ("bank_name", 15, False),
    ("branch_code", 3, True),
    ("branch_name", 15, False),
    ("clearing_house", 4, True),
    ("account_type", 1, True),
    ("account_number", 7, True),
    ("recipient_name", 30, False),
    ("amount", 10, True),
    ("new_code", 1, True),
    ("customer_code_1", 10, True),
    ("customer_code_2", 10, True),
    # Blank by default although typed N: the bank's own default applies.
    ("designation", 1, False),
    ("edi_flag", 1, False),
    ("dummy", 7, False),
)
_TRAILER = (
    ("data_kind", 1, True),
    ("count", 6, True),
    ("total", 12, True),
    ("dummy", 101, False),
)
_END = (
    ("data_kind", 1, True),
    ("dummy", 119, False),
)

for _layout in (_HEADER, _DATA, _TRAILER, _END):
    assert sum(width for _, width, _ in _layout) == RECORD_BYTES

KIND_HEADER = "1"
KIND_DATA = "2"
KIND_TRAILER = "8"
KIND_END = "9"
KIND_CODE_SOGO_FURIKOMI = "21"
CODE_KIND_JIS = "0"
NEW_CODE_OTHER = "0"
CLEARING_HOUSE_UNUSED = "0000"


def _render(layout: tuple[tuple[str, int, bool], ...], values: Mapping[str, str]) -> bytes:
    """One record from checked values; a field not given is blank (dummy areas)."""
    parts: list[str] = []
    for name, width, numeric in layout:
        value = values.get(name, "")
        assert len(value) <= width, (name, value)
        if numeric and value:
            assert value.isascii() and value.isdigit(), (name, value)
            parts.append(value.zfill(width))
        else:
            parts.append(value.ljust(width))
    record = "".join(parts).encode(ENCODING)
    assert len(record) == RECORD_BYTES, record
    return record


# --- Writing: every check first, then the bytes. ---


def _digits(value: object, *, low: int, high: int) -> bool:
    return (
        isinstance(value, str)
        and low <= len(value) <= high
        and (not value or (value.isascii() and value.isdigit()))
    )


def _check_account(account_type: object, account_number: object) -> None:
    if not isinstance(account_type, AccountType):
        raise ZenginError(
            ZenginCode.ACCOUNT_TYPE_INVALID,
            f"account type {account_type!r} is not 1 (普通) or 2 (当座)",
        )
    if not _digits(account_number, low=1, high=ACCOUNT_NUMBER_DIGITS):
        raise ZenginError(
            ZenginCode.ACCOUNT_NUMBER_INVALID,
            f"account number {account_number!r} is not 1-7 digits",
        )


def _name(text: str, *, width: int, field: str) -> str:
    name = to_zengin(text)
    if not name:
        raise ZenginError(ZenginCode.NAME_EMPTY, f"{field} is empty")
    if len(name) > width:
        raise ZenginError(
            ZenginCode.NAME_TOO_LONG, f"{field} {name!r} is {len(name)} characters, over {width}"
        )
    return name


def _check_amount(amount_yen: object) -> int:
    # bool is an int to Python, never an amount; floats are refused outright.
    if type(amount_yen) is not int or amount_yen <= 0:
        raise ZenginError(
            ZenginCode.AMOUNT_NOT_POSITIVE_INT, f"amount {amount_yen!r} is not a positive int"
        )
    if amount_yen > AMOUNT_YEN_MAX:
        raise ZenginError(
            ZenginCode.AMOUNT_TOO_LARGE, f"amount {amount_yen} is over 10 digits of yen"
        )
    return amount_yen


def _header_values(originator: Originator, transfer_date: date) -> dict[str, str]:
    if not is_business_day(transfer_date):
        raise ZenginError(
            ZenginCode.TRANSFER_DATE_NOT_BUSINESS_DAY, f"{transfer_date} is not a bank business day"
        )
    if not _digits(originator.requester_code, low=1, high=REQUESTER_CODE_DIGITS):
        raise ZenginError(
            ZenginCode.REQUESTER_CODE_INVALID,
            f"requester code {originator.requester_code!r} is not 1-10 digits",
        )
    branch = find_branch(bank_code=originator.bank_code, branch_code=originator.branch_code)
    _check_account(originator.account_type, originator.account_number)
    name = _name(originator.name, width=REQUESTER_NAME_BYTES, field="requester name")
    return {
        "data_kind": KIND_HEADER,
        "kind_code": KIND_CODE_SOGO_FURIKOMI,
        "code_kind": CODE_KIND_JIS,
        "requester_code": originator.requester_code,
        "requester_name": name,
        "transfer_mmdd": f"{transfer_date.month:02d}{transfer_date.day:02d}",
        **_branch_values(branch),
        "account_type": str(int(originator.account_type)),
        "account_number": originator.account_number,
    }


def _branch_values(branch: Branch) -> dict[str, str]:
    return {
        "bank_code": branch.bank_code,
        "bank_name": truncate(branch.bank_name, BANK_NAME_BYTES),
        "branch_code": branch.branch_code,
        "branch_name": truncate(branch.branch_name, BRANCH_NAME_BYTES),
    }


def _data_values(transfer: Transfer) -> dict[str, str]:
    branch = find_branch(bank_code=transfer.bank_code, branch_code=transfer.branch_code)
    _check_account(transfer.account_type, transfer.account_number)
    name = _name(transfer.recipient_name, width=RECIPIENT_NAME_BYTES, field="recipient name")
    amount_yen = _check_amount(transfer.amount_yen)
    for code in (transfer.customer_code_1, transfer.customer_code_2):
        if not _digits(code, low=0, high=CUSTOMER_CODE_DIGITS):
            raise ZenginError(
                ZenginCode.CUSTOMER_CODE_INVALID, f"customer code {code!r} is not 0-10 digits"
            )
    return {
        "data_kind": KIND_DATA,
        **_branch_values(branch),
        "clearing_house": CLEARING_HOUSE_UNUSED,
        "account_type": str(int(transfer.account_type)),
        "account_number": transfer.account_number,
        "recipient_name": name,
        "amount": str(amount_yen),
        "new_code": NEW_CODE_OTHER,
        "customer_code_1": transfer.customer_code_1 or "0",
        "customer_code_2": transfer.customer_code_2 or "0",
    }


def write_transfer_file(
    *,
    originator: Originator,
    transfers: Sequence[Transfer],
    transfer_date: date,
    separator: RecordSeparator = RecordSeparator.CRLF,
    designation: TransferDesignation = TransferDesignation.DEFAULT,
) -> bytes:
    """The 総合振込 file paying ``transfers`` from ``originator`` on ``transfer_date``.

    Everything is checked before any record is rendered; the first refusal is
    raised as a ``ZenginError`` (see ``zengin_errors`` for the order), with
    ``record_index`` the transfer's index in ``transfers``. The separator
    follows every record, the last included; ``designation`` goes into every
    data record.
    """
    header = _header_values(originator, transfer_date)
    if not transfers:
        raise ZenginError(ZenginCode.TRANSFERS_EMPTY, "a transfer file needs at least one transfer")
    if len(transfers) > COUNT_MAX:
        raise ZenginError(
            ZenginCode.COUNT_OVERFLOW, f"{len(transfers)} transfers, over {COUNT_MAX} per file"
        )
    data: list[dict[str, str]] = []
    for index, transfer in enumerate(transfers):
        try:
            data.append(_data_values(transfer) | {"designation": designation.value})
        except ZenginError as error:
            raise error.at(index) from None
    total_yen = sum(int(values["amount"]) for values in data)
    if total_yen > TOTAL_YEN_MAX:
        raise ZenginError(
            ZenginCode.TOTAL_OVERFLOW, f"total {total_yen} yen is over 12 digits per file"
        )
    trailer = {"data_kind": KIND_TRAILER, "count": str(len(data)), "total": str(total_yen)}
    records = [
        _render(_HEADER, header),
        *(_render(_DATA, values) for values in data),
        _render(_TRAILER, trailer),
        _render(_END, {"data_kind": KIND_END}),
    ]
    return b"".join(record + separator.value for record in records)


# --- Reading: bytes in, a TransferFile or a ZenginError out, nothing else. ---

# The bound on a file: the most data records a trailer can count, framed.
FILE_BYTES_MAX = (COUNT_MAX + 3) * (RECORD_BYTES + len(RecordSeparator.CRLF.value))

# Single-byte JIS X 0201 as cp932 holds it: ASCII printables and half-width kana.
_ALLOWED_BYTES = bytes([*range(0x20, 0x7F), *range(0xA1, 0xE0)])


_EOF_MARK = b"\x1a"
_LF = b"\n"


def _split(data: bytes) -> list[bytes]:
    """The file's 120-byte records, with CRLF, LF or nothing after each.

    The first record's end says which: every record then ends the same way
    (the last one's line end is optional, some tools drop it). One trailing
    0x1A, a DOS end-of-file mark, is not part of the file.
    """
    if len(data) > FILE_BYTES_MAX:
        raise ZenginError(ZenginCode.FILE_TOO_LARGE, f"{len(data)} bytes, over {FILE_BYTES_MAX}")
    data = data.removesuffix(_EOF_MARK)
    crlf = RecordSeparator.CRLF.value
    if data[RECORD_BYTES : RECORD_BYTES + 2] == crlf:
        end = crlf
    elif data[RECORD_BYTES : RECORD_BYTES + 1] == _LF:
        end = _LF
    else:
        if not data or len(data) % RECORD_BYTES:
            raise ZenginError(
                ZenginCode.RECORD_LENGTH_INVALID,
                f"{len(data)} bytes is not a whole number of {RECORD_BYTES}-byte records",
            )
        return [data[at : at + RECORD_BYTES] for at in range(0, len(data), RECORD_BYTES)]
    stride = RECORD_BYTES + len(end)
    framed = data + end if len(data) % stride == RECORD_BYTES else data
    if len(framed) % stride:
        raise ZenginError(
            ZenginCode.RECORD_LENGTH_INVALID,
            f"{len(data)} bytes is not a whole number of {stride}-byte lines",
        )
    lines = [framed[at : at + stride] for at in range(0, len(framed), stride)]
    for index, line in enumerate(lines):
        if line[RECORD_BYTES:] != end:
            raise ZenginError(
                ZenginCode.RECORD_LENGTH_INVALID,
                f"record is not 120 bytes then {end!r} like the first",
                index,
            )
    return [line[:RECORD_BYTES] for line in lines]


def _fields(layout: tuple[tuple[str, int, bool], ...], record: bytes) -> dict[str, str]:
    """The record's fields as text; the bytes were checked to be single-byte first."""
    offsets = itertools.accumulate((width for _, width, _ in layout), initial=0)
    text = record.decode(ENCODING)
    assert len(text) == RECORD_BYTES
    return {
        name: text[at : at + width] for (name, width, _), at in zip(layout, offsets, strict=False)
    }


def _number(fields: Mapping[str, str], name: str) -> int:
    value = fields[name]
    if not (value.isascii() and value.isdigit()):
        raise ZenginError(ZenginCode.FIELD_INVALID, f"{name} {value!r} is not digits")
    return int(value)


def _digit_field(fields: Mapping[str, str], name: str) -> str:
    _number(fields, name)
    return fields[name]


def _expect(fields: Mapping[str, str], name: str, allowed: tuple[str, ...]) -> str:
    value = fields[name]
    if value not in allowed:
        raise ZenginError(ZenginCode.FIELD_INVALID, f"{name} {value!r} is not one of {allowed}")
    return value


def _account_type(fields: Mapping[str, str]) -> AccountType:
    return AccountType(int(_expect(fields, "account_type", ("1", "2"))))


def _text(fields: Mapping[str, str], name: str) -> str:
    return fields[name].rstrip(" ")


def _customer_code(fields: Mapping[str, str], name: str) -> str:
    value = fields[name]
    if value.strip(" ") == "":
        return ""
    return "" if _number(fields, name) == 0 else value


def _read_header(record: bytes) -> tuple[Originator, str, str, int, int]:
    fields = _fields(_HEADER, record)
    _expect(fields, "kind_code", (KIND_CODE_SOGO_FURIKOMI,))
    _expect(fields, "code_kind", (CODE_KIND_JIS,))
    mmdd = _digit_field(fields, "transfer_mmdd")
    month, day = int(mmdd[:2]), int(mmdd[2:])
    try:
        date(2000, month, day)  # a leap year, so 0229 is a date
    except ValueError:
        raise ZenginError(ZenginCode.FIELD_INVALID, f"transfer date {mmdd!r} is not MMDD") from None
    originator = Originator(
        requester_code=_digit_field(fields, "requester_code"),
        name=_text(fields, "requester_name"),
        bank_code=_digit_field(fields, "bank_code"),
        branch_code=_digit_field(fields, "branch_code"),
        account_type=_account_type(fields),
        account_number=_digit_field(fields, "account_number"),
    )
    return originator, _text(fields, "bank_name"), _text(fields, "branch_name"), month, day


def _read_data(record: bytes) -> TransferLine:
    fields = _fields(_DATA, record)
    if fields["clearing_house"] != "    ":
        _number(fields, "clearing_house")
    _expect(fields, "new_code", ("0", "1", "2"))
    designation = TransferDesignation(
        _expect(fields, "designation", tuple(d.value for d in TransferDesignation))
    )
    _expect(fields, "edi_flag", (" ",))
    amount_yen = _number(fields, "amount")
    if amount_yen == 0:
        raise ZenginError(ZenginCode.FIELD_INVALID, "amount is zero")
    name = _text(fields, "recipient_name")
    if not name:
        raise ZenginError(ZenginCode.FIELD_INVALID, "recipient name is blank")
    transfer = Transfer(
        bank_code=_digit_field(fields, "bank_code"),
        branch_code=_digit_field(fields, "branch_code"),
        account_type=_account_type(fields),
        account_number=_digit_field(fields, "account_number"),
        recipient_name=name,
        amount_yen=amount_yen,
        customer_code_1=_customer_code(fields, "customer_code_1"),
        customer_code_2=_customer_code(fields, "customer_code_2"),
    )
    return TransferLine(
        transfer=transfer,
        bank_name=_text(fields, "bank_name"),
        branch_name=_text(fields, "branch_name"),
        designation=designation,
    )


def _kinds_in_order(records: Sequence[bytes]) -> None:
    """Header, any data, trailer, end: exactly one group, nothing after the end."""
    kinds = [chr(record[0]) for record in records]
    if kinds[0] != KIND_HEADER:
        raise ZenginError(
            ZenginCode.RECORD_SEQUENCE_INVALID,
            f"record kind {kinds[0]!r} where the header belongs",
            0,
        )
    index = 1
    while index < len(kinds) and kinds[index] == KIND_DATA:
        index += 1
    for wanted, what in ((KIND_TRAILER, "trailer"), (KIND_END, "end record")):
        if index == len(kinds):
            raise ZenginError(
                ZenginCode.RECORD_SEQUENCE_INVALID, f"the file ends before the {what}"
            )
        if kinds[index] != wanted:
            raise ZenginError(
                ZenginCode.RECORD_SEQUENCE_INVALID,
                f"record kind {kinds[index]!r} where the {what} belongs",
                index,
            )
        index += 1
    if index < len(kinds):
        raise ZenginError(ZenginCode.RECORD_SEQUENCE_INVALID, "records after the end record", index)


def read_transfer_file(data: bytes) -> TransferFile:
    """The 総合振込 file in ``data``, or a ``ZenginError``; never another exception.

    Takes records followed by CRLF, LF or nothing, and a trailing 0x1A.
    Checks the framing, that every byte is a single-byte cp932 character, the
    order of record kinds, every numeric field, the fixed codes, and that the
    trailer's count and total match the data. Does not look codes up in the
    bank list: a bank's file is read as the bank wrote it
    (``bank_codes.find_branch`` checks a code when needed).
    """
    if not isinstance(data, bytes | bytearray | memoryview):
        raise ZenginError(ZenginCode.ENCODING_INVALID, f"{type(data).__name__} is not bytes")
    records = _split(bytes(data))
    for index, record in enumerate(records):
        if record.translate(None, _ALLOWED_BYTES):
            raise ZenginError(
                ZenginCode.ENCODING_INVALID, "bytes outside single-byte cp932 (JIS X 0201)", index
            )
    _kinds_in_order(records)
    try:
        originator, bank_name, branch_name, month, day = _read_header(records[0])
    except ZenginError as error:
        raise error.at(0) from None
    lines: list[TransferLine] = []
    for index, record in enumerate(records[1:-2], start=1):
        try:
            lines.append(_read_data(record))
        except ZenginError as error:
            raise error.at(index) from None
    trailer_index = len(records) - 2
    return TransferFile(
        originator=originator,
        bank_name=bank_name,
        branch_name=branch_name,
        transfer_month=month,
        transfer_day=day,
        lines=tuple(lines),
        count=len(lines),
        total_yen=_check_trailer(records[trailer_index], lines, trailer_index),
    )


def _check_trailer(record: bytes, lines: Sequence[TransferLine], index: int) -> int:
    fields = _fields(_TRAILER, record)
    try:
        count = _number(fields, "count")
        total_yen = _number(fields, "total")
    except ZenginError as error:
        raise error.at(index) from None
    data_total_yen = sum(line.transfer.amount_yen for line in lines)
    if count != len(lines) or total_yen != data_total_yen:
        raise ZenginError(
            ZenginCode.TRAILER_MISMATCH,
            f"trailer says {count} transfers of {total_yen} yen; the data has"
            f" {len(lines)} of {data_total_yen} yen",
            index,
        )
    return total_yen
