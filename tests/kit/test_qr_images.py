"""QR images: what a phone camera reads off the screen is the payload, exactly."""

import io
import xml.etree.ElementTree as ET

import PIL.Image
import pytest
import zxingcpp

from kit.qr_images import QUIET_ZONE_MODULES, render_png, render_svg
from merchant.qr.emvco_qr import build_dynamic, build_static

SVG_NS = "{http://www.w3.org/2000/svg}"

STATIC = build_static(
    coin_code="SARUBOBO",
    merchant_id="m_123",
    merchant_name="Hida Soba",
    merchant_city="Takayama",
    mcc="5812",
)
DYNAMIC_JA = build_dynamic(
    coin_code="SARUBOBO",
    merchant_id="m_123",
    merchant_name="Hida Soba",
    merchant_city="Takayama",
    mcc="5812",
    amount_yen=1200,
    reference="pi_01HXYZ",
    merchant_name_ja="飛騨そば",
    merchant_city_ja="高山市",
)


def decode(png: bytes) -> list[str]:
    image = PIL.Image.open(io.BytesIO(png))
    return [result.text for result in zxingcpp.read_barcodes(image)]


@pytest.mark.parametrize("payload", [STATIC, DYNAMIC_JA], ids=["static", "dynamic_ja"])
def test_a_png_decodes_to_exactly_the_payload(payload: str) -> None:
    assert decode(render_png(payload)) == [payload]


def test_the_png_is_a_png_with_a_white_quiet_zone() -> None:
    png = render_png(STATIC, module_px=4)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    image = PIL.Image.open(io.BytesIO(png)).convert("L")
    border_px = QUIET_ZONE_MODULES * 4
    width, height = image.size
    assert width == height
    top = image.crop((0, 0, width, border_px))
    left = image.crop((0, 0, border_px, height))
    assert top.getextrema() == (255, 255) and left.getextrema() == (255, 255)
    # Just inside the quiet zone sits the top-left finder pattern, which is dark.
    assert image.getpixel((border_px, border_px)) == 0


def test_an_svg_is_one_scalable_drawing_of_the_symbol() -> None:
    svg = render_svg(DYNAMIC_JA)
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG_NS}svg"
    assert root.get("viewBox") is not None
    drawn = [e for e in root.iter() if e.tag in {f"{SVG_NS}path", f"{SVG_NS}rect"}]
    assert drawn and all(e.get("d") or e.get("width") for e in drawn)


def test_render_refuses_an_empty_payload() -> None:
    # An empty payload is a programmer error: emvco_qr never builds one.
    with pytest.raises(AssertionError):
        render_png("")
