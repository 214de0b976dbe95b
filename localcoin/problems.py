"""RFC 9457 problem details: one table of codes and statuses, one handler.

Every error the API returns is ``application/problem+json`` with ``type``,
``title``, ``status``, ``detail`` and a stable snake_case ``code``.
"""

from http import HTTPStatus

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from ledger.errors import Code, LedgerError

PROBLEM_TYPE_BASE = "https://localcoin.jp/problems/"

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
    return None


def install_problem_handlers(app: FastAPI) -> None:
    async def handle(_: Request, error: Exception) -> JSONResponse:
        response = problem_for(error)
        assert response is not None, "only refusals are registered"
        return response

    for refusal in (Problem, LedgerError, RequestValidationError, StarletteHTTPException):
        app.add_exception_handler(refusal, handle)
