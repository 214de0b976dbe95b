"""Card wallets: a printed QR card and the resident's PIN, for residents without a smartphone.

The issuer prints a card for a resident's wallet in its coin; a merchant's
terminal scans it (``card_wallet``) and the resident types the PIN
(``check_card_pin``). The card is a key to the wallet, not a purse: the
balance stays in the wallet, so a lost card is blocked and a new one issued
without moving a coin.

Guarantees:
    - Unguessable: the printed payload is ``CARD_PREFIX`` + base32 of the
      card's 10-byte number and a 16-byte random secret. The number is the
      card's public id (``crd_`` + its base32); only a SHA-256 of the secret is
      stored, so neither the database nor the card id lets anyone forge a card.
    - At most one active card per wallet (a partial unique index): issuing a
      card blocks the wallet's active one, reason ``reissued``.
    - A PIN typed at a terminal counts toward the same lockout as log-in.

Result codes, in the order they are checked when a card is scanned:
    1. ``card_unknown`` (404): not a card payload, no such card in the
       terminal's coin, or the secret does not match.
    2. ``card_blocked`` (403): the card was blocked or replaced.
    Then, for the PIN: ``resident_locked`` (423), ``card_pin_incorrect`` (403).
"""

import base64
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from sqlalchemy import Connection, text

from kit.errors import Code
from kit.problems import Problem
from ledger.records import Column, RecordColumns
from wallet_api.pins import PinHasher
from wallet_api.residents import TILL, Wallet, check_pin, get_wallet, locked_problem

CARD_PREFIX = "LCC1"  # localcoin card, payload version 1
CARD_NUMBER_BYTES = 10  # 80 bits: the card's public id
CARD_SECRET_BYTES = 16  # 128 bits: what makes a printed card unforgeable
CARD_PAYLOAD_CHARS = len(CARD_PREFIX) + -(-(CARD_NUMBER_BYTES + CARD_SECRET_BYTES) * 8 // 5)
CARD_ID_PREFIX = "crd_"
REISSUED = "reissued"
BLOCK_REASON_CHARS_MAX = 200
assert CARD_PAYLOAD_CHARS == 46

_BASE32 = re.compile(r"[A-Z2-7]+")


class CardStatus(StrEnum):
    ACTIVE = "active"
    BLOCKED = "blocked"


@dataclass(frozen=True, slots=True)
class Card:
    """A printed card for a wallet.

    Attributes:
        coin_id: the coin of the wallet.
        id: internal id.
        public_id: its id in the API (``crd_`` + 16 base32 characters); not a secret.
        wallet_id: the wallet it pays from (internal id).
        wallet_public_id: the same wallet's id in the API.
        status: active, or blocked for good.
        issued_at: when it was issued (UTC).
        blocked_at: when it was blocked; None while active.
        block_reason: why (``reissued`` when a new card replaced it); None while active.
    """

    coin_id: int
    id: int
    public_id: str
    wallet_id: int
    wallet_public_id: str
    status: CardStatus
    issued_at: datetime
    blocked_at: datetime | None
    block_reason: str | None


@dataclass(frozen=True, slots=True)
class IssuedCard:
    """A new card and what to print on it.

    Attributes:
        card: the card.
        qr_payload: the QR to print; shown this once, never stored.
    """

    card: Card
    qr_payload: str = field(repr=False)


# A card (c) with its wallet's (w) public id.
_CARD = RecordColumns(Card, wallet_public_id=Column("w.public_id"), status=CardStatus)


def _digest(secret: bytes) -> bytes:
    return hashlib.sha256(secret).digest()


def _card_public_id(number: bytes) -> str:
    return CARD_ID_PREFIX + base64.b32encode(number).decode("ascii")


def encode_card_payload(number: bytes, secret: bytes) -> str:
    assert len(number) == CARD_NUMBER_BYTES and len(secret) == CARD_SECRET_BYTES
    body = base64.b32encode(number + secret).decode("ascii").rstrip("=")
    return CARD_PREFIX + body


def decode_card_payload(qr_payload: str) -> tuple[str, bytes] | None:
    """The card's public id and secret, or None if this is not a card's payload."""
    body = qr_payload[len(CARD_PREFIX) :]
    if not qr_payload.startswith(CARD_PREFIX) or len(qr_payload) != CARD_PAYLOAD_CHARS:
        return None
    if not _BASE32.fullmatch(body):
        return None
    raw = base64.b32decode(body + "=" * (-len(body) % 8))
    # One card, one spelling: the last character's filler bits must be zero.
    if encode_card_payload(raw[:CARD_NUMBER_BYTES], raw[CARD_NUMBER_BYTES:]) != qr_payload:
        return None
    return _card_public_id(raw[:CARD_NUMBER_BYTES]), raw[CARD_NUMBER_BYTES:]


def issue_card(conn: Connection, *, wallet: Wallet, at: datetime) -> IssuedCard:
    """A new active card for the wallet; its active card, if any, is blocked (``reissued``)."""
    # Issuances for one wallet queue on its row, so each blocks the card before
    # it and the one-active-card index never refuses a reissue.
    conn.execute(
        text("SELECT 1 FROM wallets WHERE coin_id = :coin AND id = :wallet FOR NO KEY UPDATE"),
        {"coin": wallet.coin_id, "wallet": wallet.id},
    ).one()
    conn.execute(
        text(
            "UPDATE cards SET status = 'blocked', blocked_at = :at, block_reason = :reason"
            " WHERE coin_id = :coin AND wallet_id = :wallet AND status = 'active'"
        ),
        {"at": at, "reason": REISSUED, "coin": wallet.coin_id, "wallet": wallet.id},
    )
    number = secrets.token_bytes(CARD_NUMBER_BYTES)
    secret = secrets.token_bytes(CARD_SECRET_BYTES)
    card_public_id = _card_public_id(number)
    card_id = conn.execute(
        text(
            "INSERT INTO cards (coin_id, public_id, wallet_id, secret_hash, status, issued_at)"
            " VALUES (:coin, :pid, :wallet, :hash, 'active', :at) RETURNING id"
        ),
        {
            "coin": wallet.coin_id,
            "pid": card_public_id,
            "wallet": wallet.id,
            "hash": _digest(secret),
            "at": at,
        },
    ).scalar_one()
    card = Card(
        wallet.coin_id,
        card_id,
        card_public_id,
        wallet.id,
        wallet.public_id,
        CardStatus.ACTIVE,
        at,
        None,
        None,
    )
    return IssuedCard(card, encode_card_payload(number, secret))


def find_card(conn: Connection, *, coin_id: int, card_public_id: str) -> Card:
    """A card of the coin, or 404 ``card_not_found`` (other coins' cards included)."""
    row = conn.execute(
        text(
            f"SELECT {_CARD.select('c')} FROM cards c JOIN wallets w"
            " ON w.coin_id = c.coin_id AND w.id = c.wallet_id"
            " WHERE c.coin_id = :coin AND c.public_id = :pid"
        ),
        {"coin": coin_id, "pid": card_public_id},
    ).one_or_none()
    if row is None:
        raise Problem(Code.CARD_NOT_FOUND, "no such card in this coin")
    return _CARD.read(row)


def block_card(
    conn: Connection, *, coin_id: int, card_public_id: str, reason: str, at: datetime
) -> Card:
    """Blocks a card for good. A card already blocked stays as it was, with its first reason."""
    assert 0 < len(reason) <= BLOCK_REASON_CHARS_MAX, "the schema bounds the reason"
    conn.execute(
        text(
            "UPDATE cards SET status = 'blocked', blocked_at = :at, block_reason = :reason"
            " WHERE coin_id = :coin AND public_id = :pid AND status = 'active'"
        ),
        {"at": at, "reason": reason, "coin": coin_id, "pid": card_public_id},
    )
    return find_card(conn, coin_id=coin_id, card_public_id=card_public_id)


def scan_card(conn: Connection, *, coin_id: int, qr_payload: str) -> Card:
    """The active card a terminal of ``coin_id`` scanned, or a Problem (see the module doc).

    The card's row is share-locked until the charge commits, so a block waits
    for a payment in flight and no payment starts after it.
    """
    unknown = Problem(Code.CARD_UNKNOWN, "this card is not one of this coin's")
    decoded = decode_card_payload(qr_payload)
    if decoded is None:
        raise unknown
    card_public_id, secret = decoded
    row = conn.execute(
        text(
            f"SELECT {_CARD.select('c')}, c.secret_hash FROM cards c JOIN wallets w"
            " ON w.coin_id = c.coin_id AND w.id = c.wallet_id"
            " WHERE c.coin_id = :coin AND c.public_id = :pid FOR SHARE OF c"
        ),
        {"coin": coin_id, "pid": card_public_id},
    ).one_or_none()
    # The secret is checked before the status, so only the card's holder
    # learns that it is blocked.
    if row is None or not hmac.compare_digest(bytes(row.secret_hash), _digest(secret)):
        raise unknown
    card = _CARD.read(row)
    if card.status is not CardStatus.ACTIVE:
        raise Problem(Code.CARD_BLOCKED, "this card was blocked")
    return card


def card_wallet(conn: Connection, coin_id: int, qr_payload: str) -> Wallet:
    """The wallet a terminal of ``coin_id`` may charge with this card, after the PIN."""
    card = scan_card(conn, coin_id=coin_id, qr_payload=qr_payload)
    return get_wallet(conn, coin_id=card.coin_id, wallet_id=card.wallet_id)


def check_card_pin(
    conn: Connection, *, wallet: Wallet, pin: str, hasher: PinHasher, at: datetime
) -> Problem | None:
    """None if ``pin`` is the wallet's resident's PIN; otherwise the refusal.

    The refusal is *returned*, not raised: the failure count it updated must
    commit with the request, so a terminal cannot try PINs without end. The
    charge route answers with it (``problem_response``) instead of raising it.
    """
    refusal = check_pin(
        conn, resident_id=wallet.resident_id, pin=pin, hasher=hasher, at=at, via=TILL
    )
    if refusal is None:
        return None
    if refusal.locked_until is not None:
        return locked_problem(refusal.locked_until)
    return Problem(Code.CARD_PIN_INCORRECT, "the PIN is not this card's")
