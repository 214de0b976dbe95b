"""A local stand-in for LINE's Messaging API and its account-linking dialog.

Only what localcoin calls, as LINE documents it:

- ``POST /v2/bot/message/push``: honours ``X-Line-Retry-Key`` (a key it has
  taken is answered 409 and not delivered again); ``down`` answers 500 and
  takes nothing; ``lose_answers`` takes the message but answers 500, as when
  the answer is lost on the way back.
- ``POST /v2/bot/message/reply`` and ``POST /v2/bot/user/{id}/linkToken``.
- ``GET /dialog/bot/accountLink?linkToken=&nonce=``: what the user's browser
  opens; the stand-in then sends the ``accountLink`` event, signed with the
  channel secret, to the bot's webhook.

``say(user_id)`` plays a user writing to the account: a signed ``message``
event to the webhook. It listens on loopback only.
"""

import base64
import hashlib
import hmac
import json
import re
import secrets
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

_LINK_TOKEN_PATH = re.compile(r"^/v2/bot/user/(U[0-9a-f]{32})/linkToken$")

Webhook = Callable[[bytes, dict[str, str]], int]


def new_user_id() -> str:
    return "U" + secrets.token_hex(16)


def sign(secret: str, body: bytes) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


class FakeLine:
    def __init__(self, *, channel_token: str, channel_secret: str) -> None:
        self.channel_token = channel_token
        self.channel_secret = channel_secret
        self.pushed: list[dict[str, Any]] = []
        self.replies: list[dict[str, Any]] = []
        self.push_attempts = 0
        self.down = False
        self.lose_answers = False
        self.webhook: Webhook | None = None
        self._taken_keys: set[str] = set()
        self._link_tokens: dict[str, str] = {}
        self._lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                if self.headers.get("authorization") != f"Bearer {fake.channel_token}":
                    self._answer(401, {"message": "Authentication failed"})
                    return
                length = int(self.headers.get("content-length", "0"))
                body = json.loads(self.rfile.read(length) or b"{}")
                status, answer = fake.handle_post(self.path, body, dict(self.headers))
                self._answer(status, answer)

            def do_GET(self) -> None:
                url = urlparse(self.path)
                if url.path != "/dialog/bot/accountLink":
                    self._answer(404, {})
                    return
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                status = fake.open_link_dialog(query.get("linkToken", ""), query.get("nonce", ""))
                self._answer(200 if status == 200 else 400, {"webhook_status": status})

            def _answer(self, status: int, answer: dict[str, Any]) -> None:
                data = json.dumps(answer).encode()
                self.send_response(status)
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

    def handle_post(
        self, path: str, body: dict[str, Any], headers: dict[str, str]
    ) -> tuple[int, dict[str, Any]]:
        with self._lock:
            if path == "/v2/bot/message/push":
                return self._push(body, {k.lower(): v for k, v in headers.items()})
            if path == "/v2/bot/message/reply":
                self.replies.append(body)
                return 200, {}
            match = _LINK_TOKEN_PATH.match(path)
            if match:
                token = secrets.token_urlsafe(24)
                self._link_tokens[token] = match.group(1)
                return 200, {"linkToken": token}
        return 404, {"message": "Not found"}

    def _push(self, body: dict[str, Any], headers: dict[str, str]) -> tuple[int, dict[str, Any]]:
        self.push_attempts += 1
        if self.down:
            return 500, {"message": "Internal server error"}
        key = headers.get("x-line-retry-key")
        if key is not None and key in self._taken_keys:
            return 409, {"message": "The retry key is already accepted"}
        if key is not None:
            self._taken_keys.add(key)
        self.pushed.append(body)
        if self.lose_answers:
            return 500, {"message": "Internal server error"}
        return 200, {"sentMessages": [{"id": secrets.token_hex(8)}]}

    def messages_to(self, user_id: str) -> list[str]:
        return [
            m["text"] for push in self.pushed if push["to"] == user_id for m in push["messages"]
        ]

    def open_link_dialog(self, link_token: str, nonce: str) -> int:
        """The user confirmed the link in LINE: LINE tells the bot."""
        user_id = self._link_tokens.pop(link_token, None)
        if user_id is None:
            return 400
        event = {
            "type": "accountLink",
            "source": {"type": "user", "userId": user_id},
            "replyToken": secrets.token_hex(16),
            "link": {"result": "ok", "nonce": nonce},
        }
        return self.send_event(event)

    def say(self, user_id: str, text: str = "こんにちは") -> int:
        event = {
            "type": "message",
            "source": {"type": "user", "userId": user_id},
            "replyToken": secrets.token_hex(16),
            "message": {"type": "text", "id": secrets.token_hex(8), "text": text},
        }
        return self.send_event(event)

    def send_event(self, event: dict[str, Any]) -> int:
        assert self.webhook is not None, "set the bot's webhook first"
        body = json.dumps({"destination": "Ubot", "events": [event]}).encode()
        return self.webhook(body, {"x-line-signature": sign(self.channel_secret, body)})

    def __enter__(self) -> "FakeLine":
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.server.shutdown()
        self.server.server_close()
