"""Webhook endpoints, their events and delivery log (HTTP)."""

from fastapi import APIRouter

from localcoin.idempotency import IdempotentRoute

router = APIRouter(prefix="/v1", route_class=IdempotentRoute, tags=["webhooks"])
