"""The server's payment-token keys: one Ed25519 key per coin and kid, derived, never stored.

Each coin signs its residents' payment tokens with its own key, so a token of
one coin can never pass another coin's verifier. The private key is derived
from the server's master secret (``settings.token_master_key``) with
HKDF-SHA256, with the coin's id and the kid in HKDF's ``info``: no private key
is written to the database or to disk, every process of the deployment derives
the same keys, and rotating is a new kid (``settings.token_kid``).

The wallet API signs with ``TokenKeys.signer_for``; the merchant side verifies
with ``TokenKeys.verifier_for`` and turns refusals into problems with
``verify_payment_token``.
"""

from dataclasses import dataclass, field

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from fastapi import Request

from kit.errors import Code
from kit.problems import Problem
from kit.settings import Settings, get_settings
from ledger.clock import Clock
from wallet_api.payment_tokens import (
    COIN_ID_MAX,
    KID_MAX,
    Claims,
    TokenCode,
    TokenError,
    TokenSigner,
    TokenVerifier,
    decode_token_bytes,
    verify_token,
)

HKDF_INFO = b"localcoin payment token"
MASTER_KEY_CHARS_MIN = 32
_SEED_BYTES = 32  # an Ed25519 private key is a 32-byte seed

# Every refusal a merchant may meet, as the API's code (its status is in the table: a
# bad token is the request's content, not a missing resource: 422; a replay is a conflict).
TOKEN_REFUSALS: dict[TokenCode, Code] = {
    TokenCode.MALFORMED: Code.TOKEN_MALFORMED,
    TokenCode.UNKNOWN_KEY: Code.TOKEN_UNKNOWN_KEY,
    TokenCode.FORGED: Code.TOKEN_FORGED,
    TokenCode.NOT_YET_VALID: Code.TOKEN_NOT_YET_VALID,
    TokenCode.EXPIRED: Code.TOKEN_EXPIRED,
    TokenCode.WRONG_COIN: Code.TOKEN_WRONG_COIN,
    TokenCode.USED: Code.TOKEN_USED,
}
assert set(TOKEN_REFUSALS) == set(TokenCode), "every token code is one of the API's"
assert all(code.value == api.value for code, api in TOKEN_REFUSALS.items()), "same strings"


def derive_signing_key(*, master_key: str, coin_id: int, kid: int) -> Ed25519PrivateKey:
    """The private key of one coin under one kid; the same inputs give the same key."""
    assert len(master_key) >= MASTER_KEY_CHARS_MIN, "the master key is a real secret"
    assert 0 <= coin_id <= COIN_ID_MAX, f"coin id {coin_id} does not fit a payment token"
    assert 0 <= kid <= KID_MAX, "a kid is one byte"
    hkdf = HKDF(
        algorithm=hashes.SHA256(),
        length=_SEED_BYTES,
        salt=None,
        info=HKDF_INFO + coin_id.to_bytes(2, "big") + kid.to_bytes(1, "big"),
    )
    return Ed25519PrivateKey.from_private_bytes(hkdf.derive(master_key.encode("utf-8")))


@dataclass(frozen=True, slots=True)
class TokenKeys:
    """The deployment's token keys.

    Attributes:
        master_key: the secret every coin's key derives from; never logged.
        kid: the kid tokens are signed with now, and the only one verified.
            A rotation therefore refuses, with ``token_unknown_key``, the tokens
            of the old kid still alive (at most ``TOKEN_TTL_S``): a resident
            shows a fresh one.
    """

    master_key: str = field(repr=False)
    kid: int

    def __post_init__(self) -> None:
        assert len(self.master_key) >= MASTER_KEY_CHARS_MIN, "the master key is a real secret"
        assert 0 <= self.kid <= KID_MAX, "a kid is one byte"

    @classmethod
    def from_settings(cls, settings: Settings) -> "TokenKeys":
        return cls(master_key=settings.token_master_key, kid=settings.token_kid)

    def signer_for(self, coin_id: int) -> TokenSigner:
        key = derive_signing_key(master_key=self.master_key, coin_id=coin_id, kid=self.kid)
        return TokenSigner(kid=self.kid, private_key=key)

    def verifier_for(self, coin_id: int) -> TokenVerifier:
        """What a terminal of ``coin_id`` checks tokens with: that coin's current public key."""
        return TokenVerifier({self.kid: self.signer_for(coin_id).public_key})


def token_keys(request: Request) -> TokenKeys:
    """The app's token keys (``app.state.token_keys``), else the environment's settings."""
    keys: TokenKeys | None = getattr(request.app.state, "token_keys", None)
    return keys if keys is not None else TokenKeys.from_settings(get_settings())


def claimed_coin_id(token: str) -> int:
    """The coin a well-formed token names, *before* any check of its signature.

    Only to pick the verifier: a token naming another coin than its signer's
    then fails the signature check as ``token_forged``.
    """
    raw = decode_token_bytes(token)
    # Layout version 1: kid u8 at 0, then coin_id u16 big-endian at 1.
    return int.from_bytes(raw[1:3], "big")


def verify_payment_token(token: str, *, keys: TokenKeys, coin_id: int, clock: Clock) -> Claims:
    """The claims of a token a terminal of ``coin_id`` may charge now, or a Problem.

    The signature is checked under the key of the coin the token names, so a
    genuine token of another coin is refused as ``token_wrong_coin`` (what the
    resident needs to hear) rather than as a forgery. Single use is not checked
    here: see ``wallet_api.token_uses.record_token_use``.
    """
    try:
        verifier = keys.verifier_for(claimed_coin_id(token))
        return verify_token(token, verifier=verifier, coin_id=coin_id, clock=clock)
    except TokenError as error:
        raise Problem(TOKEN_REFUSALS[error.code], error.detail) from None
