"""The ledger's result codes and the one exception that carries them.

Codes are stable snake_case strings; callers branch on them and the API turns
them into RFC 9457 problems. Grouped by kind; within a request the ledger
checks the data first, then existence, idempotency, state and the books.
"""

from enum import StrEnum

import psycopg.errors
from sqlalchemy.exc import DBAPIError


class Code(StrEnum):
    """Why the ledger refused a request."""

    # Programmer or caller data errors, found before the database is touched.
    AMOUNT_MUST_BE_POSITIVE = "amount_must_be_positive"
    AMOUNT_EXCEEDS_MAX = "amount_exceeds_max"
    POSTINGS_TOO_FEW = "postings_too_few"
    POSTINGS_TOO_MANY = "postings_too_many"
    ENTRY_UNBALANCED = "entry_unbalanced"
    BATCH_TOO_LARGE = "batch_too_large"
    BATCH_EMPTY = "batch_empty"
    IDEMPOTENCY_KEY_INVALID = "idempotency_key_invalid"
    METADATA_TOO_LARGE = "metadata_too_large"
    KIND_INVALID = "kind_invalid"
    LOT_SPEC_INVALID = "lot_spec_invalid"
    HOLD_TTL_INVALID = "hold_ttl_invalid"
    PAGE_SIZE_INVALID = "page_size_invalid"
    CURSOR_INVALID = "cursor_invalid"
    # Things the request names that do not exist in this coin.
    COIN_NOT_FOUND = "coin_not_found"
    COIN_EXISTS = "coin_exists"
    ACCOUNT_NOT_FOUND = "account_not_found"
    ACCOUNT_EXISTS = "account_exists"
    ENTRY_NOT_FOUND = "entry_not_found"
    HOLD_NOT_FOUND = "hold_not_found"
    # Idempotency.
    IDEMPOTENCY_KEY_REUSED = "idempotency_key_reused"
    # State.
    ALREADY_REVERSED = "already_reversed"
    HOLD_NOT_ACTIVE = "hold_not_active"
    HOLD_EXPIRED = "hold_expired"
    CAPTURE_EXCEEDS_HOLD = "capture_exceeds_hold"
    # The books.
    INSUFFICIENT_FUNDS = "insufficient_funds"
    APPEND_ONLY = "append_only"


# What each code means to a caller, in a line (docs/ledger.md, "Result codes").
MEANINGS: dict[Code, str] = {
    Code.AMOUNT_MUST_BE_POSITIVE: "An amount is zero, negative where it must be positive,"
    " or not an integer.",
    Code.AMOUNT_EXCEEDS_MAX: "An amount exceeds the ledger's maximum.",
    Code.POSTINGS_TOO_FEW: "An entry has fewer than 2 postings.",
    Code.POSTINGS_TOO_MANY: "An entry has more than 32 postings.",
    Code.ENTRY_UNBALANCED: "The postings do not sum to zero.",
    Code.BATCH_TOO_LARGE: "A batch has more than 1,000 entries.",
    Code.BATCH_EMPTY: "A batch has no entries.",
    Code.IDEMPOTENCY_KEY_INVALID: "The key is empty, too long or not printable.",
    Code.METADATA_TOO_LARGE: "Metadata over 4,096 bytes.",
    Code.KIND_INVALID: "The entry kind is not 1-64 characters of [a-z0-9_.].",
    Code.LOT_SPEC_INVALID: "A debit names a lot kind to add to, or a credit names lots to spend.",
    Code.HOLD_TTL_INVALID: "A hold's lifetime is not within (0, 90 days].",
    Code.PAGE_SIZE_INVALID: "A history page size outside 1-200.",
    Code.CURSOR_INVALID: "A cursor this ledger did not give.",
    Code.COIN_NOT_FOUND: "The coin named does not exist.",
    Code.COIN_EXISTS: "The coin's code is taken.",
    Code.ACCOUNT_NOT_FOUND: "The account named does not exist in this coin.",
    Code.ACCOUNT_EXISTS: "The account's code is taken in this coin.",
    Code.ENTRY_NOT_FOUND: "The entry named does not exist in this coin.",
    Code.HOLD_NOT_FOUND: "The hold named does not exist in this coin.",
    Code.IDEMPOTENCY_KEY_REUSED: "The key was used for a different request.",
    Code.ALREADY_REVERSED: "The entry has been reversed already.",
    Code.HOLD_NOT_ACTIVE: "The hold was captured or voided already.",
    Code.HOLD_EXPIRED: "The hold expired; its amount is available again.",
    Code.CAPTURE_EXCEEDS_HOLD: "The capture is more than the hold.",
    Code.INSUFFICIENT_FUNDS: "The available balance, or the lots eligible for the debit,"
    " are too small.",
    Code.APPEND_ONLY: "The books are append-only: an UPDATE or DELETE was refused.",
}
assert set(MEANINGS) == set(Code), "every ledger code has its meaning"


class LedgerError(Exception):
    """A refusal by the ledger. Nothing was written when it is raised."""

    def __init__(self, code: Code, detail: str) -> None:
        super().__init__(f"{code}: {detail}")
        self.code = code
        self.detail = detail


# Constraint names the schema raises, and what they mean to a caller.
_CONSTRAINT_CODES = {
    "account_balances_no_negative": Code.INSUFFICIENT_FUNDS,
    "lots_insufficient": Code.INSUFFICIENT_FUNDS,
    "lots_remaining_not_negative": Code.INSUFFICIENT_FUNDS,
    "entry_balanced": Code.ENTRY_UNBALANCED,
    "entries_reversed_once": Code.ALREADY_REVERSED,
    # A leg or a hold naming an account that is not in this coin's books.
    "postings_account_exists": Code.ACCOUNT_NOT_FOUND,
    # A posting added to an entry that an earlier transaction committed.
    "postings_entry_of_this_transaction": Code.APPEND_ONLY,
    "holds_coin_id_account_id_fkey": Code.ACCOUNT_NOT_FOUND,
}


def driver_error(error: BaseException) -> BaseException | None:
    """The psycopg exception behind an error, whether SQLAlchemy wrapped it or not."""
    if isinstance(error, DBAPIError):
        return error.orig
    if isinstance(error, psycopg.Error):
        return error
    return None


def is_retryable(error: BaseException) -> bool:
    """Serialization failures and deadlocks: the unit of work runs again, unseen."""
    orig = driver_error(error)
    return isinstance(orig, psycopg.errors.SerializationFailure | psycopg.errors.DeadlockDetected)


def translate_db_error(error: BaseException) -> LedgerError | None:
    """The ledger's refusal behind a database error, or None if it is not one."""
    orig = driver_error(error)
    if isinstance(orig, psycopg.errors.RestrictViolation):
        return LedgerError(Code.APPEND_ONLY, str(orig).splitlines()[0])
    if not isinstance(orig, psycopg.errors.IntegrityError):
        return None
    constraint = orig.diag.constraint_name or ""
    code = _CONSTRAINT_CODES.get(constraint)
    if code is None:
        return None
    return LedgerError(code, str(orig).splitlines()[0])
