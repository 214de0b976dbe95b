"""E-mail by SMTP: one connection per message, plain text, UTF-8.

The Message-ID is the delivery's retry key, so a message sent twice (a worker
that died between the relay's answer and recording it) is one message to any
mail client that drops duplicates by Message-ID.
"""

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage

import structlog

from notices.channel import ChannelFailedError, Message

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class SmtpChannel:
    """Attributes:
    host, port: the relay.
    sender: the From address.
    starttls: upgrade the connection before anything is sent.
    username, password: the relay's login, when it asks for one.
    timeout_s: for each network step.
    """

    host: str
    port: int
    sender: str
    starttls: bool = False
    username: str | None = None
    password: str | None = None
    timeout_s: float = 10.0

    def send(self, message: Message) -> None:
        mail = EmailMessage()
        mail["From"] = self.sender
        mail["To"] = message.to
        mail["Subject"] = message.subject
        domain = self.sender.rpartition("@")[2] or "localcoin.invalid"
        mail["Message-ID"] = f"<{message.retry_key}@{domain}>"
        mail.set_content(message.text)
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout_s) as smtp:
                if self.starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if self.username is not None and self.password is not None:
                    smtp.login(self.username, self.password)
                smtp.send_message(mail)
        except TimeoutError as error:
            raise ChannelFailedError("timeout") from error
        except ConnectionRefusedError as error:
            raise ChannelFailedError("refused") from error
        except smtplib.SMTPResponseException as error:
            raise ChannelFailedError(f"smtp_{error.smtp_code}") from error
        except (smtplib.SMTPException, OSError) as error:
            log.info("smtp_failed", error=f"{type(error).__name__}: {error}"[:300])
            raise ChannelFailedError("connection") from error
