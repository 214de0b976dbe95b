"""localcoin's double-entry ledger.

The only code that writes postings. It knows nothing of wallets, QR codes or
HTTP: coins, accounts, entries and postings, balances, holds, lots,
idempotency and integrity. PostgreSQL itself refuses unbalanced entries and
negative wallets, so no bug above this package can corrupt the books.

Modules, one idea each:
    coins, accounts, chart   what the books are made of
    entries                  posting, batches, reversals
    holds                    two-phase payments
    lots, expiry             money, premium and points inside a wallet
    history                  keyset history pages and balances as of an instant
    chain, verify            tamper evidence and integrity checks
    unit_of_work             the one commit point, with conflict retries
    idempotency, limits, errors, clock
    records                  frozen records read from rows by column name
    sql                      the server-side functions and triggers, versioned
"""
