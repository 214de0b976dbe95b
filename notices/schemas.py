"""The notices API's bodies and answers."""

import re
from datetime import time
from typing import Literal

from pydantic import BaseModel, Field, field_validator

from kit.request_body import RequestBody

NoticeKindName = Literal[
    "payment", "refund", "money_received", "points_granted", "topup", "expiring", "pin_locked"
]
ChannelNameField = Literal["email", "line"]
_CLOCK = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$")


class QuietHours(BaseModel):
    start: str = Field(description="Tokyo time HH:MM from which notices wait.", examples=["22:00"])
    end: str = Field(description="Tokyo time HH:MM when they go out again.", examples=["07:00"])

    @field_validator("start", "end")
    @classmethod
    def _clock(cls, value: str) -> str:
        if not _CLOCK.fullmatch(value):
            raise ValueError("a time is HH:MM, 00:00 to 23:59")
        return value

    def times(self) -> tuple[time, time]:
        return time.fromisoformat(self.start), time.fromisoformat(self.end)


class PreferencesUpdate(RequestBody):
    kinds: list[NoticeKindName] = Field(max_length=7, description="The kinds to hear of.")
    channels: list[ChannelNameField] = Field(max_length=2, description="Where to hear of them.")
    lang: Literal["ja", "en"] = "ja"
    quiet_hours: QuietHours | None = None


class ContactState(BaseModel):
    address: str | None = Field(description="The e-mail or phone; for LINE, never shown.")
    verified: bool


class PreferencesPublic(BaseModel):
    kinds: list[str]
    channels: list[str]
    lang: str
    quiet_hours: QuietHours | None
    contacts: dict[str, ContactState] = Field(
        description="The resident's e-mail, phone and LINE, where there is one."
    )


class ContactCreate(RequestBody):
    kind: Literal["email", "phone"]
    address: str = Field(min_length=3, max_length=254)


class ContactPending(BaseModel):
    kind: str
    address: str
    sent_via: Literal["email", "line"]
    expires_at: str


class ContactVerify(RequestBody):
    code: str = Field(min_length=6, max_length=6, pattern=r"^[0-9]{6}$")


class ContactVerified(BaseModel):
    kind: str
    address: str
    verified: Literal[True] = True


class LineLinkStart(RequestBody):
    link_token: str = Field(min_length=1, max_length=100)


class LineLinkRedirect(BaseModel):
    redirect_url: str


class ChannelCountsPublic(BaseModel):
    pending: int
    delivered: int
    failed: int
    paused_until: str | None


class DeliveryCountsPublic(BaseModel):
    coin: str
    notices: int
    channels: dict[str, ChannelCountsPublic]
