"""Company forms in account names, abbreviated as the Zengin table (法人略語) has them.

A transfer's 受取人名 carries a company form as a kana abbreviation whose
bracket shows where the form stood in the registered name:

    株式会社みどり商店        → ｶ)ﾐﾄﾞﾘｼﾖｳﾃﾝ      (at the start)
    みどり商店株式会社        → ﾐﾄﾞﾘｼﾖｳﾃﾝ(ｶ      (at the end)
    みどり株式会社高山支店    → ﾐﾄﾞﾘ(ｶ)ﾀｶﾔﾏｼﾃﾝ  (in the middle, before a branch)

The table is the one the banks publish from the 全銀協 rules, e.g. 京葉銀行's
「入力できる文字」 page (https://www.keiyobank.co.jp/alpha_dbank/internet/typing.html,
1.法人略語) and the 別表 (第5条関係) of a bank's transfer rules
(https://expydoc.com/doc/7181036/), which adds the 一般/公益 forms of 社団 and
財団 and the medical forms. Clerks type the form in kanji (株式会社), as a mark
((株) in half- or full-width brackets, ㈱) or spelled in kana (カブシキガイシャ,
かぶしきがいしゃ); all become the abbreviation. Kana spellings are recognised
for the five commercial companies only: the other forms' readings are long
words that may well be part of a shop's own name.

Pure functions; the result goes through ``kana.to_zengin`` like any name.
"""

import re
import unicodedata

import jaconv

from jp_banking.kana import to_zengin

# (the forms as typed, the kana abbreviation), the Zengin 法人略語.
FORMS: tuple[tuple[tuple[str, ...], str], ...] = (
    (("株式会社", "(株)", "㈱", "カブシキガイシャ", "カブシキガイシヤ", "カブシキカイシャ"), "カ"),
    (("有限会社", "(有)", "㈲", "ユウゲンガイシャ", "ユウゲンガイシヤ"), "ユ"),
    (("合名会社", "(名)", "㈴", "ゴウメイガイシャ", "ゴウメイガイシヤ"), "メ"),
    (("合資会社", "(資)", "㈾", "ゴウシガイシャ", "ゴウシガイシヤ"), "シ"),
    (("合同会社", "(同)", "ゴウドウガイシャ", "ゴウドウガイシヤ"), "ド"),
    (("相互会社",), "ソ"),
    (("医療法人社団", "医療法人財団", "社会医療法人", "医療法人", "(医)"), "イ"),
    (("一般社団法人", "公益社団法人", "社団法人", "(社)", "(一社)", "(公社)"), "シヤ"),
    (("一般財団法人", "公益財団法人", "財団法人", "(財)", "(一財)", "(公財)"), "ザイ"),
    (("特定非営利活動法人", "NPO法人", "(特非)"), "トクヒ"),
    (("社会福祉法人", "(福)"), "フク"),
    (("学校法人", "(学)"), "ガク"),
    (("宗教法人", "(宗)"), "シユウ"),
    (("地方独立行政法人",), "チドク"),
    (("独立行政法人", "(独)"), "ドク"),
    (("国立大学法人",), "ダイ"),
    (("農事組合法人",), "ノウ"),
    (("更生保護法人",), "ホゴ"),
    (("弁護士法人",), "ベン"),
    (("司法書士法人",), "シホウ"),
    (("税理士法人",), "ゼイ"),
    (("行政書士法人",), "ギヨ"),
    (("社会保険労務士法人",), "ロウム"),
    (("管理組合法人",), "カンリ"),
)

_ABBREVIATION = {form: kana for forms, kana in FORMS for form in forms}
# Longest first, so 一般社団法人 is not read as 一般 + 社団法人.
_PATTERN = re.compile(
    r"[ \u3000]*(?:"
    + "|".join(re.escape(form) for form in sorted(_ABBREVIATION, key=len, reverse=True))
    + r")[ \u3000]*"
)


def _comparable(text: str) -> str:
    """Full-width katakana, ASCII brackets: one spelling for each way a form is typed."""
    composed = unicodedata.normalize("NFC", text).strip(" \u3000")
    brackets = composed.replace("\uff08", "(").replace("\uff09", ")")
    return jaconv.h2z(jaconv.hira2kata(brackets), kana=True, ascii=False, digit=False)


def abbreviate(text: str) -> str:
    """``text`` with each company form replaced by its bracketed kana abbreviation."""
    name = _comparable(text)

    def replace(found: re.Match[str]) -> str:
        kana = _ABBREVIATION[found.group(0).strip(" \u3000")]
        if found.start() == 0:
            return f"{kana})"
        if found.end() == len(name):
            return f"({kana}"
        return f"({kana})"

    return _PATTERN.sub(replace, name)


def zengin_name(text: str) -> str:
    """The account name a bank prints for ``text``: forms abbreviated, then Zengin
    characters (``kana.to_zengin``, whose refusal it raises)."""
    return to_zengin(abbreviate(text))
