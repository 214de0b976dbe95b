"""Webhook endpoints, their events and delivery log (HTTP), for the merchant's own key.

Refusals: 403 ``terminal_key_not_allowed`` (a terminal's key), 404
``webhook_endpoint_not_found`` / ``event_not_found`` (also for another
merchant's), 422 ``webhook_url_invalid`` / ``webhook_url_not_allowed`` /
``webhook_event_type_unknown`` / ``limit_exceeded`` / ``cursor_invalid`` /
``validation_error``, 409 ``webhook_endpoint_disabled`` / ``webhook_endpoint_none``.
"""

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request

from kit.errors import Code
from kit.idempotency import Db, IdempotentRoute
from kit.refusal_docs import refusals
from kit.request_clock import request_clock
from merchant.accounts.merchant_auth import MerchantOwnerKey
from merchant.pages import PAGE_DEFAULT, PAGE_MAX
from merchant.webhooks.endpoints import (
    create_endpoint,
    disable_endpoint,
    endpoints_page,
    find_endpoint,
    rotate_secret,
)
from merchant.webhooks.event_log import (
    endpoint_deliveries_page,
    event_deliveries,
    events_page,
    find_event,
    redeliver,
)
from merchant.webhooks.schemas import (
    DeliveryList,
    DeliveryPage,
    DeliveryPublic,
    EndpointCreate,
    EndpointPage,
    EndpointPublic,
    EndpointWithSecret,
    EventPage,
    EventPublic,
    EventWithDeliveries,
)

router = APIRouter(route_class=IdempotentRoute, tags=["webhooks"])

Limit = Annotated[int, Query(ge=1, le=PAGE_MAX)]
After = Annotated[str | None, Query(description="The id of the last item seen.", max_length=64)]
EndpointId = Annotated[str, Path(max_length=64)]
EventId = Annotated[str, Path(max_length=64)]


@router.post(
    "/webhook_endpoints",
    status_code=201,
    response_model=EndpointWithSecret,
    responses=refusals(
        Code.TERMINAL_KEY_NOT_ALLOWED,
        Code.WEBHOOK_EVENT_TYPE_UNKNOWN,
        Code.WEBHOOK_URL_INVALID,
        Code.WEBHOOK_URL_NOT_ALLOWED,
        Code.LIMIT_EXCEEDED,
    ),
)
def create_webhook_endpoint(
    body: EndpointCreate, db: Db, caller: MerchantOwnerKey, request: Request
) -> EndpointWithSecret:
    """Registers a URL for the merchant's events; the answer shows the signing secret, once."""
    endpoint = create_endpoint(
        db,
        merchant=caller.merchant,
        url=body.url,
        events=body.events,
        allow_private=request.app.state.webhook_allow_private_urls,
        at=request_clock(request).now(),
    )
    return EndpointWithSecret.revealing(endpoint)


@router.get(
    "/webhook_endpoints",
    response_model=EndpointPage,
    responses=refusals(Code.TERMINAL_KEY_NOT_ALLOWED, Code.CURSOR_INVALID),
)
def list_webhook_endpoints(
    db: Db, caller: MerchantOwnerKey, limit: Limit = PAGE_DEFAULT, starting_after: After = None
) -> EndpointPage:
    """The merchant's endpoints, newest first (secrets are never shown again)."""
    endpoints, has_more = endpoints_page(
        db, merchant=caller.merchant, limit=limit, starting_after=starting_after
    )
    return EndpointPage(data=[EndpointPublic.of(e) for e in endpoints], has_more=has_more)


@router.get(
    "/webhook_endpoints/{endpoint_id}",
    response_model=EndpointPublic,
    responses=refusals(Code.TERMINAL_KEY_NOT_ALLOWED, Code.WEBHOOK_ENDPOINT_NOT_FOUND),
)
def get_webhook_endpoint(
    endpoint_id: EndpointId, db: Db, caller: MerchantOwnerKey
) -> EndpointPublic:
    """One of the merchant's endpoints."""
    return EndpointPublic.of(
        find_endpoint(db, merchant=caller.merchant, endpoint_public_id=endpoint_id)
    )


@router.post(
    "/webhook_endpoints/{endpoint_id}/disable",
    response_model=EndpointPublic,
    responses=refusals(Code.TERMINAL_KEY_NOT_ALLOWED, Code.WEBHOOK_ENDPOINT_NOT_FOUND),
)
def disable_webhook_endpoint(
    endpoint_id: EndpointId, db: Db, caller: MerchantOwnerKey, request: Request
) -> EndpointPublic:
    """Stops sending to the endpoint; its pending deliveries are canceled."""
    endpoint = disable_endpoint(
        db,
        merchant=caller.merchant,
        endpoint_public_id=endpoint_id,
        at=request_clock(request).now(),
    )
    return EndpointPublic.of(endpoint)


@router.post(
    "/webhook_endpoints/{endpoint_id}/rotate_secret",
    response_model=EndpointWithSecret,
    responses=refusals(
        Code.TERMINAL_KEY_NOT_ALLOWED,
        Code.WEBHOOK_ENDPOINT_NOT_FOUND,
        Code.WEBHOOK_ENDPOINT_DISABLED,
    ),
)
def rotate_webhook_secret(
    endpoint_id: EndpointId, db: Db, caller: MerchantOwnerKey, request: Request
) -> EndpointWithSecret:
    """A new secret, shown once; the old one keeps signing beside it for 24 hours."""
    endpoint = rotate_secret(
        db,
        merchant=caller.merchant,
        endpoint_public_id=endpoint_id,
        at=request_clock(request).now(),
    )
    return EndpointWithSecret.revealing(endpoint)


@router.get(
    "/webhook_endpoints/{endpoint_id}/deliveries",
    response_model=DeliveryPage,
    responses=refusals(
        Code.TERMINAL_KEY_NOT_ALLOWED, Code.WEBHOOK_ENDPOINT_NOT_FOUND, Code.CURSOR_INVALID
    ),
)
def list_endpoint_deliveries(
    endpoint_id: EndpointId,
    db: Db,
    caller: MerchantOwnerKey,
    limit: Limit = PAGE_DEFAULT,
    starting_after: After = None,
) -> DeliveryPage:
    """The endpoint's deliveries, newest first, with every attempt."""
    endpoint = find_endpoint(db, merchant=caller.merchant, endpoint_public_id=endpoint_id)
    deliveries, has_more = endpoint_deliveries_page(
        db, endpoint=endpoint, limit=limit, starting_after=starting_after
    )
    return DeliveryPage(data=[DeliveryPublic.of(d) for d in deliveries], has_more=has_more)


@router.get(
    "/events",
    response_model=EventPage,
    responses=refusals(Code.TERMINAL_KEY_NOT_ALLOWED, Code.CURSOR_INVALID),
)
def list_events(
    db: Db, caller: MerchantOwnerKey, limit: Limit = PAGE_DEFAULT, starting_after: After = None
) -> EventPage:
    """The merchant's events, newest first."""
    events, has_more = events_page(
        db, merchant=caller.merchant, limit=limit, starting_after=starting_after
    )
    return EventPage(data=[EventPublic.of(e) for e in events], has_more=has_more)


@router.get(
    "/events/{event_id}",
    response_model=EventWithDeliveries,
    responses=refusals(Code.TERMINAL_KEY_NOT_ALLOWED, Code.EVENT_NOT_FOUND),
)
def get_event(event_id: EventId, db: Db, caller: MerchantOwnerKey) -> EventWithDeliveries:
    """One event with each delivery and its attempts."""
    event = find_event(db, merchant=caller.merchant, event_public_id=event_id)
    return EventWithDeliveries(
        **EventPublic.of(event).model_dump(),
        deliveries=[DeliveryPublic.of(d) for d in event_deliveries(db, event)],
    )


@router.post(
    "/events/{event_id}/redeliver",
    status_code=202,
    response_model=DeliveryList,
    responses=refusals(
        Code.TERMINAL_KEY_NOT_ALLOWED,
        Code.EVENT_NOT_FOUND,
        Code.WEBHOOK_ENDPOINT_NONE,
        Code.RATE_LIMITED,
    ),
)
def redeliver_event(
    event_id: EventId, db: Db, caller: MerchantOwnerKey, request: Request
) -> DeliveryList:
    """Sends the event again to every enabled endpoint subscribed to it, even after success.

    The new deliveries are queued (202); the worker attempts them at once.
    """
    deliveries = redeliver(
        db, merchant=caller.merchant, event_public_id=event_id, at=request_clock(request).now()
    )
    return DeliveryList(data=[DeliveryPublic.of(d) for d in deliveries])
