"""What every benchmark reports about the machine it ran on, beside its figures."""

import argparse
import os
import platform
from datetime import UTC, datetime
from typing import Any


def machine_facts() -> dict[str, Any]:
    """Cores, platform, Python, and the load average when the run started.

    The load says whether other work shared the cores: figures from a busy
    machine are read with that in mind.
    """
    return {
        "nproc": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "load_average_at_start": os.getloadavg(),
    }


def report_head(benchmark: str, args: argparse.Namespace) -> dict[str, Any]:
    """The start of a benchmark's JSON: what ran, when, with which settings, where."""
    return {
        "benchmark": benchmark,
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "settings": dict(vars(args)),
        "machine": machine_facts(),
    }
