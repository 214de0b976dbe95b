"""The ledger's limits. Every bound is explicit; crossing one is a refusal with its own code.

Attributes:
    AMOUNT_MAX: the largest amount of one posting, hold or transfer, in coin
        (1 coin = 1 yen). The database's CHECK constraints use the same figure.
    POSTINGS_PER_ENTRY_MAX: the most postings one entry may carry.
    BATCH_ENTRIES_MAX: the most entries one batch may post in one commit.
    IDEMPOTENCY_KEY_LENGTH_MAX: the longest idempotency key, in characters.
    METADATA_BYTES_MAX: the largest metadata object of an entry, as JSON bytes.
    HISTORY_PAGE_MAX: the most lines one history page returns.
    SEAL_BATCH_MAX: the most entries the sealer links in one transaction.
    RETRIES_MAX: how often a unit of work is retried after a serialization
        failure or deadlock before the failure is reported.
    HOLD_TTL_S_MAX: the longest a hold may stay active before it expires.
"""

AMOUNT_MAX = 1_000_000_000_000
POSTINGS_PER_ENTRY_MAX = 32
BATCH_ENTRIES_MAX = 1_000
IDEMPOTENCY_KEY_LENGTH_MAX = 255
METADATA_BYTES_MAX = 4_096
HISTORY_PAGE_MAX = 200
SEAL_BATCH_MAX = 10_000
RETRIES_MAX = 20
HOLD_TTL_S_MAX = 90 * 24 * 3600
