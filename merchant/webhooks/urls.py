"""Where webhooks may be sent: public https addresses only.

A webhook URL makes our server send requests where a merchant says, so an
unchecked URL would let anyone reach our own network (SSRF): the database,
the cloud metadata service at 169.254.169.254, admin ports on loopback. The
host is resolved and every address it resolves to must be globally routable;
the check runs when the endpoint is registered and again before each delivery,
because DNS can change after registration. Redirects are never followed.

Private URLs (and plain http) are allowed only with the setting
``webhook_allow_private_urls``, for tests and local development.

Refusals (``UrlRefused.code``): ``webhook_url_invalid`` (not an absolute
http(s) URL with a host, or with user info), ``webhook_url_not_allowed``
(http without the setting, or a host that resolves to a loopback, private,
link-local, metadata or otherwise non-global address, or does not resolve).
"""

import ipaddress
import socket
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from kit.errors import Code

URL_LENGTH_MAX = 2048

Resolver = Callable[[str, int], list[str]]


class UrlRefusedError(Exception):
    def __init__(self, code: Code, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail


def resolve(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to (A and AAAA)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return sorted({str(info[4][0]) for info in infos})


# IPv6 ranges that carry an IPv4 address a translator or tunnel delivers to:
# NAT64 (64:ff9b::/96 and the local-use 64:ff9b:1::/48) reaches 64:ff9b::7f00:1
# as 127.0.0.1 and 64:ff9b::a9fe:a9fe as the metadata service; 6to4
# (2002::/16) and the deprecated IPv4-compatible form (::/96) embed one too.
# Python calls most of them global. No webhook receiver needs them: refused.
TRANSLATED_V6 = tuple(
    ipaddress.IPv6Network(net) for net in ("64:ff9b::/96", "64:ff9b:1::/48", "2002::/16", "::/96")
)


def is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        elif any(ip in net for net in TRANSLATED_V6) or ip.teredo is not None:
            return False
    # is_global excludes private, loopback, link-local (the metadata service),
    # shared (CGNAT), reserved and unspecified ranges; multicast is not global either.
    return ip.is_global and not ip.is_multicast


@dataclass(frozen=True, slots=True)
class Target:
    """Where a delivery goes.

    Attributes:
        url: the endpoint's URL as the merchant registered it.
        connect_to: the checked address to connect to, so that the HTTP client
            does not resolve the host again (DNS rebinding); None to let the
            system resolve it (private URLs allowed: tests, local development).
    """

    url: str
    connect_to: str | None = None


def check_url(url: str, *, allow_private: bool, resolver: Resolver = resolve) -> str:
    """Returns the URL if webhooks may go there, or raises UrlRefusedError."""
    return target_of(url, allow_private=allow_private, resolver=resolver).url


def target_of(url: str, *, allow_private: bool, resolver: Resolver = resolve) -> Target:
    """Where to deliver for ``url``: its checked address, or raises UrlRefusedError."""
    if len(url) > URL_LENGTH_MAX:
        raise UrlRefusedError(Code.WEBHOOK_URL_INVALID, f"a URL is at most {URL_LENGTH_MAX} chars")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise UrlRefusedError(Code.WEBHOOK_URL_INVALID, "the URL does not parse") from error
    host = parts.hostname
    if parts.scheme not in ("https", "http") or not host:
        raise UrlRefusedError(
            Code.WEBHOOK_URL_INVALID, "an absolute https URL with a host is needed"
        )
    if parts.username is not None or parts.password is not None:
        raise UrlRefusedError(Code.WEBHOOK_URL_INVALID, "credentials do not belong in the URL")
    if allow_private:
        return Target(url)
    if parts.scheme != "https":
        raise UrlRefusedError(Code.WEBHOOK_URL_NOT_ALLOWED, "webhooks are sent over https only")
    try:
        addresses = resolver(host, port or 443)
    except (OSError, UnicodeError) as error:
        raise UrlRefusedError(Code.WEBHOOK_URL_NOT_ALLOWED, "the host does not resolve") from error
    if not addresses or not all(is_public(a) for a in addresses):
        raise UrlRefusedError(
            Code.WEBHOOK_URL_NOT_ALLOWED, "the host resolves to a private or reserved address"
        )
    return Target(url, addresses[0])
