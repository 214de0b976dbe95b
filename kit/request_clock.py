"""The clock a request reads: the app's own, given when the app is made (tests fix it)."""

from fastapi import Request

from ledger.clock import Clock


def request_clock(request: Request) -> Clock:
    clock: Clock = request.app.state.clock
    return clock
