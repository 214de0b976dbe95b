"""LINE's Messaging API, the calls we make: push a text, reply to an event, issue a link token;
and the check of the signature on the events LINE sends us.

Only the words of a notice go to LINE, addressed to the user id LINE gave us:
no name, no wallet id, no balance (the seeds' guideline: LINE is a contact
point, nothing about a resident is kept on it). ``X-Line-Retry-Key`` makes a
retried push one message: LINE answers 409 to a key it has already accepted.
"""

import base64
import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass, field

import httpx

from notices.channel import ChannelFailedError, Message

TEXT_CHARS_MAX = 5000


def signature_ok(channel_secret: str, body: bytes, signature: str | None) -> bool:
    """X-Line-Signature: base64 of HMAC-SHA256 of the raw body under the channel secret."""
    if not signature or not channel_secret:
        return False
    expected = base64.b64encode(
        hmac.new(channel_secret.encode(), body, hashlib.sha256).digest()
    ).decode()
    return hmac.compare_digest(expected, signature)


@dataclass
class LineApi:
    """Attributes:
    base: the API's address (https://api.line.me; a local stand-in in tests).
    channel_token: the channel access token, from the environment only.
    timeout_s: for the whole call.
    """

    base: str
    channel_token: str
    timeout_s: float = 10.0
    _client: httpx.Client = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._client = httpx.Client(
            base_url=self.base.rstrip("/"),
            timeout=self.timeout_s,
            headers={"Authorization": f"Bearer {self.channel_token}"},
            follow_redirects=False,
        )

    def close(self) -> None:
        self._client.close()

    def send(self, message: Message) -> None:
        """A push message; a 409 for our own retry key means LINE took it before."""
        body = {"to": message.to, "messages": [_text(message.text)]}
        status = self._post(
            "/v2/bot/message/push", body, headers={"X-Line-Retry-Key": message.retry_key}
        )
        if not (200 <= status < 300 or status == 409):
            raise ChannelFailedError(f"http_{status}")

    def reply(self, reply_token: str, text: str) -> None:
        body = {"replyToken": reply_token, "messages": [_text(text)]}
        status = self._post("/v2/bot/message/reply", body)
        if not 200 <= status < 300:
            raise ChannelFailedError(f"http_{status}")

    def issue_link_token(self, line_user_id: str) -> str:
        """The first step of account linking: a token LINE ties to this user."""
        try:
            answer = self._client.post(f"/v2/bot/user/{line_user_id}/linkToken")
        except httpx.HTTPError as error:
            raise ChannelFailedError("connection") from error
        if answer.status_code != 200:
            raise ChannelFailedError(f"http_{answer.status_code}")
        token: str = answer.json()["linkToken"]
        return token

    def _post(
        self, path: str, body: Mapping[str, object], headers: dict[str, str] | None = None
    ) -> int:
        try:
            return self._client.post(path, json=body, headers=headers or {}).status_code
        except httpx.TimeoutException as error:
            raise ChannelFailedError("timeout") from error
        except httpx.HTTPError as error:
            raise ChannelFailedError("connection") from error


def _text(text: str) -> dict[str, str]:
    return {"type": "text", "text": text[:TEXT_CHARS_MAX]}
