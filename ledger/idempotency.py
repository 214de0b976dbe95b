"""Request fingerprints for idempotency keys.

A retry carries the same key and the same request; the ledger tells it from a
different request under the same key by this fingerprint: SHA-256 over a
canonical JSON rendering (sorted keys, no spaces, datetimes as UTC ISO-8601).
"""

import hashlib
import json
from datetime import UTC, datetime
from enum import Enum
from typing import Any

from ledger.errors import Code, LedgerError
from ledger.limits import IDEMPOTENCY_KEY_LENGTH_MAX


def _canonical(value: Any) -> Any:
    if isinstance(value, datetime):
        assert value.tzinfo is not None, "instants are timezone-aware"
        return value.astimezone(UTC).isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dict):
        return {str(k): _canonical(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_canonical(v) for v in value]
    if isinstance(value, frozenset | set):
        return sorted(_canonical(v) for v in value)
    return value


def request_hash(request: Any) -> bytes:
    """The 32-byte fingerprint of a request made of dicts, lists, ints, strings and instants."""
    rendered = json.dumps(_canonical(request), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(rendered.encode()).digest()


def check_key(key: str | None) -> None:
    if key is None:
        return
    if not (1 <= len(key) <= IDEMPOTENCY_KEY_LENGTH_MAX) or not key.isprintable():
        raise LedgerError(
            Code.IDEMPOTENCY_KEY_INVALID,
            f"an idempotency key is 1 to {IDEMPOTENCY_KEY_LENGTH_MAX} printable characters",
        )
