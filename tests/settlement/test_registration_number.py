"""The issuer's registration number: T + 13 digits with the corporate number's check digit."""

import pytest

from settlement.registration_number import check_digit, is_registration_number


@pytest.mark.parametrize(
    "number",
    [
        "T7000012050002",  # 国税庁 itself
        "T1180301018771",  # トヨタ自動車株式会社
    ],
)
def test_published_numbers_are_accepted(number: str) -> None:
    assert is_registration_number(number)


def test_the_check_digit_by_hand() -> None:
    # 700001205000 2 → base 000012050002; from the right, digits weighted 1, 2, 1, 2, …:
    # 2*1 + 0*2 + 0*1 + 0*2 + 5*1 + 0*2 + 2*1 + 1*2 + 0*1 + 0*2 + 0*1 + 0*2 = 11; 9 - 11 % 9 = 7
    assert check_digit("000012050002") == 7


@pytest.mark.parametrize(
    "number",
    [
        "T8000012050002",  # a wrong check digit
        "T1180301018772",  # a changed digit
        "7000012050002",  # no T
        "t7000012050002",  # lower-case t
        "T700001205000",  # 12 digits
        "T70000120500021",  # 14 digits
        "T７０００012050002",  # noqa: RUF001 - full-width digits are not ASCII digits
        "T 7000012050002",
    ],
)
def test_anything_else_is_refused(number: str) -> None:
    assert not is_registration_number(number)
