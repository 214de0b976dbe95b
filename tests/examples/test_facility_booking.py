"""The booking example end to end: localcoin and the site as real processes, a resident paying.

The site only knows localcoin's public API (a client generated from
/openapi.json for this run) and its signed webhooks. The story covers a usage
fee paid and refunded, a resident paying twice, a deposit held then used or
canceled late, a duplicate and an out-of-order webhook, and the site being
down while a payment happens.
"""

import secrets
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx
import pytest
from playwright.sync_api import Browser

from examples.facility_booking.facilities import TOKYO, slots
from tests.examples.booking_processes import (
    Localcoin,
    Site,
    running_localcoin,
    running_site,
)
from tests.localcoin.test_serve import empty_database
from tests.web.conftest import PHONE, screenshot

assert empty_database  # a fixture, used by name below
WAIT_S = 30


@pytest.fixture(scope="session")
def client_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The client generated for this run from `localcoin openapi`, as `make example-client` does."""
    tmp_path = tmp_path_factory.mktemp("example-client")
    document = tmp_path / "openapi.json"
    printed = subprocess.run(
        [sys.executable, "-m", "localcoin.cli", "openapi"], capture_output=True, check=True
    )
    document.write_bytes(printed.stdout)
    out = tmp_path / "client"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "examples.facility_booking.generate_client",
            str(document),
            str(out),
        ],
        check=True,
    )
    return out


@pytest.fixture
def world(
    empty_database: str, client_dir: Path, tmp_path: Path
) -> Iterator[tuple[Localcoin, Site]]:
    with running_localcoin(empty_database) as localcoin:
        key = localcoin.merchant_key("市民体育館")
        with running_site(localcoin, client_dir, tmp_path / "site", key) as site:
            yield localcoin, site


class Resident:
    def __init__(self, localcoin: Localcoin, login: dict[str, str]) -> None:
        self.base = localcoin.url
        token = httpx.post(
            f"{self.base}/v1/auth/token",
            json={"resident_id": login["resident_id"], "pin": login["pin"]},
        ).raise_for_status()
        self.headers = {"Authorization": f"Bearer {token.json()['access_token']}"}

    def balance(self) -> int:
        wallet = httpx.get(f"{self.base}/v1/wallet", headers=self.headers).raise_for_status()
        total: int = wallet.json()["balance"]["total"]
        return total

    def pay(self, qr_payload: str) -> httpx.Response:
        return httpx.post(
            f"{self.base}/v1/wallet/payments",
            json={"qr_payload": qr_payload},
            headers=self.headers | {"Idempotency-Key": secrets.token_hex(8)},
        )


def richest(localcoin: Localcoin) -> Resident:
    residents = [Resident(localcoin, login) for login in localcoin.logins["residents"]]
    return max(residents, key=Resident.balance)


def book(site: Site, facility: str, starts_at: datetime) -> dict[str, Any]:
    answer = httpx.post(
        f"{site.url}/bookings",
        data={"facility": facility, "starts_at": starts_at.isoformat()},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    return booking(site, answer.headers["location"].rsplit("/", 1)[1])


def booking(site: Site, booking_id: str) -> dict[str, Any]:
    found: dict[str, Any] = httpx.get(f"{site.url}/api/bookings/{booking_id}").json()
    return found


def act(site: Site, booking_id: str, action: str) -> dict[str, Any]:
    answer = httpx.post(f"{site.url}/bookings/{booking_id}/{action}", follow_redirects=False)
    assert answer.status_code == 303, answer.text
    return booking(site, booking_id)


def eventually(read: Callable[[], Any], wanted: Callable[[Any], bool]) -> Any:
    deadline = time.monotonic() + WAIT_S
    value = read()
    while not wanted(value) and time.monotonic() < deadline:
        time.sleep(0.3)
        value = read()
    assert wanted(value), value
    return value


def events_about(localcoin: Localcoin, key: str, intent_id: str) -> list[dict[str, Any]]:
    listed = httpx.get(
        f"{localcoin.url}/v1/events?limit=100", headers={"Authorization": f"Bearer {key}"}
    ).raise_for_status()
    return [e for e in listed.json()["data"] if e["data"].get("id") == intent_id]


def free_slots(now: datetime) -> tuple[datetime, datetime, datetime]:
    """A slot within a day (a late cancellation), and two more than two days ahead."""
    upcoming = [s for s in slots(now.astimezone(TOKYO).date()) if s > now + timedelta(hours=1)]
    soon = upcoming[0]
    later = [s for s in upcoming if s > now + timedelta(days=2)]
    assert soon < now + timedelta(days=1)
    return soon, later[0], later[1]


def test_a_booking_site_built_on_the_public_api(world: tuple[Localcoin, Site]) -> None:
    localcoin, site = world
    key = site.api_key
    resident = richest(localcoin)
    start = resident.balance()
    soon, later, later_still = free_slots(datetime.now(UTC))

    # A usage fee: booked, paid once (a second payment is refused), learned by webhook.
    gym = book(site, "gym", later)
    assert gym["status"] == "awaiting_payment"
    assert resident.pay(gym["qr_payload"]).status_code == 201
    again = resident.pay(gym["qr_payload"])
    assert (again.status_code, again.json()["code"]) == (409, "payment_intent_already_paid")
    assert resident.balance() == start - 1_200
    eventually(lambda: booking(site, gym["id"]), lambda b: b["status"] == "paid")
    assert booking(site, gym["id"])["notes"][-1] == "localcoin: succeeded"

    # The same event delivered again is recognised by its id and changes nothing.
    succeeded = next(
        e
        for e in events_about(localcoin, key, gym["intent_id"])
        if e["type"] == "payment_intent.succeeded"
    )
    seen = booking(site, gym["id"])["duplicate_events"]
    httpx.post(
        f"{localcoin.url}/v1/events/{succeeded['id']}/redeliver",
        headers={"Authorization": f"Bearer {key}"},
    ).raise_for_status()
    eventually(lambda: booking(site, gym["id"]), lambda b: b["duplicate_events"] == seen + 1)
    assert booking(site, gym["id"])["status"] == "paid"

    # Canceled more than a day before: the whole fee goes back.
    canceled = act(site, gym["id"], "cancel")
    assert (canceled["status"], canceled["refunded"], canceled["kept"]) == ("canceled", 1_200, 0)
    assert resident.balance() == start

    # A deposit held, canceled within a day: the facility takes its fee, the rest is released.
    late = book(site, "tennis", soon)
    assert resident.pay(late["qr_payload"]).status_code == 201
    eventually(lambda: booking(site, late["id"]), lambda b: b["status"] == "held")
    canceled_late = act(site, late["id"], "cancel")
    assert (canceled_late["status"], canceled_late["kept"]) == ("canceled_late", 1_000)
    assert resident.balance() == start - 1_000

    # A deposit held and used: captured whole. Its older event arriving afterwards
    # (out of order) does not bring the booking back to "held".
    used = book(site, "tennis", later)
    assert resident.pay(used["qr_payload"]).status_code == 201
    eventually(lambda: booking(site, used["id"]), lambda b: b["status"] == "held")
    assert act(site, used["id"], "use")["kept"] == 2_000
    held_event = next(
        e
        for e in events_about(localcoin, key, used["intent_id"])
        if e["type"] == "payment_intent.requires_capture"
    )
    seen = booking(site, used["id"])["duplicate_events"]
    httpx.post(
        f"{localcoin.url}/v1/events/{held_event['id']}/redeliver",
        headers={"Authorization": f"Bearer {key}"},
    ).raise_for_status()
    eventually(lambda: booking(site, used["id"]), lambda b: b["duplicate_events"] == seen + 1)
    assert booking(site, used["id"])["status"] == "used"
    assert resident.balance() == start - 3_000

    # The site is down while the resident pays: localcoin's delivery fails, and the
    # booking still ends right once the site is back.
    room = book(site, "room", later_still)
    site.stop()
    assert resident.pay(room["qr_payload"]).status_code == 201

    def failed_attempts() -> int:
        found = events_about(localcoin, key, room["intent_id"])
        if not found:
            return 0
        detail = httpx.get(
            f"{localcoin.url}/v1/events/{found[0]['id']}",
            headers={"Authorization": f"Bearer {key}"},
        ).json()
        return sum(
            1 for d in detail["deliveries"] for a in d["attempts"] if a["status_code"] is None
        )

    eventually(failed_attempts, lambda n: n >= 1)
    site.start()
    eventually(lambda: booking(site, room["id"]), lambda b: b["status"] == "paid")
    assert resident.balance() == start - 3_800


def test_the_booking_page_shows_the_code_and_the_wallet_link(
    world: tuple[Localcoin, Site], tmp_path: Path, browser: Browser
) -> None:
    localcoin, site = world
    _, later, _ = free_slots(datetime.now(UTC))
    waiting = book(site, "gym", later)
    page = browser.new_page(viewport=PHONE)
    try:
        page.goto(f"{site.url}/bookings/{waiting['id']}")
        assert page.locator(".status").inner_text() == "お支払い待ち"
        assert page.locator(".qr svg").count() == 1
        link = page.get_by_role("link", name="ウォレットで支払う").get_attribute("href")
        assert link is not None and link.startswith(f"{localcoin.url}/?pay=")
        assert parse_qs(urlparse(link).query)["pay"] == [waiting["qr_payload"]]
        screenshot(page, "booking-example")
    finally:
        page.close()
