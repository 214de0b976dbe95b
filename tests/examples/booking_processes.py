"""localcoin and the booking site as real processes, each with its own port and files."""

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from tests.localcoin.test_serve import free_port, wait_ready

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Localcoin:
    url: str
    logins: dict[str, Any]  # what `serve --demo` printed

    def merchant_key(self, name: str) -> str:
        key: str = next(m["api_key"] for m in self.logins["merchants"] if m["name"] == name)
        return key


@contextmanager
def running_localcoin(database_url: str) -> Iterator[Localcoin]:
    port = free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "localcoin.cli",
            "serve",
            "--demo",
            "--workers",
            "1",
            "--port",
            str(port),
        ],
        env=os.environ
        | {
            "DATABASE_URL": database_url,
            "LOCALCOIN_WEBHOOK_ALLOW_PRIVATE_URLS": "true",  # the site listens on loopback
            "LOCALCOIN_PIN_HASH_MEMORY_KIB": "1024",
        },
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert server.stdout is not None
        logins = json.loads(server.stdout.readline())
        wait_ready(port, timeout_s=60)
        yield Localcoin(f"http://127.0.0.1:{port}", logins)
    finally:
        server.terminate()
        server.wait(timeout=30)


@dataclass
class Site:
    url: str
    port: int
    client_dir: Path
    data_dir: Path
    localcoin: Localcoin
    api_key: str
    process: "subprocess.Popen[bytes] | None" = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "examples.facility_booking",
                "--port",
                str(self.port),
                "--localcoin",
                self.localcoin.url,
                "--data",
                str(self.data_dir),
            ],
            cwd=ROOT,
            env=os.environ
            | {
                "PYTHONPATH": f"{self.client_dir}{os.pathsep}{ROOT}",
                "BOOKING_LOCALCOIN_KEY": self.api_key,
            },
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(self.url + "/", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.2)
        raise AssertionError("the booking site did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=30)
            self.process = None


@contextmanager
def running_site(
    localcoin: Localcoin, client_dir: Path, data_dir: Path, key: str
) -> Iterator[Site]:
    port = free_port()
    site = Site(f"http://127.0.0.1:{port}", port, client_dir, data_dir, localcoin, key)
    site.start()
    try:
        yield site
    finally:
        site.stop()
