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
"""

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime

from fastapi.responses import JSONResponse
from sqlalchemy import Connection, text

from jp_banking.bank_codes import find_branch
from jp_banking.kana import to_zengin
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


@dataclass(frozen=True, slots=True)
class Location:
    """Where the shop is, as written in the application (each part optional)."""

    postal_code: str | None = None
    city: str | None = None
    jpqr_store_id: str | None = None


# 123-4567 or 1234567, with or without the postal mark, full-width digits too (NFKC).
POSTAL_CODE = re.compile(r"^〒?\s*([0-9]{3})-?([0-9]{4})$")
CITY_LENGTH_MAX = 100
STORE_ID = re.compile(r"^[0-9A-Za-z]{1,32}$")


def _location(form: Location, errors: list[FieldError]) -> Location:
    postal = city = None
    if form.postal_code is not None:
        found = POSTAL_CODE.match(unicodedata.normalize("NFKC", form.postal_code).strip())
        if found is None:
            errors.append(
                FieldError("postal_code", Code.POSTAL_CODE_INVALID, "seven digits, e.g. 123-4567")
            )
        else:
            postal = found.group(1) + found.group(2)
    if form.city is not None:
        city = form.city.strip()
        if not 1 <= len(city) <= CITY_LENGTH_MAX or any(
            unicodedata.category(char).startswith("C") for char in city
        ):
            errors.append(
                FieldError(
                    "city", Code.CITY_INVALID, f"1 to {CITY_LENGTH_MAX} printable characters"
                )
            )
    store = form.jpqr_store_id
    if store is not None and not STORE_ID.fullmatch(store):
        errors.append(
            FieldError("jpqr_store_id", Code.JPQR_STORE_ID_INVALID, "1 to 32 letters and digits")
        )
    return Location(postal, city, store)


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
        kana = to_zengin(value)
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
    place = _location(location or Location(), errors)
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
    )
