"""A pass of background work repeated on a thread beside the API: the sealer,
the intent sweeper, the webhook worker.

The thread outlives a failed pass (a database restart, a network error): the
failure is logged and the next pass runs at the next interval. ``stop`` waits
for the pass under way to end.
"""

import threading
from collections.abc import Callable

import structlog

log = structlog.get_logger(__name__)


class PeriodicPass:
    def __init__(
        self,
        name: str,
        run_pass: Callable[[], None],
        *,
        interval_s: float,
        failure_event: str,
        stop_timeout_s: float = 10.0,
    ) -> None:
        self._run_pass = run_pass
        self._interval_s = interval_s
        self._failure_event = failure_event
        self._stop_timeout_s = stop_timeout_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=self._stop_timeout_s)

    def _run(self) -> None:
        while not self._stop.wait(self._interval_s):
            try:
                self._run_pass()
            except Exception:  # the thread must outlive a failed pass
                log.exception(self._failure_event)
