"""How ``serve`` stops: every way of ending it runs its clean-up.

Ctrl-C raises KeyboardInterrupt. SIGTERM and SIGHUP would end the process
where it stands (uvicorn, once it has shut down, raises the signal again
under the handler that was there before it), so they exit through Python
instead and the embedded PostgreSQL this ``serve`` owns is stopped.

When ``make run`` (or a terminal) dies without passing a signal on, the
server it started would otherwise go on, and with it the PostgreSQL it owns.
Linux can send a process a signal when its parent exits (PR_SET_PDEATHSIG);
SIGTERM then takes the same graceful path as Ctrl-C.
"""

import ctypes
import ctypes.util
import os
import signal
import sys
from types import FrameType

_PR_SET_PDEATHSIG = 1


def exit_on_terminate() -> None:
    """SIGTERM and SIGHUP raise SystemExit (128 + the signal), so ``finally`` runs."""

    def leave(signum: int, _: FrameType | None) -> None:
        raise SystemExit(128 + signum)

    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, leave)


def terminate_with_parent() -> None:
    """Asks the kernel for SIGTERM when the parent exits (Linux only)."""
    if not sys.platform.startswith("linux"):
        return
    parent = os.getppid()
    libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
    if libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0) != 0:
        return
    # The parent may have died before the request was made: nobody would send it.
    if os.getppid() != parent:
        os.kill(os.getpid(), signal.SIGTERM)
