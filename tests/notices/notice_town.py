"""A town whose app e-mails through a real local SMTP server (aiosmtpd) and talks
to the LINE stand-in, with helpers to sign residents up, opt them in and run passes."""

import email
import email.policy
import itertools
import os
import re
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

import httpx
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from kit.credentials import Role
from ledger.clock import FixedClock
from ledger.unit_of_work import run_in_transaction
from localcoin.app import create_app
from localcoin.coin_setup import set_up_coin
from localcoin.sealer import seal_coin
from notices.delivery import PassReport, deliver_pass
from tests.conftest import T0
from tests.fakes.line_server import FakeLine
from tests.wallet_api.test_residents_api import FAST_PINS, Town

LINE_TOKEN = "line-channel-token-for-tests"
LINE_SECRET = "line-channel-secret-for-tests"
_codes = itertools.count(1)


class Mailbox:
    """What the SMTP server received: parsed messages, in order."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802 - aiosmtpd's name
        assert isinstance(envelope.content, bytes)
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        self.messages.append(parsed)
        return "250 OK"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if m["To"] == address]

    @staticmethod
    def body(message: EmailMessage) -> str:
        part = message.get_body(("plain",))
        assert part is not None
        content: str = part.get_content()
        return content


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class SmtpServer:
    """aiosmtpd on a fixed loopback port, which can be stopped (down) and started again."""

    def __init__(self) -> None:
        self.port = free_port()
        self.mailbox = Mailbox()
        self._controller: Controller | None = None

    def start(self) -> None:
        assert self._controller is None
        self._controller = Controller(self.mailbox, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None


@contextmanager
def running_smtp() -> Iterator[SmtpServer]:
    server = SmtpServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@dataclass
class NoticeTown(Town):
    smtp: SmtpServer = field(default_factory=SmtpServer)
    line: FakeLine = field(default_factory=lambda: FakeLine(channel_token="", channel_secret=""))

    def municipality(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.coin.keys[Role.MUNICIPALITY]}"}

    def mail(self, name: str) -> str:
        """An address of this town's only: the session's tests share one database."""
        return f"{name}.{self.code.lower()}@example.jp"

    def run_pass(self, *, scan: bool = True) -> PassReport:
        seal_coin(self.engine, self.coin.coin.id, self.clock)
        return deliver_pass(
            self.engine,
            self.clock,
            channels=self.client.app.state.notice_channels,  # type: ignore[attr-defined]
            scan_expiring=scan,
        )

    def opt_in(
        self, headers: dict[str, str], kinds: list[str], channels: list[str], **more: Any
    ) -> None:
        body = {"kinds": kinds, "channels": channels} | more
        response = self.client.put("/v1/notices/preferences", json=body, headers=headers)
        assert response.status_code == 200, response.text

    def add_email(self, headers: dict[str, str], address: str) -> str:
        """Adds and verifies the e-mail with the code the SMTP server received."""
        response = self.client.post(
            "/v1/contacts", json={"kind": "email", "address": address}, headers=headers
        )
        assert response.status_code == 202, response.text
        code = code_in(Mailbox.body(self.smtp.mailbox.to(address)[-1]))
        verified = self.client.post(
            "/v1/contacts/email/verify", json={"code": code}, headers=headers
        )
        assert verified.status_code == 200, verified.text
        return code

    def link_line(self, headers: dict[str, str], user_id: str) -> None:
        """LINE's account linking, as a user and their browser go through it."""
        replies = len(self.line.replies)
        assert self.line.say(user_id) == 200
        text = self.line.replies[replies]["messages"][0]["text"]
        link_token = text.rsplit("line_link=", 1)[1].strip()
        started = self.client.post(
            "/v1/notices/line/link", json={"link_token": link_token}, headers=headers
        )
        assert started.status_code == 200, started.text
        assert httpx.get(started.json()["redirect_url"]).status_code == 200


def code_in(text: str) -> str:
    found = re.search(r"確認コード: ([0-9]{6})", text)
    assert found is not None, text
    return found.group(1)


@contextmanager
def notice_town(engine: Engine, clock: FixedClock) -> Iterator[NoticeTown]:
    code = f"NOTE{os.getpid() % 10000}X{next(_codes)}"
    coin = run_in_transaction(
        engine,
        lambda c: set_up_coin(c, code=code, name="テスト町コイン", issuer_name="テスト信金", at=T0),
    )
    # The breaker is the deployment's, one per channel: a test that left it
    # resting (a relay down for a day) must not hold the next test's mail.
    run_in_transaction(
        engine,
        lambda c: c.execute(
            text("UPDATE notice_channels SET consecutive_failures = 0, paused_until = NULL")
        ),
    )
    smtp = SmtpServer()
    smtp.start()
    with FakeLine(channel_token=LINE_TOKEN, channel_secret=LINE_SECRET) as line:
        settings = FAST_PINS.model_copy(
            update={
                "smtp_host": "127.0.0.1",
                "smtp_port": smtp.port,
                "smtp_from": "notices@town.example",
                "smtp_timeout_s": 5.0,
                "line_api_base": line.url,
                "line_access_base": line.url,
                "line_channel_token": LINE_TOKEN,
                "line_channel_secret": LINE_SECRET,
                "public_url": "http://wallet.town.example",
            }
        )
        client = TestClient(create_app(engine, clock, run_sealer=False, settings=settings))
        town = NoticeTown(engine, clock, coin, client, smtp=smtp, line=line)
        line.webhook = lambda body, headers: (
            client.post("/v1/line/webhook", content=body, headers=headers).status_code
        )
        try:
            yield town
        finally:
            smtp.stop()
