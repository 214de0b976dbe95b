"""The webhook URL policy with a stand-in resolver: public https only, whatever DNS says."""

import pytest

from merchant.webhooks.urls import UrlRefusedError, check_url


def resolver(addresses: list[str]):  # type: ignore[no-untyped-def]
    return lambda host, port: addresses


def test_a_public_https_host_is_allowed() -> None:
    url = "https://hooks.example.jp/localcoin"
    assert check_url(url, allow_private=False, resolver=resolver(["203.0.114.1"])) == url


@pytest.mark.parametrize(
    "addresses",
    [
        ["127.0.0.1"],
        ["10.0.0.8"],
        ["169.254.169.254"],
        ["100.64.0.1"],
        ["fd00::1"],
        ["::ffff:10.0.0.1"],
        ["93.184.215.14", "192.168.1.1"],  # one private answer is enough to refuse
        [],
        # IPv6 forms that carry an IPv4 address a translator or tunnel delivers to.
        ["64:ff9b::7f00:1"],  # NAT64 of 127.0.0.1
        ["64:ff9b::a9fe:a9fe"],  # NAT64 of the metadata service 169.254.169.254
        ["64:ff9b:1::a00:1"],  # local-use NAT64 of 10.0.0.1
        ["2002:7f00:1::"],  # 6to4 of 127.0.0.1
        ["::127.0.0.1"],  # IPv4-compatible
        ["2001:0:4136:e378:8000:63bf:3fff:fdd2"],  # Teredo
    ],
)
def test_a_host_resolving_to_a_private_address_is_refused(addresses: list[str]) -> None:
    with pytest.raises(UrlRefusedError) as refused:
        check_url("https://evil.example/", allow_private=False, resolver=resolver(addresses))
    assert refused.value.code == "webhook_url_not_allowed"


def test_a_host_that_does_not_resolve_is_refused() -> None:
    def nowhere(host: str, port: int) -> list[str]:
        raise OSError("no such host")

    with pytest.raises(UrlRefusedError) as refused:
        check_url("https://nowhere.invalid/", allow_private=False, resolver=nowhere)
    assert refused.value.code == "webhook_url_not_allowed"


def test_the_setting_allows_loopback_and_http_but_still_needs_a_url() -> None:
    assert check_url("http://127.0.0.1:8080/h", allow_private=True) == "http://127.0.0.1:8080/h"
    with pytest.raises(UrlRefusedError) as refused:
        check_url("file:///etc/passwd", allow_private=True)
    assert refused.value.code == "webhook_url_invalid"
