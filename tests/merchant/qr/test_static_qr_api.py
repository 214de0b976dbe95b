"""A merchant's static QR through the API: the payload, and images that read back to it."""

import io
import xml.etree.ElementTree as ET

import PIL.Image
import pytest
import zxingcpp
from sqlalchemy import Engine

from ledger.clock import FixedClock
from merchant.qr.emvco_qr import Initiation, parse
from tests.merchant.shops import open_shop
from tests.wallet_api.test_residents_api import Town, new_town


@pytest.fixture
def town(engine: Engine, clock: FixedClock) -> Town:
    return new_town(engine, clock)


def test_the_static_payload_names_the_coin_and_the_merchant(town: Town) -> None:
    shop = open_shop(town, name="八百屋", category="food")
    response = town.client.get("/v1/merchant/qr", headers=shop.headers)
    assert response.status_code == 200, response.text
    qr = parse(response.json()["qr_payload"])
    assert qr.initiation is Initiation.STATIC
    assert (qr.coin_code, qr.merchant_id) == (town.code, shop.merchant.public_id)
    assert (qr.amount_yen, qr.reference) == (None, None)
    # Field 59 is ASCII: the kana name (ﾔｵﾔ) romanised; the Japanese name rides in 64.
    assert qr.merchant_name == "YAOYA"
    assert qr.merchant_name_ja == shop.merchant.name
    assert qr.mcc == "5812"


def test_an_ascii_name_is_used_as_it_is(town: Town) -> None:
    shop = open_shop(town, name="Hida Soba", category="some_new_kind")
    qr = parse(town.client.get("/v1/merchant/qr", headers=shop.headers).json()["qr_payload"])
    assert qr.merchant_name == shop.merchant.name
    # JPQR wants template 64 on every code, so an ASCII name rides there too.
    assert (qr.merchant_name_ja, qr.mcc) == (shop.merchant.name, "5999")


def test_the_png_decodes_to_the_same_merchant(town: Town) -> None:
    shop = open_shop(town)
    payload = town.client.get("/v1/merchant/qr", headers=shop.headers).json()["qr_payload"]
    png = town.client.get("/v1/merchant/qr.png?module_px=6", headers=shop.headers)
    assert (png.status_code, png.headers["content-type"]) == (200, "image/png")
    image = PIL.Image.open(io.BytesIO(png.content))
    read = [result.text for result in zxingcpp.read_barcodes(image)]
    assert read == [payload]
    assert parse(read[0]).merchant_id == shop.merchant.public_id


def test_the_svg_is_an_svg_drawing(town: Town) -> None:
    shop = open_shop(town)
    svg = town.client.get("/v1/merchant/qr.svg", headers=shop.headers)
    assert (svg.status_code, svg.headers["content-type"]) == (200, "image/svg+xml")
    assert ET.fromstring(svg.text).tag == "{http://www.w3.org/2000/svg}svg"


def test_each_merchant_gets_its_own_code_and_others_keys_get_nothing(town: Town) -> None:
    one, two = open_shop(town), open_shop(town)
    first = town.client.get("/v1/merchant/qr", headers=one.headers).json()["qr_payload"]
    second = town.client.get("/v1/merchant/qr", headers=two.headers).json()["qr_payload"]
    assert parse(second).merchant_id == two.merchant.public_id != parse(first).merchant_id
    issuer = town.client.get("/v1/merchant/qr", headers=town.issuer())
    assert (issuer.status_code, issuer.json()["code"]) == (403, "forbidden")
    assert town.client.get("/v1/merchant/qr.png").status_code == 401
