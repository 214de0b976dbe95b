"""JPQR codes: what we print passes JPQR's rules when the shop has a unified store id,
stays a plain EMVCo code of our scheme when it has none, reads back through zxing-cpp,
and stickers from before JPQR pay until the coin's transition ends."""

import dataclasses
import io
from datetime import timedelta
from typing import Any

import PIL.Image
import pytest
import zxingcpp
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Engine

from ledger.clock import FixedClock
from ledger.unit_of_work import run_in_transaction
from merchant.qr.emvco_qr import (
    JPQR_GUID,
    MERCHANT_NAME_LENGTH_MAX,
    SCHEME_GUID,
    Code,
    QrError,
    Reason,
    build_dynamic,
    build_static,
    encode,
    parse,
)
from merchant.qr.static_qr import static_payload
from tests.merchant.booking_desk import balance, create_intent, pay
from tests.merchant.qr.jpqr_rules import crc16, emvco_violations, jpqr_violations, tlv_split
from tests.merchant.shops import Shop, funded_resident, open_shop
from tests.wallet_api.test_residents_api import Town, new_town

# The published example of the reference implementation (mpm/jpqr/jpqr_test.go):
# a known good JPQR code, with other providers' templates under 29 and 31.
GO_EMV_CODE_EXAMPLE = (
    "0002016003xxx01021129300012D156000000000510A93FO3230Q31280012D15600000001030812345678"
    "26680019jp.or.paymentsjapan011300000000000010204000103060000010406000001"
    "53033925903xxx64180002JA0108メルペイ カフェ520441115802JP610710661436304DEE9"
)
STORE_ID = "12345678901230001000042000007"
TAKAYAMA: dict[str, Any] = {
    "coin_code": "SARUBOBO",
    "merchant_id": "mer_123",
    "merchant_name": "HIDA SOBA",
    "merchant_city": "TAKAYAMA",
    "mcc": "5812",
    "merchant_name_ja": "飛騨そば",
    "postal_code": "5060011",
}
# The static sticker of a shop with a store id, pinned: 26 JPQR's, 27 ours, 61, 64 JA.
HIDA_SOBA_JPQR = (
    "00020101021126680019jp.or.paymentsjapan0113123456789012302040001030600004204060000072739"
    "0012JP.LOCALCOIN0108SARUBOBO0207mer_1235204581253033925802JP5909HIDA SOBA6008TAKAYAMA"
    "6107506001164140002JA0104飛騨そば6304"
)


def tlv(data_id: str, value: str) -> str:
    return f"{data_id}{len(value):02d}{value}"


# ------------------------------------------------------------------ the rules themselves


def test_the_rules_accept_the_published_example() -> None:
    assert jpqr_violations(GO_EMV_CODE_EXAMPLE) == []


@pytest.mark.parametrize(
    ("damage", "rule"),
    [
        (("0002JA", "0002ja"), "merchant_information_language"),
        (("6107106614", "6107106614"), None),
        (("jp.or.paymentsjapan", "jp.or.paymentsjapaN"), "id"),
        (("5802JP", "5802JA"), "country_code"),
    ],
)
def test_the_rules_catch_a_broken_example(damage: tuple[str, str], rule: str | None) -> None:
    # Re-signed after the change, so the rule under test is what refuses it.
    body = GO_EMV_CODE_EXAMPLE[:-4].replace(*damage)
    payload = body + f"{crc16(body.encode('utf-8')):04X}"
    assert jpqr_violations(payload) == ([] if rule is None else [rule])


def test_the_rules_want_the_postal_code_and_no_alternate_city() -> None:
    fields = tlv_split(GO_EMV_CODE_EXAMPLE) or {}
    del fields["61"], fields["63"]
    fields["64"] += tlv("02", "東京")
    body = "".join(tlv(k, v) for k, v in fields.items()) + "6304"
    payload = body + f"{crc16(body.encode('utf-8')):04X}"
    assert jpqr_violations(payload) == ["postal_code", "merchant_information_city"]


# ------------------------------------------------------------------ our builder


def test_a_shop_with_a_store_id_gets_a_jpqr_code_matching_the_pinned_vector() -> None:
    payload = build_static(**TAKAYAMA, jpqr_store_id=STORE_ID)
    assert payload[:-4] == HIDA_SOBA_JPQR
    assert jpqr_violations(payload) == []
    qr = parse(payload)
    assert (qr.jpqr_store_id, qr.postal_code, qr.template_id) == (STORE_ID, "5060011", "27")


def test_a_shop_without_a_store_id_gets_an_emvco_code_of_our_scheme_only() -> None:
    payload = build_static(**TAKAYAMA)
    assert emvco_violations(payload) == []
    # Everything of JPQR but its identification, which only the association assigns.
    assert jpqr_violations(payload) == ["id"]
    assert "jp.or.paymentsjapan" not in payload and parse(payload).jpqr_store_id is None


def test_the_provider_code_rides_in_our_template() -> None:
    payload = build_static(**TAKAYAMA, jpqr_store_id=STORE_ID, provider_code="LC0001")
    ours = tlv_split((tlv_split(payload) or {})["27"]) or {}
    assert ours == {"00": SCHEME_GUID, "01": "SARUBOBO", "02": "mer_123", "03": "LC0001"}
    assert parse(payload).provider_code == "LC0001"


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"jpqr_store_id": "12345"}, Reason.FIELD_INVALID),
        ({"jpqr_store_id": STORE_ID, "postal_code": None}, Reason.FIELD_MISSING),
        ({"jpqr_store_id": STORE_ID, "merchant_name_ja": None}, Reason.FIELD_MISSING),
        ({"jpqr_store_id": STORE_ID, "merchant_city_ja": "高山市"}, Reason.FIELD_INVALID),
        ({"postal_code": "506-0011"}, Reason.FIELD_INVALID),
        ({"provider_code": "LC-1"}, Reason.FIELD_INVALID),
    ],
)
def test_the_builder_refuses_what_jpqr_forbids(changes: dict[str, Any], reason: Reason) -> None:
    with pytest.raises(QrError) as caught:
        build_static(**(TAKAYAMA | changes))
    assert (caught.value.code, caught.value.reason) == (Code.QR_FIELD_INVALID, reason)


def test_a_combined_sticker_pays_us_from_any_template_id() -> None:
    # A shared JPQR sticker: the association's example plus our template under 41.
    ours = tlv("00", SCHEME_GUID) + tlv("01", "SARUBOBO") + tlv("02", "mer_123")
    body = GO_EMV_CODE_EXAMPLE[:-8] + tlv("41", ours) + "6304"
    payload = body + f"{crc16(body.encode('utf-8')):04X}"
    assert jpqr_violations(payload) == []
    qr = parse(payload)
    assert (qr.merchant_id, qr.template_id, qr.jpqr_store_id) == (
        "mer_123",
        "41",
        "00000000000010001000001000001",
    )


store_ids = st.from_regex(r"[0-9]{29}", fullmatch=True)
names_ja = st.text(
    st.characters(categories=("L", "N")), min_size=1, max_size=MERCHANT_NAME_LENGTH_MAX
)


@given(
    store_id=store_ids,
    postal=st.from_regex(r"[0-9]{7}", fullmatch=True),
    name_ja=names_ja,
    amount=st.integers(1, 10**9),
)
def test_every_code_with_a_store_id_passes_the_jpqr_rules(
    store_id: str, postal: str, name_ja: str, amount: int
) -> None:
    shop = TAKAYAMA | {"postal_code": postal, "merchant_name_ja": name_ja}
    static = build_static(**shop, jpqr_store_id=store_id)
    dynamic = build_dynamic(**shop, jpqr_store_id=store_id, amount_yen=amount, reference="pi_1")
    assert jpqr_violations(static) == [] == jpqr_violations(dynamic)
    assert parse(static).jpqr_store_id == store_id == parse(dynamic).jpqr_store_id


# ------------------------------------------------------------------ through the API


@pytest.fixture
def town(engine: Engine, clock: FixedClock) -> Town:
    return new_town(engine, clock)


def jpqr_shop(town: Town, **changes: Any) -> Shop:
    location = {
        "postal_code": "5060011",
        "city": "高山市",
        "city_romaji": "TAKAYAMA",
        "jpqr_store_id": STORE_ID,
    }
    return open_shop(town, name="飛騨そば", **(location | changes))


def read_png(town: Town, shop: Shop) -> list[str]:
    png = town.client.get("/v1/merchant/qr.png?module_px=6", headers=shop.headers)
    assert png.status_code == 200, png.text
    return [r.text for r in zxingcpp.read_barcodes(PIL.Image.open(io.BytesIO(png.content)))]


def test_the_sticker_of_a_shop_with_a_store_id_is_jpqr_and_scans(town: Town) -> None:
    shop = jpqr_shop(town)
    payload = town.client.get("/v1/merchant/qr", headers=shop.headers).json()["qr_payload"]
    assert jpqr_violations(payload) == []
    fields = tlv_split(payload) or {}
    assert (fields["60"], fields["61"]) == ("TAKAYAMA", "5060011")
    assert (tlv_split(fields["26"]) or {})["00"] == JPQR_GUID
    assert read_png(town, shop) == [payload]


def test_the_sticker_of_a_shop_without_one_is_emvco_and_scans(town: Town) -> None:
    shop = jpqr_shop(town, jpqr_store_id=None)
    payload = town.client.get("/v1/merchant/qr", headers=shop.headers).json()["qr_payload"]
    assert emvco_violations(payload) == [] and jpqr_violations(payload) == ["id"]
    assert read_png(town, shop) == [payload]


def test_an_intents_code_of_a_jpqr_shop_passes_the_rules_and_pays(town: Town) -> None:
    shop = jpqr_shop(town)
    intent = create_intent(town, shop, 700)
    assert jpqr_violations(intent["qr_payload"]) == []
    payer = funded_resident(town, 1_000)
    assert pay(town, payer, intent["qr_payload"]).status_code == 201
    assert balance(town, payer)["total"] == 300


def test_a_jpqr_sticker_pays(town: Town) -> None:
    shop = jpqr_shop(town)
    payer = funded_resident(town, 1_000)
    sticker = run_in_transaction(town.engine, lambda c: static_payload(c, shop.merchant))
    paid = pay(town, payer, sticker, 480)
    assert paid.status_code == 201, paid.text


def old_sticker(town: Town, shop: Shop) -> str:
    """The shop's sticker as printed before JPQR: our template under 26, no 61."""
    current = parse(run_in_transaction(town.engine, lambda c: static_payload(c, shop.merchant)))
    return encode(dataclasses.replace(current, template_id="26", postal_code=None))


def test_an_old_sticker_pays_until_the_coins_transition_ends(town: Town) -> None:
    shop = open_shop(town, name="八百屋")
    payer = funded_resident(town, 1_000)
    payload = old_sticker(town, shop)
    assert payload.startswith("00020101021126") and parse(payload).is_legacy
    assert pay(town, payer, payload, 100).status_code == 201  # no end set: it pays

    end = town.clock.now() + timedelta(days=30)
    settings = {"jpqr_provider_code": None, "legacy_template_until": end.isoformat()}
    set_up = town.client.post("/v1/qr_settings", json=settings, headers=town.issuer())
    assert set_up.status_code == 200, set_up.text
    assert pay(town, payer, payload, 100).status_code == 201  # before the end: it pays

    town.clock.advance(timedelta(days=30))
    payer = funded_resident(town, 1_000)
    refused = pay(town, payer, payload, 100)
    assert (refused.status_code, refused.json()["code"]) == (422, "qr_template_retired")
    preview = town.client.post(
        "/v1/wallet/payments/preview", json={"qr_payload": payload}, headers=payer.headers
    )
    assert (preview.status_code, preview.json()["code"]) == (422, "qr_template_retired")
    assert balance(town, payer)["total"] == 1_000
    # The new sticker of the same shop still pays.
    new = run_in_transaction(town.engine, lambda c: static_payload(c, shop.merchant))
    assert pay(town, payer, new, 100).status_code == 201


def test_the_coins_provider_code_goes_into_every_new_code(town: Town) -> None:
    shop = jpqr_shop(town)
    body = {"jpqr_provider_code": "LC0001", "legacy_template_until": None}
    saved = town.client.post("/v1/qr_settings", json=body, headers=town.issuer())
    assert saved.status_code == 200, saved.text
    assert town.client.get("/v1/qr_settings", headers=town.issuer()).json() == body
    payload = town.client.get("/v1/merchant/qr", headers=shop.headers).json()["qr_payload"]
    assert parse(payload).provider_code == "LC0001" and jpqr_violations(payload) == []


def test_a_bad_provider_code_is_refused_and_changes_nothing(town: Town) -> None:
    body = {"jpqr_provider_code": "LC-0001", "legacy_template_until": None}
    refused = town.client.post("/v1/qr_settings", json=body, headers=town.issuer())
    assert (refused.status_code, refused.json()["code"]) == (422, "qr_settings_invalid")
    assert town.client.get("/v1/qr_settings", headers=town.issuer()).json() == {
        "jpqr_provider_code": None,
        "legacy_template_until": None,
    }
