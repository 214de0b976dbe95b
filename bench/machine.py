"""What every benchmark reports about the machine it ran on, beside its figures."""

import os
import platform
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
