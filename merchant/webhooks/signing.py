"""Signing webhook bodies, and checking them: the helper integrators copy.

Every delivery carries the header::

    Localcoin-Signature: t=1795395600,v1=5257a869e7ec…(64 hex digits)

``t`` is the Unix time of the attempt and each ``v1`` is the lower-case hex
HMAC-SHA256, keyed with the endpoint's secret (``whsec_…``, used as UTF-8
bytes, prefix included), of ``f"{t}.{body}"`` where ``body`` is the raw
request body exactly as received. While a rotated secret is still valid the
header carries one ``v1`` per secret; any one matching is enough.

To check a delivery, use the raw body (not re-serialised JSON)::

    from merchant.webhooks.signing import verify
    verify(secret, request.headers["Localcoin-Signature"], raw_body, now=int(time.time()))

``verify`` compares in constant time and refuses a timestamp more than
``tolerance`` seconds from ``now`` (either way), so a captured delivery cannot
be replayed later. Refusals (``SignatureError.code``): ``signature_header_invalid``
(no ``t`` or no ``v1``), ``signature_too_old`` (outside the tolerance),
``signature_mismatch`` (no ``v1`` matches).
"""

import hashlib
import hmac

SCHEME = "v1"
TOLERANCE_S = 300


class SignatureError(Exception):
    """A delivery whose signature does not check out; ``code`` says why."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The hex HMAC-SHA256 of ``"{timestamp}.{body}"`` under ``secret``."""
    message = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signature_header(secrets: list[str], timestamp: int, body: bytes) -> str:
    """The ``Localcoin-Signature`` value: the timestamp and one ``v1`` per secret."""
    assert secrets, "an endpoint always has a secret"
    parts = [f"t={timestamp}"] + [f"{SCHEME}={sign(s, timestamp, body)}" for s in secrets]
    return ",".join(parts)


def verify(secret: str, header: str, body: bytes, now: int, tolerance: int = TOLERANCE_S) -> int:
    """Checks a delivery's signature; returns its timestamp or raises SignatureError."""
    timestamp: int | None = None
    signatures: list[str] = []
    for item in header.split(","):
        key, _, value = item.strip().partition("=")
        if key == "t" and value.isdigit():
            timestamp = int(value)
        elif key == SCHEME and value:
            signatures.append(value)
    if timestamp is None or not signatures:
        raise SignatureError("signature_header_invalid", "the header needs t= and v1=")
    if abs(now - timestamp) > tolerance:
        raise SignatureError("signature_too_old", "the timestamp is outside the tolerance")
    expected = sign(secret, timestamp, body)
    if not any(hmac.compare_digest(expected, given) for given in signatures):
        raise SignatureError("signature_mismatch", "no signature matches the secret")
    return timestamp
