"""The booking site's own rules, without servers: its signature check and what an intent means."""

import importlib
from pathlib import Path

import pytest

from examples.facility_booking.signature import BadSignatureError, verify
from merchant.webhooks.signing import signature_header
from tests.examples.test_facility_booking import client_dir

assert client_dir  # a fixture, used by name below
SECRET = "whsec_example"
BODY = b'{"id":"evt_1","type":"payment_intent.succeeded","data":{"id":"pi_1"}}'
NOW = 1_800_000_000


def test_the_site_accepts_what_localcoin_signs_within_the_window() -> None:
    verify(SECRET, signature_header([SECRET], NOW, BODY), BODY, NOW + 299)
    # During a rotation the header carries both secrets; the site's one is enough.
    verify(SECRET, signature_header(["whsec_new", SECRET], NOW, BODY), BODY, NOW)


@pytest.mark.parametrize(
    ("header", "now", "why"),
    [
        (signature_header([SECRET], NOW, BODY), NOW + 301, "timestamp outside the window"),
        (signature_header([SECRET], NOW, BODY), NOW - 301, "timestamp outside the window"),
        (signature_header(["whsec_other"], NOW, BODY), NOW, "signature does not match"),
        (f"t={NOW}", NOW, "malformed signature header"),
        ("", NOW, "malformed signature header"),
    ],
)
def test_the_site_refuses_old_forged_or_malformed_signatures(
    header: str, now: int, why: str
) -> None:
    with pytest.raises(BadSignatureError, match=why):
        verify(SECRET, header, BODY, now)


def test_a_body_changed_after_signing_is_refused() -> None:
    header = signature_header([SECRET], NOW, BODY)
    with pytest.raises(BadSignatureError, match="signature does not match"):
        verify(SECRET, header, BODY.replace(b"pi_1", b"pi_2"), NOW)


@pytest.mark.parametrize(
    ("booking_status", "intent_status", "reason", "becomes"),
    [
        ("awaiting_payment", "succeeded", None, "paid"),
        ("awaiting_payment", "requires_capture", None, "held"),
        ("awaiting_payment", "expired", None, "expired"),
        # A deposit nobody captured by its deadline: localcoin released it; a no-show.
        ("held", "canceled", "capture_expired", "no_show"),
        ("held", "canceled", "requested_by_merchant", None),
        ("held", "succeeded", None, None),
    ],
)
def test_what_an_intent_means_for_a_booking(
    client_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    booking_status: str,
    intent_status: str,
    reason: str | None,
    becomes: str | None,
) -> None:
    monkeypatch.syspath_prepend(str(client_dir))
    bookings = importlib.import_module("examples.facility_booking.bookings")
    gateway = importlib.import_module("examples.facility_booking.localcoin_gateway")
    store = importlib.import_module("examples.facility_booking.store")
    booking = store.Booking(
        "bk_1", "tennis", "2026-12-06T09:00:00+09:00", booking_status, 2_000, "pi_1", "qr"
    )
    intent = gateway.Intent("pi_1", intent_status, 2_000, 0, "qr", reason)
    assert bookings._status_of(booking, intent) == becomes
