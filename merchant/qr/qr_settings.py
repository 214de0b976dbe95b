"""A coin's QR settings: its JPQR provider code, and when stickers from before JPQR stop paying.

One row of ``qr_settings`` per coin, set by the issuer (``POST /v1/qr_settings``).

- ``provider_code``: the code Payments Japan assigned the issuer as a JPQR
  payment provider; our template carries it in sub-field 03 so a JPQR reader
  can tell whose template it is. None: the coin has none (yet).
- ``legacy_template_until``: stickers printed before JPQR carry our template
  under 26, the id JPQR keeps for its own. They pay until this instant, so
  merchants have time to print the new sticker (the console prints it), and
  are refused (``qr_template_retired``) from then on. None: no end set, they
  still pay; the issuer sets the date once its merchants were told (we
  suggest six months after the new stickers went out, docs/qr.md).

Codes under the new id never ask for the row: the check costs a query on
old stickers only.

Refusals: ``qr_settings_invalid`` (422) for a provider code that is not 1 to
20 letters and digits; ``qr_template_retired`` (422) for an old sticker paid
after its end.
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, text

from kit.errors import Code
from kit.problems import Problem
from merchant.qr.emvco_qr import PROVIDER_CODE_PATTERN, MerchantQr


@dataclass(frozen=True, slots=True)
class QrSettings:
    """Attributes:
    provider_code: the coin's JPQR provider code; None if it has none.
    legacy_template_until: when old (tag 26) stickers stop paying; None: not set.
    """

    provider_code: str | None = None
    legacy_template_until: datetime | None = None


def get_qr_settings(conn: Connection, *, coin_id: int) -> QrSettings:
    row = conn.execute(
        text(
            "SELECT jpqr_provider_code, legacy_template_until FROM qr_settings"
            " WHERE coin_id = :coin"
        ),
        {"coin": coin_id},
    ).one_or_none()
    return QrSettings() if row is None else QrSettings(*row)


def save_qr_settings(
    conn: Connection, *, coin_id: int, settings: QrSettings, at: datetime
) -> QrSettings:
    code = settings.provider_code
    if code is not None and not PROVIDER_CODE_PATTERN.fullmatch(code):
        raise Problem(
            Code.QR_SETTINGS_INVALID, f"provider code {code!r}: 1 to 20 letters and digits"
        )
    conn.execute(
        text(
            "INSERT INTO qr_settings (coin_id, jpqr_provider_code, legacy_template_until,"
            " updated_at) VALUES (:coin, :code, :until, :at) ON CONFLICT (coin_id) DO UPDATE"
            " SET jpqr_provider_code = EXCLUDED.jpqr_provider_code,"
            " legacy_template_until = EXCLUDED.legacy_template_until,"
            " updated_at = EXCLUDED.updated_at"
        ),
        {"coin": coin_id, "code": code, "until": settings.legacy_template_until, "at": at},
    )
    return settings


def check_template_accepted(
    conn: Connection, *, coin_id: int, qr: MerchantQr, at: datetime
) -> None:
    """Refuses an old sticker (our template under 26) once the coin's transition ended."""
    if not qr.is_legacy:
        return
    until = get_qr_settings(conn, coin_id=coin_id).legacy_template_until
    if until is not None and at >= until:
        raise Problem(
            Code.QR_TEMPLATE_RETIRED,
            f"stickers printed before JPQR stopped paying at {until.isoformat()};"
            " the shop prints its new sticker from the merchant console",
        )
