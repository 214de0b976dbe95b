"""Why a Zengin transfer file could not be written or read, and the one exception.

Codes are stable snake_case strings; callers branch on them and the API turns
them into RFC 9457 problems. The writer checks in this order and reports the
first refusal it meets: the transfer date, the originator (requester code,
bank and branch, account, name), the number of transfers, each transfer in
input order (bank and branch, account, name, amount, customer codes), then the
file's total.
The reader checks the file's size and framing first, then each record in file
order (its encoding, its kind in the sequence, its fields), then the trailer.
"""

from enum import StrEnum


class ZenginCode(StrEnum):
    """Why a transfer file was refused."""

    # Writing: the data given to the writer.
    TRANSFER_DATE_NOT_BUSINESS_DAY = "transfer_date_not_business_day"
    REQUESTER_CODE_INVALID = "requester_code_invalid"
    TRANSFERS_EMPTY = "transfers_empty"
    BANK_CODE_INVALID = "bank_code_invalid"
    BRANCH_CODE_INVALID = "branch_code_invalid"
    BANK_UNKNOWN = "bank_unknown"
    BRANCH_UNKNOWN = "branch_unknown"
    ACCOUNT_TYPE_INVALID = "account_type_invalid"
    ACCOUNT_NUMBER_INVALID = "account_number_invalid"
    NAME_EMPTY = "name_empty"
    NAME_NOT_REPRESENTABLE = "name_not_representable"
    NAME_TOO_LONG = "name_too_long"
    AMOUNT_NOT_POSITIVE_INT = "amount_not_positive_int"
    AMOUNT_TOO_LARGE = "amount_too_large"
    CUSTOMER_CODE_INVALID = "customer_code_invalid"
    COUNT_OVERFLOW = "count_overflow"
    TOTAL_OVERFLOW = "total_overflow"
    # Reading: the bytes given to the reader.
    FILE_TOO_LARGE = "file_too_large"
    RECORD_LENGTH_INVALID = "record_length_invalid"
    ENCODING_INVALID = "encoding_invalid"
    RECORD_SEQUENCE_INVALID = "record_sequence_invalid"
    FIELD_INVALID = "field_invalid"
    TRAILER_MISMATCH = "trailer_mismatch"


class ZenginError(Exception):
    """A refusal to write or read a transfer file. No byte was produced when it is raised.

    Not a frozen dataclass: the interpreter and test tools set attributes on
    exceptions (``__traceback__``, ``__notes__``).

    Attributes:
        code: why, from the documented list.
        detail: a sentence for people, naming the field and the value's problem.
        record_index: where. When writing: the index of the transfer in the
            caller's sequence (0-based); None for the originator, the date or the
            file as a whole. When reading: the index of the 120-byte record in
            the file (0-based, the header is 0); None for the file as a whole.
    """

    def __init__(self, code: ZenginCode, detail: str, record_index: int | None = None) -> None:
        where = "" if record_index is None else f" (record {record_index})"
        super().__init__(f"{code}: {detail}{where}")
        self.code = code
        self.detail = detail
        self.record_index = record_index

    def at(self, record_index: int) -> "ZenginError":
        """The same refusal, placed at a record: helpers do not know where they are."""
        return ZenginError(self.code, self.detail, record_index)
