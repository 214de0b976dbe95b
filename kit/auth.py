"""Who is calling, as FastAPI dependencies: an API key of a role, or a resident.

Every route names its caller with one of the aliases at the bottom
(``IssuerKey``, ``CurrentResident``, …); they are defined here and nowhere else.
"""

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from kit.access_tokens import resident_of
from kit.caller import identified
from kit.credentials import ApiKey, Role, authenticate
from kit.errors import Code
from kit.problems import Problem
from kit.request_connection import on_request_connection
from ledger.clock import Clock

_bearer = HTTPBearer(auto_error=False)


def current_key(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> ApiKey:
    known = identified(request)
    if known is not None and known.key is not None:
        return known.key  # checked already, before the idempotency key was looked up
    if credentials is None:
        raise Problem(Code.UNAUTHENTICATED, "an API key is required")
    secret = credentials.credentials
    clock: Clock = request.app.state.clock
    now = clock.now()
    key = on_request_connection(request, lambda conn: authenticate(conn, secret, at=now))
    if key is None:
        raise Problem(Code.UNAUTHENTICATED, "the API key is not valid")
    return key


def require(*roles: Role):  # type: ignore[no-untyped-def]
    """A dependency that lets through only keys of these roles."""

    def check(key: Annotated[ApiKey, Depends(current_key)]) -> ApiKey:
        if key.role not in roles:
            raise Problem(Code.FORBIDDEN, f"a {key.role} key may not do this")
        return key

    return check


def current_resident(request: Request) -> int:
    """The resident behind ``Authorization: Bearer lcr_…``."""
    known = identified(request)
    if known is not None and known.resident_id is not None:
        return known.resident_id
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    resident_id = None
    if scheme.lower() == "bearer" and token:
        clock: Clock = request.app.state.clock
        now = clock.now()
        # The request's own connection (docs/benchmarks.md, HTTP payments).
        resident_id = on_request_connection(request, lambda conn: resident_of(conn, token, at=now))
    if resident_id is None:
        raise Problem(Code.UNAUTHENTICATED, "a valid access token is required")
    return resident_id


OperatorKey = Annotated[ApiKey, Depends(require(Role.OPERATOR))]
IssuerKey = Annotated[ApiKey, Depends(require(Role.ISSUER))]
MunicipalityKey = Annotated[ApiKey, Depends(require(Role.MUNICIPALITY))]
# A merchant's own key or one of its terminals' keys: merchant_id is always set.
MerchantKey = Annotated[ApiKey, Depends(require(Role.MERCHANT))]
# The coin's books and merchants: the bank that issues it, or the operator.
IssuerOrOperatorKey = Annotated[ApiKey, Depends(require(Role.ISSUER, Role.OPERATOR))]
# Premium campaigns: the city that funds them, or the bank that sells them.
MunicipalityOrIssuerKey = Annotated[ApiKey, Depends(require(Role.MUNICIPALITY, Role.ISSUER))]
# Reading a coin's rules and the city's figures: any of the coin's institutions.
InstitutionKey = Annotated[ApiKey, Depends(require(Role.MUNICIPALITY, Role.ISSUER, Role.OPERATOR))]
# The resident's internal id, from their access token.
CurrentResident = Annotated[int, Depends(current_resident)]
