"""``localcoin`` as a subprocess a test can kill at a chosen point, on a fixed clock.

    python -m tests.faults.frozen_cli AT STALL -- ARGS...

runs ``localcoin ARGS...`` with the commands' clock fixed at AT (ISO 8601) and,
when STALL names a point, prints ``stalled`` and sleeps there until the test
SIGKILLs it; ``none`` runs to the end. Points:

- ``payout:K``: in ``settlement run``, after the K-th payout of the close was
  written, before COMMIT (the close is one transaction).
- ``export``: after the close committed, before the Zengin file is exported.
- ``claimed:K``: in ``webhooks deliver``, before the K-th attempt's POST (its
  lease is committed, nothing sent).
- ``sent:K``: after the K-th POST was answered, before the outcome is recorded
  (the receiver has it; the database does not know).
- ``recorded:K``: after the K-th outcome committed.

Before the command starts it prints ``ready``, so a test can also kill it at a
random moment of the command's own work.
"""

import sys
import time
from collections.abc import Callable
from datetime import datetime
from types import ModuleType
from typing import Any

from ledger.clock import FixedClock
from localcoin import command_io, settlement_commands, webhook_commands
from merchant.webhooks import delivery as webhook_delivery

STALL_S = 3600


def stall() -> None:
    print("stalled", flush=True)
    time.sleep(STALL_S)


def stalling(wrapped: Callable[..., Any], at_call: int, *, before: bool) -> Callable[..., Any]:
    calls = 0

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        calls += 1
        if before and calls == at_call:
            stall()
        result = wrapped(*args, **kwargs)
        if not before and calls == at_call:
            stall()
        return result

    return wrapper


def replace(module: ModuleType, name: str, make: Callable[[Any], Any]) -> None:
    """Swaps ``module.name`` for ``make(original)``; the commands look names up at call time."""
    setattr(module, name, make(getattr(module, name)))


def install_stall(point: str) -> None:
    name, _, number = point.partition(":")
    if name == "payout":

        def stalling_close(original: Callable[..., Any]) -> Callable[..., Any]:
            def close_batch(*args: Any, **kwargs: Any) -> Any:
                shown = kwargs["on_progress"]

                def on_progress(done: int, total: int) -> None:
                    shown(done, total)
                    if done == int(number):
                        stall()

                return original(*args, **kwargs | {"on_progress": on_progress})

            return close_batch

        replace(settlement_commands, "close_batch", stalling_close)
    elif name == "export":
        replace(settlement_commands, "export_batch", lambda f: stalling(f, 1, before=True))
    elif name == "claimed":
        replace(webhook_delivery, "attempt", lambda f: stalling(f, int(number), before=True))
    elif name == "sent":
        replace(webhook_delivery, "attempt", lambda f: stalling(f, int(number), before=False))
    elif name == "recorded":
        replace(webhook_delivery, "_record", lambda f: stalling(f, int(number), before=False))
    else:
        assert name == "none", f"unknown stall point {point}"


def main(argv: list[str]) -> None:
    at, point, separator, *args = argv
    assert separator == "--"
    clock = FixedClock(datetime.fromisoformat(at))
    for module in (command_io, settlement_commands, webhook_commands):
        replace(module, "system_clock", lambda _: lambda: clock)
    install_stall(point)
    from localcoin.cli import app  # noqa: PLC0415 - after the clock is fixed

    print("ready", flush=True)
    app(args)


if __name__ == "__main__":
    main(sys.argv[1:])
