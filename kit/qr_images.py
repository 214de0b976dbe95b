"""QR code images of a payload: PNG for screens and kiosks, SVG for print.

Error correction level M (about 15% of the symbol may be damaged or covered)
and the 4-module quiet zone the QR standard requires. The payload is encoded as
UTF-8 bytes, as EMVCo asks for template 64's non-ASCII names. Nothing here
knows what the payload means; ``emvco_qr`` builds it.

Attributes:
    QUIET_ZONE_MODULES: the white border around the symbol, in modules.
    MODULE_PX_DEFAULT: the side of one module in a PNG, in pixels.
    MODULE_PX_MAX: the largest module a caller may ask for, in pixels.
"""

import io

import qrcode
import qrcode.constants
import qrcode.image.svg

# The longest text we draw: an EMVCo payload is at most 512 characters, a payment
# token far less; anything longer is a caller's bug, not a picture to make.
PAYLOAD_LENGTH_MAX = 512
QUIET_ZONE_MODULES = 4
MODULE_PX_DEFAULT = 10
MODULE_PX_MAX = 40


def _symbol(payload: str, *, module_px: int) -> qrcode.QRCode:
    assert 0 < len(payload) <= PAYLOAD_LENGTH_MAX, len(payload)
    assert 1 <= module_px <= MODULE_PX_MAX, module_px
    symbol = qrcode.QRCode(
        error_correction=qrcode.constants.ERROR_CORRECT_M,
        box_size=module_px,
        border=QUIET_ZONE_MODULES,
    )
    symbol.add_data(payload.encode("utf-8"))
    symbol.make(fit=True)
    return symbol


def render_png(payload: str, *, module_px: int = MODULE_PX_DEFAULT) -> bytes:
    """A black-on-white PNG of ``payload``."""
    image = _symbol(payload, module_px=module_px).make_image()
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def render_svg(payload: str) -> str:
    """An SVG of ``payload``: one path, sized in millimetres, scalable for print."""
    image = _symbol(payload, module_px=MODULE_PX_DEFAULT).make_image(
        image_factory=qrcode.image.svg.SvgPathImage
    )
    svg: bytes = image.to_string(encoding="utf-8")
    return svg.decode("utf-8")
