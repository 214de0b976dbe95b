"""Doubling waits with a ceiling: the retry schedule and the circuit breaker's rest.

The webhook worker and the notices worker both retry a failed attempt later
and rest a receiver that keeps failing; both read their waits from here so the
two schedules cannot drift apart in shape, only in their constants.
"""

from dataclasses import dataclass
from datetime import timedelta

# 2**30 times any first wait is past every ceiling: the exponent stops there.
_DOUBLINGS_MAX = 30


@dataclass(frozen=True, slots=True)
class Backoff:
    """Attributes:
    first: the wait after the ``threshold``-th failure in a row.
    ceiling: no wait is longer.
    threshold: failures in a row before there is any wait (1: from the first).
    """

    first: timedelta
    ceiling: timedelta
    threshold: int = 1

    def __post_init__(self) -> None:
        assert timedelta(0) < self.first <= self.ceiling
        assert self.threshold >= 1

    def wait(self, failures: int) -> timedelta | None:
        """The wait after ``failures`` in a row: None below the threshold, then
        ``first`` doubling with each further failure, up to ``ceiling``."""
        assert failures >= 0
        if failures < self.threshold:
            return None
        doubled: timedelta = self.first * 2 ** min(failures - self.threshold, _DOUBLINGS_MAX)
        return min(doubled, self.ceiling)
