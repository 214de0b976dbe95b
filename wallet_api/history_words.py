"""What each line of a wallet's history says to a resident, in Japanese and English.

One table keyed by the ledger entry's kind. A kind that moves coin both ways
(a transfer between people) has words for each side: ``in`` when the line
raised the wallet's balance, ``out`` when it lowered it. ``{name}`` is the
sender's display name on a transfer received; a transfer sent names nobody
(wallet_api/history.py says why). A kind missing from the
table gets a generic phrase, so a new kind never breaks the history.
"""

from dataclasses import dataclass
from enum import StrEnum


class Lang(StrEnum):
    JA = "ja"
    EN = "en"


@dataclass(frozen=True, slots=True)
class Words:
    """Attributes:
    ja_in, en_in: the words when the line raised the balance.
    ja_out, en_out: the words when it lowered it (None: the same as ``in``).
    """

    ja_in: str
    en_in: str
    ja_out: str | None = None
    en_out: str | None = None

    def say(self, lang: Lang, *, incoming: bool) -> str:
        if lang is Lang.JA:
            return self.ja_in if incoming or self.ja_out is None else self.ja_out
        return self.en_in if incoming or self.en_out is None else self.en_out


WORDS: dict[str, Words] = {
    "topup.counter": Words("窓口でチャージ", "Top-up at the bank counter"),
    "topup.atm": Words("ATMでチャージ", "Top-up at an ATM"),
    "topup.bank_account": Words("口座からチャージ", "Top-up from your bank account"),
    "topup.card": Words("クレジットカードでチャージ", "Top-up by credit card"),
    "topup.card.refunded": Words(
        "カードチャージの返金",
        "Card top-up refunded",
        "カードチャージの取り消し",
        "Card top-up cancelled",
    ),
    "topup.card.charged_back": Words(
        "カード会社による取り消しの戻し",
        "Card chargeback undone",
        "カード会社による取り消し",
        "Card top-up charged back",
    ),
    "topup.bonus": Words("チャージ特典ポイント", "Top-up bonus points"),
    "p2p": Words(
        "{name}さんから受け取り", "Received from {name}", "{name}さんへ送金", "Sent to {name}"
    ),
    "payment": Words("お支払いの返金", "Payment refunded", "お店でお支払い", "Payment at a shop"),
    "charge": Words("お支払いの返金", "Payment refunded", "お店でお支払い", "Payment at a shop"),
    "hold.capture": Words(
        "予約代金の返金", "Booking payment refunded", "予約のお支払い", "Booking payment"
    ),
    "refund": Words("返金", "Refund"),
    "points.grant": Words("行政ポイントの付与", "City points granted"),
    "premium.purchase": Words("プレミアム付商品券の購入", "Premium voucher bought"),
    "lot.expired": Words(
        "有効期限切れの取り消し", "Expiry undone", "ポイントの有効期限切れ", "Points expired"
    ),
    "reversal": Words("取り消し", "Cancelled"),
}

GENERIC = Words("入金", "Money in", "出金", "Money out")
SOMEONE = {Lang.JA: "ほかの利用者", Lang.EN: "another resident"}


def describe(kind: str, *, amount: int, lang: Lang, name: str | None = None) -> str:
    """The resident's words for one history line: its entry kind and its signed amount."""
    words = WORDS.get(kind, GENERIC)
    phrase = words.say(lang, incoming=amount > 0)
    return _named(phrase, name, lang)


def _named(phrase: str, name: str | None, lang: Lang) -> str:
    if name is None:
        # 「ほかの利用者さん」 reads oddly: the honorific goes with the placeholder.
        phrase = phrase.replace("{name}さん", "{name}")
        name = SOMEONE[lang]
    return phrase.replace("{name}", name)


def describe_reversal(reverses_kind: str | None, *, amount: int, lang: Lang) -> str:
    """A reversal names what it undid: 「お店でお支払い」の取り消し."""
    undone = WORDS.get(reverses_kind or "")
    if undone is None:
        return WORDS["reversal"].say(lang, incoming=amount > 0)
    # The reversal moves the other way than the entry it undoes.
    original = _named(undone.say(lang, incoming=amount < 0), None, lang)
    return f"「{original}」の取り消し" if lang is Lang.JA else f"Cancelled: {original}"
