"""A booking or counter system for tests: creates intents with a shop's key; residents pay them."""

from typing import Any

from sqlalchemy import text

from ledger.unit_of_work import run_in_transaction
from tests.merchant.shops import Payer, Shop
from tests.wallet_api.test_residents_api import Town


def create_intent(
    town: Town,
    shop: Shop,
    amount: int,
    *,
    capture_method: str = "automatic",
    reference: str = "BK-1",
    key: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    headers = shop.headers | ({"Idempotency-Key": key} if key else {})
    response = town.client.post(
        "/v1/payment_intents",
        json={"amount": amount, "reference": reference, "capture_method": capture_method} | extra,
        headers=headers,
    )
    assert response.status_code == 201, response.text
    intent: dict[str, Any] = response.json()
    return intent


def pay(  # type: ignore[no-untyped-def]
    town: Town, payer: Payer, qr_payload: str, amount: int | None = None, pin: str | None = None
):
    body: dict[str, Any] = {"qr_payload": qr_payload}
    if amount is not None:
        body["amount"] = amount
    if pin is not None:
        body["pin"] = pin
    return town.client.post("/v1/wallet/payments", json=body, headers=payer.headers)


def balance(town: Town, payer: Payer) -> dict[str, int]:
    """The wallet's figures, with a fresh log-in: tests move the clock past a token's life."""
    response = town.client.get("/v1/wallet", headers=town.token(payer.resident_id))
    assert response.status_code == 200, response.text
    figures: dict[str, int] = response.json()["balance"]
    return figures


def intent_status(town: Town, shop: Shop, intent_id: str) -> str:
    response = town.client.get(f"/v1/payment_intents/{intent_id}", headers=shop.headers)
    assert response.status_code == 200, response.text
    status: str = response.json()["status"]
    return status


def events(town: Town, shop: Shop) -> list[tuple[str, str]]:
    """The shop's webhook events in the outbox, oldest first: (type, object id)."""
    rows = run_in_transaction(
        town.engine,
        lambda c: c.execute(
            text(
                "SELECT type, data->>'id' FROM webhook_events"
                " WHERE coin_id = :c AND merchant_id = :m ORDER BY id"
            ),
            {"c": shop.merchant.coin_id, "m": shop.merchant.id},
        ).all(),
    )
    return [(row[0], row[1]) for row in rows]
