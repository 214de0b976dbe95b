"""A failure nobody foresaw is a problem document too, and tells the caller nothing inside."""

from fastapi import APIRouter
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from kit.database import make_engine
from ledger.clock import FixedClock
from localcoin.app import create_app


def test_an_unforeseen_failure_is_a_500_problem_without_its_insides(
    engine: Engine, clock: FixedClock
) -> None:
    app = create_app(engine, clock, run_sealer=False)
    router = APIRouter()

    @router.get("/test/broken")
    def broken() -> dict[str, str]:
        raise RuntimeError("secret internals: pin=1234 at /srv/app/broken.py")

    app.include_router(router)
    answer = TestClient(app, raise_server_exceptions=False).get("/test/broken")
    assert answer.status_code == 500
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["code"] == "internal_error"
    assert "pin=1234" not in answer.text and "broken.py" not in answer.text


def test_the_engine_keeps_statement_parameters_out_of_errors_and_logs(
    database_url: str,
) -> None:
    engine = make_engine(database_url, pool_size=1)
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT CAST(:secret AS text), 1 / 0"), {"secret": "pin-4821"})
    except Exception as failed:
        assert "pin-4821" not in str(failed)
        assert "hidden due to hide_parameters" in str(failed)
    else:
        raise AssertionError("the cast should have failed")
    finally:
        engine.dispose()
