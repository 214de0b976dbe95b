"""Payment intents: a booking or counter system asking a resident to pay a known amount.

The merchant (or one of its terminals) creates an intent with the amount and
its own reference (a booking or certificate number) and shows the intent's
dynamic QR. A resident pays it once (``qr_payments``):

- ``automatic``: the payment is a charge at once; the intent ``succeeded``.
- ``manual``: the amount is held on the resident's wallet until
  ``capture_before``; the intent ``requires_capture``. The merchant captures
  all or part of it (a cancellation fee) into a charge, and the rest is
  released; or cancels it and the whole hold is released. A hold nobody
  captured in time is released by the sweeper (``intent_sweeper``).

An unpaid intent past ``expires_at`` reads as ``expired`` at once, whether or
not the sweeper has written it yet. Every change of status writes its webhook
event in the same transaction. The intent row is locked (``FOR UPDATE``) by
every change, so it is paid, captured or canceled at most once however many
requests race.

Refusals:

| code | status | when |
| --- | --- | --- |
| ``amount_invalid`` | 422 | an amount is not a positive integer |
| ``limit_exceeded`` | 422 | the amount is above the coin's largest payment |
| ``expires_at_invalid`` | 422 | ``expires_at`` is not in the future or is over 7 days away |
| ``capture_amount_invalid`` | 422 | a capture above the amount held |
| ``merchant_suspended`` | 403 | the merchant may not take payments |
| ``payment_intent_not_found`` | 404 | no such intent for this merchant |
| ``payment_intent_expired`` | 409 | it was not paid in time |
| ``payment_intent_canceled`` | 409 | it was canceled |
| ``payment_intent_already_paid`` | 409 | it was paid already (cancel: refund it instead) |
| ``payment_intent_not_capturable`` | 409 | capture of an intent that holds nothing |
| ``capture_expired`` | 409 | capture after ``capture_before`` |
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import Connection, text

from kit.errors import Code
from kit.problems import Problem
from kit.public_ids import public_id
from ledger.chart import Standard, standard_account
from ledger.entries import Leg, credit, debit
from ledger.holds import HoldStatus, capture_hold, expire_holds, get_hold, void_hold
from ledger.records import RecordColumns, optional
from merchant.accounts.customer_ids import customer_id
from merchant.accounts.fees import FeeKind, merchant_fee
from merchant.accounts.merchants import Merchant, require_active
from merchant.payments.charges import ENTRY_KIND, Charge, Source, check_amount, insert_charge
from merchant.qr.emvco_qr import build_dynamic
from merchant.qr.static_qr import code_fields
from merchant.webhooks.outbox import record_event
from wallet_api.residents import Wallet, wallet_of
from wallet_api.rules import CoinRules

EXPIRES_IN_DEFAULT = timedelta(minutes=15)
EXPIRES_IN_MAX = timedelta(days=7)
CAPTURE_WINDOW = timedelta(days=7)
LIST_LIMIT_MAX = 100


class CaptureMethod(StrEnum):
    AUTOMATIC = "automatic"
    MANUAL = "manual"


class IntentStatus(StrEnum):
    REQUIRES_PAYMENT = "requires_payment"
    REQUIRES_CAPTURE = "requires_capture"
    SUCCEEDED = "succeeded"
    CANCELED = "canceled"
    EXPIRED = "expired"


class CancellationReason(StrEnum):
    REQUESTED_BY_MERCHANT = "requested_by_merchant"
    ABANDONED = "abandoned"
    DUPLICATE = "duplicate"
    CAPTURE_EXPIRED = "capture_expired"  # set by the sweeper only


@dataclass(frozen=True, slots=True)
class PaymentIntent:
    """Attributes:
    coin_id, id: its key.
    public_id: its id in the API and in its QR's reference label (``pi_…``, ≤ 25 characters).
    merchant_id: the merchant to be paid.
    terminal_id: the terminal that created it, if a terminal's key did.
    amount: coin asked for.
    reference: the caller's booking or certificate number.
    description: free text for the payer, if any.
    capture_method: automatic (paid is captured) or manual (paid is held).
    status: as stored; ``status_at`` also reads an unpaid intent past its time as expired.
    qr_payload: the dynamic EMVCo payload the payer scans.
    created_at: when it was created (UTC).
    expires_at: when an unpaid intent stops accepting payment.
    wallet_id: the resident's wallet that paid; None until paid.
    paid_at: when it was paid (or held); None until then.
    capture_before: the deadline of a manual intent's hold; None unless held.
    hold_id: the ledger hold of a manual intent; None unless held.
    charge_id: the charge it became; None until captured.
    amount_captured: what the charge took; None until captured.
    canceled_at, cancellation_reason: when and why it was canceled; None otherwise.
    """

    coin_id: int
    id: int
    public_id: str
    merchant_id: int
    terminal_id: int | None
    amount: int
    reference: str
    description: str | None
    capture_method: CaptureMethod
    status: IntentStatus
    qr_payload: str
    created_at: datetime
    expires_at: datetime
    wallet_id: int | None
    paid_at: datetime | None
    capture_before: datetime | None
    hold_id: int | None
    charge_id: int | None
    amount_captured: int | None
    canceled_at: datetime | None
    cancellation_reason: CancellationReason | None

    def status_at(self, at: datetime) -> IntentStatus:
        if self.status is IntentStatus.REQUIRES_PAYMENT and self.expires_at <= at:
            return IntentStatus.EXPIRED
        return self.status


INTENT = RecordColumns(
    PaymentIntent,
    capture_method=CaptureMethod,
    status=IntentStatus,
    cancellation_reason=optional(CancellationReason),
)


def intent_json(conn: Connection, intent: PaymentIntent, *, at: datetime) -> dict[str, Any]:
    """The intent as the API and its webhook events show it."""
    names = conn.execute(
        text(
            "SELECT m.public_id, w.resident_id, c.public_id, m.customer_key FROM merchants m"
            " LEFT JOIN wallets w ON w.coin_id = m.coin_id AND w.id = :wallet"
            " LEFT JOIN charges c ON c.coin_id = m.coin_id AND c.id = :charge"
            " WHERE m.coin_id = :coin AND m.id = :merchant"
        ),
        {
            "coin": intent.coin_id,
            "merchant": intent.merchant_id,
            "wallet": intent.wallet_id,
            "charge": intent.charge_id,
        },
    ).one()
    return {
        "id": intent.public_id,
        "object": "payment_intent",
        "amount": intent.amount,
        "amount_capturable": intent.amount if intent.status is IntentStatus.REQUIRES_CAPTURE else 0,
        "amount_captured": intent.amount_captured or 0,
        "reference": intent.reference,
        "description": intent.description,
        "capture_method": intent.capture_method.value,
        "status": intent.status_at(at).value,
        "qr_payload": intent.qr_payload,
        "merchant_id": names[0],
        "customer_id": None if names[1] is None else customer_id(bytes(names[3]), names[1]),
        "charge_id": names[2],
        "created_at": intent.created_at.isoformat(),
        "expires_at": intent.expires_at.isoformat(),
        "paid_at": _iso(intent.paid_at),
        "capture_before": _iso(intent.capture_before),
        "canceled_at": _iso(intent.canceled_at),
        "cancellation_reason": intent.cancellation_reason.value
        if intent.cancellation_reason
        else None,
    }


def _iso(at: datetime | None) -> str | None:
    return at.isoformat() if at is not None else None


def _event(conn: Connection, intent: PaymentIntent, type_: str, at: datetime) -> None:
    record_event(
        conn,
        coin_id=intent.coin_id,
        merchant_id=intent.merchant_id,
        type_=type_,
        data=intent_json(conn, intent, at=at),
        at=at,
    )


def create_intent(
    conn: Connection,
    *,
    rules: CoinRules,
    merchant: Merchant,
    amount: int,
    reference: str,
    capture_method: CaptureMethod,
    at: datetime,
    expires_at: datetime | None = None,
    description: str | None = None,
    terminal_id: int | None = None,
) -> PaymentIntent:
    """A new unpaid intent with its dynamic QR; ``payment_intent.created`` in the outbox."""
    check_amount(rules, amount, at)
    require_active(merchant)
    deadline = at + EXPIRES_IN_DEFAULT if expires_at is None else expires_at
    if not (at < deadline <= at + EXPIRES_IN_MAX):
        raise Problem(
            Code.EXPIRES_AT_INVALID,
            f"expires_at is in the future and at most {EXPIRES_IN_MAX.days} days away",
        )
    intent_public_id = public_id("pi_")
    payload = dynamic_payload(conn, merchant, amount=amount, reference=intent_public_id)
    row = conn.execute(
        text(
            "INSERT INTO payment_intents (coin_id, public_id, merchant_id, terminal_id, amount,"
            " reference, description, capture_method, qr_payload, created_at, expires_at)"
            " VALUES (:coin, :pid, :merchant, :terminal, :amount, :reference, :description,"
            f" :method, :qr, :at, :expires) RETURNING {INTENT.sql}"
        ),
        {
            "coin": merchant.coin_id,
            "pid": intent_public_id,
            "merchant": merchant.id,
            "terminal": terminal_id,
            "amount": amount,
            "reference": reference,
            "description": description,
            "method": capture_method.value,
            "qr": payload,
            "at": at,
            "expires": deadline,
        },
    ).one()
    intent = INTENT.read(row)
    _event(conn, intent, "payment_intent.created", at)
    return intent


def dynamic_payload(conn: Connection, merchant: Merchant, *, amount: int, reference: str) -> str:
    """The intent's one-payment code: the merchant as its static sticker shows it, plus
    the amount and the intent's id in EMVCo's reference label (62/05)."""
    return build_dynamic(**code_fields(conn, merchant), amount_yen=amount, reference=reference)


def find_intent(
    conn: Connection, *, coin_id: int, merchant_id: int, intent_public_id: str, for_update: bool
) -> PaymentIntent:
    """The merchant's own intent; another merchant's or coin's is not found."""
    lock = " FOR UPDATE" if for_update else ""
    row = conn.execute(
        text(
            f"SELECT {INTENT.sql} FROM payment_intents WHERE coin_id = :coin"
            f" AND merchant_id = :merchant AND public_id = :pid{lock}"
        ),
        {"coin": coin_id, "merchant": merchant_id, "pid": intent_public_id},
    ).one_or_none()
    if row is None:
        raise Problem(Code.PAYMENT_INTENT_NOT_FOUND, "no such payment intent")
    return INTENT.read(row)


def list_intents(
    conn: Connection,
    *,
    coin_id: int,
    merchant_id: int,
    limit: int,
    starting_after: str | None,
) -> tuple[list[PaymentIntent], bool]:
    """The merchant's intents, newest first, a page of ``limit`` after the cursor."""
    assert 1 <= limit <= LIST_LIMIT_MAX
    after_id: int | None = None
    if starting_after is not None:
        after_id = find_intent(
            conn,
            coin_id=coin_id,
            merchant_id=merchant_id,
            intent_public_id=starting_after,
            for_update=False,
        ).id
    rows = conn.execute(
        text(
            f"SELECT {INTENT.sql} FROM payment_intents WHERE coin_id = :coin"
            " AND merchant_id = :merchant AND (CAST(:after AS bigint) IS NULL OR id < :after)"
            " ORDER BY id DESC LIMIT :limit"
        ),
        {"coin": coin_id, "merchant": merchant_id, "after": after_id, "limit": limit + 1},
    ).all()
    return [INTENT.read(row) for row in rows[:limit]], len(rows) > limit


def require_payable(intent: PaymentIntent, at: datetime) -> None:
    """Refuses an intent that may not be paid now, with the code that says why."""
    status = intent.status_at(at)
    if status in (IntentStatus.SUCCEEDED, IntentStatus.REQUIRES_CAPTURE):
        raise Problem(Code.PAYMENT_INTENT_ALREADY_PAID, "this payment intent is paid")
    if status is IntentStatus.CANCELED:
        raise Problem(Code.PAYMENT_INTENT_CANCELED, "this payment intent was canceled")
    if status is IntentStatus.EXPIRED:
        raise Problem(Code.PAYMENT_INTENT_EXPIRED, "this payment intent has expired")


def mark_succeeded(
    conn: Connection, intent: PaymentIntent, *, wallet: Wallet, charge: Charge, at: datetime
) -> PaymentIntent:
    """Records the charge an intent became; ``payment_intent.succeeded``."""
    row = conn.execute(
        text(
            "UPDATE payment_intents SET status = 'succeeded', wallet_id = :wallet,"
            " paid_at = COALESCE(paid_at, :at), charge_id = :charge, amount_captured = :amount"
            f" WHERE coin_id = :coin AND id = :id RETURNING {INTENT.sql}"
        ),
        {
            "wallet": wallet.id,
            "at": at,
            "charge": charge.id,
            "amount": charge.amount,
            "coin": intent.coin_id,
            "id": intent.id,
        },
    ).one()
    succeeded = INTENT.read(row)
    _event(conn, succeeded, "payment_intent.succeeded", at)
    return succeeded


def mark_held(
    conn: Connection, intent: PaymentIntent, *, wallet: Wallet, hold_id: int, at: datetime
) -> PaymentIntent:
    """Records the hold a manual intent placed; ``payment_intent.requires_capture``."""
    row = conn.execute(
        text(
            "UPDATE payment_intents SET status = 'requires_capture', wallet_id = :wallet,"
            " paid_at = :at, hold_id = :hold, capture_before = :before"
            f" WHERE coin_id = :coin AND id = :id RETURNING {INTENT.sql}"
        ),
        {
            "wallet": wallet.id,
            "at": at,
            "hold": hold_id,
            "before": at + CAPTURE_WINDOW,
            "coin": intent.coin_id,
            "id": intent.id,
        },
    ).one()
    held = INTENT.read(row)
    _event(conn, held, "payment_intent.requires_capture", at)
    return held


def capture_intent(
    conn: Connection,
    *,
    merchant: Merchant,
    intent_public_id: str,
    at: datetime,
    amount: int | None = None,
) -> PaymentIntent:
    """Takes ``amount`` (default: all) of a manual intent's hold into the merchant.

    One entry: the resident's wallet to the merchant, less the payment fee
    (the fee of the captured amount, rounded down) to revenue:fees. The rest
    of the hold is released; the capture is a charge, so it can be refunded.
    """
    intent = find_intent(
        conn,
        coin_id=merchant.coin_id,
        merchant_id=merchant.id,
        intent_public_id=intent_public_id,
        for_update=True,
    )
    if intent.status is not IntentStatus.REQUIRES_CAPTURE:
        raise Problem(
            Code.PAYMENT_INTENT_NOT_CAPTURABLE,
            f"this payment intent is {intent.status_at(at).value}; only a held one is captured",
        )
    assert intent.wallet_id is not None and intent.capture_before is not None
    if at >= intent.capture_before:
        raise Problem(
            Code.CAPTURE_EXPIRED,
            f"the hold had to be captured before {intent.capture_before.isoformat()}",
        )
    take = intent.amount if amount is None else amount
    if type(take) is not int or take <= 0:
        raise Problem(Code.AMOUNT_INVALID, "a capture is a positive integer")
    if take > intent.amount:
        raise Problem(
            Code.CAPTURE_AMOUNT_INVALID,
            f"at most the {intent.amount} held can be captured",
        )
    require_active(merchant)
    wallet = _payer_wallet(conn, coin_id=intent.coin_id, wallet_id=intent.wallet_id)
    charge = _capture_into_charge(
        conn, merchant=merchant, intent=intent, wallet=wallet, take=take, at=at
    )
    return mark_succeeded(conn, intent, wallet=wallet, charge=charge, at=at)


def _payer_wallet(conn: Connection, *, coin_id: int, wallet_id: int) -> Wallet:
    resident_id: int = conn.execute(
        text("SELECT resident_id FROM wallets WHERE coin_id = :coin AND id = :id"),
        {"coin": coin_id, "id": wallet_id},
    ).scalar_one()
    return wallet_of(conn, coin_id=coin_id, resident_id=resident_id)


def _capture_into_charge(
    conn: Connection,
    *,
    merchant: Merchant,
    intent: PaymentIntent,
    wallet: Wallet,
    take: int,
    at: datetime,
) -> Charge:
    assert intent.hold_id is not None
    fee = merchant_fee(conn, merchant, FeeKind.PAYMENT, take)
    # capture_hold credits the merchant the whole capture; the fee leg then
    # takes its share back out to revenue in the same entry. The merchant's
    # credit comes first among its postings, so its balance never dips.
    fee_legs: tuple[Leg, ...] = ()
    if fee:
        fees = standard_account(conn, coin_id=merchant.coin_id, code=Standard.REVENUE_FEES)
        fee_legs = (debit(merchant.account_id, fee), credit(fees.id, fee))
    charge_public_id = public_id("ch_")
    _, posted = capture_hold(
        conn,
        coin_id=merchant.coin_id,
        hold_id=intent.hold_id,
        to_account_id=merchant.account_id,
        at=at,
        amount=take,
        kind=ENTRY_KIND,
        extra_legs=fee_legs,
        metadata={
            "charge": charge_public_id,
            "merchant": merchant.public_id,
            "wallet": wallet.public_id,
            "source": Source.PAYMENT_INTENT.value,
            "payment_intent": intent.public_id,
        },
    )
    return insert_charge(
        conn,
        public_id_=charge_public_id,
        merchant=merchant,
        wallet=wallet,
        amount=take,
        fee=fee,
        source=Source.PAYMENT_INTENT,
        entry_id=posted.entry_id,
        at=at,
        terminal_id=intent.terminal_id,
        reference=intent.reference,
    )


def cancel_intent(
    conn: Connection,
    *,
    merchant: Merchant,
    intent_public_id: str,
    reason: CancellationReason,
    at: datetime,
) -> PaymentIntent:
    """Cancels an unpaid intent, or a held one (its hold is released in full)."""
    intent = find_intent(
        conn,
        coin_id=merchant.coin_id,
        merchant_id=merchant.id,
        intent_public_id=intent_public_id,
        for_update=True,
    )
    status = intent.status_at(at)
    if status is IntentStatus.REQUIRES_CAPTURE:
        _release_hold(conn, intent, at)
    elif status is not IntentStatus.REQUIRES_PAYMENT:
        require_payable(intent, at)  # raises the code of its state
    return mark_canceled(conn, intent, reason=reason, at=at)


def _release_hold(conn: Connection, intent: PaymentIntent, at: datetime) -> None:
    assert intent.hold_id is not None
    hold = get_hold(conn, coin_id=intent.coin_id, hold_id=intent.hold_id)
    if hold.status is not HoldStatus.ACTIVE:
        return
    if hold.expires_at > at:
        void_hold(conn, coin_id=intent.coin_id, hold_id=intent.hold_id, at=at)
    else:
        # Past its deadline the ledger releases a hold only by its expiry sweep.
        expire_holds(conn, coin_id=intent.coin_id, at=at)


def mark_canceled(
    conn: Connection, intent: PaymentIntent, *, reason: CancellationReason, at: datetime
) -> PaymentIntent:
    row = conn.execute(
        text(
            "UPDATE payment_intents SET status = 'canceled', canceled_at = :at,"
            " cancellation_reason = :reason"
            f" WHERE coin_id = :coin AND id = :id RETURNING {INTENT.sql}"
        ),
        {"at": at, "reason": reason.value, "coin": intent.coin_id, "id": intent.id},
    ).one()
    canceled = INTENT.read(row)
    _event(conn, canceled, "payment_intent.canceled", at)
    return canceled


def mark_expired(conn: Connection, intent: PaymentIntent, *, at: datetime) -> PaymentIntent:
    row = conn.execute(
        text(
            "UPDATE payment_intents SET status = 'expired'"
            f" WHERE coin_id = :coin AND id = :id RETURNING {INTENT.sql}"
        ),
        {"coin": intent.coin_id, "id": intent.id},
    ).one()
    expired = INTENT.read(row)
    _event(conn, expired, "payment_intent.expired", at)
    return expired
