"""A resident pays a merchant-presented QR they scanned: a static sticker or an intent's code.

The payload is parsed (CRC and all) before anything is looked up. The coin is
the QR's, so a resident with wallets in several towns pays from the wallet of
the town whose merchant they stand in front of. A static code carries no
amount: the resident types it. A dynamic code is one payment intent's: the
amount is the intent's own, and the intent row is locked while it is paid, so
two payers racing for it get one success and one ``payment_intent_already_paid``.

Refusals, in the order they are checked:

| code | status | when |
| --- | --- | --- |
| ``invalid_qr`` | 422 | malformed, a wrong CRC, or not a JPY code of our scheme |
| ``merchant_not_found`` | 404 | no such merchant in the QR's coin |
| ``qr_template_retired`` | 422 | a sticker from before JPQR, after the coin's transition ended |
| ``wallet_not_found`` | 404 | the resident has no wallet in the QR's coin |
| ``amount_required`` | 422 | a static code paid without an amount |
| ``amount_mismatch`` | 422 | a dynamic code paid with another amount than its own |
| ``payment_intent_not_found`` | 404 | the dynamic code names no intent of this merchant |
| ``invalid_qr`` | 422 | the dynamic code's amount is not its intent's |
| ``payment_intent_canceled`` / ``_expired`` / ``_already_paid`` | 409 | the intent cannot be paid |
| ``limit_exceeded``, ``merchant_suspended``, ``insufficient_funds`` | | as any charge |
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from kit.errors import Code
from kit.problems import Problem
from ledger.coins import Coin
from ledger.expiry import expire_due_lots_of
from ledger.holds import place_hold
from merchant.accounts.merchants import Merchant, require_active
from merchant.payments.charges import Charge, Source, check_amount, record_charge
from merchant.payments.payment_context import PaymentContext, payment_context
from merchant.payments.payment_intents import (
    CAPTURE_WINDOW,
    CaptureMethod,
    PaymentIntent,
    find_intent,
    mark_held,
    mark_succeeded,
    require_payable,
)
from merchant.qr.emvco_qr import Initiation, MerchantQr, QrError, parse
from merchant.qr.qr_settings import check_template_accepted
from merchant.qr.static_qr import payee_names
from wallet_api.pins import PinHasher
from wallet_api.residents import Wallet
from wallet_api.step_up import step_up_refusal


@dataclass(frozen=True, slots=True)
class Payment:
    """What the resident's scan did.

    Attributes:
        coin: the coin paid in (the QR's).
        merchant: the merchant paid.
        wallet: the resident's wallet that paid.
        amount: coin paid (or held).
        charge: the charge, when coin moved; None while an intent only holds it.
        intent: the payment intent paid; None for a static code.
        at: when it was paid (UTC).
    """

    coin: Coin
    merchant: Merchant
    wallet: Wallet
    amount: int
    charge: Charge | None
    intent: PaymentIntent | None
    at: datetime

    @property
    def status(self) -> str:
        return "succeeded" if self.charge is not None else "requires_capture"

    def as_json(self) -> dict[str, Any]:
        charge_id = self.charge.public_id if self.charge is not None else None
        intent_id = self.intent.public_id if self.intent is not None else None
        identifier = charge_id if charge_id is not None else intent_id
        assert identifier is not None
        return {
            "id": identifier,
            "object": "payment",
            "status": self.status,
            "amount": self.amount,
            "coin": self.coin.code,
            "merchant_id": self.merchant.public_id,
            "merchant_name": self.merchant.name,
            "wallet_id": self.wallet.public_id,
            "charge_id": charge_id,
            "payment_intent_id": intent_id,
            "created_at": self.at.isoformat(),
        }


def read_qr(payload: str) -> MerchantQr:
    """The parsed code, or 422 ``invalid_qr`` naming the broken rule."""
    try:
        return parse(payload)
    except QrError as error:
        raise Problem(Code.INVALID_QR, f"{error.reason.value}: {error.detail}") from error


def check_payee(qr: MerchantQr, merchant: Merchant) -> None:
    """Refuses (422 ``invalid_qr``, naming the field) a code whose names are not the
    ones we print for its merchant: the CRC is a checksum anyone can recompute, so
    a re-encoded sticker could show 「市役所 税務課」 and pay someone else."""
    name, name_ja = payee_names(merchant)
    if qr.merchant_name != name:
        raise Problem(
            Code.INVALID_QR,
            f"merchant_name: the code names {qr.merchant_name!r}; its payee is registered"
            f" as {name!r}",
        )
    # Stickers from before 64 was always written carry none for an ASCII name.
    old_ascii_sticker = qr.merchant_name_ja is None and name_ja == merchant.name.strip()
    if qr.merchant_name_ja != name_ja and not old_ascii_sticker:
        raise Problem(
            Code.INVALID_QR,
            f"merchant_name_ja: the code names {qr.merchant_name_ja!r}; its payee is"
            f" registered as {merchant.name!r}",
        )


def pay_qr(
    conn: Connection,
    *,
    resident_id: int,
    qr_payload: str,
    amount: int | None,
    pin: str | None,
    hasher: PinHasher,
    at: datetime,
) -> Payment | Problem:
    """Pays the code from the resident's wallet in the code's coin, in the caller's transaction.

    A PIN refusal of the step-up is returned, not raised: its failure count commits.
    """
    qr = read_qr(qr_payload)
    known = payment_context(
        conn,
        coin_code=qr.coin_code,
        merchant_public_id=qr.merchant_id,
        resident_id=resident_id,
        at=at,
    )
    coin, merchant, wallet, rules = known.coin, known.merchant, known.wallet, known.rules
    check_payee(qr, merchant)
    check_template_accepted(conn, coin_id=coin.id, qr=qr, at=at)
    asked = qr.amount_yen if qr.initiation is not Initiation.STATIC else amount
    if asked is not None and (pin is not None or asked >= rules.step_up_amount):
        refusal = step_up_refusal(
            conn,
            rules=rules,
            amount=asked,
            resident_id=resident_id,
            pin=pin,
            hasher=hasher,
            at=at,
        )
        if refusal is not None:
            return refusal
    if qr.initiation is Initiation.STATIC:
        if amount is None:
            raise Problem(
                Code.AMOUNT_REQUIRED,
                "a static code carries no amount: enter the amount to pay",
            )
        charge = record_charge(
            conn,
            rules=rules,
            merchant=merchant,
            wallet=wallet,
            amount=amount,
            source=Source.STATIC_QR,
            at=at,
            known=known,
        )
        return Payment(coin, merchant, wallet, amount, charge, None, at)
    return _pay_intent(conn, known=known, qr=qr, amount=amount, at=at)


def payable_intent(
    conn: Connection,
    *,
    known: PaymentContext,
    qr: MerchantQr,
    amount: int | None,
    at: datetime,
    for_update: bool,
) -> PaymentIntent:
    """The payment intent a dynamic code pays, if it may be paid now with ``amount``."""
    assert qr.amount_yen is not None and qr.reference is not None, "parse checks dynamic codes"
    if amount is not None and amount != qr.amount_yen:
        raise Problem(
            Code.AMOUNT_MISMATCH,
            f"this code asks for {qr.amount_yen}; pay it without an amount or with that one",
        )
    intent = find_intent(
        conn,
        coin_id=known.coin.id,
        merchant_id=known.merchant.id,
        intent_public_id=qr.reference,
        for_update=for_update,
    )
    # The CRC is a checksum, not a signature: the amount that counts is the intent's.
    if qr.amount_yen != intent.amount:
        raise Problem(
            Code.INVALID_QR,
            "amount_mismatch: the code's amount is not its payment intent's",
        )
    require_payable(intent, at)
    return intent


def _pay_intent(
    conn: Connection, *, known: PaymentContext, qr: MerchantQr, amount: int | None, at: datetime
) -> Payment:
    coin, merchant, wallet, rules = known.coin, known.merchant, known.wallet, known.rules
    intent = payable_intent(conn, known=known, qr=qr, amount=amount, at=at, for_update=True)
    if intent.capture_method is CaptureMethod.AUTOMATIC:
        charge = record_charge(
            conn,
            rules=rules,
            merchant=merchant,
            wallet=wallet,
            amount=intent.amount,
            source=Source.PAYMENT_INTENT,
            at=at,
            terminal_id=intent.terminal_id,
            reference=intent.reference,
            metadata={"payment_intent": intent.public_id},
            known=known,
        )
        paid = mark_succeeded(conn, intent, wallet=wallet, charge=charge, at=at)
        return Payment(coin, merchant, wallet, intent.amount, charge, paid, at)
    held = _hold_for(conn, known=known, intent=intent, at=at)
    return Payment(coin, merchant, wallet, intent.amount, None, held, at)


def _hold_for(
    conn: Connection, *, known: PaymentContext, intent: PaymentIntent, at: datetime
) -> PaymentIntent:
    """Reserves a manual intent's amount on the wallet until its capture deadline."""
    rules, merchant, wallet = known.rules, known.merchant, known.wallet
    check_amount(rules, intent.amount, at)
    require_active(merchant)
    # Lots past their date must not count towards what the hold reserves.
    if known.lots_due:
        expire_due_lots_of(conn, coin_id=rules.coin_id, account_id=wallet.account_id, at=at)
    hold = place_hold(
        conn,
        coin_id=rules.coin_id,
        account_id=wallet.account_id,
        amount=intent.amount,
        at=at,
        ttl=CAPTURE_WINDOW,
        metadata={"payment_intent": intent.public_id, "merchant": merchant.public_id},
    )
    return mark_held(conn, intent, wallet=wallet, hold_id=hold.id, at=at)
