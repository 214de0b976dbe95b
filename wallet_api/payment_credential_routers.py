"""Residents' payment credentials (payment tokens, cards): their routes as one router."""

from fastapi import APIRouter

from wallet_api import card_routes, payment_token_routes

router = APIRouter()
router.include_router(payment_token_routes.router)
router.include_router(card_routes.router)
