"""EMVCo merchant-presented payloads: what a till prints, what a wallet accepts.

Each refusal reason has a payload that shows it; most are crafted field by field
with a correct CRC so that the rule under test, not the checksum, refuses them.
"""

import string
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from merchant.qr.emvco_qr import (
    AMOUNT_YEN_MAX,
    MERCHANT_CITY_LENGTH_MAX,
    MERCHANT_ID_LENGTH_MAX,
    MERCHANT_NAME_LENGTH_MAX,
    PAYLOAD_LENGTH_MAX,
    REFERENCE_LENGTH_MAX,
    SCHEME_GUID,
    Code,
    Initiation,
    MerchantQr,
    QrError,
    Reason,
    build_dynamic,
    build_static,
    crc16_ccitt_false,
    encode,
    parse,
)

# The example payload of the EMVCo MPM specification (a Chinese merchant, CNY):
# a published known answer for the CRC, over UTF-8 bytes that include Chinese.
EMVCO_SPEC_EXAMPLE = (
    "00020101021229300012D156000000000510A93FO3230Q31280012D15600000001030812345678"
    "520441115802CN5914BEST TRANSPORT6007BEIJING64200002ZH0104最佳运输0202北京"
    "540523.7253031565502016233030412340603***0708A60086670902ME91320016A011223344"
    "9988770708123456786304A13A"
)

# A soba shop's code for one payment, pinned so that any change of layout shows:
# our template under 27 (26 is JPQR's), the language JA upper case.
HIDA_SOBA_DYNAMIC = (
    "00020101021227370012JP.LOCALCOIN0108SARUBOBO0205m_123520458125303392540412005802JP"
    "5909Hida Soba6008Takayama62130509pi_01HXYZ64210002JA0104飛騨そば0203高山市63041889"
)
# The same code as printed before JPQR: our template under 26, the language "ja".
HIDA_SOBA_BEFORE_JPQR = (
    "00020101021226370012JP.LOCALCOIN0108SARUBOBO0205m_123520458125303392540412005802JP"
    "5909Hida Soba6008Takayama62130509pi_01HXYZ64210002ja0104飛騨そば0203高山市63043AFC"
)

SHOP: dict[str, Any] = {
    "coin_code": "SARUBOBO",
    "merchant_id": "m_123",
    "merchant_name": "Hida Soba",
    "merchant_city": "Takayama",
    "mcc": "5812",
}


def tlv(data_id: str, value: str) -> str:
    return f"{data_id}{len(value):02d}{value}"


def with_crc(body: str) -> str:
    body += "6304"
    return body + f"{crc16_ccitt_false(body.encode('utf-8', 'surrogatepass')):04X}"


OUR_TEMPLATE = tlv("00", SCHEME_GUID) + tlv("01", "SARUBOBO") + tlv("02", "m_123")
BASE_FIELDS = {
    "00": "01",
    "01": "12",
    "26": OUR_TEMPLATE,
    "52": "5812",
    "53": "392",
    "54": "1200",
    "58": "JP",
    "59": "Hida Soba",
    "60": "Takayama",
    "62": tlv("05", "pi_01HXYZ"),
}


def craft(**changes: str | None) -> str:
    """The dynamic base code with fields replaced (``f54="0"``) or dropped (``f54=None``)."""
    fields = dict(BASE_FIELDS)
    for key, value in changes.items():
        data_id = key.removeprefix("f")
        if value is None:
            fields.pop(data_id, None)
        else:
            fields[data_id] = value
    return with_crc("".join(tlv(data_id, value) for data_id, value in fields.items()))


def refusal(payload: str) -> tuple[Code, Reason]:
    with pytest.raises(QrError) as caught:
        parse(payload)
    return caught.value.code, caught.value.reason


# ------------------------------------------------------------------ the CRC


def test_crc_matches_the_standard_check_value() -> None:
    assert crc16_ccitt_false(b"123456789") == 0x29B1


def test_crc_matches_the_emvco_specification_example() -> None:
    assert f"{crc16_ccitt_false(EMVCO_SPEC_EXAMPLE[:-4].encode('utf-8')):04X}" == "A13A"


def test_the_emvco_example_is_well_formed_but_not_a_yen_code() -> None:
    assert refusal(EMVCO_SPEC_EXAMPLE) == (Code.UNSUPPORTED_QR, Reason.CURRENCY_NOT_JPY)


# ------------------------------------------------------------------ building


def test_a_static_code_for_the_till() -> None:
    payload = build_static(**SHOP)
    assert payload.startswith("000201010211")
    assert "5303392" in payload and "5802JP" in payload and "54" not in payload[:60]
    assert parse(payload) == MerchantQr(initiation=Initiation.STATIC, **SHOP)


def test_a_dynamic_code_matches_the_pinned_vector() -> None:
    payload = build_dynamic(
        **SHOP,
        amount_yen=1200,
        reference="pi_01HXYZ",
        merchant_name_ja="飛騨そば",
        merchant_city_ja="高山市",
    )
    assert payload == HIDA_SOBA_DYNAMIC
    qr = parse(payload)
    assert qr.initiation is Initiation.DYNAMIC
    assert (qr.amount_yen, qr.reference) == (1200, "pi_01HXYZ")
    assert (qr.merchant_name_ja, qr.merchant_city_ja) == ("飛騨そば", "高山市")
    assert qr.template_id == "27" and not qr.is_legacy


def test_a_code_printed_before_jpqr_still_parses_and_says_so() -> None:
    qr = parse(HIDA_SOBA_BEFORE_JPQR)
    assert (qr.template_id, qr.is_legacy) == ("26", True)
    assert (qr.coin_code, qr.merchant_id, qr.merchant_name_ja) == ("SARUBOBO", "m_123", "飛騨そば")
    # Re-encoding keeps it where it was: a record says where its template sits.
    assert encode(qr) == HIDA_SOBA_BEFORE_JPQR.replace("0002ja", "0002JA")[:-4] + encode(qr)[-4:]


def test_japanese_names_count_characters_not_bytes() -> None:
    name_ja = "あ" * MERCHANT_NAME_LENGTH_MAX  # 75 UTF-8 bytes, 25 characters
    payload = build_static(**SHOP, merchant_name_ja=name_ja)
    assert tlv("01", name_ja) in payload
    assert parse(payload).merchant_name_ja == name_ja


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"amount_yen": 0}, Reason.AMOUNT_NOT_POSITIVE),
        ({"amount_yen": -500}, Reason.AMOUNT_NOT_POSITIVE),
        ({"amount_yen": AMOUNT_YEN_MAX + 1}, Reason.AMOUNT_EXCEEDS_MAX),
        ({"merchant_name": "N" * (MERCHANT_NAME_LENGTH_MAX + 1)}, Reason.FIELD_TOO_LONG),
        ({"merchant_name": "飛騨そば"}, Reason.FIELD_INVALID),
        ({"merchant_name": "   "}, Reason.FIELD_INVALID),
        ({"merchant_city": "C" * (MERCHANT_CITY_LENGTH_MAX + 1)}, Reason.FIELD_TOO_LONG),
        ({"coin_code": "sarubobo"}, Reason.FIELD_INVALID),
        ({"merchant_id": "m/1"}, Reason.FIELD_INVALID),
        ({"merchant_id": "m" * (MERCHANT_ID_LENGTH_MAX + 1)}, Reason.FIELD_TOO_LONG),
        ({"reference": "r" * (REFERENCE_LENGTH_MAX + 1)}, Reason.FIELD_TOO_LONG),
        ({"reference": "pi 1"}, Reason.FIELD_INVALID),
        ({"mcc": "581"}, Reason.FIELD_INVALID),
        ({"merchant_name_ja": "あ" * 26}, Reason.FIELD_TOO_LONG),
        ({"merchant_name_ja": "飛騨\u202eそば"}, Reason.FIELD_INVALID),
        ({"merchant_city_ja": "高山市"}, Reason.FIELD_MISSING),
    ],
)
def test_the_builder_refuses_what_cannot_go_into_a_code(
    changes: dict[str, object], reason: Reason
) -> None:
    arguments: dict[str, object] = {**SHOP, "amount_yen": 1200, "reference": "pi_1", **changes}
    with pytest.raises(QrError) as caught:
        build_dynamic(**arguments)  # type: ignore[arg-type]
    assert (caught.value.code, caught.value.reason) == (Code.QR_FIELD_INVALID, reason)


def test_encode_refuses_a_static_record_with_an_amount() -> None:
    record = MerchantQr(initiation=Initiation.STATIC, amount_yen=100, **SHOP)
    with pytest.raises(QrError) as caught:
        encode(record)
    assert caught.value.reason is Reason.STATIC_WITH_AMOUNT


# ------------------------------------------------------------------ round trips

ASCII_TEXT = string.ascii_letters + string.digits + string.punctuation + " "
TOKEN = string.ascii_letters + string.digits + "_-"


def ascii_names(length_max: int) -> st.SearchStrategy[str]:
    return st.text(ASCII_TEXT, min_size=1, max_size=length_max).filter(lambda s: not s.isspace())


def local_names(length_max: int) -> st.SearchStrategy[str]:
    characters = st.characters(categories=("L", "M", "N", "P", "S", "Zs"))
    return st.text(characters, min_size=1, max_size=length_max).filter(lambda s: not s.isspace())


SHOPS = st.fixed_dictionaries(
    {
        "coin_code": st.from_regex(r"[A-Z][A-Z0-9_]{1,15}", fullmatch=True),
        "merchant_id": st.text(TOKEN, min_size=1, max_size=MERCHANT_ID_LENGTH_MAX),
        "merchant_name": ascii_names(MERCHANT_NAME_LENGTH_MAX),
        "merchant_city": ascii_names(MERCHANT_CITY_LENGTH_MAX),
        "mcc": st.from_regex(r"[0-9]{4}", fullmatch=True),
        "merchant_name_ja": st.none() | local_names(MERCHANT_NAME_LENGTH_MAX),
    }
)


@given(shop=SHOPS)
def test_every_static_code_parses_back(shop: dict[str, Any]) -> None:
    qr = parse(build_static(**shop))
    assert qr == MerchantQr(initiation=Initiation.STATIC, **shop)


@given(
    shop=SHOPS,
    amount_yen=st.integers(min_value=1, max_value=AMOUNT_YEN_MAX),
    reference=st.text(TOKEN, min_size=1, max_size=REFERENCE_LENGTH_MAX),
    city_ja=st.none() | local_names(MERCHANT_CITY_LENGTH_MAX),
)
def test_every_dynamic_code_parses_back(
    shop: dict[str, Any], amount_yen: int, reference: str, city_ja: str | None
) -> None:
    if shop["merchant_name_ja"] is None:
        city_ja = None
    payload = build_dynamic(
        **shop, amount_yen=amount_yen, reference=reference, merchant_city_ja=city_ja
    )
    assert len(payload) <= PAYLOAD_LENGTH_MAX
    assert parse(payload) == MerchantQr(
        initiation=Initiation.DYNAMIC,
        amount_yen=amount_yen,
        reference=reference,
        merchant_city_ja=city_ja,
        **shop,
    )


# ------------------------------------------------------------------ refusals

INVALID, UNSUPPORTED = Code.INVALID_QR, Code.UNSUPPORTED_QR


@pytest.mark.parametrize(
    ("payload", "code", "reason"),
    [
        ("0" * (PAYLOAD_LENGTH_MAX + 1), INVALID, Reason.PAYLOAD_TOO_LONG),
        ("", INVALID, Reason.FORMAT_INDICATOR_INVALID),
        ("000", INVALID, Reason.TLV_MALFORMED),
        ("0X0201", INVALID, Reason.TLV_MALFORMED),
        ("000001", INVALID, Reason.TLV_MALFORMED),
        ("\u0660\u0660\u0660\u066201", INVALID, Reason.TLV_MALFORMED),  # Arabic-Indic digits
        ("0002015999Hida Soba", INVALID, Reason.TLV_OVERRUN),
        (craft() + "52", INVALID, Reason.TLV_MALFORMED),
        (craft() + "5204", INVALID, Reason.TLV_OVERRUN),
        (craft(f00=None), INVALID, Reason.FORMAT_INDICATOR_INVALID),
        (craft(f00="02"), INVALID, Reason.FORMAT_INDICATOR_INVALID),
        (craft()[:-8], INVALID, Reason.CRC_MISSING),
        (craft()[:-8] + "6304abcd", INVALID, Reason.CRC_MISSING),
        (craft()[:-8] + "63040000" + tlv("61", "5060000"), INVALID, Reason.CRC_MISSING),
        (craft()[:-1] + ("0" if craft()[-1] != "0" else "1"), INVALID, Reason.CRC_MISMATCH),
        (craft().replace("Hida Soba", "Hida Sobb"), INVALID, Reason.CRC_MISMATCH),
        (craft(f59="\ud800"), INVALID, Reason.CHARSET_INVALID),
        (craft(f52=None), INVALID, Reason.FIELD_MISSING),
        (craft(f01=None), INVALID, Reason.FIELD_MISSING),
        (craft(f53=None), INVALID, Reason.FIELD_MISSING),
        (craft(f59=None), INVALID, Reason.FIELD_MISSING),
        (craft(f01="13"), INVALID, Reason.FIELD_INVALID),
        (craft(f59="N" * 26), INVALID, Reason.FIELD_TOO_LONG),
        (craft(f60="C" * 16), INVALID, Reason.FIELD_TOO_LONG),
        (craft(f54="1" * 14), INVALID, Reason.FIELD_TOO_LONG),
        (craft(f53="JPY"), INVALID, Reason.FIELD_INVALID),
        (craft(f58="JPN"), INVALID, Reason.FIELD_INVALID),
        (craft(f53="840"), UNSUPPORTED, Reason.CURRENCY_NOT_JPY),
        (craft(f58="US"), UNSUPPORTED, Reason.COUNTRY_NOT_JP),
        (craft(f55="01"), UNSUPPORTED, Reason.TIP_NOT_SUPPORTED),
        (craft(f26=None), UNSUPPORTED, Reason.SCHEME_NOT_OURS),
        (
            craft(f26=tlv("00", "JP.OTHERPAY") + tlv("01", "X")),
            UNSUPPORTED,
            Reason.SCHEME_NOT_OURS,
        ),
        (craft(f27=OUR_TEMPLATE), INVALID, Reason.SCHEME_AMBIGUOUS),
        (craft(f26=tlv("00", SCHEME_GUID) + tlv("01", "SARUBOBO")), INVALID, Reason.FIELD_MISSING),
        (craft(f26=OUR_TEMPLATE + tlv("04", "x")), INVALID, Reason.FIELD_UNKNOWN),
        (craft(f26=OUR_TEMPLATE + tlv("03", "LC-1")), INVALID, Reason.FIELD_INVALID),
        (craft(f26=tlv("00", SCHEME_GUID) + "0199"), INVALID, Reason.TLV_OVERRUN),
        (craft(f26=tlv("00", SCHEME_GUID) + "01"), INVALID, Reason.TLV_MALFORMED),
        (craft(f52="58A2"), INVALID, Reason.FIELD_INVALID),
        (craft(f59="飛騨そば"), INVALID, Reason.FIELD_INVALID),
        (
            craft(f26=tlv("00", SCHEME_GUID) + tlv("01", "sarubobo") + tlv("02", "m_1")),
            INVALID,
            Reason.FIELD_INVALID,
        ),
        (craft(f62=tlv("05", "r" * 26)), INVALID, Reason.FIELD_TOO_LONG),
        (craft(f62="0599"), INVALID, Reason.TLV_OVERRUN),
        (craft(f64=tlv("00", "ja")), INVALID, Reason.FIELD_MISSING),
        (craft(f64=tlv("00", "j1") + tlv("01", "そば")), INVALID, Reason.FIELD_INVALID),
        (craft(f64=tlv("00", "ja") + tlv("01", "あ" * 26)), INVALID, Reason.FIELD_TOO_LONG),
        (craft(f54="1200.00"), INVALID, Reason.AMOUNT_INVALID),
        (craft(f54="-1200"), INVALID, Reason.AMOUNT_INVALID),
        (craft(f54="01200"), INVALID, Reason.AMOUNT_INVALID),
        (craft(f54="1e3"), INVALID, Reason.AMOUNT_INVALID),
        (craft(f54="0"), INVALID, Reason.AMOUNT_NOT_POSITIVE),
        (craft(f54="0.00"), INVALID, Reason.AMOUNT_NOT_POSITIVE),
        (craft(f54=str(AMOUNT_YEN_MAX + 1)), INVALID, Reason.AMOUNT_EXCEEDS_MAX),
        (craft(f54=None), INVALID, Reason.DYNAMIC_WITHOUT_AMOUNT),
        (craft(f62=None), INVALID, Reason.DYNAMIC_WITHOUT_REFERENCE),
        (craft(f62=tlv("07", "TILL1")), INVALID, Reason.DYNAMIC_WITHOUT_REFERENCE),
        (craft(f01="11", f62=None), INVALID, Reason.STATIC_WITH_AMOUNT),
        (craft(f01="11", f54=None), INVALID, Reason.STATIC_WITH_REFERENCE),
    ],
)
def test_the_parser_refuses(payload: str, code: Code, reason: Reason) -> None:
    assert refusal(payload) == (code, reason)


def test_a_duplicate_id_is_refused() -> None:
    body = "".join(tlv(i, v) for i, v in BASE_FIELDS.items()) + tlv("52", "5999")
    assert refusal(with_crc(body)) == (INVALID, Reason.ID_DUPLICATE)


def test_another_schemes_template_beside_ours_is_ignored() -> None:
    payload = craft(f27="not a template at all", f29=tlv("00", "JP.OTHERPAY"))
    assert parse(payload).merchant_id == "m_123"


def test_a_language_template_in_another_language_is_ignored() -> None:
    qr = parse(craft(f64=tlv("00", "en") + tlv("01", "Hida Soba Honten")))
    assert qr.merchant_name_ja is None


def test_a_base_payload_is_accepted() -> None:
    # The refusal table only means something if the unchanged base parses.
    assert parse(craft()).amount_yen == 1200


# ------------------------------------------------------------------ fuzzing


@given(st.text(max_size=PAYLOAD_LENGTH_MAX + 8))
def test_parse_of_any_text_raises_only_qr_error(text: str) -> None:
    try:
        parse(text)
    except QrError as error:
        assert error.code in {Code.INVALID_QR, Code.UNSUPPORTED_QR}


@settings(max_examples=300)
@given(data=st.data())
def test_parse_of_a_damaged_code_raises_only_qr_error(data: st.DataObject) -> None:
    # Random text rarely gets past the TLV split; damage a real code instead and
    # fix its CRC half the time, so the field checks behind it are reached too.
    body = list(HIDA_SOBA_DYNAMIC[:-8])
    for _ in range(data.draw(st.integers(1, 4))):
        at = data.draw(st.integers(0, len(body) - 1))
        body[at] = data.draw(st.characters(codec="utf-8"))
    damaged = "".join(body)
    payload = with_crc(damaged) if data.draw(st.booleans()) else damaged + HIDA_SOBA_DYNAMIC[-8:]
    try:
        qr = parse(payload)
    except QrError as error:
        assert error.code in {Code.INVALID_QR, Code.UNSUPPORTED_QR}
    else:
        assert parse(encode(qr)) == qr
