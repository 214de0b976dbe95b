"""A coin's QR settings over HTTP: the issuer (or the operator) reads and sets them."""

from fastapi import APIRouter, Request

from kit.auth import IssuerOrOperatorKey
from kit.errors import Code
from kit.idempotency import Db, IdempotentRoute
from kit.refusal_docs import refusals
from merchant.qr.qr_settings import QrSettings, get_qr_settings, save_qr_settings
from merchant.qr.schemas import QrSettingsBody

router = APIRouter(route_class=IdempotentRoute, tags=["merchants"])


def _body(settings: QrSettings) -> QrSettingsBody:
    return QrSettingsBody(
        jpqr_provider_code=settings.provider_code,
        legacy_template_until=settings.legacy_template_until,
    )


@router.get("/qr_settings", response_model=QrSettingsBody)
def read_qr_settings(db: Db, key: IssuerOrOperatorKey) -> QrSettingsBody:
    """The coin's JPQR provider code and the end of old stickers' transition."""
    return _body(get_qr_settings(db, coin_id=key.coin_id))


@router.post(
    "/qr_settings", response_model=QrSettingsBody, responses=refusals(Code.QR_SETTINGS_INVALID)
)
def set_qr_settings(
    body: QrSettingsBody, db: Db, key: IssuerOrOperatorKey, request: Request
) -> QrSettingsBody:
    """Sets both settings (null clears one). Refusals: qr_settings_invalid (422)."""
    settings = QrSettings(body.jpqr_provider_code, body.legacy_template_until)
    saved = save_qr_settings(
        db, coin_id=key.coin_id, settings=settings, at=request.app.state.clock.now()
    )
    return _body(saved)
