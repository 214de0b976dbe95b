"""The acceptance side's HTTP API: every route of merchant, under one /v1 prefix, here only.

A resident paying a shop's QR is the busiest request of all: its route comes
first, and the app includes this side first, so it is the first route tried.
"""

from fastapi import APIRouter

from merchant.accounts import fee_plan_routes, onboarding_routes, shop_routes
from merchant.payments import (
    charge_routes,
    payment_intent_routes,
    refund_routes,
    sales_routes,
    wallet_payment_routes,
)
from merchant.payouts import payout_routes
from merchant.qr import qr_settings_routes, static_qr_routes
from merchant.transfers import btob_routes, resident_payment_routes
from merchant.webhooks import routes as webhook_routes

router = APIRouter(prefix="/v1")
for module_router in (
    wallet_payment_routes.router,
    onboarding_routes.router,
    shop_routes.router,
    fee_plan_routes.router,
    static_qr_routes.router,
    qr_settings_routes.router,
    charge_routes.router,
    refund_routes.router,
    btob_routes.router,
    resident_payment_routes.router,
    payout_routes.router,
    payment_intent_routes.router,
    webhook_routes.router,
    sales_routes.router,
):
    router.include_router(module_router)
