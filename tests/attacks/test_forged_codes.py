"""Forged payment tokens at the till and hostile QR payloads at the wallet, through the API.

Already covered where the features live (not repeated):
tests/merchant/payments/test_charges_api.py (a flipped byte, an expired, a used, another
coin's token; concurrent duplicates), tests/wallet_api/test_payment_tokens_api.py
and test_payment_tokens.py (every bit flip, an unknown kid, an impostor key
under our kid, replay, expiry to the second), tests/merchant/payments/test_qr_payments_api.py
(a bad CRC, another currency, a forged amount with a fresh CRC).

Here, the attacks those leave open at the HTTP edge: a token whose claims are
right for this coin and wallet but signed with *another coin's* key (the
per-coin key derivation must matter), or with another deployment's master key;
and QR payloads that are oversized, or whose TLV lengths lie, each refused
with a problem and nothing moved.
"""

from typing import Any

import pytest
from sqlalchemy import Engine

from ledger.clock import FixedClock
from ledger.unit_of_work import run_in_transaction
from merchant.qr.emvco_qr import crc16_ccitt_false
from tests.merchant.shops import Payer, funded_resident, open_shop
from tests.merchant.tills import charge, wallet_balance
from tests.wallet_api.test_residents_api import Town, new_town
from wallet_api.payment_tokens import issue_token
from wallet_api.residents import find_wallet
from wallet_api.token_keys import TokenKeys

# The keys the app uses when none are set: the settings' development master key, kid 0.
APP_KEYS = TokenKeys(master_key="localcoin-development-payment-token-master-key", kid=0)


@pytest.fixture
def town(engine: Engine, clock: FixedClock) -> Town:
    return new_town(engine, clock)


def _wallet_id(town: Town, payer: Payer) -> int:
    wallet = run_in_transaction(
        town.engine,
        lambda c: find_wallet(c, coin_id=town.coin.coin.id, wallet_public_id=payer.wallet_id),
    )
    return wallet.id


def _code_of(response: Any) -> tuple[int, str]:
    return response.status_code, response.json()["code"]


def test_the_app_signs_with_the_keys_this_test_forges_against(town: Town) -> None:
    # The control: a token made here with the app's own keys is charged, so the
    # refusals below are about the key, not about how the token was made.
    shop = open_shop(town)
    payer = funded_resident(town, 5_000)
    genuine = issue_token(
        signer=APP_KEYS.signer_for(town.coin.coin.id),
        coin_id=town.coin.coin.id,
        wallet_id=_wallet_id(town, payer),
        clock=town.clock,
    )
    assert charge(town.client, shop.headers, amount=100, token=genuine.token).status_code == 201


def test_a_token_signed_with_another_coins_key_is_forged(
    town: Town, engine: Engine, clock: FixedClock
) -> None:
    other = new_town(engine, clock)
    shop = open_shop(town)
    payer = funded_resident(town, 5_000)
    forged = issue_token(
        signer=APP_KEYS.signer_for(other.coin.coin.id),
        coin_id=town.coin.coin.id,
        wallet_id=_wallet_id(town, payer),
        clock=clock,
    )
    response = charge(town.client, shop.headers, amount=100, token=forged.token)
    assert _code_of(response) == (422, "token_forged")
    assert wallet_balance(town, payer)["total"] == 5_000


def test_a_token_signed_under_another_master_key_is_forged(town: Town) -> None:
    shop = open_shop(town)
    payer = funded_resident(town, 5_000)
    elsewhere = TokenKeys(master_key="another-deployment-entirely-" + "x" * 40, kid=0)
    forged = issue_token(
        signer=elsewhere.signer_for(town.coin.coin.id),
        coin_id=town.coin.coin.id,
        wallet_id=_wallet_id(town, payer),
        clock=town.clock,
    )
    response = charge(town.client, shop.headers, amount=100, token=forged.token)
    assert _code_of(response) == (422, "token_forged")
    assert wallet_balance(town, payer)["total"] == 5_000


def _with_crc(body: str) -> str:
    body += "6304"
    return body + f"{crc16_ccitt_false(body.encode('utf-8')):04X}"


@pytest.mark.parametrize(
    "payload",
    [
        "0" * 5_000,  # far over any EMVCo payload (512 characters at most)
        _with_crc("000201" + "010211" + "5999" + "X" * 99),  # a field claiming 99 chars
        _with_crc("000201" + "26" + "99" + "A" * 20),  # a template longer than the code
        _with_crc("000201" + "5303392" + "54" + "-1" + "5802JP"),  # malformed amount
        _with_crc("000201" + "\x00\x00\x00"),  # control characters
        "000201" + "6304" + "ZZZZ",  # a CRC that is not even hex
    ],
    ids=["oversized", "long-field", "long-template", "bad-amount", "nul", "crc-not-hex"],
)
def test_hostile_qr_payloads_are_refused_and_nothing_moves(town: Town, payload: str) -> None:
    payer = funded_resident(town, 5_000)
    response = town.client.post(
        "/v1/wallet/payments", json={"qr_payload": payload, "amount": 100}, headers=payer.headers
    )
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] in {"invalid_qr", "validation_error"}
    assert wallet_balance(town, payer)["total"] == 5_000
