"""The signature scheme integrators verify: HMAC-SHA256 over "t.body", a tolerance, rotation."""

import hashlib
import hmac

import pytest

from merchant.webhooks.signing import SignatureError, sign, signature_header, verify

SECRET = "whsec_" + "a" * 43
BODY = b'{"id":"evt_1","type":"charge.succeeded","created":1,"data":{}}'


def test_the_signature_is_hmac_sha256_of_timestamp_dot_body() -> None:
    expected = hmac.new(SECRET.encode(), b"1700000000." + BODY, hashlib.sha256).hexdigest()
    assert sign(SECRET, 1700000000, BODY) == expected
    assert signature_header([SECRET], 1700000000, BODY) == f"t=1700000000,v1={expected}"


def test_a_good_signature_verifies_within_the_tolerance() -> None:
    header = signature_header([SECRET], 1700000000, BODY)
    assert verify(SECRET, header, BODY, now=1700000300) == 1700000000
    assert verify(SECRET, header, BODY, now=1699999700) == 1700000000


@pytest.mark.parametrize(
    ("header", "body", "now", "code"),
    [
        (signature_header([SECRET], 1700000000, BODY), BODY, 1700000301, "signature_too_old"),
        (
            signature_header([SECRET], 1700000000, BODY),
            BODY + b" ",
            1700000000,
            "signature_mismatch",
        ),
        (
            signature_header(["whsec_" + "b" * 43], 1700000000, BODY),
            BODY,
            1700000000,
            "signature_mismatch",
        ),
        ("v1=abc", BODY, 1700000000, "signature_header_invalid"),
        ("t=1700000000", BODY, 1700000000, "signature_header_invalid"),
        ("", BODY, 1700000000, "signature_header_invalid"),
    ],
)
def test_a_bad_delivery_is_refused_with_its_reason(
    header: str, body: bytes, now: int, code: str
) -> None:
    with pytest.raises(SignatureError) as refused:
        verify(SECRET, header, body, now=now)
    assert refused.value.code == code


def test_during_a_rotation_either_secret_verifies() -> None:
    new = "whsec_" + "n" * 43
    header = signature_header([new, SECRET], 1700000000, BODY)
    assert verify(new, header, BODY, now=1700000000) == 1700000000
    assert verify(SECRET, header, BODY, now=1700000000) == 1700000000
