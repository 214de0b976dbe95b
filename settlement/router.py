"""The bank side's HTTP API: every route of settlement, under one /v1 prefix, here only."""

from fastapi import APIRouter

from settlement import batch_routes, invoice_routes, report_routes

router = APIRouter(prefix="/v1")
for module_router in (batch_routes.router, report_routes.router, invoice_routes.router):
    router.include_router(module_router)
