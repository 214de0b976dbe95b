"""Bank and branch codes (金融機関コード, 支店コード) checked against the real list.

The list is the ``zengin_code`` package (PyPI ``zengin-code``), a packaged copy
of the 全銀協 code list with each bank's and branch's name in kana. A code is
good when it has the right shape (4 digits for a bank, 3 for a branch) and the
list has it. The list changes as banks merge and branches close: a code that
was good when an account was registered can be refused later, which is the
point (a transfer to a closed branch is returned as 振込不能).
"""

from dataclasses import dataclass

from zengin_code import Bank

from jp_banking.kana import to_zengin
from jp_banking.zengin_errors import ZenginCode, ZenginError

BANK_CODE_DIGITS = 4
BRANCH_CODE_DIGITS = 3


@dataclass(frozen=True, slots=True, kw_only=True)
class Branch:
    """One branch of one bank, as the code list names it.

    Attributes:
        bank_code: the 4-digit 金融機関コード, e.g. "0001".
        branch_code: the 3-digit 支店コード within that bank, e.g. "001".
        bank_name: the bank's name in half-width Zengin kana, e.g. "ﾐｽﾞﾎ".
        branch_name: the branch's name in half-width Zengin kana, e.g. "ﾄｳｷﾖｳ".
    """

    bank_code: str
    branch_code: str
    bank_name: str
    branch_name: str


def _is_code(code: str, digits: int) -> bool:
    # str.isdigit() accepts "²" and other Unicode digits; the file takes ASCII only.
    return len(code) == digits and code.isascii() and code.isdigit()


def check_bank_code(bank_code: str) -> None:
    """Refuse a bank code that is not 4 ASCII digits (``bank_code_invalid``)."""
    if not _is_code(bank_code, BANK_CODE_DIGITS):
        raise ZenginError(ZenginCode.BANK_CODE_INVALID, f"bank code {bank_code!r} is not 4 digits")


def check_branch_code(branch_code: str) -> None:
    """Refuse a branch code that is not 3 ASCII digits (``branch_code_invalid``)."""
    if not _is_code(branch_code, BRANCH_CODE_DIGITS):
        raise ZenginError(
            ZenginCode.BRANCH_CODE_INVALID, f"branch code {branch_code!r} is not 3 digits"
        )


def find_branch(*, bank_code: str, branch_code: str) -> Branch:
    """The branch the codes name, or a refusal.

    Refusals, in this order: ``bank_code_invalid``, ``branch_code_invalid``,
    ``bank_unknown``, ``branch_unknown``.
    """
    check_bank_code(bank_code)
    check_branch_code(branch_code)
    bank = Bank.all.get(bank_code)
    if bank is None:
        raise ZenginError(ZenginCode.BANK_UNKNOWN, f"no bank has the code {bank_code}")
    branch = bank.branches.get(branch_code)
    if branch is None:
        raise ZenginError(
            ZenginCode.BRANCH_UNKNOWN, f"bank {bank_code} has no branch with the code {branch_code}"
        )
    return Branch(
        bank_code=bank_code,
        branch_code=branch_code,
        bank_name=to_zengin(str(bank.kana)),
        branch_name=to_zengin(str(branch.kana)),
    )


def is_known_branch(*, bank_code: str, branch_code: str) -> bool:
    """Whether the codes name a branch in the list (for forms that check as you type)."""
    try:
        find_branch(bank_code=bank_code, branch_code=branch_code)
    except ZenginError:
        return False
    return True
