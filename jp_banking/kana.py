"""Names in the Zengin character set: half-width katakana, A-Z, 0-9 and a few symbols.

Bank transfer names travel as single-byte JIS X 0201 characters. The set used
here is the one every bank accepts for 受取人名 and 依頼人名 in the 全銀協
formats (the "ベーシック手順" set, as published in the banks' own guides, e.g.
https://spreadsheets.kmlog.com/ on 口座名義 and https://zenn.dev/futa/scraps/91335fe8e89229
on 全銀テレ為替文字):

- katakana ｱ-ﾝ and ｦ, with the separate voiced marks ﾞ and ﾟ;
- upper-case latin A-Z, digits 0-9;
- space and the symbols ( ) . - /

Some banks also take ､ , ¥ 「 」 and the long-vowel mark ｰ, others refuse
them; only the common set is produced, so a file is good at any bank. The
long-vowel mark is written as "-", as banks do for names like ｽ-ﾊﾟ-.
Small kana (ｧｨｩｪｫｯｬｭｮ, ヵヶヮ) are written large: bank account names
hold no small kana (ｼﾖｳｼﾞ for ショウジ). The old kana ヰ and ヱ have no
half-width form and are written ｲ and ｴ, as banks print them. The 中黒 ・
(and its half-width ･) becomes the period: the issue the clerks raised asks
for it, and "." is in the common set (a few banks, e.g. 京葉銀行, ask for a
space instead; their own screens convert).

Abbreviations of company forms (株式会社 → ｶ)) are ``company_forms``' job;
kanji and anything else outside the set are refused, never guessed.
"""

import unicodedata

import jaconv

from jp_banking.zengin_errors import ZenginCode, ZenginError

KATAKANA = "ｱｲｳｴｵｶｷｸｹｺｻｼｽｾｿﾀﾁﾂﾃﾄﾅﾆﾇﾈﾉﾊﾋﾌﾍﾎﾏﾐﾑﾒﾓﾔﾕﾖﾗﾘﾙﾚﾛﾜｦﾝ"
VOICED_MARKS = "ﾞﾟ"
LATIN = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
DIGITS = "0123456789"
SYMBOLS = " ().-/"

ZENGIN_CHARACTERS = frozenset(KATAKANA + VOICED_MARKS + LATIN + DIGITS + SYMBOLS)

# Small kana have no place in an account name; the bank writes them large.
# ヵヶヮ have no half-width form, so they are mapped before jaconv sees them.
_LARGE_KANA = str.maketrans(
    {
        "ｧ": "ｱ",
        "ｨ": "ｲ",
        "ｩ": "ｳ",
        "ｪ": "ｴ",
        "ｫ": "ｵ",
        "ｯ": "ﾂ",
        "ｬ": "ﾔ",
        "ｭ": "ﾕ",
        "ｮ": "ﾖ",
        "ヵ": "カ",
        "ヶ": "ケ",
        "ヮ": "ワ",
        "ヰ": "イ",
        "ヱ": "エ",
        "・": ".",
        "･": ".",
    }
)

# Dashes and the long-vowel mark people type, all to the one hyphen banks take.
_DASHES = str.maketrans(dict.fromkeys("ｰー‐‑‒–—―−－", "-"))  # noqa: RUF001 - the dashes people type

# ASCII only: str.upper would turn ß into SS and ﬁ into FI, which is guessing.
_UPPER_LATIN = str.maketrans(LATIN.lower(), LATIN)


def to_zengin(text: str) -> str:
    """``text`` in half-width Zengin characters, or a ``name_not_representable`` refusal.

    Full-width katakana, hiragana, full-width latin and digits become
    half-width; latin is upper-cased; small kana become large; dashes become
    "-"; full-width spaces become spaces and outer spaces are dropped. The
    length is not checked here: each field has its own width.
    """
    # NFC joins a kana and a combining voiced mark (カ + U+3099) into ガ,
    # which jaconv then splits into ｶﾞ. NFKC would also fold half-width kana
    # back to full width and turn ① into 1, which is guessing.
    composed = unicodedata.normalize("NFC", text)
    katakana = jaconv.hira2kata(composed).translate(_LARGE_KANA)
    half = jaconv.z2h(katakana, kana=True, ascii=True, digit=True)
    result = half.translate(_LARGE_KANA).translate(_DASHES).translate(_UPPER_LATIN).strip(" ")
    refused = sorted({char for char in result if char not in ZENGIN_CHARACTERS})
    if refused:
        shown = " ".join(f"{char!r}(U+{ord(char):04X})" for char in refused)
        raise ZenginError(
            ZenginCode.NAME_NOT_REPRESENTABLE,
            f"{text!r} has characters outside the Zengin set: {shown}",
        )
    return result


def is_zengin(text: str) -> bool:
    """Whether ``text`` is already in the Zengin set, unchanged by ``to_zengin``."""
    return all(char in ZENGIN_CHARACTERS for char in text)


def truncate(text: str, width: int) -> str:
    """The longest prefix of Zengin ``text`` within ``width`` bytes.

    Used for bank and branch names only, which are informative in the file
    (the codes route the money). A voiced mark is never left without its
    kana, nor a kana cut from its mark: ﾊﾞ is kept or dropped whole.
    """
    assert is_zengin(text), text
    assert width >= 0, width
    cut = text[:width]
    while cut and len(cut) < len(text) and text[len(cut)] in VOICED_MARKS:
        cut = cut[:-1]
    return cut
