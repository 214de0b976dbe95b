"""Reports: fee sharing, institutions' positions, unused balance, the city's KPIs (HTTP)."""

from fastapi import APIRouter

from localcoin.idempotency import IdempotentRoute

router = APIRouter(prefix="/v1", route_class=IdempotentRoute, tags=["reports"])
