"""load tuning: no schema change; the HTTP load figures called for none.

The HTTP benchmarks (bench/http_payments.py, bench/premium_rush.py,
bench/api_history_scale.py; docs/benchmarks.md) found their bottlenecks in
the serving path, not in the schema: uvicorn's shared socket without
TCP_NODELAY, a second pooled connection per resident request (a pool
deadlock under load), and a premium rush taking the whole pool. They were
fixed there. The only tables read by sequential scan during a payment run
were ``merchants`` (200 rows, about 110 read per scan: the planner's choice
for a table that small; ``public_id`` and ``(coin_id, account_id)`` are
indexed already) and ``coins`` (one row). An index the figures do not
justify would only slow every write, so this revision keeps its slot in the
chain and changes nothing.

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-23
"""

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
