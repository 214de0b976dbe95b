"""A merchant's own back office over HTTP: its stores, terminals and API keys.

Only the merchant's own keys get in (``MerchantOwnerKey``): a terminal's key
is ``terminal_key_not_allowed`` (403), so a stolen till cannot mint keys. A
store, terminal or key of another merchant is not found (404). Secrets are
in the answer of the call that makes them, once, and never listed.

Included under ``/v1`` by ``merchant.accounts.onboarding_routes``.
"""

from typing import Annotated

from fastapi import APIRouter, Query, Request

from kit.credentials import KEY_ID_PREFIX
from kit.errors import Code
from kit.idempotency import Db, IdempotentRoute
from kit.refusal_docs import refusals
from merchant.accounts.merchant_auth import MerchantOwnerKey
from merchant.accounts.merchant_keys import (
    MerchantKeyInfo,
    find_merchant_key,
    issue_merchant_key,
    key_prefix,
    list_merchant_keys,
    revoke_merchant_key,
)
from merchant.accounts.schemas import (
    ApiKeyCreate,
    ApiKeyCreated,
    ApiKeyPage,
    ApiKeyPublic,
    StoreCreate,
    StorePage,
    StorePublic,
    TerminalCreate,
    TerminalPage,
    TerminalPublic,
    TerminalWithKey,
    TillLimits,
    TillLimitsUpdate,
)
from merchant.accounts.terminals import (
    Store,
    Terminal,
    disable_terminal,
    list_stores,
    list_terminals,
    open_store,
    open_terminal,
    rotate_terminal_key,
    set_till_limits,
)

PAGE_MAX = 100

router = APIRouter(route_class=IdempotentRoute, tags=["merchants", "merchant back office"])

Limit = Annotated[int, Query(ge=1, le=PAGE_MAX)]
Cursor = Annotated[str | None, Query(max_length=60, description="The last id seen.")]


def _store(store: Store) -> StorePublic:
    return StorePublic(id=store.public_id, name=store.name, created_at=store.created_at.isoformat())


def _terminal(terminal: Terminal) -> TerminalPublic:
    return TerminalPublic(
        id=terminal.public_id,
        store_id=terminal.store_public_id,
        name=terminal.name,
        status="active" if terminal.disabled_at is None else "disabled",
        created_at=terminal.created_at.isoformat(),
        disabled_at=None if terminal.disabled_at is None else terminal.disabled_at.isoformat(),
    )


def _key(key: MerchantKeyInfo) -> ApiKeyPublic:
    return ApiKeyPublic(
        id=key.public_id,
        prefix=key.prefix,
        label=key.label,
        terminal_id=key.terminal_public_id,
        created_at=key.created_at.isoformat(),
        revoked_at=None if key.revoked_at is None else key.revoked_at.isoformat(),
    )


@router.post(
    "/merchant/stores",
    status_code=201,
    response_model=StorePublic,
    responses=refusals(Code.TERMINAL_KEY_NOT_ALLOWED),
)
def create_store(
    body: StoreCreate, db: Db, caller: MerchantOwnerKey, request: Request
) -> StorePublic:
    """A new store (shop, branch, stall) of the merchant."""
    return _store(
        open_store(db, merchant=caller.merchant, name=body.name, at=request.app.state.clock.now())
    )


@router.get(
    "/merchant/stores",
    response_model=StorePage,
    responses=refusals(Code.TERMINAL_KEY_NOT_ALLOWED, Code.STORE_NOT_FOUND),
)
def get_stores(
    db: Db, caller: MerchantOwnerKey, limit: Limit = 20, starting_after: Cursor = None
) -> StorePage:
    """The merchant's stores, newest first. Refusals: store_not_found (404, the cursor)."""
    stores, has_more = list_stores(
        db, merchant=caller.merchant, limit=limit, starting_after=starting_after
    )
    return StorePage(data=[_store(s) for s in stores], has_more=has_more)


@router.post(
    "/merchant/terminals",
    status_code=201,
    response_model=TerminalWithKey,
    responses=refusals(Code.TERMINAL_KEY_NOT_ALLOWED, Code.STORE_NOT_FOUND),
)
def create_terminal(
    body: TerminalCreate, db: Db, caller: MerchantOwnerKey, request: Request
) -> TerminalWithKey:
    """A new terminal in one of the merchant's stores, with its own key (shown once).

    Refusals: store_not_found (404)."""
    terminal, secret = open_terminal(
        db,
        merchant=caller.merchant,
        store_public_id=body.store_id,
        name=body.name,
        at=request.app.state.clock.now(),
    )
    return TerminalWithKey(**_terminal(terminal).model_dump(), api_key=secret)


@router.post(
    "/merchant/till_limits",
    response_model=TillLimits,
    responses=refusals(Code.TERMINAL_KEY_NOT_ALLOWED, Code.VALIDATION_ERROR),
)
def update_till_limits(body: TillLimitsUpdate, db: Db, caller: MerchantOwnerKey) -> TillLimits:
    """What the merchant's tills may refund with their own keys: charges of the last
    ``refund_days`` days (0 to 90; default 7), at most ``refund_max`` at once
    (default 10,000). A field left out keeps its value; ``GET /v1/merchant`` shows both."""
    days, max_amount = set_till_limits(
        db, merchant=caller.merchant, days=body.refund_days, max_amount=body.refund_max
    )
    return TillLimits(refund_days=days, refund_max=max_amount)


@router.get(
    "/merchant/terminals",
    response_model=TerminalPage,
    responses=refusals(Code.TERMINAL_KEY_NOT_ALLOWED, Code.TERMINAL_NOT_FOUND),
)
def get_terminals(
    db: Db, caller: MerchantOwnerKey, limit: Limit = 20, starting_after: Cursor = None
) -> TerminalPage:
    """The merchant's terminals, disabled ones included, newest first."""
    terminals, has_more = list_terminals(
        db, merchant=caller.merchant, limit=limit, starting_after=starting_after
    )
    return TerminalPage(data=[_terminal(t) for t in terminals], has_more=has_more)


@router.post(
    "/merchant/terminals/{terminal_id}/rotate_key",
    response_model=TerminalWithKey,
    responses=refusals(
        Code.TERMINAL_KEY_NOT_ALLOWED, Code.TERMINAL_NOT_FOUND, Code.TERMINAL_DISABLED
    ),
)
def rotate_key(
    terminal_id: str, db: Db, caller: MerchantOwnerKey, request: Request
) -> TerminalWithKey:
    """A new key for the terminal (shown once); its old keys stop working now.

    Refusals: terminal_not_found (404), terminal_disabled (409)."""
    terminal, secret = rotate_terminal_key(
        db,
        merchant=caller.merchant,
        terminal_public_id=terminal_id,
        at=request.app.state.clock.now(),
    )
    return TerminalWithKey(**_terminal(terminal).model_dump(), api_key=secret)


@router.post(
    "/merchant/terminals/{terminal_id}/disable",
    response_model=TerminalPublic,
    responses=refusals(Code.TERMINAL_KEY_NOT_ALLOWED, Code.TERMINAL_NOT_FOUND),
)
def disable(terminal_id: str, db: Db, caller: MerchantOwnerKey, request: Request) -> TerminalPublic:
    """Disables the terminal for good and revokes its keys. Refusals: terminal_not_found (404)."""
    return _terminal(
        disable_terminal(
            db,
            merchant=caller.merchant,
            terminal_public_id=terminal_id,
            at=request.app.state.clock.now(),
        )
    )


@router.post(
    "/merchant/api_keys",
    status_code=201,
    response_model=ApiKeyCreated,
    responses=refusals(Code.TERMINAL_KEY_NOT_ALLOWED),
)
def create_api_key(
    body: ApiKeyCreate, db: Db, caller: MerchantOwnerKey, request: Request
) -> ApiKeyCreated:
    """A new key of the merchant itself (shown once)."""
    secret = issue_merchant_key(
        db, merchant=caller.merchant, label=body.label, at=request.app.state.clock.now()
    )
    key = find_merchant_key(
        db, merchant=caller.merchant, key_public_id=KEY_ID_PREFIX + key_prefix(secret)
    )
    return ApiKeyCreated(**_key(key).model_dump(), api_key=secret)


@router.get(
    "/merchant/api_keys",
    response_model=ApiKeyPage,
    responses=refusals(Code.TERMINAL_KEY_NOT_ALLOWED, Code.API_KEY_NOT_FOUND),
)
def get_api_keys(
    db: Db, caller: MerchantOwnerKey, limit: Limit = 20, starting_after: Cursor = None
) -> ApiKeyPage:
    """The merchant's keys and its terminals', revoked ones included, without secrets."""
    keys, has_more = list_merchant_keys(
        db, merchant=caller.merchant, limit=limit, starting_after=starting_after
    )
    return ApiKeyPage(data=[_key(k) for k in keys], has_more=has_more)


@router.post(
    "/merchant/api_keys/{key_id}/revoke",
    response_model=ApiKeyPublic,
    responses=refusals(Code.TERMINAL_KEY_NOT_ALLOWED, Code.API_KEY_NOT_FOUND, Code.API_KEY_IN_USE),
)
def revoke_api_key(key_id: str, db: Db, caller: MerchantOwnerKey, request: Request) -> ApiKeyPublic:
    """Revokes one of the merchant's keys now; never the key making the call.

    Refusals: api_key_not_found (404), api_key_in_use (409)."""
    return _key(
        revoke_merchant_key(
            db,
            merchant=caller.merchant,
            key_public_id=key_id,
            caller=caller.key,
            at=request.app.state.clock.now(),
        )
    )
