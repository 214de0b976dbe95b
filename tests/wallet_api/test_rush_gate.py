"""The rush gate's pacing: after a gated request its slot rests, so the rush
takes at most SHARE of a process's time and the tills keep theirs."""

import asyncio
import time

from tests.own_loop import run_on_own_loop
from wallet_api import rush_gate

WORK_S = 0.2


def test_the_slot_rests_after_a_request_and_the_answer_does_not_wait() -> None:
    async def scenario() -> tuple[float, bool, bool, float]:
        async def purchase() -> str:
            await asyncio.sleep(WORK_S)
            return "201"

        started = time.monotonic()
        answer = await rush_gate.through_gate(purchase)
        answered_after = time.monotonic() - started
        gate = rush_gate._gate()
        resting_at_once = gate.locked()
        await asyncio.sleep(WORK_S / 4)
        resting_later = gate.locked()
        # The next purchase gets the slot once the rest is over.
        waited_from = time.monotonic()
        assert await rush_gate.through_gate(purchase) == answer
        next_started_after = time.monotonic() - waited_from - WORK_S
        return answered_after, resting_at_once, resting_later, next_started_after

    answered_after, resting_at_once, resting_later, next_waited = run_on_own_loop(scenario)
    assert rush_gate.IN_FLIGHT_MAX == 1 and rush_gate.SHARE == 0.5
    assert answered_after < WORK_S * 2  # not held back by the rest
    assert resting_at_once and resting_later
    # At SHARE 0.5 the rest is as long as the work (less the quarter already waited).
    assert next_waited >= WORK_S * 0.75 - 0.02
