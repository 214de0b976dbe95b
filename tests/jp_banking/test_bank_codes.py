"""Bank and branch codes checked against the real 全銀協 list (zengin-code)."""

import pytest

from jp_banking.bank_codes import find_branch, is_known_branch
from jp_banking.zengin_errors import ZenginCode, ZenginError


def test_mizuho_head_office_is_found_with_its_kana_names() -> None:
    branch = find_branch(bank_code="0001", branch_code="001")
    assert branch.bank_name == "ﾐｽﾞﾎ"
    assert branch.branch_name == "ﾄｳｷﾖｳ"
    assert (branch.bank_code, branch.branch_code) == ("0001", "001")


def test_a_bank_name_with_a_long_vowel_is_written_with_a_hyphen() -> None:
    assert find_branch(bank_code="0005", branch_code="001").bank_name == "ﾐﾂﾋﾞｼﾕ-ｴﾌｼﾞｴｲ"


@pytest.mark.parametrize(
    ("bank_code", "branch_code", "code"),
    [
        ("1", "001", ZenginCode.BANK_CODE_INVALID),
        ("00001", "001", ZenginCode.BANK_CODE_INVALID),
        ("０００１", "001", ZenginCode.BANK_CODE_INVALID),  # noqa: RUF001 - full-width digits
        ("000²", "001", ZenginCode.BANK_CODE_INVALID),
        ("0001", "01", ZenginCode.BRANCH_CODE_INVALID),
        ("0001", "A01", ZenginCode.BRANCH_CODE_INVALID),
        ("9998", "001", ZenginCode.BANK_UNKNOWN),
        ("0001", "999", ZenginCode.BRANCH_UNKNOWN),
    ],
)
def test_bad_and_unknown_codes_are_refused(bank_code: str, branch_code: str, code: str) -> None:
    with pytest.raises(ZenginError) as caught:
        find_branch(bank_code=bank_code, branch_code=branch_code)
    assert caught.value.code == code
    assert not is_known_branch(bank_code=bank_code, branch_code=branch_code)


def test_is_known_branch() -> None:
    assert is_known_branch(bank_code="0001", branch_code="001")
    assert is_known_branch(bank_code="9900", branch_code="019")  # ゆうちょ銀行 〇一九店
