"""A town with one object of every kind a path names, and a credential for every kind of caller.

The attack tests address these objects with someone else's credentials (another
coin's keys, another merchant's, another resident's) and expect refusals; the
schemathesis run uses the callers as its credentials. ``OBJECT_IDS`` maps each
path parameter of the API to the object that fills it, so a new route with a
new kind of path parameter fails until this town can make one.
"""

import enum
from dataclasses import dataclass
from typing import Any

from kit.credentials import Role
from ledger.clock import FixedClock
from tests.merchant.booking_desk import create_intent
from tests.merchant.shops import Payer, Shop, funded_resident, open_shop
from tests.merchant.tills import charge as charge_at
from tests.merchant.tills import payment_token, terminal_headers
from tests.merchant.webhook_town import add_endpoint, emit, webhook_town
from tests.settlement.settlement_day import ask_payout, closed_batch
from tests.wallet_api.test_premium_api import open_campaign
from tests.wallet_api.test_residents_api import Town


class Caller(enum.StrEnum):
    NONE = "none"
    OPERATOR = "operator"
    ISSUER = "issuer"
    MUNICIPALITY = "municipality"
    OWNER = "merchant owner"
    TERMINAL = "terminal"
    RESIDENT = "resident"


@dataclass
class PopulatedTown:
    town: Town
    shop: Shop
    payer: Payer
    headers: dict[Caller, dict[str, str]]
    object_ids: dict[str, str]


def _post(town: Town, path: str, headers: dict[str, str], body: dict[str, Any]) -> Any:
    response = town.client.post(path, json=body, headers=headers)
    assert response.status_code in (200, 201), (path, response.text)
    return response.json()


def populated_town(engine: Any, clock: FixedClock) -> PopulatedTown:
    """A fresh coin with a shop (and its terminal), a funded resident, and one of everything."""
    town = webhook_town(engine, clock)
    keys = town.coin.keys
    shop = open_shop(town)
    payer = funded_resident(town, 50_000)
    headers = {
        Caller.NONE: {},
        Caller.OPERATOR: {"Authorization": f"Bearer {keys[Role.OPERATOR]}"},
        Caller.ISSUER: {"Authorization": f"Bearer {keys[Role.ISSUER]}"},
        Caller.MUNICIPALITY: {"Authorization": f"Bearer {keys[Role.MUNICIPALITY]}"},
        Caller.OWNER: shop.headers,
        Caller.TERMINAL: terminal_headers(town, shop),
        Caller.RESIDENT: payer.headers,
    }
    # Taken at the till, so the till's own-charges rules (receipts) meet their own charge.
    taken = charge_at(
        town.client, headers[Caller.TERMINAL], amount=3_000, token=payment_token(town, payer)
    )
    assert taken.status_code == 201, taken.text
    charge = taken.json()
    refund = _post(town, "/v1/refunds", shop.headers, {"charge_id": charge["id"], "amount": 100})
    payout = ask_payout(town, shop, 1_000)
    intent = create_intent(town, shop, 700)
    endpoint = add_endpoint(town, shop, "https://hooks.example.jp/localcoin")
    event = emit(town, shop)
    store = _post(town, "/v1/merchant/stores", shop.headers, {"name": "駅前店"})
    terminal = _post(
        town, "/v1/merchant/terminals", shop.headers, {"store_id": store["id"], "name": "レジ2"}
    )
    api_key = _post(town, "/v1/merchant/api_keys", shop.headers, {"label": "spare"})
    card = _post(town, f"/v1/residents/{payer.resident_id}/cards", headers[Caller.ISSUER], {})
    campaign = open_campaign(town)
    # A clerk's own key asks for a top-up above the approval threshold: the coin's
    # issuer key is the second pair of eyes.
    _post(town, "/v1/coin_rules", headers[Caller.ISSUER], {"approval_threshold": 1_000})
    clerk = _post(town, "/v1/api_keys", headers[Caller.ISSUER], {"role": "issuer", "label": "窓口"})
    approval = town.client.post(
        "/v1/topups",
        json={
            "wallet_id": payer.wallet_id,
            "amount": 1_001,
            "channel": "counter",
            "reference": "APR-1",
        },
        headers={"Authorization": f"Bearer {clerk['key']}"},
    )
    assert approval.status_code == 202, approval.text
    purchase = _post(
        town, f"/v1/premium_campaigns/{campaign['id']}/purchases", payer.headers, {"units": 1}
    )
    # Closing the day moves the clock past the cut-off: the resident logs in again after.
    batch = closed_batch(town)
    payer = Payer(payer.resident_id, payer.wallet_id, town.token(payer.resident_id))
    headers[Caller.RESIDENT] = payer.headers
    object_ids = {
        "resident_id": payer.resident_id,
        "merchant_id": shop.merchant.public_id,
        "charge_id": charge["id"],
        "refund_id": refund["id"],
        "payout_id": payout.public_id,
        "intent_id": intent["id"],
        "endpoint_id": endpoint["id"],
        "event_id": event.public_id,
        "terminal_id": terminal["id"],
        "key_id": api_key["id"],
        "card_id": card["card_id"],
        "campaign_id": str(campaign["id"]),
        "purchase_id": str(purchase["id"]),
        "batch_id": batch["id"],
        "approval_id": approval.json()["approval_id"],
        "token": payment_token(town, payer),
        "kind": "email",
    }
    return PopulatedTown(town, shop, payer, headers, object_ids)
