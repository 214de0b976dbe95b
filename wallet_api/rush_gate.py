"""A bulkhead for rush endpoints: few requests of a kind in the database at once.

In a first-come premium sale every purchase takes the campaign's row first
(wallet_api/premium.py), so purchases run one after another whatever their
number. Without a gate, thousands of buyers each hold a pooled connection
while they wait for that row, the pool runs dry, and a resident paying at a
shop waits for a connection behind them: the failure the schemes in use had
(a rush that stopped the payments in shops). With it, at most
``IN_FLIGHT_MAX`` of the gated requests per server process hold a
connection; the others wait on the event loop, holding nothing but their
socket, and the payments keep the rest of the pool.

The gate also paces: after a gated request a slot rests as long as the
request took, so the rush gets at most ``SHARE`` of a process's time. Once
the pool is safe, the tills' latency is a matter of CPU: a slot serving
purchases back to back would keep a process (and its GIL) busy with the
rush, and every payment would wait behind a purchase. With one slot per
process resting half the time the sale queues longer and the payments keep
their pace (the figures are in docs/benchmarks.md).

The gate is per process and per event loop (a test client runs its own), and
it changes no answer: a waiting request is served in turn, as it would be
behind the row lock. docs/benchmarks.md (the premium-rush section) has the
figures before and after.
"""

import asyncio
import time
import weakref
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TypeVar

from fastapi import Request, Response

from kit.idempotency import IdempotentRoute

T = TypeVar("T")

IN_FLIGHT_MAX = 1
SHARE = 0.5  # of a process's time the gated requests may take

_gates: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore]" = (
    weakref.WeakKeyDictionary()
)


def _gate() -> asyncio.Semaphore:
    loop = asyncio.get_running_loop()
    gate = _gates.get(loop)
    if gate is None:
        gate = _gates[loop] = asyncio.Semaphore(IN_FLIGHT_MAX)
    return gate


async def through_gate(run: Callable[[], Awaitable[T]]) -> T:
    """Runs ``run`` in one of the process's slots; the slot then rests."""
    gate = _gate()
    await gate.acquire()
    started = time.monotonic()
    try:
        return await run()
    finally:
        # The slot rests, not the request: its answer goes out now.
        rest = (time.monotonic() - started) * (1 / SHARE - 1)
        asyncio.get_running_loop().call_later(rest, gate.release)


class GatedRoute(IdempotentRoute):
    """An IdempotentRoute whose POSTs pass the process's gate before taking a connection."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def gated(request: Request) -> Response:
            if request.method != "POST":
                return await handler(request)
            return await through_gate(lambda: handler(request))

        return gated
