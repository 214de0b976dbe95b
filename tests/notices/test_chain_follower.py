"""Money notices come from the sealed books after commit: nothing in the entry's own
transaction, every sealed entry read once, in chain order, by a cursor that moves with them."""

from datetime import timedelta

import pytest
from sqlalchemy import Engine, text

from kit.notice_outbox import NoticeKind
from ledger.clock import FixedClock
from ledger.unit_of_work import run_in_transaction
from localcoin.sealer import seal_coin
from notices.chain_follower import follow, notice_kind
from notices.expiry_scan import due_warning
from tests.notices.notice_town import Mailbox, NoticeTown, notice_town


@pytest.fixture
def town(engine: Engine, clock: FixedClock):  # type: ignore[no-untyped-def]
    with notice_town(engine, clock) as made:
        yield made


@pytest.mark.parametrize(
    ("entry_kind", "amount", "kind"),
    [
        ("payment", -500, NoticeKind.PAYMENT),
        ("charge", -500, NoticeKind.PAYMENT),
        ("hold.capture", -500, NoticeKind.PAYMENT),
        ("payment", 500, NoticeKind.REFUND),
        ("refund", 500, NoticeKind.REFUND),
        ("p2p", 500, NoticeKind.MONEY_RECEIVED),
        ("p2p", -500, None),
        ("points.grant", 500, NoticeKind.POINTS_GRANTED),
        ("topup.bonus", 10, NoticeKind.POINTS_GRANTED),
        ("topup.atm", 500, NoticeKind.TOPUP),
        ("topup.card.refunded", -500, None),
        ("lot.expired", -500, None),
        ("reversal", 500, None),
    ],
)
def test_which_entries_make_which_notices(
    entry_kind: str, amount: int, kind: NoticeKind | None
) -> None:
    assert notice_kind(entry_kind, amount) is kind


@pytest.mark.parametrize(
    ("days_left", "due"), [(45, None), (31, None), (30, 30), (8, 30), (7, 7), (0, 7), (-1, None)]
)
def test_only_the_nearest_expiry_warning_is_due(days_left: int, due: int | None) -> None:
    assert due_warning(days_left, (30, 7)) == due


def _notices(town: NoticeTown) -> list[tuple[str, str]]:
    return run_in_transaction(
        town.engine,
        lambda conn: [
            (row.kind, row.source)
            for row in conn.execute(
                text("SELECT kind, source FROM notices WHERE coin_id = :c ORDER BY id"),
                {"c": town.coin.coin.id},
            )
        ],
    )


def _cursor(town: NoticeTown) -> int:
    index: int = run_in_transaction(
        town.engine,
        lambda conn: conn.execute(
            text("SELECT coalesce(max(chain_index), 0) FROM notice_cursors WHERE coin_id = :c"),
            {"c": town.coin.coin.id},
        ).scalar_one(),
    )
    return index


def _follow(town: NoticeTown) -> tuple[int, int]:
    report = run_in_transaction(
        town.engine,
        lambda conn: follow(conn, coin_id=town.coin.coin.id, at=town.clock.now()),
    )
    return report.entries, report.notices


def test_the_entry_s_transaction_writes_no_notice_and_the_sealed_entry_is_read_once(
    town: NoticeTown,
) -> None:
    created = town.sign_up(name="山田")
    headers = town.token(created["resident_id"])
    town.add_email(headers, town.mail("yamada"))
    town.opt_in(headers, ["topup"], ["email"])
    assert town.top_up(created["wallet_id"], 1_000, "dep-1").status_code == 201
    # Committed, not sealed yet: the books hold it, the notices do not.
    assert _notices(town) == []
    assert _follow(town) == (0, 0)

    seal_coin(town.engine, town.coin.coin.id, town.clock)
    head = _cursor(town)
    entries, written = _follow(town)
    assert (entries, written) == (1, 1)
    assert _cursor(town) == head + 1
    assert _follow(town) == (0, 0)
    [(kind, source)] = _notices(town)
    assert kind == "topup" and source.startswith("entry:")


def test_a_cursor_set_back_writes_no_second_notice(town: NoticeTown) -> None:
    created = town.sign_up(name="佐藤")
    headers = town.token(created["resident_id"])
    town.add_email(headers, town.mail("sato"))
    town.opt_in(headers, ["topup"], ["email"])
    assert town.top_up(created["wallet_id"], 1_000, "dep-2").status_code == 201
    town.run_pass()
    run_in_transaction(
        town.engine,
        lambda conn: conn.execute(
            text("UPDATE notice_cursors SET chain_index = 0 WHERE coin_id = :c"),
            {"c": town.coin.coin.id},
        ),
    )
    report = town.run_pass()
    assert (report.notices, report.attempted) == (0, 0)
    assert len(_notices(town)) == 1


def test_points_granted_and_then_about_to_expire(town: NoticeTown, clock: FixedClock) -> None:
    created = town.sign_up(name="鈴木")
    headers = town.token(created["resident_id"])
    town.add_email(headers, town.mail("suzuki"))
    town.opt_in(headers, ["points_granted", "expiring"], ["email"])
    expires = clock.now() + timedelta(days=40)
    granted = town.client.post(
        "/v1/points/grants",
        json={
            "wallet_ids": [created["wallet_id"]],
            "amount": 500,
            "reason": "健診ポイント",
            "expires_at": expires.isoformat(),
        },
        headers=town.municipality(),
    )
    assert granted.status_code == 201, granted.text
    town.run_pass()
    clock.advance(timedelta(days=10))
    town.run_pass()
    town.run_pass()
    clock.advance(timedelta(days=23))
    town.run_pass()

    kinds = [kind for kind, _ in _notices(town)]
    assert kinds == ["points_granted", "expiring", "expiring"]
    bodies = [Mailbox.body(m) for m in town.smtp.mailbox.to(town.mail("suzuki"))[1:]]
    assert bodies[0].splitlines()[1] == "行政ポイントの付与: 500コイン"
    assert "ポイント 500コインの有効期限は1月2日です（あと30日）" in bodies[1]  # noqa: RUF001
    assert "（あと7日）" in bodies[2]  # noqa: RUF001
