"""Settlement batches: close, the Zengin file, the bank's results, reconciliation (HTTP)."""

from fastapi import APIRouter

from localcoin.idempotency import IdempotentRoute

router = APIRouter(prefix="/v1", route_class=IdempotentRoute, tags=["settlement"])
