"""A batch's Zengin file, byte by byte: header, one data record per merchant, trailer, end."""

import pytest
from sqlalchemy import Engine, text

from ledger.clock import FixedClock
from ledger.unit_of_work import run_in_transaction
from tests.settlement.settlement_day import (
    ORIGINATOR,
    ask_payout,
    cashouts,
    closed_batch,
    exported_batch,
    funded_shop,
    set_originator,
)
from tests.wallet_api.test_residents_api import Town, new_town


@pytest.fixture
def town(engine: Engine, clock: FixedClock) -> Town:
    return new_town(engine, clock)


def records(data: bytes) -> list[bytes]:
    lines = data.split(b"\r\n")
    assert lines[-1] == b""
    return lines[:-1]


def batch_row_id(town: Town, public_id: str) -> int:
    row_id: int = run_in_transaction(
        town.engine,
        lambda c: c.execute(
            text("SELECT id FROM settlement_batches WHERE public_id = :p"), {"p": public_id}
        ).scalar_one(),
    )
    return row_id


def test_a_merchants_payouts_in_one_batch_are_one_transfer_of_their_summed_net(
    town: Town,
) -> None:
    """The bank charges per record: the file's record count is the merchants paid."""
    shop = funded_shop(town, 20_000)
    first, second = ask_payout(town, shop, 3_000), ask_payout(town, shop, 5_000)
    (other,) = cashouts(town, [4_000])
    batch, data = exported_batch(town)
    assert batch["totals"]["count"] == 3
    lines = records(data)
    assert [line[0:1] for line in lines] == [b"1", b"2", b"2", b"8", b"9"]
    nets = [int(line[80:90]) for line in lines[1:3]]
    assert nets == [first.amount - first.fee + second.amount - second.fee, 3_936]
    assert [int(line[91:101]) for line in lines[1:3]] == [shop.merchant.id, other.shop.merchant.id]
    assert (int(lines[3][1:7]), int(lines[3][7:19])) == (2, batch["totals"]["net"])


def test_the_file_pays_each_merchant_its_net_and_the_trailer_adds_up(town: Town) -> None:
    made = cashouts(town, [10_000, 5_000, 777])
    batch, data = exported_batch(town)
    lines = records(data)
    assert [len(line) for line in lines] == [120] * 6
    assert [line[0:1] for line in lines] == [b"1", b"2", b"2", b"2", b"8", b"9"]
    header = lines[0]
    assert header[1:3] == b"21" and header[3:4] == b"0"
    assert header[4:14] == b"1234567890"
    assert header[14:54].decode("cp932").rstrip() == "ﾃｽﾄｼﾝｷﾝ"
    assert header[54:58] == b"1124"  # the transfer date, 11/24
    assert (header[58:62], header[77:80]) == (b"0001", b"001")
    assert (header[95:96], header[96:103]) == (b"1", b"7654321")
    nets = []
    for line, cashout in zip(lines[1:4], made, strict=True):
        account = cashout.shop.merchant.bank_account
        assert line[1:5].decode() == account.bank_code
        assert line[20:23].decode() == account.branch_code
        assert line[38:42] == b"0000"
        assert line[42:43] == b"1"
        assert line[43:50].decode() == account.account_number
        assert line[50:80].decode("cp932").rstrip() == account.holder_kana
        nets.append(int(line[80:90]))
        assert int(line[91:101]) == cashout.shop.merchant.id
        assert int(line[101:111]) == batch_row_id(town, batch["id"])
    # 1.6% rounded up per payout: 160, 80 and 13 (12.4 on 777).
    assert nets == [9_840, 4_920, 764]
    trailer = lines[4]
    assert (int(trailer[1:7]), int(trailer[7:19])) == (3, sum(nets))
    assert sum(nets) == batch["totals"]["net"]
    assert lines[5] == b"9" + b" " * 119


def test_the_issuers_transfer_designation_goes_into_every_transfer(town: Town) -> None:
    cashouts(town, [3_000, 4_000])
    issuer = town.issuer()
    refused = town.client.post(
        "/v1/settlement/settings", json={"transfer_designation": "9"}, headers=issuer
    )
    assert refused.status_code == 422, refused.text
    kept = town.client.post("/v1/settlement/settings", json={}, headers=issuer).json()
    assert kept["transfer_designation"] == ""
    chosen = town.client.post(
        "/v1/settlement/settings", json={"transfer_designation": "7"}, headers=issuer
    )
    assert chosen.json()["transfer_designation"] == "7"
    # Setting the account afterwards keeps the designation.
    _, data = exported_batch(town)
    lines = records(data)
    assert [line[111:112] for line in lines[1:3]] == [b"7", b"7"]
    assert lines[0][111:112] == b" "  # the header's dummy area stays blank


def test_downloading_exports_the_batch_once_and_again_gives_the_same_bytes(town: Town) -> None:
    cashouts(town, [3_000])
    batch, first = exported_batch(town)
    again = town.client.get(f"/v1/settlement/batches/{batch['id']}/zengin", headers=town.issuer())
    assert again.content == first
    assert again.headers["content-type"] == "text/plain; charset=Shift_JIS"
    assert again.headers["content-disposition"].startswith('attachment; filename="zengin_20261123')
    shown = town.client.get(f"/v1/settlement/batches/{batch['id']}", headers=town.issuer()).json()
    assert shown["status"] == "exported"
    assert [(e["from"], e["to"]) for e in shown["events"]][-1] == ("closed", "exported")
    assert len(shown["events"]) == 3


def test_a_record_that_cannot_be_written_refuses_the_file_and_the_batch_stays_closed(
    town: Town,
) -> None:
    good, bad = cashouts(town, [3_000, 4_000])
    set_originator(town)
    batch = closed_batch(town)
    # A bank that left the code list after the merchant was onboarded.
    run_in_transaction(
        town.engine,
        lambda c: c.execute(
            text("UPDATE merchants SET bank_code = '9999' WHERE coin_id = :coin AND id = :id"),
            {"coin": town.coin.coin.id, "id": bad.shop.merchant.id},
        ),
    )
    refused = town.client.get(f"/v1/settlement/batches/{batch['id']}/zengin", headers=town.issuer())
    assert (refused.status_code, refused.json()["code"]) == (422, "bank_unknown")
    assert bad.payout.public_id in refused.json()["detail"]
    shown = town.client.get(f"/v1/settlement/batches/{batch['id']}", headers=town.issuer())
    assert shown.json()["status"] == "closed"
    assert good.payout.public_id != bad.payout.public_id


def test_no_file_before_the_issuer_sets_its_originating_account(town: Town) -> None:
    cashouts(town, [3_000])
    batch = closed_batch(town)
    refused = town.client.get(f"/v1/settlement/batches/{batch['id']}/zengin", headers=town.issuer())
    assert (refused.status_code, refused.json()["code"]) == (409, "originator_not_set")


def test_an_originating_account_outside_the_code_list_is_refused(town: Town) -> None:
    bad = town.client.post(
        "/v1/settlement/settings",
        json={
            "originator": {
                "requester_code": "12",
                "name": "テストシンキン",
                "bank_code": "0001",
                "branch_code": "998",
                "account_type": "ordinary",
                "account_number": "1",
            }
        },
        headers=town.issuer(),
    )
    assert (bad.status_code, bad.json()["code"]) == (422, "branch_unknown")
    settings = town.client.post("/v1/settlement/settings", json={}, headers=town.issuer())
    assert settings.json() == {
        "cut_off": "15:00",
        "transfer_designation": "",
        "invoice_registration_number": None,
        "originator": None,
    }


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("requester_code", "12a", "requester_code_invalid"),
        ("bank_code", "01", "bank_code_invalid"),
        ("bank_code", "9998", "bank_unknown"),
        ("branch_code", "1", "branch_code_invalid"),
        ("account_number", "12a", "account_number_invalid"),
        ("name", "\u3000", "name_empty"),
        ("name", "飛騨信用組合", "name_not_representable"),
        ("name", "ア" * 41, "name_too_long"),
    ],
)
def test_an_originating_account_the_bank_file_cannot_carry_is_refused(
    town: Town, field: str, value: str, code: str
) -> None:
    bad = town.client.post(
        "/v1/settlement/settings",
        json={"originator": ORIGINATOR | {field: value}},
        headers=town.issuer(),
    )
    assert (bad.status_code, bad.json()["code"]) == (422, code)
    settings = town.client.post("/v1/settlement/settings", json={}, headers=town.issuer())
    assert settings.json()["originator"] is None


def test_an_open_batch_has_no_file(town: Town) -> None:
    cashouts(town, [3_000])
    set_originator(town)
    batch = closed_batch(town)
    # Closing commits with the opening, so no request meets an open batch: one is written
    # around Python, to prove the file waits for the closing.
    run_in_transaction(
        town.engine,
        lambda c: c.execute(
            text(
                "UPDATE settlement_batches SET status = 'open', closed_at = NULL"
                " WHERE coin_id = :coin"
            ),
            {"coin": town.coin.coin.id},
        ),
    )
    refused = town.client.get(f"/v1/settlement/batches/{batch['id']}/zengin", headers=town.issuer())
    assert (refused.status_code, refused.json()["code"]) == (409, "batch_not_closed")
    shown = town.client.get(f"/v1/settlement/batches/{batch['id']}", headers=town.issuer())
    assert shown.json()["status"] == "open"
