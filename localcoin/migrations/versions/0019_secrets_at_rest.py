"""No secret the API handed out stays in clear at rest.

- Webhook endpoints' signing secrets are sealed (kit/sealed_secrets.py: AES-GCM
  under a per-secret data key wrapped by LOCALCOIN_SECRETS_KEY); the columns
  keep the sealed form only.
- Stored idempotent answers lose their secrets (kit/stored_answers.py); the
  fingerprints of requests made before this revision were plain SHA-256 of
  bodies that could hold a PIN, so they are replaced by a value no request
  matches: a retry of such a request under its key is refused 422
  (idempotency_key_reused) rather than replayed or run again.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

from kit.sealed_secrets import secret_box
from kit.stored_answers import redacted

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

SEALED = r"^v1\.[0-9a-f]{16}\.[A-Za-z0-9_=-]+$"
NO_MATCH = b"\x00" * 32
# merchant.webhooks.endpoints.SECRET_PURPOSE, as it was at this revision.
SECRET_PURPOSE = "webhook endpoint signing secret"  # noqa: S105 - a label, not a secret


def upgrade() -> None:
    conn = op.get_bind()
    box = secret_box()
    op.execute(
        "ALTER TABLE webhook_endpoints DROP CONSTRAINT IF EXISTS webhook_endpoints_secret_check,"
        " DROP CONSTRAINT IF EXISTS webhook_endpoints_previous_secret_check"
    )
    rows = conn.execute(
        sa.text("SELECT coin_id, id, secret, previous_secret FROM webhook_endpoints")
    ).all()
    for row in rows:
        conn.execute(
            sa.text(
                "UPDATE webhook_endpoints SET secret = :secret, previous_secret = :previous"
                " WHERE coin_id = :coin AND id = :id"
            ),
            {
                "coin": row.coin_id,
                "id": row.id,
                "secret": box.seal(row.secret, purpose=SECRET_PURPOSE),
                "previous": None
                if row.previous_secret is None
                else box.seal(row.previous_secret, purpose=SECRET_PURPOSE),
            },
        )
    op.execute(
        f"ALTER TABLE webhook_endpoints"
        f" ADD CONSTRAINT webhook_endpoints_secret_sealed CHECK (secret ~ '{SEALED}'),"
        f" ADD CONSTRAINT webhook_endpoints_previous_secret_sealed"
        f" CHECK (previous_secret ~ '{SEALED}')"
    )
    stored = conn.execute(
        sa.text(
            "SELECT scope, key, media_type, body FROM idempotency_requests WHERE body IS NOT NULL"
        )
    ).all()
    for row in stored:
        conn.execute(
            sa.text(
                "UPDATE idempotency_requests SET body = :body WHERE scope = :scope AND key = :key"
            ),
            {"scope": row.scope, "key": row.key, "body": redacted(bytes(row.body), row.media_type)},
        )
    conn.execute(
        sa.text("UPDATE idempotency_requests SET request_hash = :none"), {"none": NO_MATCH}
    )


def downgrade() -> None:
    conn = op.get_bind()
    box = secret_box()
    op.execute(
        "ALTER TABLE webhook_endpoints DROP CONSTRAINT webhook_endpoints_secret_sealed,"
        " DROP CONSTRAINT webhook_endpoints_previous_secret_sealed"
    )
    rows = conn.execute(
        sa.text("SELECT coin_id, id, secret, previous_secret FROM webhook_endpoints")
    ).all()
    for row in rows:
        conn.execute(
            sa.text(
                "UPDATE webhook_endpoints SET secret = :secret, previous_secret = :previous"
                " WHERE coin_id = :coin AND id = :id"
            ),
            {
                "coin": row.coin_id,
                "id": row.id,
                "secret": box.open(row.secret, purpose=SECRET_PURPOSE),
                "previous": None
                if row.previous_secret is None
                else box.open(row.previous_secret, purpose=SECRET_PURPOSE),
            },
        )
    op.execute(
        "ALTER TABLE webhook_endpoints"
        " ADD CONSTRAINT webhook_endpoints_secret_check"
        " CHECK (secret ~ '^whsec_[A-Za-z0-9_-]{32,64}$'),"
        " ADD CONSTRAINT webhook_endpoints_previous_secret_check"
        " CHECK (previous_secret ~ '^whsec_[A-Za-z0-9_-]{32,64}$')"
    )
