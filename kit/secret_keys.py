"""The server keys derived from LOCALCOIN_SECRETS_KEY, one per use.

Each use gets its own key (HMAC-SHA256 of a label under the configured
secret), so a key leaked from one use says nothing of another. A key id names
which configured secret sealed something, so rotation can find what to seal
again.
"""

import hashlib
import hmac


def _derived(secret: str, label: bytes) -> bytes:
    return hmac.new(secret.encode(), label, hashlib.sha256).digest()


def fingerprint_key(secret: str) -> bytes:
    """Keys the idempotency fingerprints (kit/idempotency.py)."""
    return _derived(secret, b"localcoin idempotency fingerprint v1")


def sealing_key(secret: str) -> bytes:
    """Wraps the per-secret data keys (kit/sealed_secrets.py)."""
    return _derived(secret, b"localcoin secrets at rest v1")


def key_id(secret: str) -> str:
    """A short public name for a configured secret (never the secret)."""
    return _derived(secret, b"localcoin key id v1").hex()[:16]
