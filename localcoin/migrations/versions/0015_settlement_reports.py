"""settlement reports (reserved slot; filled by the work it names).

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-23
"""

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
