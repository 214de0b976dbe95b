"""Alembic environment: online migrations only, one transaction per run."""

from alembic import context
from sqlalchemy import create_engine, pool

config = context.config
url = config.get_main_option("sqlalchemy.url")
assert url, "the migration runner sets sqlalchemy.url"

# Concurrent `db upgrade` runs (two workers starting at once) take turns.
MIGRATION_LOCK_KEY = 7300

engine = create_engine(url, poolclass=pool.NullPool)
with engine.connect() as connection:
    connection.exec_driver_sql(f"SELECT pg_advisory_lock({MIGRATION_LOCK_KEY})")
    try:
        context.configure(connection=connection, transaction_per_migration=False)
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()
    finally:
        connection.exec_driver_sql(f"SELECT pg_advisory_unlock({MIGRATION_LOCK_KEY})")
        connection.commit()
engine.dispose()
