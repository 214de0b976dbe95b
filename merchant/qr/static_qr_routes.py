"""The merchant's static QR over HTTP: the payload, and images of it to print or show.

Any key of the merchant may fetch it, a terminal's included: a till shows
the shop's code. Included under ``/v1`` by ``merchant.accounts.onboarding_routes``.
"""

from typing import Annotated

from fastapi import APIRouter, Query, Response

from kit.idempotency import Db, IdempotentRoute
from kit.qr_images import MODULE_PX_DEFAULT, MODULE_PX_MAX, render_png, render_svg
from merchant.accounts.merchant_auth import AnyMerchantKey
from merchant.accounts.schemas import StaticQr
from merchant.qr.static_qr import static_payload

router = APIRouter(route_class=IdempotentRoute, tags=["merchants", "merchant back office"])


@router.get("/merchant/qr", response_model=StaticQr)
def get_static_qr(db: Db, caller: AnyMerchantKey) -> StaticQr:
    """The merchant's static EMVCo payload: the payer scans it and enters the amount."""
    return StaticQr(qr_payload=static_payload(db, caller.merchant))


@router.get(
    "/merchant/qr.png",
    response_class=Response,
    responses={200: {"content": {"image/png": {}}, "description": "The static code as a PNG."}},
)
def get_static_qr_png(
    db: Db,
    caller: AnyMerchantKey,
    module_px: Annotated[int, Query(ge=1, le=MODULE_PX_MAX)] = MODULE_PX_DEFAULT,
) -> Response:
    """The static code as a PNG, for screens and kiosks."""
    png = render_png(static_payload(db, caller.merchant), module_px=module_px)
    return Response(content=png, media_type="image/png")


@router.get(
    "/merchant/qr.svg",
    response_class=Response,
    responses={200: {"content": {"image/svg+xml": {}}, "description": "The static code as SVG."}},
)
def get_static_qr_svg(db: Db, caller: AnyMerchantKey) -> Response:
    """The static code as SVG, scalable for a printed sticker."""
    return Response(
        content=render_svg(static_payload(db, caller.merchant)), media_type="image/svg+xml"
    )
