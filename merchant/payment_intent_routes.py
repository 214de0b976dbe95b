"""Payment intents for booking and counter systems; residents paying merchants' QR (HTTP)."""

from fastapi import APIRouter

from localcoin.idempotency import IdempotentRoute

router = APIRouter(prefix="/v1", route_class=IdempotentRoute, tags=["payment_intents"])
