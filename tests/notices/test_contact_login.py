"""A verified e-mail or phone as another login id (issue 18.2): a one-time code,
short-lived, hashed at rest, a few tries; then POST /v1/auth/token with {"login", "pin"}."""

from datetime import timedelta

import pytest
from sqlalchemy import Engine, text

from ledger.clock import FixedClock
from ledger.unit_of_work import run_in_transaction
from tests.fakes.line_server import new_user_id
from tests.notices.notice_town import Mailbox, NoticeTown, code_in, notice_town


@pytest.fixture
def town(engine: Engine, clock: FixedClock):  # type: ignore[no-untyped-def]
    with notice_town(engine, clock) as made:
        yield made


def ask_code(town: NoticeTown, headers: dict[str, str], kind: str, address: str):  # type: ignore[no-untyped-def]
    return town.client.post(
        "/v1/contacts", json={"kind": kind, "address": address}, headers=headers
    )


def verify(town: NoticeTown, headers: dict[str, str], kind: str, code: str):  # type: ignore[no-untyped-def]
    return town.client.post(f"/v1/contacts/{kind}/verify", json={"code": code}, headers=headers)


def login(town: NoticeTown, login_id: str, pin: str = "1234"):  # type: ignore[no-untyped-def]
    return town.client.post("/v1/auth/token", json={"login": login_id, "pin": pin})


def test_a_verified_e_mail_logs_the_resident_in(town: NoticeTown) -> None:
    created = town.sign_up(name="山田花子")
    headers = town.token(created["resident_id"])
    assert login(town, town.mail("hanako")).status_code == 401
    asked = ask_code(town, headers, "email", f" {town.mail('hanako').upper()} ")
    assert asked.status_code == 202, asked.text
    assert asked.json()["address"] == town.mail("hanako")
    assert login(town, town.mail("hanako")).status_code == 401  # not before the code

    code = code_in(Mailbox.body(town.smtp.mailbox.to(town.mail("hanako"))[0]))
    assert verify(town, headers, "email", code).status_code == 200

    token = login(town, town.mail("hanako").upper())
    assert token.status_code == 200, token.text
    wallet = town.client.get(
        "/v1/wallet", headers={"Authorization": f"Bearer {token.json()['access_token']}"}
    )
    assert wallet.json()["wallet_id"] == created["wallet_id"]
    assert login(town, town.mail("hanako"), "9999").json()["code"] == "credentials_invalid"


def test_the_code_is_kept_only_as_a_keyed_hash(town: NoticeTown) -> None:
    created = town.sign_up(name="佐藤")
    assert (
        ask_code(town, town.token(created["resident_id"]), "email", town.mail("sato")).status_code
        == 202
    )
    code = code_in(Mailbox.body(town.smtp.mailbox.to(town.mail("sato"))[0]))
    stored = run_in_transaction(
        town.engine,
        lambda conn: conn.execute(
            text("SELECT code_hash FROM resident_contacts WHERE address = :a"),
            {"a": town.mail("sato")},
        ).scalar_one(),
    )
    assert len(bytes(stored)) == 32
    assert code.encode() not in bytes(stored)
    import hashlib  # noqa: PLC0415

    assert bytes(stored) != hashlib.sha256(code.encode()).digest()


def test_wrong_codes_count_and_end_the_code(town: NoticeTown) -> None:
    created = town.sign_up(name="鈴木")
    headers = town.token(created["resident_id"])
    assert ask_code(town, headers, "email", town.mail("suzuki")).status_code == 202
    code = code_in(Mailbox.body(town.smtp.mailbox.to(town.mail("suzuki"))[0]))
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for _ in range(5):
        refused = verify(town, headers, "email", wrong)
        assert (refused.status_code, refused.json()["code"]) == (422, "code_incorrect")
    ended = verify(town, headers, "email", code)
    assert (ended.status_code, ended.json()["code"]) == (410, "code_expired")
    assert login(town, town.mail("suzuki")).status_code == 401


def test_a_code_dies_after_ten_minutes(town: NoticeTown, clock: FixedClock) -> None:
    created = town.sign_up(name="高橋")
    headers = town.token(created["resident_id"])
    assert ask_code(town, headers, "email", town.mail("takahashi")).status_code == 202
    code = code_in(Mailbox.body(town.smtp.mailbox.to(town.mail("takahashi"))[0]))
    clock.advance(timedelta(minutes=10))
    headers = town.token(created["resident_id"])
    late = verify(town, headers, "email", code)
    assert (late.status_code, late.json()["code"]) == (410, "code_expired")


def test_an_e_mail_is_one_resident_s_login(town: NoticeTown) -> None:
    first, second = town.sign_up(name="伊藤"), town.sign_up(name="偽物")
    town.add_email(town.token(first["resident_id"]), town.mail("ito"))
    taken = ask_code(town, town.token(second["resident_id"]), "email", town.mail("ito"))
    assert (taken.status_code, taken.json()["code"]) == (409, "contact_taken")


def test_bad_input_is_refused_and_changes_nothing(town: NoticeTown) -> None:
    created = town.sign_up(name="渡辺")
    headers = town.token(created["resident_id"])
    for kind, address in (("email", "not-an-address"), ("phone", "12345")):
        refused = ask_code(town, headers, kind, address)
        assert (refused.status_code, refused.json()["code"]) == (422, "contact_invalid")
    nothing = verify(town, headers, "email", "123456")
    assert (nothing.status_code, nothing.json()["code"]) == (404, "contact_not_found")
    gone = town.client.delete("/v1/contacts/phone", headers=headers)
    assert (gone.status_code, gone.json()["code"]) == (404, "contact_not_found")
    assert town.client.get("/v1/notices/preferences", headers=headers).json()["contacts"] == {}


def test_a_relay_that_is_down_keeps_nothing(town: NoticeTown) -> None:
    created = town.sign_up(name="中村")
    headers = town.token(created["resident_id"])
    town.smtp.stop()
    refused = ask_code(town, headers, "email", town.mail("nakamura"))
    assert (refused.status_code, refused.json()["code"]) == (503, "notice_channel_unavailable")
    assert town.client.get("/v1/notices/preferences", headers=headers).json()["contacts"] == {}


def test_a_phone_is_verified_through_line_and_then_logs_in(town: NoticeTown) -> None:
    created = town.sign_up(name="小林")
    headers = town.token(created["resident_id"])
    unlinked = ask_code(town, headers, "phone", "090-1234-5678")
    assert (unlinked.status_code, unlinked.json()["code"]) == (409, "line_not_linked")

    user_id = new_user_id()
    town.link_line(headers, user_id)
    # As typed on a Japanese keyboard: full-width digits and minus signs.
    asked = ask_code(town, headers, "phone", "０９０−１２３４−５６７８")  # noqa: RUF001
    assert asked.status_code == 202, asked.text
    assert (asked.json()["address"], asked.json()["sent_via"]) == ("+819012345678", "line")
    code = code_in(town.line.messages_to(user_id)[-1])
    assert verify(town, headers, "phone", code).status_code == 200

    assert login(town, "090-1234-5678").status_code == 200
    assert login(town, "+81 90 1234 5678").status_code == 200


def test_the_resident_number_still_logs_in(town: NoticeTown) -> None:
    created = town.sign_up(name="加藤")
    town.add_email(town.token(created["resident_id"]), town.mail("kato"))
    assert login(town, created["resident_number"]).status_code == 200


def test_erasure_clears_the_contacts_and_their_login(town: NoticeTown, clock: FixedClock) -> None:
    created = town.sign_up(name="消える人")
    headers = town.token(created["resident_id"])
    town.add_email(headers, town.mail("erase"))
    town.opt_in(headers, ["topup"], ["email"])
    assert login(town, town.mail("erase")).status_code == 200
    # An empty wallet that never moved: retention runs seven years from its opening.
    clock.advance(timedelta(days=366 * 8))
    erased = town.client.post(
        f"/v1/residents/{created['resident_id']}/erasure", headers=town.issuer()
    )
    assert erased.status_code == 200, erased.text
    assert login(town, town.mail("erase")).status_code == 401
    left = run_in_transaction(
        town.engine,
        lambda conn: conn.execute(
            text(
                "SELECT (SELECT count(*) FROM resident_contacts c WHERE c.resident_id = r.id)"
                " + (SELECT count(*) FROM notice_preferences p WHERE p.resident_id = r.id)"
                " FROM residents r WHERE r.public_id = :pid"
            ),
            {"pid": created["resident_id"]},
        ).scalar_one(),
    )
    assert left == 0
