"""The channels this process can deliver through, from its settings: a channel
whose settings are missing is simply not there (its deliveries wait and retry)."""

from kit.settings import Settings
from notices.channel import Channel, ChannelName
from notices.email_channel import SmtpChannel
from notices.line_api import LineApi


def line_api(settings: Settings) -> LineApi | None:
    if not settings.line_channel_token:
        return None
    return LineApi(base=settings.line_api_base, channel_token=settings.line_channel_token)


def smtp_channel(settings: Settings) -> SmtpChannel | None:
    if not settings.smtp_host:
        return None
    return SmtpChannel(
        host=settings.smtp_host,
        port=settings.smtp_port,
        sender=settings.smtp_from,
        starttls=settings.smtp_starttls,
        username=settings.smtp_username,
        password=settings.smtp_password,
        timeout_s=settings.smtp_timeout_s,
    )


def configured_channels(settings: Settings) -> dict[ChannelName, Channel]:
    channels: dict[ChannelName, Channel] = {}
    email, line = smtp_channel(settings), line_api(settings)
    if email is not None:
        channels[ChannelName.EMAIL] = email
    if line is not None:
        channels[ChannelName.LINE] = line
    return channels
