"""The 総合振込 file, byte for byte against the 全銀協 layout, and its refusals.

Scenario: the Mutsu city coin's issuer pays merchants' cash-outs (換金) from
its settlement account at みずほ 東京営業部 on Tuesday 24 November 2026.
"""

import contextlib
from dataclasses import replace
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jp_banking.zengin import (
    AccountType,
    Originator,
    RecordSeparator,
    Transfer,
    TransferDesignation,
    read_transfer_file,
    write_transfer_file,
)
from jp_banking.zengin_errors import ZenginCode, ZenginError

PAY_DAY = date(2026, 11, 24)  # the day after 勤労感謝の日, a business day
CRLF = b"\r\n"

ISSUER = Originator(
    requester_code="1234567890",
    name="ムツシ　チイキツウカ",
    bank_code="0001",
    branch_code="001",
    account_type=AccountType.ORDINARY,
    account_number="1234567",
)
BAKERY = Transfer(
    bank_code="0009",
    branch_code="001",
    account_type=AccountType.ORDINARY,
    account_number="12345",
    recipient_name="やまだ　しょうてん",
    amount_yen=98_500,
    customer_code_1="4711",
)
FISHMONGER = Transfer(
    bank_code="0005",
    branch_code="001",
    account_type=AccountType.CURRENT,
    account_number="7654321",
    recipient_name="ｶ)ﾑﾂｽｲｻﾝ",
    amount_yen=1_200_000,
    customer_code_1="4712",
    customer_code_2="9",
)


def records_of(data: bytes, separator: bytes = CRLF) -> list[bytes]:
    stride = 120 + len(separator)
    assert len(data) % stride == 0
    lines = [data[at : at + stride] for at in range(0, len(data), stride)]
    assert all(line[120:] == separator for line in lines)
    return [line[:120] for line in lines]


def text(record: bytes, start: int, width: int) -> str:
    return record[start : start + width].decode("cp932")


# --- The layout, field by field at its byte offsets. ---


def test_two_transfers_put_every_field_at_its_offset() -> None:
    data = write_transfer_file(
        originator=ISSUER, transfers=[BAKERY, FISHMONGER], transfer_date=PAY_DAY
    )
    header, bakery, fishmonger, trailer, end = records_of(data)
    assert all(len(record) == 120 for record in (header, bakery, fishmonger, trailer, end))

    assert text(header, 0, 1) == "1"
    assert text(header, 1, 2) == "21"
    assert text(header, 3, 1) == "0"
    assert text(header, 4, 10) == "1234567890"
    assert text(header, 14, 40) == "ﾑﾂｼ ﾁｲｷﾂｳｶ".ljust(40)
    assert text(header, 54, 4) == "1124"
    assert text(header, 58, 4) == "0001"
    assert text(header, 62, 15) == "ﾐｽﾞﾎ".ljust(15)
    assert text(header, 77, 3) == "001"
    assert text(header, 80, 15) == "ﾄｳｷﾖｳ".ljust(15)
    assert text(header, 95, 1) == "1"
    assert text(header, 96, 7) == "1234567"
    assert text(header, 103, 17) == " " * 17

    assert text(bakery, 0, 1) == "2"
    assert text(bakery, 1, 4) == "0009"
    assert text(bakery, 5, 15) == "ﾐﾂｲｽﾐﾄﾓ".ljust(15)
    assert text(bakery, 20, 3) == "001"
    assert text(bakery, 23, 15) == "ｼﾞﾝﾎﾞｳﾁﾖｳ".ljust(15)
    assert text(bakery, 38, 4) == "0000"
    assert text(bakery, 42, 1) == "1"
    assert text(bakery, 43, 7) == "0012345"  # numeric: right-aligned, zero-padded
    assert text(bakery, 50, 30) == "ﾔﾏﾀﾞ ｼﾖｳﾃﾝ".ljust(30)  # text: left-aligned, space-padded
    assert text(bakery, 80, 10) == "0000098500"
    assert text(bakery, 90, 1) == "0"
    assert text(bakery, 91, 10) == "0000004711"
    assert text(bakery, 101, 10) == "0000000000"
    assert text(bakery, 111, 1) == " "
    assert text(bakery, 112, 1) == " "
    assert text(bakery, 113, 7) == " " * 7

    assert text(fishmonger, 1, 4) == "0005"
    assert text(fishmonger, 5, 15) == "ﾐﾂﾋﾞｼﾕ-ｴﾌｼﾞｴｲ".ljust(15)
    assert text(fishmonger, 23, 15) == "ﾎﾝﾃﾝ".ljust(15)
    assert text(fishmonger, 42, 1) == "2"
    assert text(fishmonger, 43, 7) == "7654321"
    assert text(fishmonger, 50, 30) == "ｶ)ﾑﾂｽｲｻﾝ".ljust(30)
    assert text(fishmonger, 80, 10) == "0001200000"
    assert text(fishmonger, 91, 10) == "0000004712"
    assert text(fishmonger, 101, 10) == "0000000009"

    assert text(trailer, 0, 1) == "8"
    assert text(trailer, 1, 6) == "000002"
    assert text(trailer, 7, 12) == "000001298500"  # 98,500 + 1,200,000
    assert text(trailer, 19, 101) == " " * 101

    assert text(end, 0, 1) == "9"
    assert text(end, 1, 119) == " " * 119


def test_one_transfer_matches_a_hand_written_file_byte_for_byte() -> None:
    expected = (
        "1"
        "21"
        "0"
        "1234567890" + "ﾑﾂｼ ﾁｲｷﾂｳｶ" + " " * 30 + "1124"
        "0001"
        "ﾐｽﾞﾎ" + " " * 11 + "001"
        "ﾄｳｷﾖｳ" + " " * 10 + "1"
        "1234567" + " " * 17 + "\r\n"
        "2"
        "0009"
        "ﾐﾂｲｽﾐﾄﾓ" + " " * 8 + "001"
        "ｼﾞﾝﾎﾞｳﾁﾖｳ" + " " * 6 + "0000"
        "1"
        "0012345"
        "ﾔﾏﾀﾞ ｼﾖｳﾃﾝ" + " " * 20 + "0000098500"
        "0"
        "0000004711"
        "0000000000"
        " "
        " " + " " * 7 + "\r\n"
        "8"
        "000001"
        "000000098500" + " " * 101 + "\r\n"
        "9" + " " * 119 + "\r\n"
    ).encode("cp932")
    assert len(expected) == 4 * 122
    data = write_transfer_file(originator=ISSUER, transfers=[BAKERY], transfer_date=PAY_DAY)
    assert data == expected


def test_without_a_separator_the_records_run_together() -> None:
    data = write_transfer_file(
        originator=ISSUER,
        transfers=[BAKERY, FISHMONGER],
        transfer_date=PAY_DAY,
        separator=RecordSeparator.NONE,
    )
    assert len(data) == 5 * 120
    assert b"\r" not in data and b"\n" not in data
    with_crlf = write_transfer_file(
        originator=ISSUER, transfers=[BAKERY, FISHMONGER], transfer_date=PAY_DAY
    )
    assert records_of(data, b"") == records_of(with_crlf)


def test_trailer_totals_equal_the_data() -> None:
    transfers = [replace(BAKERY, amount_yen=amount) for amount in (1, 999, 10_000, 9_999_999_999)]
    data = write_transfer_file(originator=ISSUER, transfers=transfers, transfer_date=PAY_DAY)
    trailer = records_of(data)[-2]
    assert text(trailer, 1, 6) == "000004"
    assert text(trailer, 7, 12) == f"{1 + 999 + 10_000 + 9_999_999_999:012d}"


# --- Refusals when writing: one per code, nothing produced. ---


def refusal(**changes: object) -> ZenginError:
    arguments: dict[str, object] = {
        "originator": ISSUER,
        "transfers": [BAKERY, FISHMONGER],
        "transfer_date": PAY_DAY,
    }
    arguments.update(changes)
    with pytest.raises(ZenginError) as caught:
        write_transfer_file(**arguments)  # type: ignore[arg-type]
    return caught.value


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"bank_code": "9998"}, ZenginCode.BANK_UNKNOWN),
        ({"branch_code": "999"}, ZenginCode.BRANCH_UNKNOWN),
        ({"bank_code": "1"}, ZenginCode.BANK_CODE_INVALID),
        ({"branch_code": "1"}, ZenginCode.BRANCH_CODE_INVALID),
        ({"account_type": 4}, ZenginCode.ACCOUNT_TYPE_INVALID),
        ({"account_type": 1}, ZenginCode.ACCOUNT_TYPE_INVALID),  # a bare int, not the enum
        ({"account_number": ""}, ZenginCode.ACCOUNT_NUMBER_INVALID),
        ({"account_number": "12345678"}, ZenginCode.ACCOUNT_NUMBER_INVALID),
        ({"account_number": "12-345"}, ZenginCode.ACCOUNT_NUMBER_INVALID),
        ({"account_number": 1234567}, ZenginCode.ACCOUNT_NUMBER_INVALID),
        ({"recipient_name": "山田商店"}, ZenginCode.NAME_NOT_REPRESENTABLE),
        ({"recipient_name": "　"}, ZenginCode.NAME_EMPTY),
        ({"recipient_name": "ア" * 31}, ZenginCode.NAME_TOO_LONG),
        ({"recipient_name": "ガ" * 16}, ZenginCode.NAME_TOO_LONG),  # 32 bytes with the marks
        ({"amount_yen": 0}, ZenginCode.AMOUNT_NOT_POSITIVE_INT),
        ({"amount_yen": -500}, ZenginCode.AMOUNT_NOT_POSITIVE_INT),
        ({"amount_yen": 500.0}, ZenginCode.AMOUNT_NOT_POSITIVE_INT),
        ({"amount_yen": True}, ZenginCode.AMOUNT_NOT_POSITIVE_INT),
        ({"amount_yen": "500"}, ZenginCode.AMOUNT_NOT_POSITIVE_INT),
        ({"amount_yen": 10_000_000_000}, ZenginCode.AMOUNT_TOO_LARGE),
        ({"customer_code_1": "12345678901"}, ZenginCode.CUSTOMER_CODE_INVALID),
        ({"customer_code_2": "A1"}, ZenginCode.CUSTOMER_CODE_INVALID),
    ],
)
def test_a_bad_transfer_is_refused_at_its_index(change: dict[str, object], code: str) -> None:
    bad = replace(FISHMONGER, **change)  # type: ignore[arg-type]
    error = refusal(transfers=[BAKERY, bad])
    assert error.code == code
    assert error.record_index == 1


def test_exactly_thirty_characters_fit_the_recipient_name() -> None:
    data = write_transfer_file(
        originator=ISSUER,
        transfers=[replace(BAKERY, recipient_name="ア" * 30)],
        transfer_date=PAY_DAY,
    )
    assert text(records_of(data)[1], 50, 30) == "ｱ" * 30


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"requester_code": ""}, ZenginCode.REQUESTER_CODE_INVALID),
        ({"requester_code": "12345678901"}, ZenginCode.REQUESTER_CODE_INVALID),
        ({"bank_code": "9998"}, ZenginCode.BANK_UNKNOWN),
        ({"branch_code": "999"}, ZenginCode.BRANCH_UNKNOWN),
        ({"account_type": 9}, ZenginCode.ACCOUNT_TYPE_INVALID),
        ({"account_number": "abc"}, ZenginCode.ACCOUNT_NUMBER_INVALID),
        ({"name": "睦市"}, ZenginCode.NAME_NOT_REPRESENTABLE),
        ({"name": "ア" * 41}, ZenginCode.NAME_TOO_LONG),
        ({"name": ""}, ZenginCode.NAME_EMPTY),
    ],
)
def test_a_bad_originator_is_refused(change: dict[str, object], code: str) -> None:
    error = refusal(originator=replace(ISSUER, **change))  # type: ignore[arg-type]
    assert error.code == code
    assert error.record_index is None


def test_a_holiday_is_not_a_transfer_date() -> None:
    error = refusal(transfer_date=date(2026, 11, 23))  # 勤労感謝の日
    assert error.code == ZenginCode.TRANSFER_DATE_NOT_BUSINESS_DAY


def test_a_file_without_transfers_is_refused() -> None:
    assert refusal(transfers=[]).code == ZenginCode.TRANSFERS_EMPTY


def test_more_transfers_than_the_trailer_can_count_are_refused() -> None:
    # The count is checked before any transfer: a million copies of one record.
    assert refusal(transfers=[BAKERY] * 1_000_000).code == ZenginCode.COUNT_OVERFLOW


def test_a_total_over_twelve_digits_is_refused() -> None:
    biggest = replace(BAKERY, amount_yen=9_999_999_999)
    error = refusal(transfers=[biggest] * 101)  # 1,009,999,999,899 yen
    assert error.code == ZenginCode.TOTAL_OVERFLOW
    assert error.record_index is None


def test_the_first_bad_transfer_is_the_one_reported() -> None:
    error = refusal(
        transfers=[BAKERY, replace(BAKERY, amount_yen=0), replace(BAKERY, bank_code="9998")]
    )
    assert (error.code, error.record_index) == (ZenginCode.AMOUNT_NOT_POSITIVE_INT, 1)


# --- Reading. ---

ROUND_TRIP_ISSUER = replace(ISSUER, name="ﾑﾂｼ ﾁｲｷﾂｳｶ")
ROUND_TRIP_TRANSFERS = [
    replace(
        BAKERY, account_number="0012345", recipient_name="ﾔﾏﾀﾞ ｼﾖｳﾃﾝ", customer_code_1="4711000000"
    ),
    replace(FISHMONGER, customer_code_1="", customer_code_2="1234567890"),
]


@pytest.mark.parametrize("separator", list(RecordSeparator))
def test_round_trip(separator: RecordSeparator) -> None:
    data = write_transfer_file(
        originator=ROUND_TRIP_ISSUER,
        transfers=ROUND_TRIP_TRANSFERS,
        transfer_date=PAY_DAY,
        separator=separator,
    )
    parsed = read_transfer_file(data)
    assert parsed.originator == ROUND_TRIP_ISSUER
    assert [line.transfer for line in parsed.lines] == ROUND_TRIP_TRANSFERS
    assert (parsed.bank_name, parsed.branch_name) == ("ﾐｽﾞﾎ", "ﾄｳｷﾖｳ")
    assert [line.bank_name for line in parsed.lines] == ["ﾐﾂｲｽﾐﾄﾓ", "ﾐﾂﾋﾞｼﾕ-ｴﾌｼﾞｴｲ"]
    assert (parsed.transfer_month, parsed.transfer_day) == (11, 24)
    assert (parsed.count, parsed.total_yen) == (2, 1_298_500)


def test_a_crlf_file_may_lack_the_last_crlf() -> None:
    data = write_transfer_file(originator=ISSUER, transfers=[BAKERY], transfer_date=PAY_DAY)
    assert read_transfer_file(data[:-2]).total_yen == 98_500


@pytest.mark.parametrize("last_end", [b"\n", b""])
def test_a_file_with_lf_line_ends_is_read(last_end: bytes) -> None:
    # Files that went through Unix tools or a mail gateway lose their CRs.
    data = b"\n".join(valid_records()) + last_end
    parsed = read_transfer_file(data)
    assert (parsed.count, parsed.total_yen) == (2, 1_298_500)


@pytest.mark.parametrize("end", [b"\r\n", b"\n", b""])
def test_a_trailing_end_of_file_byte_is_not_part_of_the_file(end: bytes) -> None:
    data = end.join(valid_records()) + end + b"\x1a"
    assert read_transfer_file(data).total_yen == 1_298_500


@pytest.mark.parametrize("designation", list(TransferDesignation))
def test_the_transfer_designation_goes_into_every_data_record(
    designation: TransferDesignation,
) -> None:
    data = write_transfer_file(
        originator=ISSUER,
        transfers=[BAKERY, FISHMONGER],
        transfer_date=PAY_DAY,
        designation=designation,
    )
    records = records_of(data)
    assert [record[111:112] for record in records[1:3]] == [designation.value.encode()] * 2
    assert [line.designation for line in read_transfer_file(data).lines] == [designation] * 2


def test_spaces_in_the_unused_clearing_house_field_are_read() -> None:
    records = records_of(
        write_transfer_file(originator=ISSUER, transfers=[BAKERY], transfer_date=PAY_DAY)
    )
    records[1] = records[1][:38] + b"    " + records[1][42:]
    assert read_transfer_file(b"".join(records)).count == 1


def valid_records() -> list[bytes]:
    data = write_transfer_file(
        originator=ISSUER, transfers=[BAKERY, FISHMONGER], transfer_date=PAY_DAY
    )
    return records_of(data)


def patched(index: int, start: int, new: bytes) -> bytes:
    records = valid_records()
    records[index] = records[index][:start] + new + records[index][start + len(new) :]
    return b"\r\n".join(records) + b"\r\n"


def read_refusal(data: bytes) -> ZenginError:
    with pytest.raises(ZenginError) as caught:
        read_transfer_file(data)
    return caught.value


@pytest.mark.parametrize(
    ("data", "code", "index"),
    [
        (b"", ZenginCode.RECORD_LENGTH_INVALID, None),
        (b"1" * 119, ZenginCode.RECORD_LENGTH_INVALID, None),
        (b"".join(valid_records())[:-1], ZenginCode.RECORD_LENGTH_INVALID, None),
        # LF after the first record, CRLF after the next: one file ends its lines one way.
        (
            valid_records()[0] + b"\n" + b"\r\n".join(valid_records()[1:]),
            ZenginCode.RECORD_LENGTH_INVALID,
            None,
        ),
        (b"\r\n".join(valid_records()) + b"\x1a\x1a", ZenginCode.RECORD_LENGTH_INVALID, None),
        (b"\r\n".join(valid_records()) + b"\r\n\r\n", ZenginCode.RECORD_LENGTH_INVALID, None),
        (
            b"\r\n".join(valid_records()[:2]) + b"\r\n" + valid_records()[2] + b"\r\r",
            ZenginCode.RECORD_LENGTH_INVALID,
            2,
        ),
        (patched(1, 50, "山".encode("cp932")), ZenginCode.ENCODING_INVALID, 1),
        (patched(1, 50, b"\x00"), ZenginCode.ENCODING_INVALID, 1),
        (patched(3, 0, b"2"), ZenginCode.RECORD_SEQUENCE_INVALID, 4),  # no trailer
        (patched(0, 0, b"2"), ZenginCode.RECORD_SEQUENCE_INVALID, 0),  # no header
        (patched(4, 0, b"8"), ZenginCode.RECORD_SEQUENCE_INVALID, 4),  # no end
        (b"".join(valid_records()[:3]), ZenginCode.RECORD_SEQUENCE_INVALID, None),
        (b"".join(valid_records() + valid_records()[-1:]), ZenginCode.RECORD_SEQUENCE_INVALID, 5),
        (patched(0, 1, b"11"), ZenginCode.FIELD_INVALID, 0),  # 給与振込, not 総合振込
        (patched(0, 3, b"1"), ZenginCode.FIELD_INVALID, 0),  # EBCDIC
        (patched(0, 54, b"1332"), ZenginCode.FIELD_INVALID, 0),
        (patched(0, 96, b"12 4567"), ZenginCode.FIELD_INVALID, 0),
        (patched(1, 42, b"4"), ZenginCode.FIELD_INVALID, 1),  # 貯蓄 is not taken
        (patched(2, 80, b"00000O0000"), ZenginCode.FIELD_INVALID, 2),
        (patched(2, 80, b"0000000000"), ZenginCode.FIELD_INVALID, 2),
        (patched(1, 112, b"Y"), ZenginCode.FIELD_INVALID, 1),  # EDI
        (patched(1, 50, b" " * 30), ZenginCode.FIELD_INVALID, 1),
        (patched(3, 1, b"00000A"), ZenginCode.FIELD_INVALID, 3),
        (patched(3, 1, b"000003"), ZenginCode.TRAILER_MISMATCH, 3),
        (patched(3, 7, b"000001298501"), ZenginCode.TRAILER_MISMATCH, 3),
    ],
)
def test_a_malformed_file_is_refused(data: bytes, code: str, index: int | None) -> None:
    error = read_refusal(data)
    assert error.code == code
    assert error.record_index == index


def test_text_is_refused_as_not_bytes() -> None:
    error = read_refusal("1" * 120)  # type: ignore[arg-type]
    assert error.code == ZenginCode.ENCODING_INVALID


def test_a_file_over_the_bound_is_refused_before_it_is_split() -> None:
    assert read_refusal(b" " * 200_000_000).code == ZenginCode.FILE_TOO_LARGE


# --- Fuzz: arbitrary and damaged bytes raise ZenginError and nothing else. ---


def read_or_refuse(data: bytes) -> None:
    with contextlib.suppress(ZenginError):
        read_transfer_file(data)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=1_000))
def test_arbitrary_bytes_raise_only_zengin_errors(data: bytes) -> None:
    read_or_refuse(data)


@settings(max_examples=500, deadline=None)
@given(
    damage=st.lists(
        st.tuples(
            st.integers(min_value=0, max_value=5 * 122 - 1), st.binary(min_size=1, max_size=3)
        ),
        min_size=1,
        max_size=4,
    ),
    cut=st.integers(min_value=0, max_value=5 * 122),
)
def test_damaged_files_raise_only_zengin_errors(damage: list[tuple[int, bytes]], cut: int) -> None:
    data = bytearray(b"\r\n".join(valid_records()) + b"\r\n")
    for at, new in damage:
        data[at : at + len(new)] = new
    read_or_refuse(bytes(data[: max(cut, len(data) - cut)]))
