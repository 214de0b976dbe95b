"""A local stand-in for Stripe's PaymentIntents API, and webhook signing as Stripe does it.

Only what localcoin calls: POST /v1/payment_intents, honouring Idempotency-Key
like Stripe (the same key returns the same PaymentIntent). It listens on
loopback only.
"""

import hashlib
import hmac
import json
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl


def _nest(form: list[tuple[str, str]]) -> dict[str, Any]:
    """Stripe's form encoding (metadata[key]=value) back into a dict."""
    out: dict[str, Any] = {}
    for key, value in form:
        if "[" in key:
            head, _, rest = key.partition("[")
            out.setdefault(head, {})[rest.rstrip("]").split("][")[0]] = value
        else:
            out[key] = value
    return out


class FakeStripe:
    def __init__(self) -> None:
        self.intents: dict[str, dict[str, Any]] = {}
        self.by_key: dict[str, str] = {}
        self.requests: list[dict[str, Any]] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", "0"))
                form = _nest(parse_qsl(self.rfile.read(length).decode()))
                fake.requests.append(
                    {"path": self.path, "form": form, "key": self.headers.get("idempotency-key")}
                )
                if self.path != "/v1/payment_intents":
                    self.send_error(404)
                    return
                body = fake.create_intent(form, self.headers.get("idempotency-key"))
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *_: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"

    def create_intent(self, form: dict[str, Any], key: str | None) -> dict[str, Any]:
        if key is not None and key in self.by_key:
            return self.intents[self.by_key[key]]
        intent_id = "pi_" + secrets.token_hex(12)
        intent = {
            "id": intent_id,
            "object": "payment_intent",
            "amount": int(form["amount"]),
            "currency": form["currency"],
            "status": "requires_payment_method",
            "client_secret": f"{intent_id}_secret_{secrets.token_hex(8)}",
            "metadata": form.get("metadata", {}),
        }
        self.intents[intent_id] = intent
        if key is not None:
            self.by_key[key] = intent_id
        return intent

    def __enter__(self) -> "FakeStripe":
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def signed_event(
    secret: str, event_type: str, obj: dict[str, Any], event_id: str | None = None
) -> tuple[bytes, str]:
    """An event body and its Stripe-Signature header, signed as Stripe signs."""
    body = json.dumps(
        {
            "id": event_id or "evt_" + secrets.token_hex(12),
            "object": "event",
            "type": event_type,
            "data": {"object": obj},
        }
    ).encode()
    timestamp = int(time.time())
    signature = hmac.new(
        secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256
    ).hexdigest()
    return body, f"t={timestamp},v1={signature}"
