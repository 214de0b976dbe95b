"""Who may call what: every route of the app against every kind of caller.

``MATRIX`` declares, for every route the app serves, the callers allowed in.
A route missing from it (a new endpoint) fails ``test_every_route_has_a_row``,
so every endpoint must say who may call it. Then, over real requests:

- every caller not in the row is refused (401 or 403) before anything is
  looked up, whatever the path holds;
- every caller in the row gets past authentication (the positive control
  that keeps the matrix honest);
- every allowed caller of *another coin*, and of the same coin another
  merchant (owner or terminal) or another resident, asking for an object by
  its id in the path, is refused (404, or 403), and the object is unchanged.
"""

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from ledger.clock import FixedClock
from tests.attacks.populated_town import Caller, PopulatedTown, populated_town
from tests.attacks.route_access import MATRIX
from tests.conftest import T0
from tests.merchant.shops import funded_resident, open_shop
from tests.merchant.tills import terminal_headers

# Valid bodies for the routes that check their body before looking the object up.
BODIES: dict[tuple[str, str], dict[str, object]] = {
    ("POST", "/v1/premium_campaigns/{campaign_id}/purchases"): {"units": 1},
    # A well-formed code: no contact is waiting for one, so 404 is what a stranger meets.
    ("POST", "/v1/contacts/{kind}/verify"): {"code": "123456"},
    ("POST", "/v1/residents/{resident_id}/verify"): {"method": "counter", "reference": "R-1"},
    # The same PIN the town's resident has (tests/merchant/shops.py): only sessions end.
    ("POST", "/v1/residents/{resident_id}/pin_reset"): {
        "new_pin": "1234",
        "checked_with": "my_number_card",
    },
    ("POST", "/v1/cards/{card_id}/block"): {"reason": "lost"},
    ("POST", "/v1/residents/{resident_id}/winddown_claims"): {
        "bank_account": {
            "bank_code": "0001",
            "branch_code": "001",
            "account_type": "ordinary",
            "account_number": "1234567",
            "holder_kana": "ﾔﾏﾀﾞ ﾊﾅｺ",
        }
    },
    ("POST", "/v1/premium_purchases/{purchase_id}/confirm"): {
        "channel": "counter",
        "reference": "R-1",
    },
    ("POST", "/v1/settlement/batches/{batch_id}/results"): {"returned": []},
    ("POST", "/v1/merchants/{merchant_id}/payout_schedule"): {
        "frequency": "daily",
        "min_amount": 1_000,
    },
    ("POST", "/v1/merchants/{merchant_id}/location"): {"postal_code": "5060011", "city": "Hida"},
}

REFUSED = {401, 403}
NOT_YOURS = {403, 404}


def served_routes(app: FastAPI) -> set[tuple[str, str]]:
    """(method, path) of every route the app answers; a mount counts as one."""
    routes: set[tuple[str, str]] = set()
    for context in iter_route_contexts(app.routes):
        path, methods = str(context.path), context.methods
        if methods is None:
            routes.add(("MOUNT", path))
            continue
        routes.update((m, path) for m in methods if m != "HEAD")
    return routes


@pytest.fixture(scope="module")
def home(engine: Engine) -> PopulatedTown:
    """The coin whose callers go looking for objects that are not theirs."""
    return populated_town(engine, FixedClock(T0))


@pytest.fixture(scope="module")
def away(engine: Engine) -> PopulatedTown:
    """Another coin, whose objects are the targets."""
    return populated_town(engine, FixedClock(T0))


def _path(template: str, object_ids: dict[str, str]) -> str:
    path = template
    for name, value in object_ids.items():
        path = path.replace("{" + name + "}", value)
    assert "{" not in path, f"no object for a path parameter of {template}"
    return path


def _send(
    client: TestClient, method: str, template: str, path: str, headers: dict[str, str]
) -> tuple[int, str]:
    if method == "GET":
        response = client.get(path, headers=headers)
    else:
        body = BODIES.get((method, template), {})
        response = client.request(method, path, json=body, headers=headers)
    return response.status_code, response.text[:300]


# Routes that end the caller's own session: they get a session of their own,
# so the town's resident stays logged in for the rows after them.
ENDS_THE_SESSION = frozenset({("POST", "/v1/auth/logout")})
# The counter's PIN reset ends every session of the resident: log in again after it.
ENDS_ALL_SESSIONS = frozenset({("POST", "/v1/residents/{resident_id}/pin_reset")})


def _call(
    town: PopulatedTown, method: str, template: str, path: str, caller: Caller
) -> tuple[int, str]:
    headers = town.headers[caller]
    if (method, template) in ENDS_THE_SESSION and caller is Caller.RESIDENT:
        headers = town.town.token(town.payer.resident_id)
    answer = _send(town.town.client, method, template, path, headers)
    if (method, template) in ENDS_ALL_SESSIONS and answer[0] == 200:
        town.headers[Caller.RESIDENT] = town.town.token(town.payer.resident_id)
    return answer


def _api_rows() -> Iterator[tuple[str, str]]:
    return (row for row in MATRIX if row[0] != "MOUNT")


def test_every_route_has_a_row(home: PopulatedTown) -> None:
    served = served_routes(home.town.client.app)  # type: ignore[arg-type]
    assert served - MATRIX.keys() == set(), "new routes must declare who may call them"
    assert MATRIX.keys() - served == set(), "rows for routes that no longer exist"


def test_every_path_parameter_has_an_object_to_aim_at(home: PopulatedTown) -> None:
    for _, template in _api_rows():
        _path(template, home.object_ids)


def test_callers_outside_a_row_are_refused(home: PopulatedTown) -> None:
    wrong = []
    for method, template in _api_rows():
        allowed = MATRIX[(method, template)]
        path = _path(template, home.object_ids)
        for caller in Caller:
            if caller in allowed:
                continue
            status, body = _call(home, method, template, path, caller)
            if template in {"/v1/stripe/webhook", "/v1/line/webhook"}:
                refused = status == 400 and "signature" in body
            else:
                refused = status in REFUSED
            if not refused:
                wrong.append((method, template, caller.value, status, body))
    assert wrong == [], "\n".join(map(str, wrong))


def test_callers_inside_a_row_get_past_authentication(home: PopulatedTown) -> None:
    # On their own objects, with an empty body: anything but 401/403 (often a 422).
    wrong = []
    for method, template in _api_rows():
        path = _path(template, home.object_ids)
        for caller in MATRIX[(method, template)]:
            status, body = _call(home, method, template, path, caller)
            if status in REFUSED or status >= 500:
                wrong.append((method, template, caller.value, status, body))
    assert wrong == [], "\n".join(map(str, wrong))


STRANGERS = frozenset(Caller) - {Caller.NONE}


def test_allowed_callers_of_another_coin_cannot_reach_its_objects(
    home: PopulatedTown, away: PopulatedTown
) -> None:
    wrong = []
    for method, template in _api_rows():
        if "{" not in template:
            continue
        path = _path(template, away.object_ids)
        for caller in MATRIX[(method, template)] & STRANGERS:
            status, body = _call(home, method, template, path, caller)
            if status not in NOT_YOURS:
                wrong.append((method, template, caller.value, status, body))
    assert wrong == [], "\n".join(map(str, wrong))


def test_another_merchant_and_another_resident_of_the_coin_cannot_reach_them(
    engine: Engine, away: PopulatedTown
) -> None:
    # Same coin, different merchant (its owner key and a till's) and a different resident.
    town = away.town
    rival = open_shop(town, name="魚屋")
    neighbour = funded_resident(town, 0)
    headers = {
        Caller.OWNER: rival.headers,
        Caller.TERMINAL: terminal_headers(town, rival),
        Caller.RESIDENT: neighbour.headers,
    }
    wrong = []
    for method, template in _api_rows():
        # A premium campaign is open to every resident of its coin: nobody's own object.
        if "{" not in template or "{campaign_id}" in template:
            continue
        path = _path(template, away.object_ids)
        for caller in MATRIX[(method, template)] & headers.keys():
            status, body = _send(town.client, method, template, path, headers[caller])
            if status not in NOT_YOURS:
                wrong.append((method, template, caller.value, status, body))
    assert wrong == [], "\n".join(map(str, wrong))
