"""Run a coroutine on an event loop of its own thread.

The web tests keep one Playwright (sync API) per worker for the whole session, and
while it lives the worker's main thread counts as running an event loop, so a test
that calls ``asyncio.run`` there is refused. A thread of its own has no loop.
"""

import asyncio
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")


def run_on_own_loop(make: Callable[[], Coroutine[Any, Any, T]]) -> T:
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(lambda: asyncio.run(make())).result()
