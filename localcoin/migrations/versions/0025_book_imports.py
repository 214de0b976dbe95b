"""Books opened from another platform's export: each file once, each of its records once.

- ``book_imports``: one row per imported file, by its SHA-256, with its
  figures; the same file again changes nothing.
- ``imported_records``: the old platform's reference of each resident and
  merchant brought in, with what it became here; a record is never brought in
  twice, even from another file.

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-04
"""

from alembic import op

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE book_imports (
            coin_id bigint NOT NULL REFERENCES coins (id),
            id bigint GENERATED ALWAYS AS IDENTITY,
            file_sha256 bytea NOT NULL CHECK (length(file_sha256) = 32),
            residents integer NOT NULL CHECK (residents >= 0),
            merchants integer NOT NULL CHECK (merchants >= 0),
            total bigint NOT NULL CHECK (total >= 0),
            created_at timestamptz NOT NULL,
            PRIMARY KEY (coin_id, id),
            UNIQUE (coin_id, file_sha256)
        );
        CREATE TABLE imported_records (
            coin_id bigint NOT NULL,
            import_id bigint NOT NULL,
            kind text NOT NULL CHECK (kind IN ('resident', 'merchant')),
            ref text NOT NULL CHECK (length(ref) BETWEEN 1 AND 100),
            public_id text NOT NULL,
            PRIMARY KEY (coin_id, kind, ref),
            FOREIGN KEY (coin_id, import_id) REFERENCES book_imports (coin_id, id)
        );
        """
    )


def downgrade() -> None:
    op.execute("DROP TABLE imported_records; DROP TABLE book_imports;")
