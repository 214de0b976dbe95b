"""Sealing every endpoint's signing secret again under the current secrets key.

After LOCALCOIN_SECRETS_KEY changes (the old key kept in
LOCALCOIN_SECRETS_KEYS_PREVIOUS), each sealed secret still names the old key.
This wraps each one's data key again under the new key, in batches, each row
locked while it changes; the secret itself never changes, so receivers notice
nothing. Once it has run, the old key can leave the configuration.
"""

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from sqlalchemy import Connection, Engine, text

from kit.sealed_secrets import SecretBox
from ledger.unit_of_work import run_in_transaction
from merchant.webhooks.endpoints import SECRET_PURPOSE

BATCH = 500


@dataclass(frozen=True, slots=True)
class _Batch:
    seen: int
    rewrapped: int
    last: tuple[int, int] | None


def rewrap_endpoint_secrets(
    engine: Engine, box: SecretBox, *, progress: Callable[[int, int], None] | None = None
) -> tuple[int, int]:
    """Returns (endpoints checked, endpoints whose secrets were rewrapped)."""
    total = int(
        run_in_transaction(
            engine,
            lambda c: c.execute(text("SELECT count(*) FROM webhook_endpoints")).scalar_one(),
        )
    )
    checked = rewrapped = 0
    after: tuple[int, int] | None = (0, 0)
    while after is not None:
        batch = run_in_transaction(engine, partial(_rewrap_batch, box=box, after=after))
        checked, rewrapped, after = checked + batch.seen, rewrapped + batch.rewrapped, batch.last
        if progress is not None:
            progress(checked, total)
    return checked, rewrapped


def _rewrap_batch(conn: Connection, *, box: SecretBox, after: tuple[int, int]) -> _Batch:
    rows = conn.execute(
        text(
            "SELECT coin_id, id, secret, previous_secret FROM webhook_endpoints"
            " WHERE (coin_id, id) > (:coin, :id) ORDER BY coin_id, id LIMIT :n"
            " FOR NO KEY UPDATE"
        ),
        {"coin": after[0], "id": after[1], "n": BATCH},
    ).all()
    changed = 0
    for row in rows:
        fresh = [
            box.rewrap(value, purpose=SECRET_PURPOSE)
            if value is not None and box.needs_rewrap(value)
            else value
            for value in (row.secret, row.previous_secret)
        ]
        if fresh != [row.secret, row.previous_secret]:
            conn.execute(
                text(
                    "UPDATE webhook_endpoints SET secret = :s, previous_secret = :p"
                    " WHERE coin_id = :coin AND id = :id"
                ),
                {"s": fresh[0], "p": fresh[1], "coin": row.coin_id, "id": row.id},
            )
            changed += 1
    last = (rows[-1].coin_id, rows[-1].id) if rows else None
    return _Batch(len(rows), changed, last)
