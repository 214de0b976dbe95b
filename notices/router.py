"""The notices side's HTTP API, under /v1."""

from fastapi import APIRouter

from notices import line_webhook_routes, routes

router = APIRouter(prefix="/v1")
for module_router in (routes.router, line_webhook_routes.router):
    router.include_router(module_router)
