"""Transfers, wallets in other coins and history: the routes as one router for the app."""

from fastapi import APIRouter

from wallet_api import history_routes, transfer_routes, wallet_routes

router = APIRouter()
router.include_router(transfer_routes.router)
router.include_router(wallet_routes.router)
router.include_router(history_routes.router)
