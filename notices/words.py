"""What a notice says, in Japanese (the default) or English: the wallet history's words.

A money notice is the history line the resident will see in the wallet
(wallet_api.history_words), with its amount and time: the same plain words in
both places. Names are never said: 「ほかの利用者から受け取り」, not who sent
it, and no shop's name, so nothing but the event itself leaves for LINE or a
mailbox.
"""

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from kit.notice_outbox import NoticeKind
from ledger.clock import BUSINESS_TZ
from wallet_api.history_words import Lang, describe


@dataclass(frozen=True, slots=True)
class Words:
    """Attributes: subject: an e-mail's subject; text: the message itself."""

    subject: str
    text: str


LOT_WORDS = {
    "points": {Lang.JA: "ポイント", Lang.EN: "points"},
    "premium": {Lang.JA: "プレミアム分", Lang.EN: "premium"},
}
FOOTER = {
    Lang.JA: "くわしくはアプリの「履歴」をご覧ください。",
    Lang.EN: "See the history in the app for details.",
}


def notice_words(kind: str, data: dict[str, Any], *, lang: Lang, coin_name: str) -> Words:
    if kind == NoticeKind.EXPIRING:
        line = _expiring(data, lang)
    elif kind == NoticeKind.PIN_LOCKED:
        line = _locked(data, lang)
    else:
        line = _money(data, lang)
    subject = f"【{coin_name}】{line.splitlines()[0]}"
    return Words(subject=subject, text=f"{coin_name}\n{line}\n{FOOTER[lang]}")


def _money(data: dict[str, Any], lang: Lang) -> str:
    signed = int(data["amount"])
    phrase = describe(str(data["entry_kind"]), amount=signed, lang=lang)
    at = datetime.fromisoformat(str(data["at"])).astimezone(BUSINESS_TZ)
    if lang is Lang.JA:
        return f"{phrase}: {abs(signed):,}コイン\n{at.month}月{at.day}日 {at:%H:%M}"
    return f"{phrase}: {abs(signed):,} coin\n{at:%Y-%m-%d %H:%M} (Japan time)"


def _expiring(data: dict[str, Any], lang: Lang) -> str:
    what = LOT_WORDS.get(str(data["lot_kind"]), LOT_WORDS["points"])[lang]
    on = date.fromisoformat(str(data["expires_on"]))
    amount, days = int(data["amount"]), int(data["days"])
    if lang is Lang.JA:
        return f"{what} {amount:,}コインの有効期限は{on.month}月{on.day}日です（あと{days}日）"  # noqa: RUF001
    return f"{amount:,} coin of {what} expire on {on:%Y-%m-%d} (in {days} days)"


def _locked(data: dict[str, Any], lang: Lang) -> str:
    until = datetime.fromisoformat(str(data["locked_until"])).astimezone(BUSINESS_TZ)
    if lang is Lang.JA:
        return (
            f"暗証番号のまちがいが続いたため、{until.month}月{until.day}日 {until:%H:%M}まで"
            "使えなくしました\n心当たりがなければ、窓口にご相談ください。"
        )
    return (
        f"Too many wrong PINs: your PIN is locked until {until:%Y-%m-%d %H:%M} (Japan time)\n"
        "If this was not you, please talk to the counter."
    )


def code_words(code: str, *, coin_name: str, minutes: int) -> Words:
    """The one-time code's message: Japanese, then English (the resident may not
    have chosen a language yet)."""
    return Words(
        subject=f"【{coin_name}】確認コード / Your code",
        text=(
            f"{coin_name}\n確認コード: {code}\n{minutes}分以内にアプリで入力してください。"
            f"\nYour code is {code}; type it in the app within {minutes} minutes."
            "\n心当たりがなければ、このお知らせは捨ててください。"
        ),
    )
