"""RFC 9457 problem details: one table of codes and statuses, one handler.

Every error the API returns is ``application/problem+json`` with ``type``,
``title``, ``status``, ``detail`` and a stable snake_case ``code``.

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

from ledger.errors import Code, LedgerError

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

_LEDGER_STATUS: dict[Code, HTTPStatus] = {
    Code.COIN_NOT_FOUND: HTTPStatus.NOT_FOUND,
    Code.ACCOUNT_NOT_FOUND: HTTPStatus.NOT_FOUND,
    Code.ENTRY_NOT_FOUND: HTTPStatus.NOT_FOUND,
    Code.HOLD_NOT_FOUND: HTTPStatus.NOT_FOUND,
    Code.COIN_EXISTS: HTTPStatus.CONFLICT,
    Code.ACCOUNT_EXISTS: HTTPStatus.CONFLICT,
    Code.ALREADY_REVERSED: HTTPStatus.CONFLICT,
    Code.HOLD_NOT_ACTIVE: HTTPStatus.CONFLICT,
    Code.HOLD_EXPIRED: HTTPStatus.CONFLICT,
    Code.APPEND_ONLY: HTTPStatus.CONFLICT,
    Code.INSUFFICIENT_FUNDS: HTTPStatus.PAYMENT_REQUIRED,
}


class Problem(Exception):  # noqa: N818 - RFC 9457 calls it a problem
    """An error the API answers with, as a problem document."""

    def __init__(self, status: HTTPStatus, code: str, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail


def problem_response(status: HTTPStatus, code: str, detail: str, **extra: object) -> JSONResponse:
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
    if isinstance(error, Problem):
        return problem_response(error.status, error.code, error.detail)
    if isinstance(error, LedgerError):
        status = _LEDGER_STATUS.get(error.code, HTTPStatus.UNPROCESSABLE_ENTITY)
        return problem_response(status, error.code.value, error.detail)
    if isinstance(error, RequestValidationError):
        errors = [
            {"field": ".".join(str(p) for p in e["loc"] if p != "body"), "message": e["msg"]}
            for e in error.errors()
        ]
        fields = ", ".join(e["field"] for e in errors)
        return problem_response(
            HTTPStatus.UNPROCESSABLE_ENTITY,
            "validation_error",
            f"invalid: {fields}",
            errors=errors,
        )
    if isinstance(error, StarletteHTTPException):
        status = HTTPStatus(error.status_code)
        code = status.phrase.lower().replace(" ", "_").replace("-", "_")
        return problem_response(status, code, str(error.detail))
    if isinstance(error, SqlDataError | psycopg.DataError):
        # Input the schema lets through but PostgreSQL cannot hold (a NUL character in a
        # string, a number past bigint): the caller's data, not a server failure.
        return problem_response(
            HTTPStatus.UNPROCESSABLE_ENTITY,
            "validation_error",
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
            HTTPStatus.SERVICE_UNAVAILABLE,
            "service_unavailable",
            "the service is briefly unavailable; retry with the same Idempotency-Key",
        )
        response.headers["Retry-After"] = str(UNAVAILABLE_RETRY_AFTER_S)
        return response

    for cause in DATABASE_UNAVAILABLE:
        app.add_exception_handler(cause, unavailable)
