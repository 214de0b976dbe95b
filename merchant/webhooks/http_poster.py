"""One webhook POST: to the address that was checked, within a total deadline.

Two ways a receiver could turn the webhook worker against us:

- **DNS rebinding.** The URL's host is resolved and checked (merchant.webhooks.urls),
  and an HTTP client resolving it again could get another answer (a
  loopback or metadata address). So the POST goes to the checked address
  itself, with the host kept in the Host header and in TLS (SNI and the
  certificate's name), and the connected peer is checked again.
- **Dripping.** A socket timeout is per read: a receiver sending one header
  byte every few seconds never trips it and holds the attempt for hours. A
  timer shuts the socket down at ``deadline_s`` from the start, whatever the
  receiver does, which ends the blocked read at once.

What the merchant is told is a coarse reason (``timeout``, ``refused``,
``tls``, ``connection``, ``not_allowed``), never the socket's error text,
which could describe our network.
"""

import contextlib
import socket
import threading
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx

from merchant.webhooks.urls import Target, is_public


class DeliveryFailedError(Exception):
    """No HTTP answer came; ``reason`` is what the merchant may be told."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _reason(error: BaseException, *, timed_out: bool) -> str:
    if timed_out or isinstance(error, httpx.TimeoutException):
        return "timeout"
    if isinstance(error, httpx.ConnectError):
        cause = error.__cause__ or error.__context__
        text = str(error).lower()
        if "ssl" in text or "certificate" in text or "tls" in text:
            return "tls"
        if isinstance(cause, ConnectionRefusedError) or "refused" in text:
            return "refused"
        return "connection"
    return "connection"


class HttpPoster:
    """POSTs with httpx: no redirects, no proxy from the environment, the socket's
    own ``timeout_s`` per operation and ``deadline_s`` in all."""

    def __init__(self, timeout_s: float, *, deadline_s: float | None = None) -> None:
        self._timeout_s = timeout_s
        self._deadline_s = deadline_s if deadline_s is not None else 2 * timeout_s

    def __call__(self, target: Target, body: bytes, headers: dict[str, str]) -> int:
        url, headers, extensions = self._pinned(target, headers)
        sockets: list[socket.socket] = []
        refused_peer: list[str] = []
        timed_out = threading.Event()

        def trace(event: str, info: dict[str, Any]) -> None:
            if event != "connection.connect_tcp.complete":
                return
            sock = info["return_value"].get_extra_info("socket")
            sockets.append(sock)
            peer = sock.getpeername()[0]
            if target.connect_to is not None and not is_public(peer):
                refused_peer.append(peer)
                sock.shutdown(socket.SHUT_RDWR)

        def cut() -> None:
            timed_out.set()
            for sock in sockets:
                with contextlib.suppress(OSError):  # closed already
                    sock.shutdown(socket.SHUT_RDWR)

        timer = threading.Timer(self._deadline_s, cut)
        client = httpx.Client(
            timeout=httpx.Timeout(self._timeout_s), follow_redirects=False, trust_env=False
        )
        timer.start()
        try:
            with client.stream(
                "POST", url, content=body, headers=headers, extensions=extensions | {"trace": trace}
            ) as response:
                # The response body is never read: a receiver cannot make us download much.
                if refused_peer:
                    raise DeliveryFailedError("not_allowed")
                return response.status_code
        except (httpx.HTTPError, OSError) as error:
            if refused_peer:
                raise DeliveryFailedError("not_allowed") from error
            raise DeliveryFailedError(_reason(error, timed_out=timed_out.is_set())) from error
        finally:
            timer.cancel()
            client.close()

    @staticmethod
    def _pinned(
        target: Target, headers: dict[str, str]
    ) -> tuple[str, dict[str, str], dict[str, Any]]:
        """The URL with the checked address in place of the host, the Host header and
        the TLS name kept as the merchant wrote them."""
        if target.connect_to is None:
            return target.url, headers, {}
        parts = urlsplit(target.url)
        assert parts.hostname is not None, "checked URLs have a host"
        address = f"[{target.connect_to}]" if ":" in target.connect_to else target.connect_to
        netloc = address if parts.port is None else f"{address}:{parts.port}"
        pinned = urlunsplit(parts._replace(netloc=netloc))
        return pinned, headers | {"Host": parts.netloc}, {"sni_hostname": parts.hostname}

    def close(self) -> None:
        """Nothing is kept between deliveries: each has its own connection."""
