"""Resident numbers: the short login id a resident can read out, type and carry on a card.

Ten digits: nine random ones (the first not zero) and a Luhn check digit, so
a mistyped digit or two swapped neighbours is caught before any lookup. The
digits are random, not counted, so a number says nothing about how many
residents there are or who signed up next; with 900 million of them and the
PIN lockout, guessing someone's number gets nowhere.
"""

import re
import secrets
import unicodedata

NUMBER_DIGITS = 10
_SHAPE = re.compile(r"^[1-9][0-9]{9}$")
# What people type around the digits: spaces and hyphens (NFKC makes full-width ones plain).
_SEPARATORS = re.compile(r"[\s\-]")


def luhn_digit(body: str) -> str:
    """The Luhn check digit of ``body`` (digits)."""
    total = 0
    for position, char in enumerate(reversed(body)):
        value = int(char)
        if position % 2 == 0:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return str((10 - total % 10) % 10)


def new_resident_number() -> str:
    body = str(secrets.randbelow(900_000_000) + 100_000_000)
    return body + luhn_digit(body)


def normalised(login: str) -> str | None:
    """The resident number written in ``login`` (full-width digits and separators
    allowed), or None when it is not one with a right check digit."""
    digits = _SEPARATORS.sub("", unicodedata.normalize("NFKC", login))
    if not _SHAPE.match(digits) or luhn_digit(digits[:-1]) != digits[-1]:
        return None
    return digits


def unusable_number(resident_id: int) -> str:
    """A number for an erased resident: of the column's shape, one per resident id,
    with a wrong check digit, so no log-in (``normalised``) can ever name it and no
    live resident's number is ever taken."""
    assert 0 < resident_id < 900_000_000, "resident ids fit nine digits"
    body = str(100_000_000 + resident_id)
    return body + str((int(luhn_digit(body)) + 1) % 10)
