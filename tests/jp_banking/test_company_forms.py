"""Company forms in account names, abbreviated as the Zengin table has them."""

import pytest

from jp_banking.company_forms import FORMS, abbreviate, zengin_name
from jp_banking.zengin_errors import ZenginCode, ZenginError


@pytest.mark.parametrize(
    ("typed", "printed"),
    [
        # 株式会社 at the start, at the end, in the middle (before a branch name).
        ("株式会社ミドリ", "ｶ)ﾐﾄﾞﾘ"),
        ("ミドリ株式会社", "ﾐﾄﾞﾘ(ｶ"),
        ("ミドリ株式会社タカヤマシテン", "ﾐﾄﾞﾘ(ｶ)ﾀｶﾔﾏｼﾃﾝ"),
        # The marks people type for it, and its kana spellings.
        ("(株)ミドリ", "ｶ)ﾐﾄﾞﾘ"),
        ("（株）ミドリ", "ｶ)ﾐﾄﾞﾘ"),  # noqa: RUF001 - full-width brackets, as typed
        ("ミドリ㈱", "ﾐﾄﾞﾘ(ｶ"),
        ("カブシキガイシャ ミドリ", "ｶ)ﾐﾄﾞﾘ"),
        ("かぶしきがいしゃみどり", "ｶ)ﾐﾄﾞﾘ"),
        ("ｶﾌﾞｼｷｶﾞｲｼﾔﾐﾄﾞﾘ", "ｶ)ﾐﾄﾞﾘ"),
        # Already abbreviated: unchanged.
        ("ｶ)ﾐﾄﾞﾘ", "ｶ)ﾐﾄﾞﾘ"),
        # The other forms of the table.
        ("有限会社ヤオヤ", "ﾕ)ﾔｵﾔ"),
        ("ヤオヤ有限会社", "ﾔｵﾔ(ﾕ"),
        ("合同会社ヤオヤ", "ﾄﾞ)ﾔｵﾔ"),
        ("合名会社ヤオヤ", "ﾒ)ﾔｵﾔ"),
        ("合資会社ヤオヤ", "ｼ)ﾔｵﾔ"),
        ("一般社団法人ヒダカンコウキヨウカイ", "ｼﾔ)ﾋﾀﾞｶﾝｺｳｷﾖｳｶｲ"),
        ("公益社団法人ムツ", "ｼﾔ)ﾑﾂ"),
        ("一般財団法人ムツ", "ｻﾞｲ)ﾑﾂ"),
        ("特定非営利活動法人ムツ", "ﾄｸﾋ)ﾑﾂ"),
        ("医療法人ムツ", "ｲ)ﾑﾂ"),
        ("医療法人社団ムツ", "ｲ)ﾑﾂ"),
        ("社会福祉法人ムツ", "ﾌｸ)ﾑﾂ"),
        ("学校法人ムツ", "ｶﾞｸ)ﾑﾂ"),
        ("宗教法人ムツ", "ｼﾕｳ)ﾑﾂ"),
        ("ムツ相互会社", "ﾑﾂ(ｿ"),
        # With the other mappings of the bank's characters.
        ("株式会社ヰスキー・ヱビス", "ｶ)ｲｽｷ-.ｴﾋﾞｽ"),
        # No form: only the characters change.
        ("ヤマダ タロウ", "ﾔﾏﾀﾞ ﾀﾛｳ"),
    ],
)
def test_a_company_form_becomes_its_abbreviation(typed: str, printed: str) -> None:
    assert zengin_name(typed) == printed


def test_the_longest_form_wins() -> None:
    # 一般社団法人, not 一般 + 社団法人; 地方独立行政法人, not 地方 + 独立行政法人.
    assert abbreviate("一般社団法人ムツ") == "シヤ)ムツ"
    assert abbreviate("地方独立行政法人ムツ") == "チドク)ムツ"


def test_every_abbreviation_is_in_the_bank_set() -> None:
    for _, kana in FORMS:
        assert zengin_name(f"{kana})ﾑﾂ").startswith(zengin_name(kana))


def test_kanji_outside_a_form_is_still_refused() -> None:
    with pytest.raises(ZenginError) as caught:
        zengin_name("株式会社陸奥")
    assert caught.value.code == ZenginCode.NAME_NOT_REPRESENTABLE
