"""Who is calling: the API key behind ``Authorization: Bearer``, as a FastAPI dependency."""

from http import HTTPStatus
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from localcoin.credentials import ApiKey, Role, authenticate
from localcoin.problems import Problem
from localcoin.request_connection import on_request_connection

_bearer = HTTPBearer(auto_error=False)


def current_key(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> ApiKey:
    if credentials is None:
        raise Problem(HTTPStatus.UNAUTHORIZED, "unauthenticated", "an API key is required")
    secret = credentials.credentials
    key = on_request_connection(request, lambda conn: authenticate(conn, secret))
    if key is None:
        raise Problem(HTTPStatus.UNAUTHORIZED, "unauthenticated", "the API key is not valid")
    return key


def require(*roles: Role):  # type: ignore[no-untyped-def]
    """A dependency that lets through only keys of these roles."""

    def check(key: Annotated[ApiKey, Depends(current_key)]) -> ApiKey:
        if key.role not in roles:
            raise Problem(HTTPStatus.FORBIDDEN, "forbidden", f"a {key.role} key may not do this")
        return key

    return check


OperatorKey = Annotated[ApiKey, Depends(require(Role.OPERATOR))]
IssuerKey = Annotated[ApiKey, Depends(require(Role.ISSUER))]
MunicipalityKey = Annotated[ApiKey, Depends(require(Role.MUNICIPALITY))]
# A merchant's own key or one of its terminals' keys: merchant_id is always set.
MerchantKey = Annotated[ApiKey, Depends(require(Role.MERCHANT))]
