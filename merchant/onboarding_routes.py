"""Onboarding merchants, their stores, terminals, keys and fee plans (HTTP)."""

from fastapi import APIRouter

from localcoin.idempotency import IdempotentRoute

router = APIRouter(prefix="/v1", route_class=IdempotentRoute, tags=["merchants"])
