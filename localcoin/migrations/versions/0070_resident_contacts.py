"""Residents' contact details: a verified e-mail or phone as another login id, the
LINE user a resident linked, and the one-time codes that verify them.

Contact details live in a table of their own, never on ``residents``, so that
erasing a resident's personal data is one DELETE here (the books keep only the
resident's ids). One row per resident and kind: a new address replaces the
old one and must be verified again.

- ``address``: a lower-cased e-mail, a phone number in E.164 (+81…), or the
  LINE user id the account-linking flow gave us.
- ``verified_at``: NULL while a code is outstanding; a login and a notice
  channel only once it is set. A verified e-mail or phone is one resident's
  login only (the partial unique index).
- ``code_hash``: HMAC-SHA256 of the one-time code under the server's secrets
  key: a six-digit code's plain hash could be brute-forced from a dump.
- ``code_attempts``: wrong codes typed; the code dies at the limit.

``line_link_nonces`` are the nonces of LINE's account-linking flow: only their
SHA-256 is kept, each for a few minutes, used once.

Revision ID: 0070
Revises: 0036
Create Date: 2026-12-04
"""

from alembic import op

revision = "0070"
down_revision = "0036"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE resident_contacts (
            resident_id bigint NOT NULL REFERENCES residents (id),
            kind text NOT NULL CHECK (kind IN ('email', 'phone', 'line')),
            address text NOT NULL CHECK (length(address) BETWEEN 3 AND 254),
            verified_at timestamptz,
            code_hash bytea CHECK (length(code_hash) = 32),
            code_expires_at timestamptz,
            code_attempts integer NOT NULL DEFAULT 0 CHECK (code_attempts >= 0),
            created_at timestamptz NOT NULL,
            PRIMARY KEY (resident_id, kind),
            CHECK ((code_hash IS NULL) = (code_expires_at IS NULL)),
            CHECK (kind <> 'line' OR verified_at IS NOT NULL)
        );
        CREATE UNIQUE INDEX resident_contacts_login ON resident_contacts (kind, address)
            WHERE verified_at IS NOT NULL;

        CREATE TABLE line_link_nonces (
            nonce_hash bytea PRIMARY KEY CHECK (length(nonce_hash) = 32),
            resident_id bigint NOT NULL REFERENCES residents (id),
            expires_at timestamptz NOT NULL
        );
        """
    )


def downgrade() -> None:
    op.execute("DROP TABLE line_link_nonces, resident_contacts")
