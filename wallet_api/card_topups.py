"""Card top-ups with Stripe PaymentIntents.

1. The resident asks for a top-up: we record it (requires_payment) and create
   a PaymentIntent with Stripe (keyed by our top-up id, so a retry never makes
   a second one); the app completes the payment with the client secret.
2. Stripe tells us the outcome by webhook, trusted only after
   ``stripe.Webhook.construct_event`` verified its signature. Each event is
   applied exactly once (its id is the primary key of stripe_events).
   - payment_intent.succeeded: the wallet is credited with money (debit
     receivable:card), unless the wallet's cap no longer allows it: then the
     top-up waits for the issuer to refund the card (refund_required).
   - payment_intent.payment_failed: the top-up failed; nothing moves.
   - charge.refunded: the coin refunded since the last such event is taken
     back from the wallet's money (the event carries the charge's cumulative
     ``amount_refunded``): a partial refund takes back that much and the top-up
     stays succeeded; once all is refunded it is refunded. If the resident has
     spent it, nothing is taken and the top-up is marked refund_shortfall for
     the issuer to settle with the resident.
   - charge.dispute.created: the cardholder disputes the charge. What is left
     of the top-up (less what was refunded, at most what the wallet has
     available) is frozen by a ledger hold, so it cannot be spent while the
     card network decides; the top-up is disputed.
   - charge.dispute.closed: won (or a warning closed), the hold is released and
     the top-up is succeeded again; lost, the yen went back to the card, so
     what is left of the top-up is taken back from the wallet's money like a
     refund (charged_back), or flagged refund_shortfall if it was spent before
     the dispute froze it.

Top-ups that need the issuer (refund_required, refund_shortfall, disputed) are
listed for it by ``needing_attention``.

A card top-up counts toward the wallet's daily top-up limit like any other,
and a resident starts at most CARD_STARTS_PER_HOUR of them an hour (each is
a call to the card processor, and card testing runs on many small ones).
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

import stripe
import structlog
from sqlalchemy import Connection, text

from kit.errors import Code
from kit.problems import Problem
from kit.public_ids import public_id
from ledger.accounts import get_balance
from ledger.chart import Standard, standard_account
from ledger.clock import business_date, end_of_business_date
from ledger.entries import EntryRequest, credit, debit, post_entry
from ledger.errors import Code as LedgerCode
from ledger.errors import LedgerError
from ledger.holds import HoldStatus, get_hold, place_hold, void_hold
from ledger.limits import HOLD_TTL_S_MAX
from ledger.lots import LotKind
from ledger.records import Column, RecordColumns
from wallet_api.residents import Wallet
from wallet_api.rules import CoinRules

log = structlog.get_logger(__name__)

CURRENCY = "jpy"
CARD_STARTS_PER_HOUR = 10


class CardTopupStatus(StrEnum):
    REQUIRES_PAYMENT = "requires_payment"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    REFUNDED = "refunded"
    REFUND_REQUIRED = "refund_required"
    REFUND_SHORTFALL = "refund_shortfall"
    DISPUTED = "disputed"
    CHARGED_BACK = "charged_back"


# What the issuer must act on: refund a card, settle a shortfall, follow a dispute.
NEEDS_ATTENTION = (
    CardTopupStatus.REFUND_REQUIRED,
    CardTopupStatus.REFUND_SHORTFALL,
    CardTopupStatus.DISPUTED,
)
# A dispute ends in 75 days or less at the card networks; a hold lasts up to 90.
DISPUTE_FREEZE = timedelta(seconds=HOLD_TTL_S_MAX)


@dataclass(frozen=True, slots=True)
class CardTopup:
    """Attributes:
    public_id: its id in the API (``ctu_…``).
    coin_id, wallet_id: the wallet to credit.
    amount: yen to charge to the card, coin to credit.
    status: where it stands (CardTopupStatus).
    payment_intent_id: Stripe's PaymentIntent.
    client_secret: what the app needs to complete the payment; None once stored.
    """

    public_id: str
    coin_id: int
    wallet_id: int
    amount: int
    status: CardTopupStatus
    payment_intent_id: str | None
    client_secret: str | None = None


def start_card_topup(
    conn: Connection,
    *,
    client: stripe.StripeClient,
    rules: CoinRules,
    wallet: Wallet,
    amount: int,
    at: datetime,
) -> CardTopup:
    """Records the top-up and creates its PaymentIntent; nothing is credited yet."""
    rules.check_issuing(at)
    balance = get_balance(conn, coin_id=rules.coin_id, account_id=wallet.account_id)
    cap = rules.balance_cap(wallet.tier)
    if balance.posted + amount > cap:
        raise Problem(
            Code.LIMIT_EXCEEDED,
            f"a {wallet.tier} wallet holds at most {cap} coin",
        )
    if topped_up_on(conn, coin_id=rules.coin_id, wallet_id=wallet.id, at=at) + amount > (
        rules.daily_topup_max
    ):
        raise Problem(
            Code.LIMIT_EXCEEDED,
            f"a wallet is topped up at most {rules.daily_topup_max} yen a day",
        )
    started: int = conn.execute(
        text(
            "SELECT count(*) FROM card_topups WHERE coin_id = :coin AND wallet_id = :wallet"
            " AND created_at > :since"
        ),
        {"coin": rules.coin_id, "wallet": wallet.id, "since": at - timedelta(hours=1)},
    ).scalar_one()
    if started >= CARD_STARTS_PER_HOUR:
        raise Problem(
            Code.RATE_LIMITED,
            f"at most {CARD_STARTS_PER_HOUR} card top-ups an hour; try again later",
        )
    topup_id = public_id("ctu_")
    try:
        intent = client.v1.payment_intents.create(
            params={
                "amount": amount,
                "currency": CURRENCY,
                "metadata": {"coin_id": str(rules.coin_id), "card_topup": topup_id},
                "automatic_payment_methods": {"enabled": True},
            },
            options={"idempotency_key": topup_id},
        )
    except stripe.StripeError as error:
        # Stripe unreachable or refusing us (its client has retried already): nothing
        # is recorded, and a 5xx does not spend the Idempotency-Key, so the app's
        # retry under the same key starts afresh.
        log.warning("stripe_call_failed", error=type(error).__name__, status=error.http_status)
        raise Problem(
            Code.CARD_PROCESSOR_UNAVAILABLE,
            "the card processor did not answer; nothing was charged, try again",
        ) from error
    conn.execute(
        text(
            "INSERT INTO card_topups (coin_id, public_id, wallet_id, amount, status,"
            " stripe_payment_intent_id, created_at, updated_at) VALUES (:coin, :pid, :wallet,"
            " :amount, 'requires_payment', :intent, :at, :at)"
        ),
        {
            "coin": rules.coin_id,
            "pid": topup_id,
            "wallet": wallet.id,
            "amount": amount,
            "intent": intent.id,
            "at": at,
        },
    )
    return CardTopup(
        topup_id,
        rules.coin_id,
        wallet.id,
        amount,
        CardTopupStatus.REQUIRES_PAYMENT,
        intent.id,
        intent.client_secret,
    )


def apply_event(conn: Connection, *, event: stripe.Event, at: datetime) -> str:
    """Applies a verified Stripe event once; returns what happened, for the log."""
    claimed = conn.execute(
        text(
            "INSERT INTO stripe_events (event_id, type, received_at) VALUES (:id, :type, :at)"
            " ON CONFLICT (event_id) DO NOTHING RETURNING 1"
        ),
        {"id": event.id, "type": event.type, "at": at},
    ).one_or_none()
    if claimed is None:
        return "duplicate"
    payload: Any = event.data.object
    if event.type == "payment_intent.succeeded":
        return _succeeded(conn, payment_intent_id=payload["id"], amount=payload["amount"], at=at)
    if event.type == "payment_intent.payment_failed":
        return _failed(conn, payment_intent_id=payload["id"], at=at)
    if event.type == "charge.refunded":
        return _refunded(
            conn,
            payment_intent_id=payload["payment_intent"],
            refunded=int(payload["amount_refunded"]),
            at=at,
        )
    if event.type == "charge.dispute.created":
        return _disputed(conn, payment_intent_id=payload["payment_intent"], at=at)
    if event.type == "charge.dispute.closed":
        return _dispute_closed(
            conn, payment_intent_id=payload["payment_intent"], outcome=payload["status"], at=at
        )
    return "ignored"


@dataclass(frozen=True, slots=True)
class _Settling:
    """A card top-up that a Stripe event settles, with the wallet it credits.

    Attributes:
        coin_id, id: its key.
        public_id: its id in the API (``ctu_…``).
        amount: yen charged to the card, coin to credit.
        status: where it stands.
        account_id: the wallet's ledger account.
        tier: the wallet's tier, as stored.
        refunded_amount: the part of it refunded to the card so far.
        dispute_hold_id: the hold freezing it while a dispute is open (or last was).
    """

    coin_id: int
    id: int
    public_id: str
    amount: int
    status: CardTopupStatus
    account_id: int
    tier: str
    refunded_amount: int
    dispute_hold_id: int | None


# A top-up (t) with its wallet's (w) account and tier.
_SETTLING = RecordColumns(
    _Settling, status=CardTopupStatus, account_id=Column("w.account_id"), tier=Column("w.tier")
)


def _locked(conn: Connection, payment_intent_id: str) -> _Settling | None:
    row = conn.execute(
        text(
            f"SELECT {_SETTLING.select('t')}"
            " FROM card_topups t JOIN wallets w ON w.coin_id = t.coin_id"
            " AND w.id = t.wallet_id WHERE t.stripe_payment_intent_id = :intent"
            " FOR NO KEY UPDATE OF t"
        ),
        {"intent": payment_intent_id},
    ).one_or_none()
    return _SETTLING.read(row) if row is not None else None


def _set_status(
    conn: Connection,
    coin_id: int,
    topup_id: int,
    status: CardTopupStatus,
    at: datetime,
    **entries: int | datetime | None,
) -> None:
    columns = "".join(f", {name} = :{name}" for name in entries)
    conn.execute(
        text(
            f"UPDATE card_topups SET status = :status, updated_at = :at{columns}"
            " WHERE coin_id = :coin AND id = :id"
        ),
        {"status": status.value, "at": at, "coin": coin_id, "id": topup_id, **entries},
    )


def _succeeded(conn: Connection, *, payment_intent_id: str, amount: int, at: datetime) -> str:
    topup = _locked(conn, payment_intent_id)
    if topup is None:
        return "unknown_payment_intent"
    coin_id, topup_id, topup_public_id = topup.coin_id, topup.id, topup.public_id
    expected, account_id = topup.amount, topup.account_id
    if topup.status != CardTopupStatus.REQUIRES_PAYMENT:
        return "already_settled"
    if amount != expected:
        log.error(
            "card_topup_amount_mismatch", topup=topup_public_id, charged=amount, expected=expected
        )
        _set_status(conn, coin_id, topup_id, CardTopupStatus.REFUND_REQUIRED, at)
        return "amount_mismatch"
    receivable = standard_account(conn, coin_id=coin_id, code=Standard.RECEIVABLE_CARD)
    posted = post_entry(
        conn,
        coin_id=coin_id,
        request=EntryRequest(
            "topup.card",
            [debit(receivable.id, amount), credit(account_id, amount, lot_kind=LotKind.MONEY)],
            idempotency_key=f"card_topup:{topup_public_id}",
            metadata={"card_topup": topup_public_id, "payment_intent": payment_intent_id},
        ),
        posted_at=at,
    )
    cap = _cap(conn, coin_id, topup.tier)
    if get_balance(conn, coin_id=coin_id, account_id=account_id).posted > cap:
        # Paid, but the wallet filled up meanwhile: the card is refunded
        # instead, so the entry above must not stand.
        raise OverCap(topup_public_id)
    _set_status(conn, coin_id, topup_id, CardTopupStatus.SUCCEEDED, at, entry_id=posted.entry_id)
    return "credited"


class OverCap(Exception):  # noqa: N818 - control flow inside the webhook's unit of work
    """Raised to roll back a credit the wallet's cap no longer allows."""

    def __init__(self, topup_public_id: str) -> None:
        super().__init__(topup_public_id)
        self.topup_public_id = topup_public_id


def _cap(conn: Connection, coin_id: int, tier: str) -> int:
    column = "verified_balance_cap" if tier == "verified" else "basic_balance_cap"
    cap: int = conn.execute(
        text(f"SELECT {column} FROM coin_rules WHERE coin_id = :coin"), {"coin": coin_id}
    ).scalar_one()
    return cap


def settle_over_cap(conn: Connection, *, event: stripe.Event, at: datetime) -> str:
    """After OverCap rolled the credit back: the event is applied by marking
    the top-up for a card refund instead."""
    conn.execute(
        text(
            "INSERT INTO stripe_events (event_id, type, received_at) VALUES (:id, :type, :at)"
            " ON CONFLICT (event_id) DO NOTHING"
        ),
        {"id": event.id, "type": event.type, "at": at},
    )
    payload: Any = event.data.object
    topup = _locked(conn, payload["id"])
    assert topup is not None, "OverCap names a top-up that exists"
    log.warning("card_topup_over_cap", topup=topup.public_id)
    _set_status(conn, topup.coin_id, topup.id, CardTopupStatus.REFUND_REQUIRED, at)
    return "refund_required"


def _failed(conn: Connection, *, payment_intent_id: str, at: datetime) -> str:
    topup = _locked(conn, payment_intent_id)
    if topup is None:
        return "unknown_payment_intent"
    if topup.status != CardTopupStatus.REQUIRES_PAYMENT:
        return "already_settled"
    _set_status(conn, topup.coin_id, topup.id, CardTopupStatus.FAILED, at)
    return "failed"


def _refunded(conn: Connection, *, payment_intent_id: str, refunded: int, at: datetime) -> str:
    topup = _locked(conn, payment_intent_id)
    if topup is None:
        return "unknown_payment_intent"
    if topup.status != CardTopupStatus.SUCCEEDED:
        return "nothing_to_take_back"
    # Stripe says how much of the charge is refunded in all; take back what is new.
    refunded = min(refunded, topup.amount)
    if refunded <= topup.refunded_amount:
        return "nothing_to_take_back"
    whole = refunded == topup.amount
    done = CardTopupStatus.REFUNDED if whole else CardTopupStatus.SUCCEEDED
    if not _take_back(conn, topup, refunded_in_all=refunded, status=done, at=at):
        return "shortfall"
    return "taken_back" if whole else "partly_taken_back"


def _take_back(
    conn: Connection,
    topup: _Settling,
    *,
    refunded_in_all: int,
    status: CardTopupStatus,
    at: datetime,
    kind: str = "topup.card.refunded",
) -> bool:
    """Takes back from the wallet's money what the card got back since last time;
    False (and the top-up flagged refund_shortfall) if the resident has spent it."""
    amount = refunded_in_all - topup.refunded_amount
    receivable = standard_account(conn, coin_id=topup.coin_id, code=Standard.RECEIVABLE_CARD)
    taken = conn.begin_nested()
    try:
        back = post_entry(
            conn,
            coin_id=topup.coin_id,
            request=EntryRequest(
                kind,
                [
                    debit(topup.account_id, amount, spend_kinds=frozenset({LotKind.MONEY})),
                    credit(receivable.id, amount),
                ],
                metadata={"card_topup": topup.public_id, "refunded_in_all": refunded_in_all},
            ),
            posted_at=at,
        )
        taken.commit()
    except LedgerError as error:
        taken.rollback()
        if error.code is not LedgerCode.INSUFFICIENT_FUNDS:
            raise
        log.warning("card_topup_refund_shortfall", topup=topup.public_id, amount=amount)
        _set_status(conn, topup.coin_id, topup.id, CardTopupStatus.REFUND_SHORTFALL, at)
        return False
    _set_status(
        conn,
        topup.coin_id,
        topup.id,
        status,
        at,
        refund_entry_id=back.entry_id,
        refunded_amount=refunded_in_all,
    )
    return True


def _disputed(conn: Connection, *, payment_intent_id: str, at: datetime) -> str:
    topup = _locked(conn, payment_intent_id)
    if topup is None:
        return "unknown_payment_intent"
    if topup.status != CardTopupStatus.SUCCEEDED:
        return "nothing_to_freeze"
    left = topup.amount - topup.refunded_amount
    available = get_balance(conn, coin_id=topup.coin_id, account_id=topup.account_id).available
    frozen = min(left, available)
    hold_id = None
    if frozen > 0:
        hold_id = place_hold(
            conn,
            coin_id=topup.coin_id,
            account_id=topup.account_id,
            amount=frozen,
            at=at,
            ttl=DISPUTE_FREEZE,
            metadata={"card_topup": topup.public_id, "reason": "card_dispute"},
        ).id
    log.warning("card_topup_disputed", topup=topup.public_id, frozen=frozen, left=left)
    _set_status(
        conn,
        topup.coin_id,
        topup.id,
        CardTopupStatus.DISPUTED,
        at,
        dispute_hold_id=hold_id,
        disputed_at=at,
    )
    return "frozen" if frozen == left else "partly_frozen"


def _dispute_closed(conn: Connection, *, payment_intent_id: str, outcome: str, at: datetime) -> str:
    topup = _locked(conn, payment_intent_id)
    if topup is None:
        return "unknown_payment_intent"
    if topup.status != CardTopupStatus.DISPUTED:
        return "not_disputed"
    frozen = 0
    if topup.dispute_hold_id is not None:
        hold = get_hold(conn, coin_id=topup.coin_id, hold_id=topup.dispute_hold_id)
        if hold.status is HoldStatus.ACTIVE:
            void_hold(conn, coin_id=topup.coin_id, hold_id=hold.id, at=at)
            frozen = hold.amount
    if outcome != "lost":  # won, or a warning closed without a chargeback
        _set_status(conn, topup.coin_id, topup.id, CardTopupStatus.SUCCEEDED, at)
        return "released"
    # Lost: the yen went back to the card. What the freeze kept is taken back; what
    # was spent before it is the issuer's to settle with the resident.
    whole = frozen == topup.amount - topup.refunded_amount
    if frozen == 0:
        _set_status(conn, topup.coin_id, topup.id, CardTopupStatus.REFUND_SHORTFALL, at)
        return "shortfall"
    taken = _take_back(
        conn,
        topup,
        refunded_in_all=topup.refunded_amount + frozen,
        status=CardTopupStatus.CHARGED_BACK if whole else CardTopupStatus.REFUND_SHORTFALL,
        at=at,
        kind="topup.card.charged_back",
    )
    return "charged_back" if taken and whole else "shortfall"


def needing_attention(conn: Connection, *, coin_id: int, limit: int) -> list[dict[str, Any]]:
    """The coin's card top-ups the issuer must act on, oldest change first."""
    rows = conn.execute(
        text(
            "SELECT t.public_id, w.public_id AS wallet_id, t.amount, t.refunded_amount,"
            " t.status, t.disputed_at, t.updated_at, h.amount AS frozen"
            " FROM card_topups t JOIN wallets w ON w.coin_id = t.coin_id AND w.id = t.wallet_id"
            " LEFT JOIN holds h ON h.coin_id = t.coin_id AND h.id = t.dispute_hold_id"
            " AND h.status = 'active'"
            " WHERE t.coin_id = :coin AND t.status = ANY(:statuses)"
            " ORDER BY t.updated_at, t.id LIMIT :limit"
        ),
        {"coin": coin_id, "statuses": [s.value for s in NEEDS_ATTENTION], "limit": limit},
    ).all()
    return [
        {
            "id": row.public_id,
            "wallet_id": row.wallet_id,
            "amount": row.amount,
            "refunded_amount": row.refunded_amount,
            "status": row.status,
            "frozen": row.frozen or 0,
            "disputed_at": None if row.disputed_at is None else row.disputed_at.isoformat(),
            "updated_at": row.updated_at.isoformat(),
        }
        for row in rows
    ]


def topped_up_on(conn: Connection, *, coin_id: int, wallet_id: int, at: datetime) -> int:
    """Yen the wallet was topped up on ``at``'s Tokyo business day: at the bank and by
    card (card top-ups asked for, less what was refunded, failed ones excepted)."""
    day = business_date(at)
    total: int = conn.execute(
        text(
            "SELECT (SELECT coalesce(sum(amount), 0) FROM topups WHERE coin_id = :coin"
            "        AND wallet_id = :wallet AND business_date = :day)"
            "     + (SELECT coalesce(sum(amount - refunded_amount), 0) FROM card_topups"
            "        WHERE coin_id = :coin AND wallet_id = :wallet"
            "        AND status NOT IN ('failed', 'refund_required')"
            "        AND created_at >= :start AND created_at < :end)"
        ),
        {
            "coin": coin_id,
            "wallet": wallet_id,
            "day": day,
            "start": end_of_business_date(day - timedelta(days=1)),
            "end": end_of_business_date(day),
        },
    ).scalar_one()
    return total
