"""Money fields are strict integers: "100" and 100.0 are 422 naming the field, on every POST."""

from typing import Any

import pytest
from pydantic import ValidationError
from sqlalchemy import Engine

from kit.request_body import RequestBody
from ledger.clock import FixedClock
from tests.attacks.populated_town import Caller, PopulatedTown, populated_town
from tests.attacks.route_access import MATRIX
from tests.conftest import T0

NOT_INTEGERS: list[Any] = ["100", 100.0, True, "1e2"]


@pytest.fixture(scope="module")
def home(engine: Engine) -> PopulatedTown:
    return populated_town(engine, FixedClock(T0))


def integer_fields(home: PopulatedTown) -> list[tuple[str, str, str]]:
    """(template, path, field) for each top-level integer field of each POST body."""
    document = home.town.client.get("/openapi.json").json()
    schemas = document["components"]["schemas"]
    found = []
    for template, operations in document["paths"].items():
        body = operations.get("post", {}).get("requestBody")
        if body is None:
            continue
        schema = body["content"]["application/json"]["schema"]
        ref = schema.get("$ref") or next(
            (arm["$ref"] for arm in schema.get("anyOf", []) if "$ref" in arm), None
        )
        assert ref is not None, template
        for name, prop in schemas[ref.rsplit("/", 1)[1]].get("properties", {}).items():
            arms = prop.get("anyOf", [prop])
            if any(arm.get("type") == "integer" for arm in arms):
                path = template
                for key, value in home.object_ids.items():
                    path = path.replace("{" + key + "}", value)
                found.append((template, path, name))
    return found


def test_every_integer_field_of_every_post_refuses_strings_floats_and_booleans(
    home: PopulatedTown,
) -> None:
    fields = integer_fields(home)
    assert len(fields) >= 30  # amounts, fees, limits: the document lists them all
    wrong = []
    for template, path, field in fields:
        allowed = sorted(MATRIX[("POST", template)], key=lambda c: c == Caller.NONE)
        headers = home.headers[allowed[0]]
        for value in NOT_INTEGERS:
            answer = home.town.client.post(path, json={field: value}, headers=headers)
            named = (
                [e for e in answer.json().get("errors", []) if e["field"] == field]
                if answer.status_code == 422
                else []
            )
            if not (named and "JSON integer" in named[0]["message"]):
                wrong.append((template, field, value, answer.status_code, answer.text[:200]))
    assert wrong == []


class Grant(RequestBody):
    amount: int
    reason: str
    limit: int | None = None


def test_integers_pass_and_other_fields_keep_their_rules() -> None:
    assert Grant.model_validate({"amount": 100, "reason": "x"}).amount == 100
    assert Grant.model_validate({"amount": 1, "reason": "x", "limit": None}).limit is None
    with pytest.raises(ValidationError) as refused:
        Grant.model_validate({"amount": 1, "reason": "x", "limit": "5"})
    assert refused.value.errors()[0]["loc"] == ("limit",)
