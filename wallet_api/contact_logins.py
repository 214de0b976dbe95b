"""A resident's verified e-mail or phone as another login id: their written forms, and the lookup.

The rows are ``resident_contacts`` (migration 0070), kept apart from
``residents`` so erasing a resident's personal data clears them in one place.
Only a verified contact is a login: an address someone merely typed proves
nothing. Phone numbers are Japanese, kept in E.164 (090-1234-5678 is
+819012345678); e-mail addresses are compared in lower case.
"""

import re
import unicodedata
from enum import StrEnum

from sqlalchemy import Connection, text

EMAIL_CHARS_MAX = 254
_EMAIL = re.compile(r"^[^@\s]{1,64}@[A-Za-z0-9.-]{1,189}\.[A-Za-z]{2,63}$")
# Hyphens as people type them: NFKC leaves the minus sign, dashes and the long vowel mark.
_PHONE_SEPARATORS = re.compile(r"[\s\-()\u2010-\u2015\u2212\u30fc]")
# Japan's numbers: 0 and nine or ten digits at home, +81 and the same without the 0.
_DOMESTIC = re.compile(r"^0[0-9]{9,10}$")
_E164_JP = re.compile(r"^\+81[1-9][0-9]{8,9}$")


class ContactKind(StrEnum):
    EMAIL = "email"
    PHONE = "phone"
    LINE = "line"


def normalised_email(written: str) -> str | None:
    address = unicodedata.normalize("NFKC", written).strip().lower()
    if len(address) > EMAIL_CHARS_MAX or not _EMAIL.fullmatch(address):
        return None
    return address


def normalised_phone(written: str) -> str | None:
    digits = _PHONE_SEPARATORS.sub("", unicodedata.normalize("NFKC", written))
    if _DOMESTIC.fullmatch(digits):
        digits = "+81" + digits[1:]
    return digits if _E164_JP.fullmatch(digits) else None


def normalised(kind: ContactKind, written: str) -> str | None:
    assert kind is not ContactKind.LINE, "a LINE user id comes from LINE, never typed"
    return normalised_email(written) if kind is ContactKind.EMAIL else normalised_phone(written)


def login_contact(login: str) -> tuple[ContactKind, str] | None:
    """The verified-contact login ``login`` could be: an e-mail (it has an @) or a
    phone number (it starts with 0 or +); None for anything else."""
    if "@" in login:
        address = normalised_email(login)
        return None if address is None else (ContactKind.EMAIL, address)
    if unicodedata.normalize("NFKC", login).lstrip()[:1] in {"0", "+"}:
        phone = normalised_phone(login)
        return None if phone is None else (ContactKind.PHONE, phone)
    return None


def resident_public_id_by_contact(conn: Connection, kind: ContactKind, address: str) -> str | None:
    found: str | None = conn.execute(
        text(
            "SELECT r.public_id FROM resident_contacts c JOIN residents r ON r.id = c.resident_id"
            " WHERE c.kind = :kind AND c.address = :address AND c.verified_at IS NOT NULL"
        ),
        {"kind": kind.value, "address": address},
    ).scalar_one_or_none()
    return found
