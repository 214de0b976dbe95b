"""Checks a localcoin webhook's signature and age (docs/webhooks.md, "Signature").

The header is ``t=<unix seconds>,v1=<hex HMAC-SHA256>[,v1=…]``: one ``v1`` per
secret valid during a rotation. The HMAC covers ``"{t}." + raw body``. A
timestamp far from our clock is refused, so a captured request cannot be
replayed later.
"""

import hashlib
import hmac

TOLERANCE_S = 300


class BadSignatureError(Exception):
    pass


def verify(secret: str, header: str, body: bytes, now: int, tolerance_s: int = TOLERANCE_S) -> None:
    """Returns if the body was signed with ``secret`` within the window; raises otherwise."""
    items = [part.split("=", 1) for part in header.split(",") if "=" in part]
    stamp = next((value for key, value in items if key == "t"), "")
    signatures = [value for key, value in items if key == "v1"]
    if not stamp.isdigit() or not signatures:
        raise BadSignatureError("malformed signature header")
    if abs(now - int(stamp)) > tolerance_s:
        raise BadSignatureError("timestamp outside the window")
    expected = hmac.new(secret.encode(), stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    if not any(hmac.compare_digest(expected, signature) for signature in signatures):
        raise BadSignatureError("signature does not match")
