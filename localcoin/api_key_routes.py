"""Named API keys (HTTP), for the operator's and the issuer's keys.

Refusals: 403 ``forbidden`` (another role) / ``key_role_not_allowed`` (a role
above the caller's), 404 ``key_not_found``, 409 ``key_not_live`` (rotating a
revoked or expired key), 422 ``key_label_invalid`` / ``key_expiry_invalid``
/ ``validation_error``.
"""

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request

from kit.auth import IssuerOrOperatorKey
from kit.credentials import Role
from kit.errors import Code
from kit.idempotency import Db, IdempotentRoute
from kit.named_keys import create_key, get_key, list_keys, revoke, rotate
from kit.refusal_docs import refusals
from kit.request_clock import request_clock
from localcoin.api_key_schemas import (
    NamedKeyCreate,
    NamedKeyPage,
    NamedKeyPublic,
    NamedKeyWithSecret,
)

router = APIRouter(prefix="/v1", route_class=IdempotentRoute, tags=["keys"])

PAGE_MAX = 100
Limit = Annotated[int, Query(ge=1, le=PAGE_MAX)]
After = Annotated[str | None, Query(description="The id of the last key seen.", max_length=64)]
KeyId = Annotated[str, Path(max_length=64)]


@router.post(
    "/api_keys",
    status_code=201,
    response_model=NamedKeyWithSecret,
    responses=refusals(
        Code.FORBIDDEN, Code.KEY_ROLE_NOT_ALLOWED, Code.KEY_LABEL_INVALID, Code.KEY_EXPIRY_INVALID
    ),
)
def create_api_key(
    body: NamedKeyCreate, db: Db, caller: IssuerOrOperatorKey, request: Request
) -> NamedKeyWithSecret:
    """A key for one person or integration, labelled with who holds it; the answer
    shows the secret, once."""
    key, secret = create_key(
        db,
        coin_id=caller.coin_id,
        role=Role(body.role),
        label=body.label,
        at=request_clock(request).now(),
        expires_at=body.expires_at,
        by=caller,
    )
    return NamedKeyWithSecret.revealing(key, secret)


@router.get("/api_keys", response_model=NamedKeyPage, responses=refusals(Code.FORBIDDEN))
def list_api_keys(
    db: Db, caller: IssuerOrOperatorKey, limit: Limit = 20, starting_after: After = None
) -> NamedKeyPage:
    """The coin's named keys, newest first, never their secrets (merchants' keys are theirs)."""
    keys, has_more = list_keys(
        db, coin_id=caller.coin_id, limit=limit, starting_after=starting_after
    )
    return NamedKeyPage(data=[NamedKeyPublic.of(k) for k in keys], has_more=has_more)


@router.get(
    "/api_keys/{key_id}",
    response_model=NamedKeyPublic,
    responses=refusals(Code.FORBIDDEN, Code.KEY_NOT_FOUND),
)
def get_api_key(key_id: KeyId, db: Db, caller: IssuerOrOperatorKey) -> NamedKeyPublic:
    """One named key."""
    return NamedKeyPublic.of(get_key(db, coin_id=caller.coin_id, public_id=key_id))


@router.post(
    "/api_keys/{key_id}/revoke",
    response_model=NamedKeyPublic,
    responses=refusals(Code.FORBIDDEN, Code.KEY_NOT_FOUND, Code.KEY_ROLE_NOT_ALLOWED),
)
def revoke_api_key(
    key_id: KeyId, db: Db, caller: IssuerOrOperatorKey, request: Request
) -> NamedKeyPublic:
    """Ends the key: from now on it is 401. Revoking a revoked key changes nothing."""
    key = revoke(
        db, coin_id=caller.coin_id, public_id=key_id, at=request_clock(request).now(), by=caller
    )
    return NamedKeyPublic.of(key)


@router.post(
    "/api_keys/{key_id}/rotate",
    status_code=201,
    response_model=NamedKeyWithSecret,
    responses=refusals(
        Code.FORBIDDEN, Code.KEY_NOT_FOUND, Code.KEY_ROLE_NOT_ALLOWED, Code.KEY_NOT_LIVE
    ),
)
def rotate_api_key(
    key_id: KeyId, db: Db, caller: IssuerOrOperatorKey, request: Request
) -> NamedKeyWithSecret:
    """A new key for the same holder, shown once; the old one is revoked at once."""
    key, secret = rotate(
        db, coin_id=caller.coin_id, public_id=key_id, at=request_clock(request).now(), by=caller
    )
    return NamedKeyWithSecret.revealing(key, secret)
