"""Resident numbers: a short login id per resident (ten digits, the last a Luhn check digit).

Existing residents get one here; the numbers are random, so they are made in
Python (wallet_api/resident_numbers.py) rather than from the row's id.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-04
"""

from alembic import op
from sqlalchemy import text

from wallet_api.resident_numbers import new_resident_number

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    conn = op.get_bind()
    conn.execute(text("ALTER TABLE residents ADD COLUMN resident_number text"))
    ids = conn.execute(text("SELECT id FROM residents ORDER BY id")).scalars().all()
    given: set[str] = set()
    for resident_id in ids:
        number = new_resident_number()
        while number in given:
            number = new_resident_number()
        given.add(number)
        conn.execute(
            text("UPDATE residents SET resident_number = :n WHERE id = :id"),
            {"n": number, "id": resident_id},
        )
    conn.execute(
        text(
            "ALTER TABLE residents ALTER COLUMN resident_number SET NOT NULL,"
            " ADD CONSTRAINT residents_resident_number UNIQUE (resident_number),"
            " ADD CONSTRAINT residents_resident_number_shape"
            " CHECK (resident_number ~ '^[1-9][0-9]{9}$')"
        )
    )


def downgrade() -> None:
    op.execute("ALTER TABLE residents DROP COLUMN resident_number")
