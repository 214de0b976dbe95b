"""The issuer's invoice registration number (適格請求書発行事業者登録番号): T + 13 digits.

A corporation's number is ``T`` followed by its corporate number (法人番号),
whose first digit is a check digit over the other twelve (国税庁, 「法人番号の
指定」 and the 法人番号の検査用数字 rule of 行政手続における特定の個人を識別
するための番号の利用等に関する法律施行令 / 財務省令第70号 of 2014):

    check = 9 - (sum of P(n) * Q(n) for n = 1..12) mod 9

where P(n) is the n-th digit of the 12-digit base counted from the right and
Q(n) is 1 for odd n and 2 for even n. The numbers the 国税庁 assigns to sole
proprietors (T + 13 digits that are not a My Number) use the same form, so
the one rule checks every registration number; the issuers here (shinkin
banks, credit unions) are corporations in any case.

Known answers: 国税庁 T7000012050002, トヨタ自動車 T1180301018771.
"""

import re

_PATTERN = re.compile(r"T([0-9])([0-9]{12})")


def check_digit(base: str) -> int:
    """The check digit of a 12-digit corporate number base."""
    assert len(base) == 12 and base.isascii() and base.isdigit(), base
    weighted = sum(int(d) * (1 if n % 2 else 2) for n, d in enumerate(reversed(base), start=1))
    return 9 - weighted % 9


def is_registration_number(value: str) -> bool:
    """Whether ``value`` is T + 13 ASCII digits whose check digit is right."""
    found = _PATTERN.fullmatch(value)
    return found is not None and int(found.group(1)) == check_digit(found.group(2))
