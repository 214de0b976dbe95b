"""Bodies of the named-key API: what is asked for, and the key as its managers see it."""

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from kit.named_keys import LABEL_CHARS_MAX, NamedKey
from kit.request_body import RequestBody


class NamedKeyCreate(RequestBody):
    model_config = ConfigDict(extra="forbid")

    role: Literal["operator", "issuer", "municipality"] = Field(
        description="Never above the asking key's own (operator > issuer > municipality)."
    )
    label: str = Field(
        min_length=1,
        max_length=LABEL_CHARS_MAX,
        description="Who or what holds the key: a clerk's name, an integration's.",
    )
    expires_at: datetime | None = Field(
        default=None, description="From then on the key is refused (ISO 8601 with an offset)."
    )


def _iso(at: datetime | None) -> str | None:
    return None if at is None else at.isoformat()


class NamedKeyPublic(BaseModel):
    id: str = Field(description="key_ and the part of the secret after its role.")
    role: str
    label: str
    created_at: str
    expires_at: str | None
    last_used_at: str | None = Field(description="To the hour.")
    revoked_at: str | None
    created_by: str | None = Field(description="The key that made it; null: the command line.")
    revoked_by: str | None

    @classmethod
    def of(cls, key: NamedKey) -> "NamedKeyPublic":
        return cls(
            id=key.public_id,
            role=key.role.value,
            label=key.label,
            created_at=key.created_at.isoformat(),
            expires_at=_iso(key.expires_at),
            last_used_at=_iso(key.last_used_at),
            revoked_at=_iso(key.revoked_at),
            created_by=key.created_by,
            revoked_by=key.revoked_by,
        )


class NamedKeyWithSecret(NamedKeyPublic):
    key: str = Field(description="lc_…: shown only now, never stored; keep it in a vault.")

    @classmethod
    def revealing(cls, key: NamedKey, secret: str) -> "NamedKeyWithSecret":
        return cls(**NamedKeyPublic.of(key).model_dump(), key=secret)


class NamedKeyPage(BaseModel):
    data: list[NamedKeyPublic] = Field(description="Newest first; revoked keys included.")
    has_more: bool
