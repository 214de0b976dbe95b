"""Issuance over HTTP, as one router: points grants, coin rules, premium campaigns."""

from fastapi import APIRouter

from wallet_api import points_routes, premium_routes, rules_routes

router = APIRouter()
router.include_router(points_routes.router)
router.include_router(rules_routes.router)
router.include_router(premium_routes.router)
