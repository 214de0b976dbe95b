"""Checking and normalising what an issuer types in to onboard a merchant.

Every field is checked before anything is written, and every bad field is
reported at once (a form shows them all), each under its own name and code;
the first one's code is the problem's ``code``. Names are normalised the way
the bank will print them: full-width katakana, hiragana and full-width latin
become half-width Zengin characters (``jp_banking.kana``), so ｶﾌﾞｼｷｶﾞｲｼﾔ typed
as カブシキガイシャ is stored once, as the Zengin file will carry it.

Refusal codes (422, each naming its field):
    name_invalid            name empty, over 100 characters, or with control characters
    name_kana_invalid       outside the Zengin characters, or empty
    name_kana_too_long      over 40 half-width characters
    category_invalid        not snake_case (``food``, ``retail``, ``public``, …)
    member_group_not_found  no fee plan of the coin has this group
    bank_code_invalid       not 4 ASCII digits
    bank_not_found          no bank has the code in the Zengin list
    branch_code_invalid     not 3 ASCII digits
    branch_not_found        the bank has no such branch
    account_type_invalid    neither ``ordinary`` nor ``current``
    account_number_invalid  not 1 to 7 ASCII digits (shorter ones are left-padded)
    holder_kana_invalid     outside the Zengin characters, or empty
    holder_kana_too_long    over 30 half-width characters
    postal_code_invalid     missing, or not 7 digits (123-4567, 〒 and full-width digits taken)
    city_invalid            missing, blank, over 100 characters or with control characters
    city_romaji_invalid     over 15 characters or not printable ASCII; or missing while
                            the city is written in Japanese (the QR's field 60 is ASCII)
    jpqr_store_id_invalid   not the 29 digits (13-4-6-6, hyphens and spaces taken) of a
                            unified store id

Kana names get the Zengin abbreviations of company forms (株式会社みどり →
ｶ)ﾐﾄﾞﾘ, ``jp_banking.company_forms``); ``preview_names`` shows the clerk what
the bank will print before anything is saved.
"""

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime

from fastapi.responses import JSONResponse
from sqlalchemy import Connection, text

from jp_banking.bank_codes import find_branch
from jp_banking.company_forms import zengin_name
from jp_banking.zengin_errors import ZenginCode, ZenginError
from kit.errors import Code
from kit.problems import problem_response
from merchant.accounts.merchants import AccountType, BankAccount, Merchant, open_merchant

NAME_LENGTH_MAX = 100
NAME_KANA_LENGTH_MAX = 40
HOLDER_KANA_LENGTH_MAX = 30
ACCOUNT_NUMBER_DIGITS = 7
CATEGORY_PATTERN = re.compile(r"[a-z][a-z0-9_]{0,39}")
_ACCOUNT_NUMBER_PATTERN = re.compile(r"[0-9]{1,7}")

_BANK_REFUSALS = {
    ZenginCode.BANK_CODE_INVALID: ("bank_account.bank_code", Code.BANK_CODE_INVALID),
    ZenginCode.BANK_UNKNOWN: ("bank_account.bank_code", Code.BANK_NOT_FOUND),
    ZenginCode.BRANCH_CODE_INVALID: ("bank_account.branch_code", Code.BRANCH_CODE_INVALID),
    ZenginCode.BRANCH_UNKNOWN: ("bank_account.branch_code", Code.BRANCH_NOT_FOUND),
}
# The kana fields' codes: (empty or outside the Zengin characters, too long).
_KANA_REFUSALS = {
    "name_kana": (Code.NAME_KANA_INVALID, Code.NAME_KANA_TOO_LONG),
    "bank_account.holder_kana": (Code.HOLDER_KANA_INVALID, Code.HOLDER_KANA_TOO_LONG),
}


@dataclass(frozen=True, slots=True)
class FieldError:
    field: str
    code: Code
    message: str


class OnboardingRefused(Exception):  # noqa: N818 - a refusal, answered as a problem
    """One or more fields are bad; nothing was written."""

    def __init__(self, errors: list[FieldError]) -> None:
        assert errors
        super().__init__("; ".join(f"{e.field}: {e.message}" for e in errors))
        self.errors = errors

    def response(self) -> JSONResponse:
        first = self.errors[0]
        return problem_response(
            first.code,
            str(self),
            field=first.field,
            errors=[{"field": e.field, "code": e.code, "message": e.message} for e in self.errors],
        )


@dataclass(frozen=True, slots=True)
class Application:
    """An onboarding request, checked and normalised, ready for ``open_merchant``."""

    name: str
    name_kana: str
    category: str
    member_group: str
    bank_account: BankAccount
    postal_code: str | None = None
    city: str | None = None
    jpqr_store_id: str | None = None
    city_romaji: str | None = None


@dataclass(frozen=True, slots=True)
class Location:
    """Where the shop is, as written in the application.

    Attributes:
        postal_code: required of every merchant (None: missing).
        city: required of every merchant, as written (高山市).
        jpqr_store_id: the unified store id, if Payments Japan assigned one.
        city_romaji: the city in Latin letters (TAKAYAMA); required when the
            city is not ASCII.
    """

    postal_code: str | None = None
    city: str | None = None
    jpqr_store_id: str | None = None
    city_romaji: str | None = None


# 123-4567 or 1234567, with or without the postal mark, full-width digits too (NFKC).
POSTAL_CODE = re.compile(r"^〒?\s*([0-9]{3})-?([0-9]{4})$")
CITY_LENGTH_MAX = 100
CITY_ROMAJI_LENGTH_MAX = 15  # EMVCo's bound on field 60
# 13-4-6-6 digits; the association prints it with hyphens, clerks type it with or without.
STORE_ID = re.compile(r"^([0-9]{13})[- ]?([0-9]{4})[- ]?([0-9]{6})[- ]?([0-9]{6})$")


def _is_ascii_printable(value: str) -> bool:
    return all(" " <= char <= "~" for char in value)


def _postal_code(value: str | None, errors: list[FieldError]) -> str | None:
    found = POSTAL_CODE.match(unicodedata.normalize("NFKC", value or "").strip())
    if found is None:
        errors.append(
            FieldError("postal_code", Code.POSTAL_CODE_INVALID, "seven digits, e.g. 123-4567")
        )
        return None
    return found.group(1) + found.group(2)


def _city(value: str | None, errors: list[FieldError]) -> str | None:
    city = (value or "").strip()
    if not 1 <= len(city) <= CITY_LENGTH_MAX or any(
        unicodedata.category(char).startswith("C") for char in city
    ):
        errors.append(
            FieldError("city", Code.CITY_INVALID, f"1 to {CITY_LENGTH_MAX} printable characters")
        )
        return None
    return city


def _city_romaji(value: str | None, city: str | None, errors: list[FieldError]) -> str | None:
    romaji = None if value is None else unicodedata.normalize("NFKC", value).strip()
    if romaji is None:
        if city is None or _is_ascii_printable(city):
            return None
        message = "the city in Latin letters (e.g. TAKAYAMA), for the QR code"
    elif 1 <= len(romaji) <= CITY_ROMAJI_LENGTH_MAX and _is_ascii_printable(romaji):
        return romaji
    else:
        message = f"1 to {CITY_ROMAJI_LENGTH_MAX} printable ASCII characters"
    errors.append(FieldError("city_romaji", Code.CITY_ROMAJI_INVALID, message))
    return None


def _store_id(value: str | None, errors: list[FieldError]) -> str | None:
    if value is None:
        return None
    found = STORE_ID.match(unicodedata.normalize("NFKC", value).strip())
    if found is None:
        errors.append(
            FieldError(
                "jpqr_store_id",
                Code.JPQR_STORE_ID_INVALID,
                "the unified store id's 29 digits (13-4-6-6), as Payments Japan assigned it",
            )
        )
        return None
    return "".join(found.groups())


def check_location(form: Location, errors: list[FieldError]) -> Location:
    """The location normalised (postal code 7 digits, store id 29 digits); each bad
    field is added to ``errors``."""
    city = _city(form.city, errors)
    return Location(
        postal_code=_postal_code(form.postal_code, errors),
        city=city,
        jpqr_store_id=_store_id(form.jpqr_store_id, errors),
        city_romaji=_city_romaji(form.city_romaji, city, errors),
    )


@dataclass(frozen=True, slots=True)
class BankAccountForm:
    bank_code: str
    branch_code: str
    account_type: str
    account_number: str
    holder_kana: str


def _kana(value: str, *, field: str, width: int, errors: list[FieldError]) -> str:
    invalid, too_long = _KANA_REFUSALS[field]
    try:
        kana = zengin_name(value)
    except ZenginError as error:
        errors.append(FieldError(field, invalid, error.detail))
        return ""
    if not kana:
        errors.append(FieldError(field, invalid, "is empty"))
    elif len(kana) > width:
        errors.append(
            FieldError(
                field,
                too_long,
                f"{kana!r} is {len(kana)} half-width characters; at most {width}",
            )
        )
    return kana


def account_number(value: str) -> str | None:
    """The 7-digit account number, left-padded with zeros, or None if it is not digits."""
    if not _ACCOUNT_NUMBER_PATTERN.fullmatch(value):
        return None
    return value.rjust(ACCOUNT_NUMBER_DIGITS, "0")


def _bank_account(form: BankAccountForm, errors: list[FieldError]) -> BankAccount | None:
    before = len(errors)
    try:
        find_branch(bank_code=form.bank_code, branch_code=form.branch_code)
    except ZenginError as error:
        field, code = _BANK_REFUSALS[error.code]
        errors.append(FieldError(field, code, error.detail))
    account_type = next((t for t in AccountType if t.value == form.account_type), None)
    if account_type is None:
        errors.append(
            FieldError(
                "bank_account.account_type",
                Code.ACCOUNT_TYPE_INVALID,
                f"{form.account_type!r} is neither ordinary nor current",
            )
        )
    number = account_number(form.account_number)
    if number is None:
        errors.append(
            FieldError(
                "bank_account.account_number",
                Code.ACCOUNT_NUMBER_INVALID,
                f"{form.account_number!r} is not 1 to {ACCOUNT_NUMBER_DIGITS} digits",
            )
        )
    holder = _kana(
        form.holder_kana,
        field="bank_account.holder_kana",
        width=HOLDER_KANA_LENGTH_MAX,
        errors=errors,
    )
    if len(errors) > before or account_type is None or number is None:
        return None
    return BankAccount(form.bank_code, form.branch_code, account_type, number, holder)


def member_group_exists(conn: Connection, *, coin_id: int, member_group: str) -> bool:
    return (
        conn.execute(
            text("SELECT 1 FROM fee_plans WHERE coin_id = :coin AND member_group = :group"),
            {"coin": coin_id, "group": member_group},
        ).one_or_none()
        is not None
    )


def check_application(
    conn: Connection,
    *,
    coin_id: int,
    name: str,
    name_kana: str,
    category: str,
    member_group: str,
    bank_account: BankAccountForm,
    location: Location | None = None,
) -> Application:
    """The normalised application, or ``OnboardingRefused`` listing every bad field."""
    errors: list[FieldError] = []
    clean_name = name.strip()
    # Control and format characters (bidi overrides) could hide what a payer is shown.
    hidden = any(unicodedata.category(char).startswith("C") for char in clean_name)
    if hidden or not 1 <= len(clean_name) <= NAME_LENGTH_MAX:
        errors.append(
            FieldError(
                "name", Code.NAME_INVALID, f"1 to {NAME_LENGTH_MAX} printable characters, not blank"
            )
        )
    kana = _kana(name_kana, field="name_kana", width=NAME_KANA_LENGTH_MAX, errors=errors)
    if not CATEGORY_PATTERN.fullmatch(category):
        errors.append(
            FieldError("category", Code.CATEGORY_INVALID, f"{category!r} is not snake_case")
        )
    if not member_group_exists(conn, coin_id=coin_id, member_group=member_group):
        errors.append(
            FieldError(
                "member_group",
                Code.MEMBER_GROUP_NOT_FOUND,
                f"the coin has no fee plan for the group {member_group!r}",
            )
        )
    # None: a migrated merchant whose old platform kept no location (books_import);
    # every merchant onboarded here gives one.
    place = check_location(location, errors) if location is not None else Location()
    account = _bank_account(bank_account, errors)
    if errors or account is None:
        raise OnboardingRefused(errors)
    return Application(
        clean_name,
        kana,
        category,
        member_group,
        account,
        place.postal_code,
        place.city,
        place.jpqr_store_id,
        place.city_romaji,
    )


def open_applied(
    conn: Connection, *, coin_id: int, application: Application, at: datetime
) -> Merchant:
    """Records the merchant a checked application describes, and opens its wallet."""
    return open_merchant(
        conn,
        coin_id=coin_id,
        name=application.name,
        name_kana=application.name_kana,
        category=application.category,
        member_group=application.member_group,
        bank_account=application.bank_account,
        at=at,
        postal_code=application.postal_code,
        city=application.city,
        jpqr_store_id=application.jpqr_store_id,
        city_romaji=application.city_romaji,
    )


@dataclass(frozen=True, slots=True)
class NamesPreview:
    """The kana names as the bank will print them; None where not asked."""

    name_kana: str | None
    holder_kana: str | None


def preview_names(*, name_kana: str | None, holder_kana: str | None) -> NamesPreview:
    """What onboarding would store for the kana names, or ``OnboardingRefused``."""
    errors: list[FieldError] = []
    name = None
    holder = None
    if name_kana is not None:
        name = _kana(name_kana, field="name_kana", width=NAME_KANA_LENGTH_MAX, errors=errors)
    if holder_kana is not None:
        holder = _kana(
            holder_kana,
            field="bank_account.holder_kana",
            width=HOLDER_KANA_LENGTH_MAX,
            errors=errors,
        )
    if errors:
        raise OnboardingRefused(errors)
    return NamesPreview(name, holder)
