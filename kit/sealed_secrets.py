"""Secrets the server must be able to use again, sealed at rest (envelope encryption).

A webhook endpoint's signing secret cannot be hashed: every delivery signs
with it. So it is stored sealed: a fresh data key per secret encrypts it
(AES-256-GCM), and that data key is itself encrypted ("wrapped") under a key
derived from ``LOCALCOIN_SECRETS_KEY``, which lives in the environment (a
vault, a KMS), never in the database. A database dump alone opens nothing.

A sealed value reads ``v1.<key id>.<base64url blob>``: the key id names which
configured secrets key wrapped it, so after a new ``LOCALCOIN_SECRETS_KEY``
(the old one moved to ``LOCALCOIN_SECRETS_KEYS_PREVIOUS``) ``localcoin secrets
rotate`` finds every value wrapped under an old key and wraps its data key
again under the new one. Each value is bound to its purpose (the AES-GCM
associated data), so a sealed value copied into another column does not open.
"""

import base64
import os
from dataclasses import dataclass
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from kit.secret_keys import key_id, sealing_key
from kit.settings import get_settings

VERSION = "v1"
_NONCE = 12
_WRAPPED = 32 + 16  # a data key and its tag


class SealError(Exception):
    """A sealed value that no configured key opens, or that was tampered with."""


@dataclass(frozen=True)
class SecretBox:
    """The configured secrets keys: the current one seals, every one opens."""

    current: str
    previous: tuple[str, ...] = ()

    def _wrapping(self) -> dict[str, AESGCM]:
        return {key_id(k): AESGCM(sealing_key(k)) for k in (self.current, *self.previous)}

    def seal(self, secret: str, *, purpose: str) -> str:
        data_key = AESGCM.generate_key(bit_length=256)
        wrap_nonce, nonce = os.urandom(_NONCE), os.urandom(_NONCE)
        wrapped = AESGCM(sealing_key(self.current)).encrypt(wrap_nonce, data_key, _aad(purpose))
        sealed = AESGCM(data_key).encrypt(nonce, secret.encode(), _aad(purpose))
        blob = base64.urlsafe_b64encode(wrap_nonce + wrapped + nonce + sealed).decode()
        return f"{VERSION}.{key_id(self.current)}.{blob}"

    def open(self, value: str, *, purpose: str) -> str:
        kid, wrap_nonce, wrapped, nonce, sealed = self._parts(value)
        try:
            data_key = self._wrapping()[kid].decrypt(wrap_nonce, wrapped, _aad(purpose))
            return AESGCM(data_key).decrypt(nonce, sealed, _aad(purpose)).decode()
        except (KeyError, InvalidTag) as refused:
            raise SealError(f"no configured secrets key opens this value (key {kid})") from refused

    def needs_rewrap(self, value: str) -> bool:
        return self._parts(value)[0] != key_id(self.current)

    def rewrap(self, value: str, *, purpose: str) -> str:
        """The same secret and data key, wrapped under the current key."""
        kid, wrap_nonce, wrapped, nonce, sealed = self._parts(value)
        try:
            data_key = self._wrapping()[kid].decrypt(wrap_nonce, wrapped, _aad(purpose))
        except (KeyError, InvalidTag) as refused:
            raise SealError(f"no configured secrets key opens this value (key {kid})") from refused
        new_nonce = os.urandom(_NONCE)
        rewrapped = AESGCM(sealing_key(self.current)).encrypt(new_nonce, data_key, _aad(purpose))
        blob = base64.urlsafe_b64encode(new_nonce + rewrapped + nonce + sealed).decode()
        return f"{VERSION}.{key_id(self.current)}.{blob}"

    @staticmethod
    def _parts(value: str) -> tuple[str, bytes, bytes, bytes, bytes]:
        version, _, rest = value.partition(".")
        kid, _, blob = rest.partition(".")
        if version != VERSION or not kid or not blob:
            raise SealError("not a sealed value")
        raw = base64.urlsafe_b64decode(blob)
        if len(raw) < 2 * _NONCE + _WRAPPED + 16:
            raise SealError("a sealed value too short to be one")
        w = _NONCE + _WRAPPED
        return kid, raw[:_NONCE], raw[_NONCE:w], raw[w : w + _NONCE], raw[w + _NONCE :]


def _aad(purpose: str) -> bytes:
    return b"localcoin sealed secret: " + purpose.encode()


def secret_box() -> SecretBox:
    """The box of this process's settings (LOCALCOIN_SECRETS_KEY and the previous ones)."""
    settings = get_settings()
    return _box(settings.secrets_key, settings.secrets_keys_previous)


@lru_cache(maxsize=4)
def _box(current: str, previous: str) -> SecretBox:
    return SecretBox(current, tuple(k.strip() for k in previous.split(",") if k.strip()))
