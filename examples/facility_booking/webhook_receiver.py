"""The endpoint localcoin posts events to: verified, deduplicated, then the intent is read again."""

import json
import logging
from collections.abc import Callable

from fastapi import APIRouter, HTTPException, Request, Response
from fastapi.concurrency import run_in_threadpool

from examples.facility_booking.bookings import Desk
from examples.facility_booking.signature import BadSignatureError, verify
from examples.facility_booking.store import Store

log = logging.getLogger(__name__)


def webhook_router(store: Store, desk: Desk, now_s: Callable[[], int]) -> APIRouter:
    router = APIRouter()

    @router.post("/webhooks/localcoin", status_code=204)
    async def receive(request: Request) -> Response:
        endpoint = store.endpoint()
        if endpoint is None:
            raise HTTPException(503, "not registered yet")
        body = await request.body()  # the raw bytes: re-serialised JSON would not verify
        try:
            verify(endpoint[1], request.headers.get("Localcoin-Signature", ""), body, now_s())
        except BadSignatureError as refused:
            raise HTTPException(400, str(refused)) from None
        event = json.loads(body)
        if not store.first_sight(event["id"]):
            log.info("duplicate event %s ignored", event["id"])
            return Response(status_code=204)
        booking = store.by_intent(event["data"].get("id", ""))
        if booking is not None:
            # The event only says "look again": its order and age do not matter.
            await run_in_threadpool(desk.refresh, booking)
        return Response(status_code=204)

    return router
