"""What an idempotency key keeps of an answer: everything but the secrets in it.

Answers are kept 48 hours so a retry gets the same ids and status. Some
answers hand out a secret once: a new API key, a webhook endpoint's signing
secret, a resident's payment token and its QR, an access token, a card's QR,
a card processor's client secret. Keeping those in clear would put every
secret the API ever handed out into a database dump. So the stored copy
replaces each secret by ``secret_not_shown_again``: the replay carries the
same object and ids and says plainly that the secret was shown only the first
time (as a new key is shown only once). A payment intent's ``qr_payload`` is
not a secret (it is printed for anyone to scan) and is kept.
"""

import json
from typing import Any

NOT_SHOWN_AGAIN = "secret_not_shown_again"
SECRET_FIELDS = frozenset(
    {
        "api_key",
        "key",
        "secret",
        "previous_secret",
        "token",
        "access_token",
        "refresh_token",
        "client_secret",
    }
)
# A QR payload is a secret when it pays from a resident's wallet (a payment
# token's, a card's); a merchant's intent QR is public.
PUBLIC_QR_OBJECTS = frozenset({"payment_intent"})


def redacted(body: bytes, media_type: str | None) -> bytes:
    """The body to store: JSON with its secrets replaced; anything else unchanged."""
    if not media_type or "json" not in media_type or not body:
        return body
    try:
        document = json.loads(body)
    except ValueError:
        return body
    cleaned, changed = _clean(document)
    if not changed:
        return body
    return json.dumps(cleaned, ensure_ascii=False, separators=(",", ":")).encode()


def _clean(value: Any) -> tuple[Any, bool]:
    if isinstance(value, list):
        items = [_clean(item) for item in value]
        return [item for item, _ in items], any(changed for _, changed in items)
    if not isinstance(value, dict):
        return value, False
    changed = False
    cleaned: dict[str, Any] = {}
    for name, item in value.items():
        if _is_secret(name, item, value):
            cleaned[name] = NOT_SHOWN_AGAIN
            changed = True
        else:
            cleaned[name], inner = _clean(item)
            changed = changed or inner
    return cleaned, changed


def _is_secret(name: str, item: Any, holder: dict[str, Any]) -> bool:
    if not isinstance(item, str) or not item:
        return False
    if name in SECRET_FIELDS:
        return True
    return name == "qr_payload" and holder.get("object") not in PUBLIC_QR_OBJECTS
