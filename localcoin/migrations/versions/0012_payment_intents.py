"""payment intents (reserved slot; filled by the work it names).

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-23
"""

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
