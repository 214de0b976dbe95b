"""What a channel is to the notices worker: something that sends one message or says why not."""

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol


class ChannelName(StrEnum):
    EMAIL = "email"
    LINE = "line"


@dataclass(frozen=True, slots=True)
class Message:
    """Attributes:
    to: the e-mail address or the LINE user id.
    subject: the e-mail's subject (LINE shows only ``text``).
    text: the words, Japanese first.
    retry_key: the same for every attempt of one delivery, so the receiving
        side can tell a retry from a new message.
    """

    to: str
    subject: str
    text: str
    retry_key: str


class ChannelFailedError(Exception):
    """The channel did not take the message. ``reason`` is coarse (``timeout``,
    ``refused``, ``http_500``): it is stored; the detail goes to the log only."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Channel(Protocol):
    def send(self, message: Message) -> None:
        """Hands the message over; raises ChannelFailedError if it was not taken."""
        ...
