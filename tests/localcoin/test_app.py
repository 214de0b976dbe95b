"""The HTTP app: health, readiness, the operator's ledger summary, problem details."""

import pytest
from fastapi.testclient import TestClient
from starlette.routing import Match

from kit.credentials import Role, issue_key, revoke_key
from ledger.chart import Standard
from ledger.entries import EntryRequest, credit, debit, post_entry
from ledger.unit_of_work import run_in_transaction
from localcoin.app import create_app
from tests.conftest import T0, Books


@pytest.fixture
def client(books: Books, clock) -> TestClient:  # type: ignore[no-untyped-def]
    return TestClient(create_app(books.engine, clock, run_sealer=False))


def key_for(books: Books, role: Role) -> str:
    return run_in_transaction(
        books.engine, lambda conn: issue_key(conn, coin_id=books.coin_id, role=role, at=T0)
    )


def test_health_and_ready(client: TestClient) -> None:
    assert client.get("/health").json() == {"status": "ok"}
    assert client.get("/ready").json() == {"status": "ready"}


def test_summary_adds_up_the_books_for_the_operator(client: TestClient, books: Books) -> None:
    resident = books.wallet("resident:1")
    merchant = books.wallet("merchant:1", lots=False)
    reserve = books.account(Standard.RESERVE_BANK)

    def activity(conn):  # type: ignore[no-untyped-def]
        for kind, legs in [
            ("topup.counter", [debit(reserve, 5000), credit(resident, 5000)]),
            ("payment", [debit(resident, 1200), credit(merchant, 1200)]),
        ]:
            post_entry(conn, coin_id=books.coin_id, request=EntryRequest(kind, legs), posted_at=T0)

    run_in_transaction(books.engine, activity)
    response = client.get(
        "/v1/ledger/summary", headers={"Authorization": f"Bearer {key_for(books, Role.OPERATOR)}"}
    )
    assert response.status_code == 200
    assert response.json() == {
        "coin": books.coin.code,
        "outstanding": {"residents": 3800, "merchants": 1200, "total": 5000},
        "reserve": 5000,
        "fees": 0,
        "breakage": 0,
    }


def test_summary_without_a_key_is_a_401_problem(client: TestClient) -> None:
    response = client.get("/v1/ledger/summary")
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == "unauthenticated"
    assert {"type", "title", "status", "detail", "code"} <= body.keys()


def test_summary_with_another_roles_key_is_forbidden(client: TestClient, books: Books) -> None:
    response = client.get(
        "/v1/ledger/summary", headers={"Authorization": f"Bearer {key_for(books, Role.ISSUER)}"}
    )
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"


def test_a_revoked_key_no_longer_works(client: TestClient, books: Books) -> None:
    secret = key_for(books, Role.OPERATOR)
    headers = {"Authorization": f"Bearer {secret}"}
    assert client.get("/v1/ledger/summary", headers=headers).status_code == 200
    key_id = run_in_transaction(
        books.engine,
        lambda conn: conn.exec_driver_sql(
            "SELECT id FROM api_keys WHERE coin_id = %s AND role = 'operator' ORDER BY id DESC LIMIT 1",
            (books.coin_id,),
        ).scalar_one(),
    )
    assert run_in_transaction(
        books.engine, lambda conn: revoke_key(conn, coin_id=books.coin_id, key_id=key_id, at=T0)
    )
    assert client.get("/v1/ledger/summary", headers=headers).status_code == 401


def test_openapi_document_is_served(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    assert "/v1/ledger/summary" in document["paths"]


def test_openapi_describes_every_error_as_a_problem(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    assert "HTTPValidationError" not in document["components"]["schemas"]
    assert document["components"]["schemas"]["Problem"]["required"] == [
        "type",
        "title",
        "status",
        "detail",
        "code",
    ]
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            answers = operation["responses"]
            assert "422" not in answers, (method, path)
            problem = answers["4XX"]["content"]["application/problem+json"]["schema"]
            assert problem == {"$ref": "#/components/schemas/Problem"}, (method, path)


def test_a_payment_at_the_till_is_matched_before_any_other_route(client: TestClient) -> None:
    # Routes are tried one by one in order; the busiest one first spares each payment the walk.
    scope = {"type": "http", "method": "POST", "path": "/v1/wallet/payments", "root_path": ""}
    routes = client.app.router.routes  # type: ignore[attr-defined]
    first = next(i for i, route in enumerate(routes) if route.matches(scope)[0] == Match.FULL)
    tried_before = {getattr(route, "path", None) for route in routes[:first]}
    assert tried_before <= {"/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc"}
