"""A lean HTTP/1.1 client for load: one keep-alive connection, requests written as bytes.

The load generator shares the machine with the server and PostgreSQL, so
what it burns per request is taken from them. ``httpx.AsyncClient`` costs
about 1.7 ms of CPU per request here (measured: 24.6 CPU seconds for 13,000
requests against the bare app, 82 % of the machine), which capped any server
at about 870 requests a second on 2 cores, whatever it did. pgbench, the
reference, is C. This client does only what the benchmarks need: a request
line, a few headers, a JSON body; an answer with a Content-Length (uvicorn
gives every answer of ours one), kept alive unless the server says
``Connection: close``.
"""

import asyncio
import contextlib
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit


class WireError(Exception):
    """The connection failed or the answer was not HTTP/1.1 as expected."""


@dataclass(frozen=True, slots=True)
class WireResponse:
    status_code: int
    headers: dict[str, str]
    content: bytes

    def json(self) -> Any:
        return json.loads(self.content)


class WireConnection:
    """One connection to ``base_url``, reopened when the server closes it."""

    def __init__(self, base_url: str) -> None:
        parts = urlsplit(base_url)
        if parts.scheme != "http" or parts.hostname is None:
            raise ValueError(f"plain http only: {base_url!r}")
        self.host = parts.hostname
        self.port = parts.port or 80
        self._host_header = f"{self.host}:{self.port}".encode()
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def request(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        headers: dict[str, str] | None = None,
    ) -> WireResponse:
        body = b"" if json_body is None else json.dumps(json_body).encode()
        lines = [f"{method} {path} HTTP/1.1".encode(), b"Host: " + self._host_header]
        if json_body is not None:
            lines.append(b"Content-Type: application/json")
        lines.append(b"Content-Length: " + str(len(body)).encode())
        for name, value in (headers or {}).items():
            lines.append(f"{name}: {value}".encode())
        raw = b"\r\n".join(lines) + b"\r\n\r\n" + body
        try:
            reader, writer = await self._open()
            writer.write(raw)
            response = await _read_response(reader)
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError) as error:
            await self.close()
            raise WireError(str(error) or type(error).__name__) from error
        except WireError:
            await self.close()
            raise
        if response.headers.get("connection", "").lower() == "close":
            await self.close()
        return response

    async def _open(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        if self._reader is None or self._writer is None:
            self._reader, self._writer = await asyncio.open_connection(self.host, self.port)
        return self._reader, self._writer

    async def close(self) -> None:
        writer, self._reader, self._writer = self._writer, None, None
        if writer is not None:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()


async def _read_response(reader: asyncio.StreamReader) -> WireResponse:
    head = await reader.readuntil(b"\r\n\r\n")
    status_line, *header_lines = head[:-4].decode("latin-1").split("\r\n")
    version, _, rest = status_line.partition(" ")
    if not version.startswith("HTTP/1."):
        raise WireError(f"not an HTTP/1.x answer: {status_line!r}")
    status = int(rest[:3])
    headers: dict[str, str] = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    if "content-length" not in headers:
        raise WireError(f"an answer without a Content-Length: {status_line!r}")
    content = await reader.readexactly(int(headers["content-length"]))
    return WireResponse(status, headers, content)
