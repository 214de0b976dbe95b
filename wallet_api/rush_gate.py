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

The gate is per process and per event loop (a test client runs its own), and
it changes no answer: a waiting request is served in turn, as it would be
behind the row lock. docs/benchmarks.md (the premium-rush section) has the
figures before and after.
"""

import asyncio
import weakref
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response

from localcoin.idempotency import IdempotentRoute

IN_FLIGHT_MAX = 4

_gates: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore]" = (
    weakref.WeakKeyDictionary()
)


def _gate() -> asyncio.Semaphore:
    loop = asyncio.get_running_loop()
    gate = _gates.get(loop)
    if gate is None:
        gate = _gates[loop] = asyncio.Semaphore(IN_FLIGHT_MAX)
    return gate


class GatedRoute(IdempotentRoute):
    """An IdempotentRoute whose POSTs pass the process's gate before taking a connection."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def gated(request: Request) -> Response:
            if request.method != "POST":
                return await handler(request)
            async with _gate():
                return await handler(request)

        return gated
