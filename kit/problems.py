"""RFC 9457 problem details: every refusal answered in one place, by its code.

Every error the API returns is ``application/problem+json`` with ``type``,
``title``, ``status``, ``detail`` and a stable snake_case ``code``. The sides'
codes and their statuses are the table in ``kit.errors``; the ledger's codes
get their statuses here.

When the database cannot be reached (down, restarting, a connection cut
mid-request) the answer is 503 ``service_unavailable`` with ``Retry-After``,
never a 500: nothing was committed that the caller was not told about, or the
caller's retry under the same Idempotency-Key replays it.
"""

from http import HTTPStatus

import psycopg
import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError as SqlDataError
from sqlalchemy.exc import InterfaceError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from kit.errors import Code, Refusal
from ledger.errors import MEANINGS as LEDGER_MEANINGS
from ledger.errors import Code as LedgerCode
from ledger.errors import LedgerError

PROBLEM_TYPE_BASE = "https://localcoin.jp/problems/"
# Seconds a client should wait before asking again while the database is away.
UNAVAILABLE_RETRY_AFTER_S = 1
# Connection lost, server shutting down or restarting, out of connections.
DATABASE_UNAVAILABLE = (
    OperationalError,
    InterfaceError,
    psycopg.OperationalError,
    psycopg.InterfaceError,
)

log = structlog.get_logger(__name__)

# The statuses of the ledger's codes; a code not listed (the request's data) is 422.
_LEDGER_STATUS: dict[LedgerCode, HTTPStatus] = {
    LedgerCode.COIN_NOT_FOUND: HTTPStatus.NOT_FOUND,
    LedgerCode.ACCOUNT_NOT_FOUND: HTTPStatus.NOT_FOUND,
    LedgerCode.ENTRY_NOT_FOUND: HTTPStatus.NOT_FOUND,
    LedgerCode.HOLD_NOT_FOUND: HTTPStatus.NOT_FOUND,
    LedgerCode.COIN_EXISTS: HTTPStatus.CONFLICT,
    LedgerCode.ACCOUNT_EXISTS: HTTPStatus.CONFLICT,
    LedgerCode.ALREADY_REVERSED: HTTPStatus.CONFLICT,
    LedgerCode.HOLD_NOT_ACTIVE: HTTPStatus.CONFLICT,
    LedgerCode.HOLD_EXPIRED: HTTPStatus.CONFLICT,
    LedgerCode.APPEND_ONLY: HTTPStatus.CONFLICT,
    LedgerCode.INSUFFICIENT_FUNDS: HTTPStatus.PAYMENT_REQUIRED,
}


def refusal_of(code: Code | LedgerCode) -> Refusal:
    """What a code means to a caller, whether the sides' table or the ledger holds it."""
    if isinstance(code, Code):
        return code.refusal
    status = _LEDGER_STATUS.get(code, HTTPStatus.UNPROCESSABLE_ENTITY)
    return Refusal(status, code.value.replace("_", " ").capitalize(), LEDGER_MEANINGS[code])


class Problem(Exception):  # noqa: N818 - RFC 9457 calls it a problem
    """A refusal the API answers with, as a problem document; its status is its code's."""

    def __init__(self, code: Code, detail: str) -> None:
        super().__init__(detail)
        self.status = code.refusal.status
        self.code = code
        self.detail = detail


def problem_response(code: Code | LedgerCode, detail: str, **extra: object) -> JSONResponse:
    """The answer to a refusal with ``code``; ``extra`` adds members to the document."""
    return _answer(refusal_of(code).status, code.value, detail, **extra)


def _answer(status: HTTPStatus, code: str, detail: str, **extra: object) -> JSONResponse:
    body: dict[str, object] = {
        "type": PROBLEM_TYPE_BASE + code,
        "title": status.phrase,
        "status": status.value,
        "detail": detail,
        "code": code,
    }
    body.update(extra)
    headers = {"WWW-Authenticate": "Bearer"} if status is HTTPStatus.UNAUTHORIZED else None
    return JSONResponse(
        body, status_code=status.value, media_type="application/problem+json", headers=headers
    )


def problem_for(error: Exception) -> JSONResponse | None:
    """The problem response for a refusal, or None for an unexpected error (a bug)."""
    if isinstance(error, Problem | LedgerError):
        return problem_response(error.code, error.detail)
    if isinstance(error, RequestValidationError):
        errors = [
            {"field": ".".join(str(p) for p in e["loc"] if p != "body"), "message": e["msg"]}
            for e in error.errors()
        ]
        fields = ", ".join(e["field"] for e in errors)
        return problem_response(Code.VALIDATION_ERROR, f"invalid: {fields}", errors=errors)
    if isinstance(error, StarletteHTTPException):
        status = HTTPStatus(error.status_code)
        code = status.phrase.lower().replace(" ", "_").replace("-", "_")
        # Routing's own refusals (no such path, method not allowed): named by their status.
        return _answer(status, code, str(error.detail))
    if isinstance(error, SqlDataError | psycopg.DataError):
        # Input the schema lets through but PostgreSQL cannot hold (a NUL character in a
        # string, a number past bigint): the caller's data, not a server failure.
        return problem_response(
            Code.VALIDATION_ERROR,
            "a value cannot be stored (a NUL character, or a number out of range)",
        )
    return None


def install_problem_handlers(app: FastAPI) -> None:
    async def handle(_: Request, error: Exception) -> JSONResponse:
        response = problem_for(error)
        assert response is not None, "only refusals are registered"
        return response

    for refusal in (
        Problem,
        LedgerError,
        RequestValidationError,
        StarletteHTTPException,
        SqlDataError,
        psycopg.DataError,
    ):
        app.add_exception_handler(refusal, handle)

    async def unavailable(_: Request, error: Exception) -> JSONResponse:
        log.warning("database_unavailable", error=type(error).__name__)
        response = problem_response(
            Code.SERVICE_UNAVAILABLE,
            "the service is briefly unavailable; retry with the same Idempotency-Key",
        )
        response.headers["Retry-After"] = str(UNAVAILABLE_RETRY_AFTER_S)
        return response

    for cause in DATABASE_UNAVAILABLE:
        app.add_exception_handler(cause, unavailable)

    async def internal(_: Request, error: Exception) -> JSONResponse:
        # The traceback goes to the log (SQL parameters hidden: kit/database.py);
        # the caller learns only that it failed and that nothing changed.
        log.error("internal_error", error=type(error).__name__, exc_info=error)
        return problem_response(Code.INTERNAL_ERROR, "the request failed on our side")

    app.add_exception_handler(Exception, internal)
