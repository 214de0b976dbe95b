"""Who is calling, checked once per request before anything is read or replayed.

An ``Authorization: Bearer`` credential is checked first: an API key
(``lc_…``) against its stored hash, or a resident's access token against its
hash, expiry and revocation. A credential that does not check out is 401 at
once: no stored answer is ever looked up for it, so a forged or revoked
credential cannot read another caller's replay. A request without one is
anonymous (the public routes: sign-up, login), scoped by its address.

The result is kept on the request, so the route's own key or resident
dependency (kit/auth.py) does not check it again.
"""

from dataclasses import dataclass
from datetime import datetime

from fastapi import Request
from sqlalchemy import Connection

from kit.access_tokens import resident_of
from kit.credentials import ApiKey, authenticate
from kit.errors import Code
from kit.problems import Problem

# The longest credential worth a lookup: keys are ~70 characters, tokens ~60.
CREDENTIAL_LENGTH_MAX = 512


@dataclass(frozen=True, slots=True)
class Caller:
    """Attributes:
    scope: what idempotency keys are scoped by: ``key:<id>``, ``resident:<id>``,
        or ``public:<address>`` for an anonymous request; never text from the header.
    key: the API key, when the credential is one.
    resident_id: the resident, when the credential is an access token.
    """

    scope: str
    key: ApiKey | None = None
    resident_id: int | None = None


def bearer_of(request: Request) -> str | None:
    scheme, _, credential = request.headers.get("authorization", "").partition(" ")
    return credential.strip() if scheme.lower() == "bearer" and credential.strip() else None


def identify(conn: Connection, request: Request, *, at: datetime) -> Caller:
    """The authenticated caller (kept on ``request.state.caller``), or Problem 401."""
    credential = bearer_of(request)
    if credential is None:
        host = request.client.host if request.client else "unknown"
        caller = Caller(scope=f"public:{host}")
    elif len(credential) > CREDENTIAL_LENGTH_MAX:
        raise Problem(Code.UNAUTHENTICATED, "the credential is not valid")
    elif credential.startswith("lc_"):
        key = authenticate(conn, credential, at=at)
        if key is None:
            raise Problem(Code.UNAUTHENTICATED, "the API key is not valid")
        caller = Caller(scope=f"key:{key.id}", key=key)
    else:
        resident = resident_of(conn, credential, at=at)
        if resident is None:
            raise Problem(Code.UNAUTHENTICATED, "a valid access token is required")
        caller = Caller(scope=f"resident:{resident}", resident_id=resident)
    request.state.caller = caller
    return caller


def identified(request: Request) -> Caller | None:
    """The caller this request was already identified as, if it was."""
    caller: Caller | None = getattr(request.state, "caller", None)
    return caller
