"""The OpenAPI ``responses`` of a route: the codes it may refuse with, by status.

A route names its codes, ``responses=refusals(Code.MERCHANT_NOT_FOUND, ...)``,
and the document lists under each status every code with its title and
meaning from the table (``kit.errors``; the ledger's codes through
``kit.problems.refusal_of``). The codes any call may meet (a missing key, a
reused Idempotency-Key, an invalid field, the database away) are listed once
per operation, on its ``4XX`` and ``5XX`` answers (``localcoin.openapi``).
"""

from typing import Any

from kit.errors import Code
from kit.problems import refusal_of
from ledger.errors import Code as LedgerCode

Responses = dict[int | str, dict[str, Any]]

# Refusals of the kit itself, which any call may meet (each says when it applies).
ANY_CALL_4XX = (
    Code.UNAUTHENTICATED,
    Code.FORBIDDEN,
    Code.IDEMPOTENCY_KEY_INVALID,
    Code.REQUEST_TOO_LARGE,
    Code.IDEMPOTENCY_KEY_IN_FLIGHT,
    Code.IDEMPOTENCY_KEY_REUSED,
    Code.VALIDATION_ERROR,
)
ANY_CALL_5XX = (Code.INTERNAL_ERROR, Code.SERVICE_UNAVAILABLE)


def described(code: Code | LedgerCode) -> str:
    """One line of a response's description: the code, its status, title and meaning."""
    refusal = refusal_of(code)
    return f"- `{code.value}` ({refusal.status.value} {refusal.title}): {refusal.description}"


def refusals(*codes: Code | LedgerCode) -> Responses:
    """The ``responses`` entries of a route that may refuse with ``codes``, one per status."""
    assert len(set(codes)) == len(codes), "each code once"
    lines: dict[int, list[str]] = {}
    for code in codes:
        lines.setdefault(refusal_of(code).status.value, []).append(described(code))
    return {status: {"description": "\n".join(lines[status])} for status in sorted(lines)}
