"""LINE through the stand-in: account linking, push notices with nothing personal, LINE down,
a lost answer retried under the same retry key (one message), and the webhook's signature."""

from datetime import timedelta

import pytest
from sqlalchemy import Engine, text

from ledger.clock import FixedClock
from ledger.unit_of_work import run_in_transaction
from tests.fakes.line_server import new_user_id, sign
from tests.notices.notice_town import NoticeTown, notice_town


@pytest.fixture
def town(engine: Engine, clock: FixedClock):  # type: ignore[no-untyped-def]
    with notice_town(engine, clock) as made:
        yield made


def linked(town: NoticeTown, name: str) -> tuple[dict[str, str], dict[str, str], str]:
    created = town.sign_up(name=name)
    response = town.client.post(
        f"/v1/residents/{created['resident_id']}/verify",
        json={"method": "my_number_card", "reference": f"KYC-{name}"},
        headers=town.issuer(),
    )
    assert response.status_code == 200, response.text
    headers = town.token(created["resident_id"])
    user_id = new_user_id()
    town.link_line(headers, user_id)
    return created, headers, user_id


def test_account_linking_ties_the_line_user_to_the_wallet(town: NoticeTown) -> None:
    _, headers, user_id = linked(town, "山田花子")
    preferences = town.client.get("/v1/notices/preferences", headers=headers).json()
    assert preferences["contacts"]["line"] == {"address": None, "verified": True}
    # The user was answered twice: the link, then the confirmation.
    texts = [reply["messages"][0]["text"] for reply in town.line.replies]
    assert "line_link=" in texts[0] and texts[1].startswith("通知の連携ができました")
    assert user_id not in str(preferences)


def test_money_from_family_is_pushed_without_names(town: NoticeTown) -> None:
    sender, sender_headers, _ = linked(town, "山田太郎")
    receiver, headers, user_id = linked(town, "山田花子")
    town.opt_in(headers, ["money_received"], ["line"])
    assert town.top_up(sender["wallet_id"], 5_000, "dep-1").status_code == 201
    sent = town.client.post(
        "/v1/wallet/transfers",
        json={"to_wallet_id": receiver["wallet_id"], "amount": 1_500},
        headers=sender_headers,
    )
    assert sent.status_code == 201, sent.text

    assert town.run_pass().delivered == 1

    [message] = town.line.messages_to(user_id)
    assert message.splitlines()[1] == "ほかの利用者から受け取り: 1,500コイン"
    for personal in ("山田", receiver["wallet_id"], receiver["resident_id"], "5,000", "3,500"):
        assert personal not in message


def test_line_down_is_retried_and_the_resident_gets_one_message(
    town: NoticeTown, clock: FixedClock
) -> None:
    created, headers, user_id = linked(town, "佐藤")
    town.opt_in(headers, ["topup"], ["line"])
    town.line.down = True
    assert town.top_up(created["wallet_id"], 1_000, "dep-2").status_code == 201
    assert town.run_pass().delivered == 0
    town.line.down = False
    clock.advance(timedelta(minutes=1))
    assert town.run_pass().delivered == 1
    clock.advance(timedelta(hours=3))
    town.run_pass()
    assert town.line.messages_to(user_id) == [
        "テスト町コイン\n窓口でチャージ: 1,000コイン\n11月23日 10:00\n"
        "くわしくはアプリの「履歴」をご覧ください。"
    ]
    assert town.line.push_attempts == 2


def test_an_answer_lost_after_line_took_the_push_is_not_a_second_message(
    town: NoticeTown, clock: FixedClock
) -> None:
    created, headers, user_id = linked(town, "鈴木")
    town.opt_in(headers, ["topup"], ["line"])
    town.line.lose_answers = True
    assert town.top_up(created["wallet_id"], 800, "dep-3").status_code == 201
    assert town.run_pass().delivered == 0
    town.line.lose_answers = False
    clock.advance(timedelta(minutes=1))
    # The retry carries the same X-Line-Retry-Key: LINE answers 409, delivered.
    assert town.run_pass().delivered == 1
    assert len(town.line.messages_to(user_id)) == 1
    assert town.line.push_attempts == 2


def test_an_unsigned_or_forged_event_is_refused(town: NoticeTown) -> None:
    body = b'{"events": [{"type": "unfollow", "source": {"userId": "U00"}}]}'
    unsigned = town.client.post("/v1/line/webhook", content=body)
    forged = town.client.post(
        "/v1/line/webhook", content=body, headers={"x-line-signature": sign("guess", body)}
    )
    for refused in (unsigned, forged):
        assert (refused.status_code, refused.json()["code"]) == (400, "signature_invalid")


def test_blocking_the_account_unlinks_it(town: NoticeTown) -> None:
    _, headers, user_id = linked(town, "高橋")
    event = {"type": "unfollow", "source": {"type": "user", "userId": user_id}}
    assert town.line.send_event(event) == 200
    preferences = town.client.get("/v1/notices/preferences", headers=headers).json()
    assert "line" not in preferences["contacts"]


def test_a_link_token_of_the_wrong_shape_is_refused(town: NoticeTown) -> None:
    created = town.sign_up(name="伊藤")
    response = town.client.post(
        "/v1/notices/line/link",
        json={"link_token": "not a token!"},
        headers=town.token(created["resident_id"]),
    )
    assert (response.status_code, response.json()["code"]) == (422, "link_token_invalid")


def test_a_used_nonce_links_nobody_else(town: NoticeTown) -> None:
    _, headers, user_id = linked(town, "渡辺")
    other = new_user_id()
    replayed = {
        "type": "accountLink",
        "source": {"type": "user", "userId": other},
        "link": {"result": "ok", "nonce": "a-nonce-already-used-or-never-given"},
    }
    assert town.line.send_event(replayed) == 200
    preferences = town.client.get("/v1/notices/preferences", headers=headers).json()
    assert preferences["contacts"]["line"]["verified"] is True
    linked_users = run_in_transaction(
        town.engine,
        lambda conn: (
            conn.execute(
                text(
                    "SELECT address FROM resident_contacts WHERE kind = 'line' AND address IN (:a, :b)"
                ),
                {"a": user_id, "b": other},
            )
            .scalars()
            .all()
        ),
    )
    assert linked_users == [user_id]
