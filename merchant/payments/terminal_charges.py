"""Charges taken at a till: a resident's payment token (phone QR) or printed card with PIN.

The till scans what the resident shows and sends it with the amount; this
module turns it into a wallet and calls ``merchant.payments.charges.record_charge``.

Single use of a token: its use is recorded (``payment_token_uses``, primary
key (coin_id, token_id)) in the same database transaction as the charge.
Of two tills presenting one token at once, the second waits on the first's
row and is refused ``token_used`` once the first commits.

Decision: a refused charge does not burn the token. The use is written inside
the request's savepoint, so a refusal after it (``insufficient_funds``,
``limit_exceeded``, ``merchant_suspended``) rolls the use back with the rest:
the resident may top up and show the same token again within its minute.
A token that paid can never pay again.

A card's wrong PIN is different: the failure count must survive the
refusal (else a till could try PINs without end), so the PIN refusal is
returned, not raised, and the route answers with it while the count commits.

Refusals, in the order they are checked:

| code | status | when |
| --- | --- | --- |
| ``token_malformed`` / ``token_unknown_key`` / ``token_forged`` | 422 | not a genuine token |
| ``token_not_yet_valid`` / ``token_expired`` | 422 | outside the token's minute |
| ``token_wrong_coin`` | 422 | a token of another coin |
| ``token_used`` | 409 | the token paid already |
| ``card_unknown`` | 404 | not a card of this coin |
| ``card_blocked`` | 403 | the card was blocked or replaced |
| ``resident_locked`` | 423 | too many wrong PINs (at a till or at log-in) |
| ``card_pin_incorrect`` | 403 | the PIN is not the card's |
| ``amount_invalid`` / ``limit_exceeded`` | 422 | see merchant/payments/charges.py |
| ``merchant_suspended`` | 403 | the merchant may not take payments |
| ``insufficient_funds`` | 402 | the wallet's available balance is too small |
"""

from datetime import datetime

from sqlalchemy import Connection

from kit.problems import Problem
from ledger.clock import Clock
from merchant.accounts.merchant_auth import MerchantCaller
from merchant.payments.charges import Charge, Source, record_charge
from wallet_api.cards import card_wallet, check_card_pin
from wallet_api.pins import PinHasher
from wallet_api.residents import get_wallet
from wallet_api.rules import get_rules
from wallet_api.token_keys import TokenKeys, verify_payment_token
from wallet_api.token_uses import record_claims_use


def charge_token(
    conn: Connection,
    *,
    caller: MerchantCaller,
    token: str,
    amount: int,
    reference: str | None,
    keys: TokenKeys,
    clock: Clock,
) -> Charge:
    """Charges the wallet a payment token names, and marks the token used, in one transaction."""
    merchant = caller.merchant
    at = clock.now()
    claims = verify_payment_token(token, keys=keys, coin_id=merchant.coin_id, clock=clock)
    record_claims_use(conn, claims, at=at)
    return record_charge(
        conn,
        rules=get_rules(conn, coin_id=merchant.coin_id),
        merchant=merchant,
        # A signed token names a wallet the wallet API issued it for: it exists.
        wallet=get_wallet(conn, coin_id=claims.coin_id, wallet_id=claims.wallet_id),
        amount=amount,
        source=Source.PAYMENT_TOKEN,
        at=at,
        terminal_id=caller.terminal_id,
        reference=reference,
    )


def charge_card(
    conn: Connection,
    *,
    caller: MerchantCaller,
    card: str,
    pin: str,
    amount: int,
    reference: str | None,
    hasher: PinHasher,
    at: datetime,
) -> Charge | Problem:
    """Charges the wallet of a scanned card once its PIN is right; a wrong PIN is returned."""
    merchant = caller.merchant
    wallet = card_wallet(conn, merchant.coin_id, card)
    refusal = check_card_pin(conn, wallet=wallet, pin=pin, hasher=hasher, at=at)
    if refusal is not None:
        return refusal
    return record_charge(
        conn,
        rules=get_rules(conn, coin_id=merchant.coin_id),
        merchant=merchant,
        wallet=wallet,
        amount=amount,
        source=Source.CARD,
        at=at,
        terminal_id=caller.terminal_id,
        reference=reference,
    )
