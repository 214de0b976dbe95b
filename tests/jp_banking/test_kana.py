"""Names as the banks take them: half-width kana, A-Z, 0-9 and ( ) . - / only."""

import pytest
from zengin_code import Bank

from jp_banking.kana import ZENGIN_CHARACTERS, is_zengin, to_zengin, truncate
from jp_banking.zengin_errors import ZenginCode, ZenginError


@pytest.mark.parametrize(
    ("given", "written"),
    [
        ("ヤマダ タロウ", "ﾔﾏﾀﾞ ﾀﾛｳ"),
        ("やまだ　たろう", "ﾔﾏﾀﾞ ﾀﾛｳ"),  # hiragana and a full-width space
        ("ﾔﾏﾀﾞ ﾀﾛｳ", "ﾔﾏﾀﾞ ﾀﾛｳ"),  # already half-width: unchanged
        ("パン", "ﾊﾟﾝ"),
        ("ショウジ", "ｼﾖｳｼﾞ"),  # small kana written large
        ("ｷｬｯｼｭ", "ｷﾔﾂｼﾕ"),
        ("ヴァイオリン", "ｳﾞｱｲｵﾘﾝ"),
        ("ヵヶヮ", "ｶｹﾜ"),
        ("カ\u3099", "ｶﾞ"),  # a combining voiced mark joins its kana first
        ("ＡＢＣ　ｓｈｏｐ１２３", "ABC SHOP123"),  # noqa: RUF001 - full-width on purpose
        ("abc (kk)", "ABC (KK)"),
        ("スーパー", "ｽ-ﾊﾟ-"),  # the long-vowel mark as the hyphen every bank takes
        ("カ）ムツ．ショウテン／１", "ｶ)ﾑﾂ.ｼﾖｳﾃﾝ/1"),  # noqa: RUF001 - full-width on purpose
        ("  ﾑﾂ  ", "ﾑﾂ"),  # outer spaces dropped, not inner ones
        ("ヤマダ・タロウ", "ﾔﾏﾀﾞ.ﾀﾛｳ"),  # 中黒 as the period
        ("ﾔﾏﾀﾞ･ﾀﾛｳ", "ﾔﾏﾀﾞ.ﾀﾛｳ"),  # its half-width form too
        ("ヰスキー", "ｲｽｷ-"),  # old kana with no half-width form: written as ｲ and ｴ
        ("ヱビス", "ｴﾋﾞｽ"),
        ("ゐゑ", "ｲｴ"),
    ],
)
def test_names_become_half_width_zengin_kana(given: str, written: str) -> None:
    assert to_zengin(given) == written
    assert is_zengin(written)


@pytest.mark.parametrize(
    "refused",
    [
        "株式会社ムツ",  # kanji: the abbreviation ｶ) is company_forms' job
        "ヤマダ,タロウ",  # some banks take the comma, not all
        "ｽｰﾊﾟｰ☆",
        "Straße",  # ß is not upper-cased into SS
        "ﾔﾏﾀﾞ\tﾀﾛｳ",
    ],
)
def test_characters_outside_the_set_are_refused(refused: str) -> None:
    with pytest.raises(ZenginError) as caught:
        to_zengin(refused)
    assert caught.value.code == ZenginCode.NAME_NOT_REPRESENTABLE
    assert caught.value.record_index is None


def test_the_set_is_single_byte_in_cp932() -> None:
    for char in ZENGIN_CHARACTERS:
        assert len(char.encode("cp932")) == 1, char


def test_truncation_keeps_a_kana_and_its_voiced_mark_together() -> None:
    assert truncate("ﾐﾂﾋﾞｼ", 3) == "ﾐﾂ"  # ﾋﾞ would be split: both go
    assert truncate("ﾐﾂﾋﾞｼ", 4) == "ﾐﾂﾋﾞ"
    assert truncate("ﾐﾂ", 15) == "ﾐﾂ"
    assert truncate("ﾊﾟ", 1) == ""


def test_every_bank_and_branch_name_in_the_code_list_is_representable() -> None:
    for bank in Bank.all.values():
        assert is_zengin(to_zengin(bank.kana)), bank.code
        for branch in bank.branches.values():
            assert is_zengin(to_zengin(branch.kana)), (bank.code, branch.code)
