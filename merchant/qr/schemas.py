"""Bodies of the coin's QR settings."""

from datetime import datetime

from pydantic import Field

from kit.request_body import RequestBody


class QrSettingsBody(RequestBody):
    jpqr_provider_code: str | None = Field(
        None,
        max_length=40,
        description="The code Payments Japan assigned the issuer as a JPQR payment provider"
        " (1 to 20 letters and digits); our template carries it. Null: none.",
    )
    legacy_template_until: datetime | None = Field(
        None,
        description="When stickers printed before JPQR (our template under id 26) stop paying;"
        " null: no end set, they still pay.",
    )
