"""Notices by e-mail through a real SMTP server: opt-in, words, once per event, a relay that is down."""

from datetime import timedelta

import pytest
from sqlalchemy import Engine, text

from ledger.clock import FixedClock
from ledger.unit_of_work import run_in_transaction
from tests.notices.notice_town import Mailbox, NoticeTown, notice_town


@pytest.fixture
def town(engine: Engine, clock: FixedClock):  # type: ignore[no-untyped-def]
    with notice_town(engine, clock) as made:
        yield made


def resident(town: NoticeTown, name: str, address: str) -> tuple[dict[str, str], dict[str, str]]:
    created = town.sign_up(name=name)
    headers = town.token(created["resident_id"])
    town.add_email(headers, address)
    return created, headers


def test_a_top_up_is_e_mailed_once_in_the_wallet_history_s_words(town: NoticeTown) -> None:
    created, headers = resident(town, "山田花子", town.mail("hanako"))
    town.opt_in(headers, ["topup"], ["email"])
    assert town.top_up(created["wallet_id"], 1_000, "dep-1").status_code == 201

    report = town.run_pass()
    again = town.run_pass()

    mails = town.smtp.mailbox.to(town.mail("hanako"))[1:]  # the first is the code
    assert [Mailbox.body(m).splitlines()[1] for m in mails] == ["窓口でチャージ: 1,000コイン"]
    assert mails[0]["Subject"] == "【テスト町コイン】窓口でチャージ: 1,000コイン"
    assert "山田" not in Mailbox.body(mails[0])
    assert (report.notices, report.delivered) == (1, 1)
    assert (again.notices, again.attempted) == (0, 0)


def test_nothing_is_sent_to_a_resident_who_did_not_opt_in_to_the_kind(town: NoticeTown) -> None:
    created, headers = resident(town, "佐藤", town.mail("sato"))
    town.opt_in(headers, ["payment"], ["email"])
    assert town.top_up(created["wallet_id"], 1_000, "dep-2").status_code == 201
    report = town.run_pass()
    assert report.notices == 0
    assert len(town.smtp.mailbox.to(town.mail("sato"))) == 1  # the code only


def test_the_books_before_opting_in_are_not_news(town: NoticeTown) -> None:
    created, headers = resident(town, "鈴木", town.mail("suzuki"))
    assert town.top_up(created["wallet_id"], 500, "dep-3").status_code == 201
    town.run_pass()
    town.opt_in(headers, ["topup"], ["email"])
    assert town.top_up(created["wallet_id"], 700, "dep-4").status_code == 201
    town.run_pass()
    bodies = [Mailbox.body(m) for m in town.smtp.mailbox.to(town.mail("suzuki"))[1:]]
    assert [b.splitlines()[1] for b in bodies] == ["窓口でチャージ: 700コイン"]


def test_a_relay_that_is_down_is_retried_and_the_resident_gets_one_mail(
    town: NoticeTown, clock: FixedClock
) -> None:
    created, headers = resident(town, "高橋", town.mail("takahashi"))
    town.opt_in(headers, ["topup"], ["email"])
    town.smtp.stop()
    assert town.top_up(created["wallet_id"], 2_000, "dep-5").status_code == 201

    down = town.run_pass()
    assert (down.attempted, down.delivered) == (1, 0)
    status, error = _delivery(town)
    assert (status, error) == ("pending", "refused")
    assert town.run_pass().attempted == 0  # not due again before its backoff

    town.smtp.start()
    clock.advance(timedelta(minutes=1))
    back = town.run_pass()
    clock.advance(timedelta(hours=2))
    later = town.run_pass()

    assert (back.delivered, later.attempted) == (1, 0)
    assert _delivery(town) == ("delivered", None)
    mails = town.smtp.mailbox.to(town.mail("takahashi"))[1:]  # the first is the code
    assert [Mailbox.body(m).splitlines()[1] for m in mails] == ["窓口でチャージ: 2,000コイン"]


def test_a_relay_down_past_a_day_gives_up(town: NoticeTown, clock: FixedClock) -> None:
    created, headers = resident(town, "伊藤", town.mail("ito"))
    town.opt_in(headers, ["topup"], ["email"])
    town.smtp.stop()
    assert town.top_up(created["wallet_id"], 300, "dep-6").status_code == 201
    town.run_pass()
    for _ in range(30):
        clock.advance(timedelta(hours=1))
        town.run_pass(scan=False)
    assert _delivery(town)[0] == "failed"
    counts = town.client.get("/v1/notices/deliveries", headers=town.issuer()).json()
    email = counts["channels"]["email"]
    assert (email["pending"], email["delivered"], email["failed"]) == (0, 0, 1)
    # Failing in a row, the relay rests: the console says until when.
    assert email["paused_until"] is not None


def test_quiet_hours_hold_a_notice_until_morning(town: NoticeTown, clock: FixedClock) -> None:
    created, headers = resident(town, "渡辺", town.mail("watanabe"))
    town.opt_in(
        headers, ["topup"], ["email"], quiet_hours={"start": "09:00", "end": "12:00"}
    )  # T0 is 10:00 in Tokyo
    assert town.top_up(created["wallet_id"], 400, "dep-7").status_code == 201
    assert town.run_pass().attempted == 0
    clock.advance(timedelta(hours=2))
    assert town.run_pass().delivered == 1
    assert len(town.smtp.mailbox.to(town.mail("watanabe"))) == 2


def test_a_pin_lockout_is_sent_at_any_hour(town: NoticeTown) -> None:
    created, headers = resident(town, "中村", town.mail("nakamura"))
    town.opt_in(headers, ["pin_locked"], ["email"], quiet_hours={"start": "09:00", "end": "12:00"})
    for _ in range(5):
        assert town.log_in(created["resident_id"], "9999").status_code in {401, 423}
    assert town.run_pass().delivered == 1
    body = Mailbox.body(town.smtp.mailbox.to(town.mail("nakamura"))[-1])
    assert "暗証番号のまちがいが続いたため" in body


def test_the_console_counts_deliveries_per_channel(town: NoticeTown) -> None:
    created, headers = resident(town, "小林", town.mail("kobayashi"))
    town.opt_in(headers, ["topup"], ["email"])
    assert town.top_up(created["wallet_id"], 100, "dep-8").status_code == 201
    town.run_pass()
    counts = town.client.get("/v1/notices/deliveries", headers=town.issuer())
    assert counts.status_code == 200, counts.text
    assert counts.json()["notices"] == 1
    assert counts.json()["channels"]["email"]["delivered"] == 1
    assert counts.json()["channels"]["line"]["delivered"] == 0


def _delivery(town: NoticeTown) -> tuple[str, str | None]:
    row = run_in_transaction(
        town.engine,
        lambda conn: conn.execute(
            text(
                "SELECT status, last_error FROM notice_deliveries WHERE coin_id = :c"
                " ORDER BY id DESC LIMIT 1"
            ),
            {"c": town.coin.coin.id},
        ).one(),
    )
    return row.status, row.last_error
