"""Runs a ``localcoin`` command in a subprocess (tests.faults.frozen_cli) and SIGKILLs it
at a named point, after a random delay, or not at all."""

import json
import os
import signal
import subprocess
import sys
from dataclasses import dataclass
from datetime import datetime
from typing import Any

RUN_TIMEOUT_S = 120.0

CLI_ENV = {
    "LOCALCOIN_WEBHOOK_ALLOW_PRIVATE_URLS": "true",
    "LOCALCOIN_LOG_LEVEL": "warning",
    "LOCALCOIN_POOL_SIZE": "2",
}


@dataclass(frozen=True)
class Run:
    """Attributes: killed: the process was SIGKILLed; result: its last JSON line, if it ended."""

    point: str
    killed: bool
    returncode: int
    result: dict[str, Any] | None


def run_cli(
    database_url: str, at: datetime, point: str, args: list[str], *, kill_after_s: float | None
) -> Run:
    """Runs ``localcoin args`` on a clock fixed at ``at``; kills it when it reaches
    ``point`` (see frozen_cli), or ``kill_after_s`` seconds after it is ready."""
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.faults.frozen_cli", at.isoformat(), point, "--", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=os.environ | CLI_ENV | {"DATABASE_URL": database_url},
        start_new_session=True,
    )
    assert process.stdout is not None
    lines: list[str] = []
    killed = False
    try:
        assert process.stdout.readline().strip() == "ready"
        if kill_after_s is not None:
            try:
                process.wait(timeout=kill_after_s)
            except subprocess.TimeoutExpired:
                killed = kill(process)
        else:
            for line in process.stdout:
                if line.strip() == "stalled":
                    killed = kill(process)
                    break
                lines.append(line)
        if not killed:
            lines.extend(process.stdout)
        returncode = process.wait(timeout=RUN_TIMEOUT_S)
    finally:
        if process.poll() is None:
            kill(process)
        process.stdout.close()
    result = None
    if not killed:
        parsed = [line for line in lines if line.startswith("{")]
        result = json.loads(parsed[-1]) if parsed else None
    return Run(point, killed, returncode, result)


def kill(process: "subprocess.Popen[str]") -> bool:
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    return True
