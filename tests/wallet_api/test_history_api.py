"""A wallet's history through the API: newest first, paginated, in words; and the whole download."""

import csv
import io
import json
from datetime import timedelta

import pytest
from sqlalchemy import Engine

from ledger.clock import FixedClock
from tests.wallet_api.test_residents_api import Town, new_town
from tests.wallet_api.test_transfers_api import Person, grant_points, person, send
from wallet_api.history_words import WORDS, Lang, describe, describe_reversal


@pytest.fixture
def town(engine: Engine, clock: FixedClock) -> Town:
    town = new_town(engine, clock)
    town.client.app.state.signups_per_window = 100  # type: ignore[attr-defined]
    return town


def history(town: Town, who: Person, **params: object) -> dict:  # type: ignore[type-arg]
    response = town.client.get("/v1/wallet/transactions", headers=who.headers, params=params)
    assert response.status_code == 200, response.text
    page: dict = response.json()  # type: ignore[type-arg]
    return page


def busy_week(town: Town) -> tuple[Person, Person]:
    """Hanako tops up at the counter, sends Taro 1,200, and gets city points."""
    hanako = person(town, "花子", money=0)
    taro = person(town, "太郎", verified=False)
    assert town.top_up(hanako.wallet_id, 5_000, "窓口-1").status_code == 201
    town.clock.advance(timedelta(minutes=1))
    assert send(town, hanako, taro.wallet_id, 1_200).status_code == 201
    town.clock.advance(timedelta(minutes=1))
    grant_points(town, hanako.wallet_id, 300)
    return hanako, taro


def test_history_is_newest_first_in_a_residents_words(town: Town) -> None:
    hanako, taro = busy_week(town)
    page = history(town, hanako)
    assert page["has_more"] is False
    assert [(line["kind"], line["amount"], line["description"]) for line in page["data"]] == [
        ("points.grant", 300, "行政ポイントの付与"),
        ("p2p", -1_200, "ほかの利用者へ送金"),
        ("topup.counter", 5_000, "窓口でチャージ"),
    ]
    assert page["data"][2]["created_at"] == town.clock.now().replace(minute=0).isoformat()
    seen_by_taro = history(town, taro, lang="en")["data"]
    assert [(line["amount"], line["description"]) for line in seen_by_taro] == [
        (1_200, "Received from 花子")
    ]
    english = [line["description"] for line in history(town, hanako, lang="en")["data"]]
    assert english == [
        "City points granted",
        "Sent to another resident",
        "Top-up at the bank counter",
    ]


def test_sending_one_yen_does_not_tell_the_sender_the_recipients_name(town: Town) -> None:
    """A shop owner who learnt a customer's wallet id sends it ¥1 from their own wallet:
    their history does not name the customer; the customer sees who sent it."""
    owner = person(town, "八百屋の店主", money=100)
    customer = person(town, "山田花子")
    assert send(town, owner, customer.wallet_id, 1).status_code == 201
    for lang in ("ja", "en"):
        seen = [line["description"] for line in history(town, owner, lang=lang)["data"]]
        assert not [line for line in seen if "山田花子" in line], seen
    export = town.client.get(
        "/v1/wallet/transactions/export", headers=owner.headers, params={"format": "csv"}
    )
    assert "山田花子" not in export.content.decode("utf-8-sig")
    received = history(town, customer)["data"][0]["description"]
    assert received == "八百屋の店主さんから受け取り"


def test_history_pages_follow_the_cursor(town: Town) -> None:
    hanako = person(town, "花子")
    for n in range(5):
        assert town.top_up(hanako.wallet_id, 100 + n, f"dep-{n}").status_code == 201
        town.clock.advance(timedelta(seconds=1))
    first = history(town, hanako, limit=2)
    assert [line["amount"] for line in first["data"]] == [104, 103]
    assert first["has_more"] is True
    second = history(town, hanako, limit=2, starting_after=first["data"][-1]["id"])
    assert [line["amount"] for line in second["data"]] == [102, 101]
    last = history(town, hanako, limit=2, starting_after=second["data"][-1]["id"])
    assert ([line["amount"] for line in last["data"]], last["has_more"]) == ([100], False)


def test_history_refuses_bad_pages_and_strangers(town: Town, engine: Engine) -> None:
    hanako = person(town, "花子")
    bad = town.client.get(
        "/v1/wallet/transactions", headers=hanako.headers, params={"starting_after": "!!"}
    )
    assert (bad.status_code, bad.json()["code"]) == (422, "cursor_invalid")
    too_many = town.client.get(
        "/v1/wallet/transactions", headers=hanako.headers, params={"limit": 201}
    )
    assert (too_many.status_code, too_many.json()["code"]) == (422, "validation_error")
    assert town.client.get("/v1/wallet/transactions").status_code == 401
    assert town.client.get("/v1/wallet/transactions", headers=town.issuer()).status_code == 401
    other = new_town(engine, town.clock)
    no_wallet = town.client.get(
        "/v1/wallet/transactions", headers=hanako.headers, params={"coin": other.code}
    )
    assert (no_wallet.status_code, no_wallet.json()["code"]) == (404, "wallet_not_found")


def test_a_resident_sees_only_their_own_history(town: Town) -> None:
    hanako, _ = busy_week(town)
    jiro = person(town, "次郎")
    assert history(town, jiro)["data"] == []
    # Another wallet's cursor only positions the page in one's own history.
    cursor = history(town, hanako)["data"][0]["id"]
    assert history(town, jiro, starting_after=cursor)["data"] == []


def test_history_in_the_next_town_is_that_towns(town: Town, engine: Engine) -> None:
    hanako = person(town, "花子", money=2_000)
    other = new_town(engine, town.clock)
    assert (
        town.client.post(
            "/v1/wallets", json={"coin": other.code}, headers=hanako.headers
        ).status_code
        == 201
    )
    assert history(town, hanako, coin=other.code)["data"] == []
    assert [line["amount"] for line in history(town, hanako)["data"]] == [2_000]


def test_the_whole_history_downloads_as_csv_that_excel_reads(town: Town) -> None:
    hanako, _ = busy_week(town)
    for n in range(210):  # more than one ledger page (200 lines)
        assert town.top_up(hanako.wallet_id, 1, f"small-{n}").status_code == 201
    response = town.client.get(
        "/v1/wallet/transactions/export", headers=hanako.headers, params={"format": "csv"}
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == ["id", "created_at", "kind", "description", "amount"]
    assert len(rows) == 1 + 3 + 210
    assert rows[-2][2:] == ["p2p", "ほかの利用者へ送金", "-1200"]
    assert rows[-1][2:] == ["topup.counter", "窓口でチャージ", "5000"]
    assert sum(int(row[4]) for row in rows[1:]) == 5_000 - 1_200 + 300 + 210


def test_the_whole_history_downloads_as_json(town: Town) -> None:
    hanako, _ = busy_week(town)
    response = town.client.get(
        "/v1/wallet/transactions/export",
        headers=hanako.headers,
        params={"format": "json", "lang": "en"},
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    lines = json.loads(response.content)
    assert lines == history(town, hanako, lang="en", limit=200)["data"]
    empty = person(town, "空")
    download = town.client.get(
        "/v1/wallet/transactions/export", headers=empty.headers, params={"format": "json"}
    )
    assert json.loads(download.content) == []


def test_the_download_refuses_strangers_and_unknown_formats(town: Town) -> None:
    hanako = person(town, "花子")
    assert town.client.get("/v1/wallet/transactions/export").status_code == 401
    xml = town.client.get(
        "/v1/wallet/transactions/export", headers=hanako.headers, params={"format": "xml"}
    )
    assert (xml.status_code, xml.json()["code"]) == (422, "validation_error")


def test_every_kind_has_words_and_unknown_kinds_a_generic_phrase() -> None:
    for kind, words in WORDS.items():
        for lang in Lang:
            for amount in (1, -1):
                assert describe(kind, amount=amount, lang=lang, name="花子"), kind
        assert words.ja_in and words.en_in
    assert describe("lot.expired", amount=-10, lang=Lang.JA) == "ポイントの有効期限切れ"
    assert describe("something.new", amount=-10, lang=Lang.EN) == "Money out"
    assert describe("something.new", amount=10, lang=Lang.JA) == "入金"
    assert describe("p2p", amount=-10, lang=Lang.JA) == "ほかの利用者へ送金"
    assert describe_reversal("p2p", amount=10, lang=Lang.JA) == "「ほかの利用者へ送金」の取り消し"
    assert describe_reversal("payment", amount=10, lang=Lang.EN) == "Cancelled: Payment at a shop"
    assert describe_reversal(None, amount=10, lang=Lang.EN) == "Cancelled"


def test_a_sender_named_like_a_formula_lands_as_text_in_the_export(town: Town) -> None:
    attacker = person(town, '=HYPERLINK("http://evil.example","x")', money=1_000)
    hanako = person(town, "花子")
    assert send(town, attacker, hanako.wallet_id, 100).status_code == 201
    response = town.client.get(
        "/v1/wallet/transactions/export", headers=hanako.headers, params={"format": "csv"}
    )
    [_, line] = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert line[3].startswith("'=HYPERLINK(")
    assert line[4] == "100"
    out = town.client.get(
        "/v1/wallet/transactions/export", headers=attacker.headers, params={"format": "csv"}
    )
    amounts = [row[4] for row in csv.reader(io.StringIO(out.content.decode("utf-8-sig")))][1:]
    assert "-100" in amounts  # a negative amount stays a number
