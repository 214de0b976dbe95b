"""Bodies of the webhook API: endpoints, events, deliveries and their attempts."""

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from kit.request_body import RequestBody
from merchant.webhooks.endpoints import ENDPOINTS_PER_MERCHANT_MAX, Endpoint
from merchant.webhooks.event_log import Attempt, Delivery, EventRecord
from merchant.webhooks.urls import URL_LENGTH_MAX


class EndpointCreate(RequestBody):
    model_config = ConfigDict(extra="forbid")

    url: str = Field(
        min_length=1,
        max_length=URL_LENGTH_MAX,
        description="A public https URL; events are POSTed there.",
    )
    events: list[str] = Field(
        min_length=1,
        max_length=32,
        description="Event types to receive (see docs/webhooks.md), or ['*'] for all.",
    )


class EndpointPublic(BaseModel):
    id: str = Field(description="we_…")
    url: str
    events: list[str]
    status: str = Field(description="enabled or disabled.")
    created_at: str = Field(description="ISO 8601, UTC.")
    disabled_at: str | None = None
    consecutive_failures: int = Field(default=0, description="Failed attempts in a row.")
    paused_until: str | None = Field(
        default=None,
        description="After repeated failures, no attempts until then (the deliveries wait).",
    )

    @classmethod
    def of(cls, endpoint: Endpoint) -> "EndpointPublic":
        paused = endpoint.paused_until
        return cls(
            id=endpoint.public_id,
            url=endpoint.url,
            events=list(endpoint.events),
            status=endpoint.status.value,
            created_at=endpoint.created_at.isoformat(),
            disabled_at=endpoint.disabled_at.isoformat() if endpoint.disabled_at else None,
            consecutive_failures=endpoint.consecutive_failures,
            paused_until=paused.isoformat() if paused else None,
        )


class EndpointWithSecret(EndpointPublic):
    secret: str = Field(description="whsec_…: shown only now; signs every delivery.")
    previous_secret_expires_at: str | None = Field(
        default=None, description="After a rotation: until when the old secret also signs."
    )

    @classmethod
    def revealing(cls, endpoint: Endpoint) -> "EndpointWithSecret":
        until = endpoint.previous_secret_until
        return cls(
            **EndpointPublic.of(endpoint).model_dump(),
            secret=endpoint.secret,
            previous_secret_expires_at=until.isoformat() if until else None,
        )


class EndpointPage(BaseModel):
    data: list[EndpointPublic] = Field(
        description=f"Newest first; at most {ENDPOINTS_PER_MERCHANT_MAX} are enabled."
    )
    has_more: bool


class AttemptPublic(BaseModel):
    attempted_at: str
    status_code: int | None = Field(description="The receiver's answer; null if none came.")
    error: str | None = Field(description="Why no answer came (timeout, refused URL…).")
    duration_ms: int

    @classmethod
    def of(cls, attempt: Attempt) -> "AttemptPublic":
        return cls(
            attempted_at=attempt.attempted_at.isoformat(),
            status_code=attempt.status_code,
            error=attempt.error,
            duration_ms=attempt.duration_ms,
        )


class DeliveryPublic(BaseModel):
    id: str = Field(description="whd_…")
    event_id: str
    endpoint_id: str
    round: int = Field(description="0 for the first delivery, then one more per replay.")
    status: str = Field(description="pending, delivered, failed (gave up) or canceled.")
    attempt_count: int
    next_attempt_at: str | None
    give_up_at: str
    delivered_at: str | None
    created_at: str
    attempts: list[AttemptPublic] = Field(description="Oldest first.")

    @classmethod
    def of(cls, delivery: Delivery) -> "DeliveryPublic":
        return cls(
            id=delivery.public_id,
            event_id=delivery.event_public_id,
            endpoint_id=delivery.endpoint_public_id,
            round=delivery.round,
            status=delivery.status,
            attempt_count=delivery.attempt_count,
            next_attempt_at=_iso(delivery.next_attempt_at),
            give_up_at=delivery.give_up_at.isoformat(),
            delivered_at=_iso(delivery.delivered_at),
            created_at=delivery.created_at.isoformat(),
            attempts=[AttemptPublic.of(a) for a in delivery.attempts],
        )


class DeliveryPage(BaseModel):
    data: list[DeliveryPublic] = Field(description="Newest first.")
    has_more: bool


class DeliveryList(BaseModel):
    data: list[DeliveryPublic]


class EventPublic(BaseModel):
    id: str = Field(description="evt_…: receivers drop duplicates by it.")
    type: str
    created: int = Field(description="Unix seconds, as in the delivered body.")
    data: dict[str, Any] = Field(description="The object the event is about.")

    @classmethod
    def of(cls, event: EventRecord) -> "EventPublic":
        return cls(
            id=event.public_id,
            type=event.type,
            created=int(event.created_at.timestamp()),
            data=event.data,
        )


class EventWithDeliveries(EventPublic):
    deliveries: list[DeliveryPublic] = Field(description="Oldest first, with every attempt.")


class EventPage(BaseModel):
    data: list[EventPublic] = Field(description="Newest first.")
    has_more: bool


def _iso(at: Any) -> str | None:
    return at.isoformat() if at is not None else None
