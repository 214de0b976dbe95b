"""Charges at the terminal, refunds, BtoB, payments to residents, cash-out requests (HTTP)."""

from fastapi import APIRouter

from localcoin.idempotency import IdempotentRoute

router = APIRouter(prefix="/v1", route_class=IdempotentRoute, tags=["charges"])
