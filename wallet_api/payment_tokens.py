"""Customer-presented payment tokens: the short-lived, signed QR a wallet shows.

A payment token lets a merchant's terminal charge one resident's wallet once,
within about a minute of the wallet showing it. The wallet API issues it
(``POST /v1/wallet/payment_tokens``); the terminal scans it and sends it back
(``POST /v1/charges``), where this module verifies it. This module is the
format only: pure, no database, time from an injected clock.

Guarantees:
    - Unforgeable: claims are signed with Ed25519; changing any bit of a token
      makes it refuse. Keys carry a key id (kid) so they can rotate.
    - Short-lived: valid from ``issued_at`` (less ``CLOCK_SKEW_S``) until
      ``expires_at`` = ``issued_at`` + ``TOKEN_TTL_S``, exclusive.
    - Single use is NOT checked here. Each token carries a 128-bit random
      ``token_id``; the charge stores it under a unique constraint, so a replay
      fails there with ``token_used``.

Wire format, version 1 (``TOKEN_CHARS`` = 149 characters)::

    "LC1" + base32(claims || signature), upper case, no padding

    claims (27 bytes, big-endian, struct ">BHII16s"):
        offset  size  field
        0       1     kid         u8, the signing key's id
        1       2     coin_id     u16
        3       4     wallet_id   u32
        7       4     issued_at   u32, epoch seconds UTC
        11      16    token_id    128 random bits
    signature (64 bytes): Ed25519 over b"LC1" || claims

"LC" names the scheme and the digit its version; the version is signed through
the prefix, so a token cannot be re-read under another layout. ``expires_at`` is
not sent: version 1 fixes it at ``issued_at + TOKEN_TTL_S``. The base32 text
uses only QR alphanumeric characters (A-Z, 2-7), which a QR code stores at 5.5
bits a character instead of 8 in byte mode, so a token fits a version 6 QR code
at error correction M (41x41 modules, 154 alphanumeric characters at most).
That budget is why the integer fields are narrow and why there is no per-token
amount limit: a widened layout would be version 2.

Result codes, in the order they are checked (the first that applies wins):
    1. ``token_malformed``: not our prefix, an unknown version, the wrong
       length, characters outside upper-case base32, or a non-canonical
       encoding.
    2. ``token_unknown_key``: no public key for the token's kid.
    3. ``token_forged``: the signature does not verify under that key (any
       flipped bit lands here or in ``token_unknown_key``).
    4. ``token_not_yet_valid``: issued more than ``CLOCK_SKEW_S`` in the future.
    5. ``token_expired``: now is at or past ``expires_at``.
    6. ``token_wrong_coin``: issued for another coin than the terminal's.
    (``token_used``: raised by the charge service when the token id is already
    stored; never by this module.)

Key material never appears in reprs, exceptions or logs.
"""

import base64
import binascii
import re
import secrets
import struct
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from types import MappingProxyType

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)

from ledger.clock import Clock

# About a minute: long enough to show the phone at a till, short enough that a
# photographed QR is useless by the time anyone could use it.
TOKEN_TTL_S = 60
# Phones and our servers disagree by a few seconds; a token from a server whose
# clock runs ahead must still work at once.
CLOCK_SKEW_S = 5
assert 10 <= TOKEN_TTL_S <= 300, "a payment token lives about a minute"
assert 0 <= CLOCK_SKEW_S < TOKEN_TTL_S, "skew is small next to the lifetime"

TOKEN_VERSION = 1
SCHEME = "LC"
TOKEN_PREFIX = f"{SCHEME}{TOKEN_VERSION}"

TOKEN_ID_BYTES = 16  # 128 bits: guessing a live token id is hopeless
KID_MAX = 0xFF
COIN_ID_MAX = 0xFFFF
WALLET_ID_MAX = 0xFFFF_FFFF
EPOCH_S_MAX = 0xFFFF_FFFF - TOKEN_TTL_S  # expires_at must fit u32 too: year 2106

_CLAIMS = struct.Struct(">BHII16s")
_SIGNATURE_BYTES = 64
TOKEN_BYTES = _CLAIMS.size + _SIGNATURE_BYTES
# base32 carries 5 bits a character; the last one may be partly filler.
TOKEN_CHARS = len(TOKEN_PREFIX) + -(-TOKEN_BYTES * 8 // 5)
# A version 6 QR code at error correction M holds 154 alphanumeric characters;
# staying under 150 leaves room without growing the code.
TOKEN_CHARS_MAX = 149
assert _CLAIMS.size == 27
assert TOKEN_BYTES == 91
assert TOKEN_CHARS <= TOKEN_CHARS_MAX, f"a token is {TOKEN_CHARS} characters"

_BASE32_BODY = re.compile(r"[A-Z2-7]*")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_RAW_KEY_BYTES = 32


class TokenCode(StrEnum):
    """Why a payment token was refused, in the order they are checked."""

    MALFORMED = "token_malformed"
    UNKNOWN_KEY = "token_unknown_key"
    FORGED = "token_forged"
    NOT_YET_VALID = "token_not_yet_valid"
    EXPIRED = "token_expired"
    WRONG_COIN = "token_wrong_coin"
    # The database's refusal of a replay; listed so there is one table of codes.
    USED = "token_used"


class TokenError(Exception):
    """A refused payment token. The detail never quotes the token or any key."""

    def __init__(self, code: TokenCode, detail: str) -> None:
        super().__init__(f"{code}: {detail}")
        self.code = code
        self.detail = detail


@dataclass(frozen=True, slots=True)
class Claims:
    """What a payment token says, once its signature has been checked.

    Attributes:
        version: the wire format's version (1); named by the prefix.
        kid: the id of the key that signed it, 0..255.
        coin_id: the coin of the wallet, 0..65535; a merchant of another coin
            cannot charge it.
        wallet_id: the resident's wallet to charge, 0..2**32-1.
        token_id: 16 random bytes; unique per token. The charge stores it under
            a unique constraint: that is what makes a token single-use.
        issued_at: when it was issued, epoch seconds UTC.
        expires_at: first second it is no longer valid, epoch seconds UTC;
            always ``issued_at + TOKEN_TTL_S``.
    """

    version: int
    kid: int
    coin_id: int
    wallet_id: int
    token_id: bytes = field(repr=False)
    issued_at: int
    expires_at: int

    def __post_init__(self) -> None:
        assert self.version == TOKEN_VERSION
        assert 0 <= self.kid <= KID_MAX
        assert 0 <= self.coin_id <= COIN_ID_MAX
        assert 0 <= self.wallet_id <= WALLET_ID_MAX
        assert len(self.token_id) == TOKEN_ID_BYTES
        assert 0 <= self.issued_at <= EPOCH_S_MAX
        assert self.expires_at == self.issued_at + TOKEN_TTL_S


@dataclass(frozen=True, slots=True)
class IssuedToken:
    """A token as the wallet API returns it.

    Attributes:
        token: the token string, ``TOKEN_CHARS`` long.
        claims: what it says.
        expires_at: when it stops being valid, as a UTC instant.
    """

    token: str = field(repr=False)
    claims: Claims
    expires_at: datetime

    @property
    def qr_payload(self) -> str:
        """What the wallet screen draws as a QR code: the token itself."""
        return self.token


@dataclass(frozen=True, slots=True)
class TokenSigner:
    """A private key that issues tokens, with the kid verifiers know it by."""

    kid: int
    private_key: Ed25519PrivateKey = field(repr=False)

    def __post_init__(self) -> None:
        assert 0 <= self.kid <= KID_MAX, "a kid is one byte"

    @property
    def public_key(self) -> Ed25519PublicKey:
        return self.private_key.public_key()


class TokenVerifier:
    """The public keys tokens may be signed with, by kid.

    During a rotation it holds the old key and the new one; a key can be
    dropped ``TOKEN_TTL_S`` after the last token it signed.
    """

    def __init__(self, public_keys: Mapping[int, Ed25519PublicKey]) -> None:
        assert public_keys, "a verifier with no keys refuses everything"
        assert all(0 <= kid <= KID_MAX for kid in public_keys), "a kid is one byte"
        self._keys = MappingProxyType(dict(public_keys))

    def key(self, kid: int) -> Ed25519PublicKey | None:
        return self._keys.get(kid)

    def __repr__(self) -> str:
        return f"TokenVerifier(kids={sorted(self._keys)})"


def issue_token(*, signer: TokenSigner, coin_id: int, wallet_id: int, clock: Clock) -> IssuedToken:
    """A fresh token for one wallet of one coin, valid for ``TOKEN_TTL_S``."""
    assert 0 <= coin_id <= COIN_ID_MAX, f"coin id {coin_id} does not fit a version 1 token"
    assert 0 <= wallet_id <= WALLET_ID_MAX, f"wallet id {wallet_id} does not fit a token"
    issued_at = _epoch_s(clock.now())
    assert 0 <= issued_at <= EPOCH_S_MAX, "the clock is outside 1970..2106"
    claims = Claims(
        version=TOKEN_VERSION,
        kid=signer.kid,
        coin_id=coin_id,
        wallet_id=wallet_id,
        token_id=secrets.token_bytes(TOKEN_ID_BYTES),
        issued_at=issued_at,
        expires_at=issued_at + TOKEN_TTL_S,
    )
    claim_bytes = _pack(claims)
    signature = signer.private_key.sign(_signed_message(claim_bytes))
    token = encode_token_bytes(claim_bytes + signature)
    assert len(token) == TOKEN_CHARS
    expires_at = _EPOCH + timedelta(seconds=claims.expires_at)
    return IssuedToken(token=token, claims=claims, expires_at=expires_at)


def verify_token(token: str, *, verifier: TokenVerifier, coin_id: int, clock: Clock) -> Claims:
    """The claims of a token a terminal of ``coin_id`` may charge now.

    Raises TokenError with the first code that applies (see the module doc).
    Does not know whether the token was used before; the caller must store
    ``token_id`` under a unique constraint in the same database transaction
    as the charge.
    """
    raw = decode_token_bytes(token)
    claim_bytes, signature = raw[: _CLAIMS.size], raw[_CLAIMS.size :]
    # Nothing but the kid is read before the signature is checked.
    kid = claim_bytes[0]
    public_key = verifier.key(kid)
    if public_key is None:
        raise TokenError(TokenCode.UNKNOWN_KEY, f"no key with kid {kid}")
    try:
        public_key.verify(signature, _signed_message(claim_bytes))
    except InvalidSignature:
        raise TokenError(TokenCode.FORGED, "the signature does not verify") from None
    claims = _unpack(claim_bytes)
    now_s = _epoch_s(clock.now())
    if claims.issued_at > now_s + CLOCK_SKEW_S:
        raise TokenError(
            TokenCode.NOT_YET_VALID, f"issued {claims.issued_at - now_s} s in the future"
        )
    if now_s >= claims.expires_at:
        raise TokenError(TokenCode.EXPIRED, f"expired {now_s - claims.expires_at} s ago")
    if claims.coin_id != coin_id:
        raise TokenError(TokenCode.WRONG_COIN, "the token is for another coin")
    return claims


def encode_token_bytes(raw: bytes) -> str:
    """The token string for claims and signature: prefix + unpadded base32."""
    assert len(raw) == TOKEN_BYTES
    return TOKEN_PREFIX + base64.b32encode(raw).decode("ascii").rstrip("=")


def decode_token_bytes(token: str) -> bytes:
    """Claims and signature, from a string that must be a well-formed token.

    Only the canonical encoding is accepted, so one token has one spelling.
    """
    if not token.startswith(SCHEME):
        raise TokenError(TokenCode.MALFORMED, "not a localcoin payment token")
    if not token.startswith(TOKEN_PREFIX):
        raise TokenError(TokenCode.MALFORMED, "unknown token version")
    body = token[len(TOKEN_PREFIX) :]
    if len(token) != TOKEN_CHARS:
        raise TokenError(TokenCode.MALFORMED, f"a token is {TOKEN_CHARS} characters")
    # Checked by hand: b32decode would also take lower case and '=' padding.
    if not _BASE32_BODY.fullmatch(body):
        raise TokenError(TokenCode.MALFORMED, "characters outside upper-case base32")
    padded = body + "=" * (-len(body) % 8)
    try:
        raw = base64.b32decode(padded)
    except binascii.Error:
        raise TokenError(TokenCode.MALFORMED, "not base32") from None
    # The last character's filler bits must be zero, or one token would have
    # several spellings.
    if len(raw) != TOKEN_BYTES or encode_token_bytes(raw) != token:
        raise TokenError(TokenCode.MALFORMED, "not the canonical encoding")
    return raw


def generate_signing_key(*, avoid_kids: Collection[int] = ()) -> TokenSigner:
    """A new private key with a random kid not in ``avoid_kids`` (the live ones)."""
    assert len(avoid_kids) <= KID_MAX, "no kid left"
    while True:
        kid = secrets.randbelow(KID_MAX + 1)
        if kid not in avoid_kids:
            return TokenSigner(kid=kid, private_key=Ed25519PrivateKey.generate())


def private_key_to_bytes(key: Ed25519PrivateKey) -> bytes:
    """The raw 32-byte private key, for a secret store. Never log it."""
    return key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())


def private_key_from_bytes(raw: bytes) -> Ed25519PrivateKey:
    if len(raw) != _RAW_KEY_BYTES:
        raise ValueError(f"a raw Ed25519 private key is 32 bytes, not {len(raw)}")
    return Ed25519PrivateKey.from_private_bytes(raw)


def public_key_to_bytes(key: Ed25519PublicKey) -> bytes:
    """The raw 32-byte public key, for verifiers' configuration."""
    return key.public_bytes(Encoding.Raw, PublicFormat.Raw)


def public_key_from_bytes(raw: bytes) -> Ed25519PublicKey:
    if len(raw) != _RAW_KEY_BYTES:
        raise ValueError(f"a raw Ed25519 public key is 32 bytes, not {len(raw)}")
    return Ed25519PublicKey.from_public_bytes(raw)


def _signed_message(claim_bytes: bytes) -> bytes:
    # The prefix is signed too: it names the version, so it decides the layout.
    return TOKEN_PREFIX.encode("ascii") + claim_bytes


def _pack(claims: Claims) -> bytes:
    return _CLAIMS.pack(
        claims.kid, claims.coin_id, claims.wallet_id, claims.issued_at, claims.token_id
    )


def _unpack(claim_bytes: bytes) -> Claims:
    kid, coin_id, wallet_id, issued_at, token_id = _CLAIMS.unpack(claim_bytes)
    # issue_token never signs an issued_at this late, so only someone holding
    # our private key could have: refuse it as a forgery, not with an assert.
    if issued_at > EPOCH_S_MAX:
        raise TokenError(TokenCode.FORGED, "issued_at out of range")
    return Claims(
        version=TOKEN_VERSION,
        kid=kid,
        coin_id=coin_id,
        wallet_id=wallet_id,
        token_id=token_id,
        issued_at=issued_at,
        expires_at=issued_at + TOKEN_TTL_S,
    )


def _epoch_s(at: datetime) -> int:
    """Whole seconds since 1970 UTC, rounded down; no floats."""
    assert at.tzinfo is not None, "instants are timezone-aware"
    return (at - _EPOCH) // timedelta(seconds=1)
