"""The Zengin writer's refusals as the API's codes, each passed through under its own name.

Writing a transfer file (and checking the originating account or a bank code
before one is written) may refuse with any of the writer's codes; all are 422,
the request's data (or the data it names) that the bank's format cannot carry.
Reading a file is not done on behalf of a request, so its codes are not here.
"""

from jp_banking.zengin_errors import ZenginCode, ZenginError
from kit.errors import Code
from kit.problems import Problem

ZENGIN_REFUSALS: dict[ZenginCode, Code] = {
    ZenginCode.TRANSFER_DATE_NOT_BUSINESS_DAY: Code.TRANSFER_DATE_NOT_BUSINESS_DAY,
    ZenginCode.REQUESTER_CODE_INVALID: Code.REQUESTER_CODE_INVALID,
    ZenginCode.TRANSFERS_EMPTY: Code.TRANSFERS_EMPTY,
    ZenginCode.BANK_CODE_INVALID: Code.BANK_CODE_INVALID,
    ZenginCode.BRANCH_CODE_INVALID: Code.BRANCH_CODE_INVALID,
    ZenginCode.BANK_UNKNOWN: Code.BANK_UNKNOWN,
    ZenginCode.BRANCH_UNKNOWN: Code.BRANCH_UNKNOWN,
    ZenginCode.ACCOUNT_TYPE_INVALID: Code.ACCOUNT_TYPE_INVALID,
    ZenginCode.ACCOUNT_NUMBER_INVALID: Code.ACCOUNT_NUMBER_INVALID,
    ZenginCode.NAME_EMPTY: Code.NAME_EMPTY,
    ZenginCode.NAME_NOT_REPRESENTABLE: Code.NAME_NOT_REPRESENTABLE,
    ZenginCode.NAME_TOO_LONG: Code.NAME_TOO_LONG,
    ZenginCode.AMOUNT_NOT_POSITIVE_INT: Code.AMOUNT_NOT_POSITIVE_INT,
    ZenginCode.AMOUNT_TOO_LARGE: Code.AMOUNT_TOO_LARGE,
    ZenginCode.CUSTOMER_CODE_INVALID: Code.CUSTOMER_CODE_INVALID,
    ZenginCode.COUNT_OVERFLOW: Code.COUNT_OVERFLOW,
    ZenginCode.TOTAL_OVERFLOW: Code.TOTAL_OVERFLOW,
}
assert all(code.value == api.value for code, api in ZENGIN_REFUSALS.items()), "same strings"


def zengin_problem(error: ZenginError, detail: str | None = None) -> Problem:
    """The 422 answer to a refusal of the writer; ``detail`` replaces the writer's own."""
    assert error.code in ZENGIN_REFUSALS, f"{error.code} is a reader's code"
    return Problem(ZENGIN_REFUSALS[error.code], error.detail if detail is None else detail)
