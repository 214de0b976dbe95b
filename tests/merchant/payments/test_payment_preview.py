"""The payee the resident sees is the registered one: the preview, and forged names refused."""

from typing import Any

import pytest
from sqlalchemy import Engine, text

from ledger.clock import FixedClock
from ledger.unit_of_work import run_in_transaction
from merchant.qr.emvco_qr import build_static, parse
from tests.merchant.booking_desk import balance, create_intent, pay
from tests.merchant.shops import Payer, Shop, funded_resident, open_shop
from tests.wallet_api.test_residents_api import Town, new_town


@pytest.fixture
def town(engine: Engine, clock: FixedClock) -> Town:
    return new_town(engine, clock)


def preview(town: Town, payer: Payer, payload: str, amount: int | None = None):  # type: ignore[no-untyped-def]
    body: dict[str, Any] = {"qr_payload": payload}
    if amount is not None:
        body["amount"] = amount
    return town.client.post("/v1/wallet/payments/preview", json=body, headers=payer.headers)


def sticker(town: Town, shop: Shop) -> str:
    payload: str = town.client.get("/v1/merchant/qr", headers=shop.headers).json()["qr_payload"]
    return payload


def forged(payload: str, *, name: str, name_ja: str | None) -> str:
    """The shop's sticker re-encoded with other names and a valid CRC, as a phisher would."""
    real = parse(payload)
    return build_static(
        coin_code=real.coin_code,
        merchant_id=real.merchant_id,
        merchant_name=name,
        merchant_city=real.merchant_city,
        mcc=real.mcc,
        merchant_name_ja=name_ja,
    )


def charges(town: Town) -> int:
    count: int = run_in_transaction(
        town.engine,
        lambda c: c.execute(
            text("SELECT count(*) FROM charges WHERE coin_id = :c"), {"c": town.coin.coin.id}
        ).scalar_one(),
    )
    return count


def test_a_static_code_previews_the_registered_payee_and_the_pin_rule(town: Town) -> None:
    shop = open_shop(town, name="みどり青果店", category="grocery")
    payer = funded_resident(town, 20_000)
    seen = preview(town, payer, sticker(town, shop))
    assert seen.status_code == 200, seen.text
    answer = seen.json()
    assert (answer["merchant_id"], answer["merchant_name"], answer["category"]) == (
        shop.merchant.public_id,
        shop.merchant.name,
        "grocery",
    )
    assert (answer["coin"], answer["amount"], answer["pin_required"]) == (town.code, None, False)
    large = preview(town, payer, sticker(town, shop), amount=10_000).json()
    assert (large["amount"], large["pin_required"], large["step_up_amount"]) == (
        10_000,
        True,
        10_000,
    )
    assert charges(town) == 0


def test_an_intent_previews_its_own_amount_and_description(town: Town) -> None:
    shop = open_shop(town, name="市民体育館", category="public")
    payer = funded_resident(town, 5_000)
    intent = create_intent(town, shop, 1_200, description="体育館 午前の部")
    answer = preview(town, payer, intent["qr_payload"]).json()
    assert (answer["amount"], answer["description"], answer["payment_intent_id"]) == (
        1_200,
        "体育館 午前の部",
        intent["id"],
    )
    assert answer["expires_at"] is not None
    other = preview(town, payer, intent["qr_payload"], amount=1)
    assert (other.status_code, other.json()["code"]) == (422, "amount_mismatch")


@pytest.mark.parametrize(
    ("name", "name_ja", "field"),
    [
        ("SHIYAKUSHO ZEIMUKA", "市役所 税務課", "merchant_name"),
        ("MIDORISEIKATEN", "市役所 税務課", "merchant_name_ja"),
    ],
)
def test_a_code_reencoded_with_another_name_is_refused_at_preview_and_at_payment(
    town: Town, name: str, name_ja: str, field: str
) -> None:
    shop = open_shop(town, name="みどり青果店", category="grocery")
    payer = funded_resident(town, 5_000)
    real = parse(sticker(town, shop))
    assert real.merchant_name_ja == shop.merchant.name
    fake = forged(
        sticker(town, shop),
        name=name if field == "merchant_name" else real.merchant_name,
        name_ja=name_ja,
    )
    seen = preview(town, payer, fake)
    assert (seen.status_code, seen.json()["code"]) == (422, "invalid_qr")
    assert seen.json()["detail"].startswith(f"{field}:")
    paid = pay(town, payer, fake, amount=3_000)
    assert (paid.status_code, paid.json()["code"]) == (422, "invalid_qr")
    assert paid.json()["detail"].startswith(f"{field}:")
    assert balance(town, payer)["total"] == 5_000 and charges(town) == 0
    # The true sticker still pays.
    assert pay(town, payer, sticker(town, shop), amount=3_000).status_code == 201


def test_another_coins_shop_is_not_previewed_for_a_resident_without_a_wallet_there(
    town: Town, engine: Engine, clock: FixedClock
) -> None:
    elsewhere = new_town(engine, clock)
    shop = open_shop(elsewhere)
    payer = funded_resident(town, 1_000)
    seen = preview(town, payer, sticker(elsewhere, shop))
    assert (seen.status_code, seen.json()["code"]) == (404, "wallet_not_found")
