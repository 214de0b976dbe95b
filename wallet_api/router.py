"""The resident side's HTTP API: every route of wallet_api, under one /v1 prefix, here only.

Routes are matched in the order they are included; none of these paths
overlaps another side's, so the sides' order in the app only sets which is
tried first.
"""

from fastapi import APIRouter

from wallet_api import (
    approval_routes,
    campaign_list_routes,
    card_routes,
    card_topup_routes,
    coin_directory_routes,
    erasure_routes,
    history_routes,
    payment_token_routes,
    points_routes,
    premium_routes,
    routes,
    rules_routes,
    transfer_routes,
    wallet_routes,
    winddown_routes,
)

router = APIRouter(prefix="/v1")
for module_router in (
    campaign_list_routes.router,
    routes.router,
    routes.auth_router,
    erasure_routes.router,
    transfer_routes.router,
    wallet_routes.router,
    history_routes.router,
    points_routes.router,
    rules_routes.router,
    premium_routes.router,
    premium_routes.purchase_router,
    payment_token_routes.router,
    card_routes.router,
    card_topup_routes.router,
    card_topup_routes.webhook_router,
    coin_directory_routes.router,
    approval_routes.router,
    winddown_routes.router,
):
    router.include_router(module_router)
