"""Erasing a resident's personal data: refused while the records must be kept, then
pseudonymised with the books whole and the chain verifying."""

from datetime import timedelta

import pytest
from sqlalchemy import Engine, text

from ledger.chain import seal
from ledger.clock import FixedClock
from ledger.unit_of_work import run_in_transaction
from ledger.verify import verify_coin
from tests.conftest import T0
from tests.wallet_api.test_residents_api import Town, new_town
from tests.wallet_api.test_transfers_api import Person, person, send
from wallet_api.resident_erasure import ERASED_NAME, kept_until

# The day the records of a wallet that last moved at T0 may go.
FREED = kept_until(T0, 7)


@pytest.fixture
def town(engine: Engine, clock: FixedClock) -> Town:
    return new_town(engine, clock)


def erase(town: Town, resident_id: str, headers: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    return town.client.post(
        f"/v1/residents/{resident_id}/erasure", headers=headers or town.issuer()
    )


def resident_row(town: Town, resident_id: str) -> dict[str, object]:
    with town.engine.connect() as conn:
        row = conn.execute(
            text(
                "SELECT r.display_name, r.resident_number, r.pin_hash, r.erased_at,"
                " w.verification_reference,"
                " (SELECT count(*) FROM access_tokens a WHERE a.resident_id = r.id) AS tokens,"
                " (SELECT count(*) FROM resident_contacts c WHERE c.resident_id = r.id)"
                "   AS contacts,"
                " (SELECT string_agg(t.reference, ',') FROM topups t"
                "   WHERE t.coin_id = w.coin_id AND t.wallet_id = w.id) AS references"
                " FROM residents r JOIN wallets w ON w.resident_id = r.id WHERE r.public_id = :p"
            ),
            {"p": resident_id},
        ).one()
    return dict(row._mapping)


def emptied(town: Town) -> tuple[Person, Person]:
    """Alice topped up, sent everything to Bob: her wallet is empty, its last movement now."""
    alice = person(town, "alice", money=3_000)
    bob = person(town, "bob")
    assert send(town, alice, bob.wallet_id, 3_000).status_code == 201
    return alice, bob


def chain_head(town: Town) -> str | None:
    def work(conn):  # type: ignore[no-untyped-def]
        seal(conn, coin_id=town.coin.coin.id, at=town.clock.now())
        report = verify_coin(conn, coin_id=town.coin.coin.id)
        assert report.ok, report.as_dict()
        return report.chain_head

    head: str | None = run_in_transaction(town.engine, work)
    return head


def test_a_wallet_holding_coin_is_not_erased_and_nothing_changes(town: Town) -> None:
    alice = person(town, "alice", money=1_000)
    town.clock.set(FREED + timedelta(days=365))
    before = resident_row(town, alice.resident_id)
    refused = erase(town, alice.resident_id)
    assert (refused.status_code, refused.json()["code"]) == (409, "erasure_balance_remaining")
    assert refused.headers["content-type"] == "application/problem+json"
    assert resident_row(town, alice.resident_id) == before


def test_records_are_kept_seven_years_after_the_last_movement(town: Town) -> None:
    alice, _ = emptied(town)
    town.clock.set(FREED - timedelta(seconds=1))
    refused = erase(town, alice.resident_id)
    assert (refused.status_code, refused.json()["code"]) == (409, "retention_period_running")
    assert FREED.isoformat() in refused.json()["detail"]
    assert resident_row(town, alice.resident_id)["erased_at"] is None


def test_a_longer_retention_set_by_the_issuer_holds_the_erasure_back(town: Town) -> None:
    alice, _ = emptied(town)
    too_short = town.client.post(
        "/v1/coin_rules", json={"retention_years": 6}, headers=town.issuer()
    )
    assert too_short.status_code == 422
    longer = town.client.post("/v1/coin_rules", json={"retention_years": 10}, headers=town.issuer())
    assert (longer.status_code, longer.json()["retention_years"]) == (200, 10)
    town.clock.set(FREED)
    refused = erase(town, alice.resident_id)
    assert (refused.status_code, refused.json()["code"]) == (409, "retention_period_running")


def test_erasure_pseudonymises_the_person_and_keeps_the_books(town: Town) -> None:
    alice, bob = emptied(town)
    number = town.client.get("/v1/wallet", headers=alice.headers).json()["resident_number"]
    with town.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO resident_contacts (resident_id, kind, address, verified_at,"
                " created_at) SELECT id, 'email', 'hanako@example.jp', :at, :at FROM residents"
                " WHERE public_id = :p"
            ),
            {"p": alice.resident_id, "at": T0},
        )
    email_login = {"login": "hanako@example.jp", "pin": "1234"}
    assert town.client.post("/v1/auth/token", json=email_login).status_code == 200
    head = chain_head(town)
    town.clock.set(FREED)

    erased = erase(town, alice.resident_id)

    assert erased.status_code == 200, erased.text
    assert erased.json() == {
        "resident_id": alice.resident_id,
        "erased_at": town.clock.now().isoformat(),
    }
    row = resident_row(town, alice.resident_id)
    assert (row["display_name"], row["verification_reference"], row["tokens"]) == (
        ERASED_NAME,
        None,
        0,
    )
    assert row["contacts"] == 0
    assert row["resident_number"] != number and row["pin_hash"] == "!erased"
    assert "dep-alice" not in str(row["references"])
    # Neither her old token, her id and PIN, nor her old number opens anything.
    assert town.client.get("/v1/wallet", headers=alice.headers).status_code == 401
    assert town.log_in(alice.resident_id).json()["code"] == "credentials_invalid"
    by_number = town.client.post("/v1/auth/token", json={"login": number, "pin": "1234"})
    assert by_number.status_code == 401
    assert town.client.post("/v1/auth/token", json=email_login).status_code == 401
    # The books did not move: same entries, same chain, still verifying.
    assert chain_head(town) == head
    assert (
        town.client.get("/v1/wallet", headers=town.token(bob.resident_id)).json()["balance"][
            "total"
        ]
        == 3_000
    )
    # Asked again: the first erasure's answer.
    again = erase(town, alice.resident_id)
    assert (again.status_code, again.json()) == (200, erased.json())


def test_only_the_residents_own_coin_erases_them(
    town: Town, engine: Engine, clock: FixedClock
) -> None:
    other = new_town(engine, clock)
    stranger = other.sign_up()
    clock.set(FREED)
    refused = erase(town, stranger["resident_id"])
    assert (refused.status_code, refused.json()["code"]) == (404, "resident_not_found")
    assert resident_row(other, stranger["resident_id"])["erased_at"] is None


def test_a_resident_cannot_erase_themselves_with_their_token(town: Town) -> None:
    alice, _ = emptied(town)
    town.clock.set(FREED)
    refused = erase(town, alice.resident_id, headers=alice.headers)
    assert refused.status_code == 401
    assert resident_row(town, alice.resident_id)["erased_at"] is None
