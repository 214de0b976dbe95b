"""The background sealer: links committed entries into each coin's hash chain.

Runs beside the API in its own thread, so payments never wait on hashing.
Each pass seals every coin's backlog in batches; ``ledger verify`` covers
whatever has been sealed.
"""

import structlog
from sqlalchemy import Engine

from kit.periodic_pass import PeriodicPass
from ledger.chain import seal
from ledger.clock import Clock
from ledger.coins import list_coins
from ledger.unit_of_work import run_in_transaction

log = structlog.get_logger(__name__)

SEAL_INTERVAL_S = 1.0


def seal_all(engine: Engine, clock: Clock) -> int:
    """Seals every coin's backlog; returns how many entries were linked."""
    total = 0
    for coin in run_in_transaction(engine, list_coins):
        total += seal_coin(engine, coin.id, clock)
    return total


def seal_coin(engine: Engine, coin_id: int, clock: Clock) -> int:
    """Seals one coin's whole backlog, a batch per transaction."""
    total = 0
    while True:
        sealed = run_in_transaction(
            engine, lambda conn: seal(conn, coin_id=coin_id, at=clock.now())
        )
        total += sealed
        if sealed == 0:
            return total


class Sealer(PeriodicPass):
    def __init__(self, engine: Engine, clock: Clock, interval_s: float = SEAL_INTERVAL_S) -> None:
        def run_pass() -> None:
            sealed = seal_all(engine, clock)
            if sealed:
                log.info("sealed", entries=sealed)

        super().__init__(
            "sealer", run_pass, interval_s=interval_s, failure_event="seal_pass_failed"
        )
