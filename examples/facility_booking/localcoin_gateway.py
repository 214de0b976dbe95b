"""Every call this site makes to localcoin, through the client generated from its OpenAPI.

``localcoin_client`` is not in the repository: ``make example-client`` (and the
tests) generate it from ``/openapi.json`` with openapi-python-client, so this
file breaks the moment the published API stops producing a usable client.

Each POST carries an ``Idempotency-Key`` derived from the booking and the step,
so a retry after a timeout or a crash can never charge, capture or refund twice.
"""

from dataclasses import dataclass
from typing import TypeVar

from localcoin_client import AuthenticatedClient
from localcoin_client.api.charges import create_refund_v1_refunds_post as create_refund
from localcoin_client.api.payment_intents import (
    cancel_payment_intent_v1_payment_intents_intent_id_cancel_post as cancel_intent,
)
from localcoin_client.api.payment_intents import (
    capture_payment_intent_v1_payment_intents_intent_id_capture_post as capture_intent,
)
from localcoin_client.api.payment_intents import (
    create_payment_intent_v1_payment_intents_post as create_intent,
)
from localcoin_client.api.payment_intents import (
    get_payment_intent_v1_payment_intents_intent_id_get as get_intent,
)
from localcoin_client.api.payment_intents import (
    payment_intent_svg_v1_payment_intents_intent_id_qr_svg_get as intent_svg,
)
from localcoin_client.api.webhooks import (
    create_webhook_endpoint_v1_webhook_endpoints_post as create_endpoint,
)
from localcoin_client.api.webhooks import (
    rotate_webhook_secret_v1_webhook_endpoints_endpoint_id_rotate_secret_post as rotate_secret,
)
from localcoin_client.models import (
    EndpointCreate,
    PaymentIntentCancel,
    PaymentIntentCapture,
    PaymentIntentCreate,
    PaymentIntentCreateCaptureMethod,
    PaymentIntentPublic,
    Problem,
    RefundCreate,
)
from localcoin_client.types import Response

# The intent events this site reacts to; each only tells it to look again.
EVENTS = [
    "payment_intent.succeeded",
    "payment_intent.requires_capture",
    "payment_intent.canceled",
    "payment_intent.expired",
]


T = TypeVar("T")
SECRET_NOT_SHOWN_AGAIN = "secret_not_shown_again"  # noqa: S105 - a marker, not a secret


class RefusedError(Exception):
    """localcoin answered with a problem (RFC 9457); ``code`` says which."""

    def __init__(self, status: int, code: str, detail: str) -> None:
        super().__init__(f"{status} {code}: {detail}")
        self.status, self.code = status, code


@dataclass(frozen=True, slots=True)
class Intent:
    id: str
    status: str
    amount: int
    amount_captured: int
    qr_payload: str
    cancellation_reason: str | None


class Localcoin:
    """The merchant's side of localcoin, as this site uses it."""

    def __init__(self, base_url: str, api_key: str, timeout_s: float = 10.0) -> None:
        self._base_url, self._api_key, self._timeout_s = base_url, api_key, timeout_s

    def _client(self, idempotency_key: str | None = None) -> AuthenticatedClient:
        # A fresh client per call: with_headers() would change a shared one's headers.
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
        return AuthenticatedClient(
            base_url=self._base_url, token=self._api_key, headers=headers, timeout=None
        )

    def create_intent(
        self, *, amount: int, reference: str, manual: bool, description: str, key: str
    ) -> Intent:
        method = (
            PaymentIntentCreateCaptureMethod.MANUAL
            if manual
            else PaymentIntentCreateCaptureMethod.AUTOMATIC
        )
        body = PaymentIntentCreate(
            amount=amount, reference=reference, capture_method=method, description=description
        )
        with self._client(key) as client:
            return _intent(create_intent.sync_detailed(client=client, body=body))

    def intent(self, intent_id: str) -> Intent:
        with self._client() as client:
            return _intent(get_intent.sync_detailed(intent_id, client=client))

    def capture(self, intent_id: str, amount: int, *, key: str) -> Intent:
        with self._client(key) as client:
            answer = capture_intent.sync_detailed(
                intent_id, client=client, body=PaymentIntentCapture(amount=amount)
            )
            return _intent(answer)

    def cancel(self, intent_id: str, *, key: str) -> Intent:
        with self._client(key) as client:
            answer = cancel_intent.sync_detailed(
                intent_id, client=client, body=PaymentIntentCancel()
            )
            return _intent(answer)

    def refund(self, intent_id: str, amount: int, *, key: str) -> int:
        """Gives ``amount`` of a paid intent back; returns the refund's amount."""
        body = RefundCreate(payment_intent_id=intent_id, amount=amount, reason="booking canceled")
        with self._client(key) as client:
            answer = create_refund.sync_detailed(client=client, body=body)
        refund = _parsed(answer)
        return int(refund.amount)

    def qr_svg(self, intent_id: str) -> bytes:
        with self._client() as client:
            answer = intent_svg.sync_detailed(intent_id, client=client)
        if answer.status_code != 200:
            raise RefusedError(answer.status_code, "qr_unavailable", answer.content.decode()[:200])
        return answer.content

    def register_endpoint(self, url: str, *, key: str) -> tuple[str, str]:
        """Subscribes ``url`` to the intent events; returns its id and signing secret."""
        with self._client(key) as client:
            answer = create_endpoint.sync_detailed(
                client=client, body=EndpointCreate(url=url, events=EVENTS)
            )
        endpoint = _parsed(answer)
        if endpoint.secret != SECRET_NOT_SHOWN_AGAIN:
            return endpoint.id, endpoint.secret
        # A replay of a registration we never saved: the secret is not shown twice,
        # so a new one is made (the old one stops signing after the overlap).
        with self._client(f"{key}-rotate") as client:
            rotated = _parsed(rotate_secret.sync_detailed(endpoint.id, client=client))
        return rotated.id, rotated.secret


def _parsed(answer: Response[T | Problem]) -> T:
    parsed = answer.parsed
    if isinstance(parsed, Problem):
        raise RefusedError(parsed.status, parsed.code, parsed.detail)
    if parsed is None:
        raise RefusedError(answer.status_code, "unexpected_answer", answer.content.decode()[:200])
    return parsed


def _intent(answer: Response[PaymentIntentPublic | Problem]) -> Intent:
    intent = _parsed(answer)
    reason = intent.cancellation_reason
    return Intent(
        id=intent.id,
        status=intent.status.value,
        amount=intent.amount,
        amount_captured=intent.amount_captured,
        qr_payload=intent.qr_payload,
        cancellation_reason=None if reason is None else reason.value,
    )
