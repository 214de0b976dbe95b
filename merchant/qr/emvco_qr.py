"""Merchant-presented QR payloads: EMVCo MPM (the base of JPQR), built and parsed.

A merchant-presented QR is a string of TLV data objects: a two-digit id, a
two-digit length (in characters) and the value. Ids 26-51 hold one template per
payment scheme, each named by a globally unique identifier in its sub-field 00;
our scheme's data lives in the template named ``SCHEME_GUID``, wherever it sits
(a combined JPQR sticker may put it under any id). JPQR (Payments Japan's unified
code, docs/qr.md) reserves 26 for its own template, so we write ours under
``TEMPLATE_ID`` and 26 carries the ``jp.or.paymentsjapan`` template with the
merchant's unified store id when the issuer recorded one. The payload ends
with id 63, a CRC-16/CCITT-FALSE over the UTF-8 bytes of everything before it,
"6304" included. Pure functions: whether the merchant exists is the caller's
question, asked of the database.

Layout we write (ids ascending, 63 last; values are ASCII except inside 64)::

    00 "01"            payload format indicator
    01 "11" | "12"     point of initiation: static | dynamic
    26 template        JPQR only: 00 "jp.or.paymentsjapan", 01-04 the unified
                       store id's four parts (13, 4, 6 and 6 digits)
    27 template        00 SCHEME_GUID, 01 coin code, 02 merchant id,
                       03 the coin's JPQR provider code (when it has one)
    52 MCC             4 digits (ISO 18245)
    53 "392"           currency: JPY (ISO 4217 numeric)
    54 amount          dynamic only: whole yen, no decimal point, no leading zero
    58 "JP"            country
    59 merchant name   ASCII, at most 25 characters
    60 merchant city   ASCII, at most 15 characters
    61 postal code     7 digits, when the merchant has one (JPQR requires it)
    62 template        dynamic only: 05 reference label (e.g. a payment intent id)
    64 template        00 "JA", 01 Japanese name (02 Japanese city: read, never written
                       by our products, JPQR forbids it)
    63 CRC             4 upper-case hex digits

Stickers printed before JPQR carry our template under 26 (``LEGACY_TEMPLATE_ID``);
they parse as before, with ``template_id`` saying where the template was, and
the payment path decides whether the coin still accepts them (qr_settings.py).

The reference rides in 62/05, EMVCo's own "reference label", rather than in our
template: any EMVCo reader shows it, and our template stays under its 99
characters with a 32-character merchant id.

Result codes, in the order the parser checks (each ``QrError`` carries a code
and a more specific ``Reason``):

    invalid_qr       payload_too_long, tlv_malformed, tlv_overrun, id_duplicate,
                     format_indicator_invalid, crc_missing, charset_invalid,
                     crc_mismatch, field_missing, field_too_long, field_invalid
    unsupported_qr   currency_not_jpy, country_not_jp, tip_not_supported,
                     scheme_not_ours
    invalid_qr       scheme_ambiguous; in our template tlv_*, field_missing,
                     field_unknown; in 64 and 62 tlv_*, field_missing,
                     field_invalid; amount_invalid (decimals, sign, leading 0);
                     then the record's rules, shared with the builders:
                     field_invalid, field_too_long (coin code, merchant id,
                     MCC, names, reference), amount_not_positive,
                     amount_exceeds_max, dynamic_without_amount,
                     dynamic_without_reference, static_with_amount,
                     static_with_reference
    qr_field_invalid raised by the builders only, with the same reasons as the
                     checks above, for a value that cannot go into a code.

Attributes:
    SCHEME_GUID: our scheme's globally unique identifier, a reverse domain name
        (EMVCo allows an AID, a UUID or a reverse domain). Changing it breaks
        every printed static code.
    TEMPLATE_ID: the merchant account information id we write our template under.
    LEGACY_TEMPLATE_ID: where codes printed before JPQR carry it.
    JPQR_GUID: the identifier of JPQR's own template (id 26).
    JPQR_STORE_ID_PARTS: the lengths of the unified store id's parts, in digits.
    PROVIDER_CODE_PATTERN: a JPQR provider code, as the coin's setting has it.
    PAYLOAD_LENGTH_MAX: EMVCo's bound on a whole payload, in characters.
    COIN_CODE_PATTERN: a coin code, as the coins table's CHECK constraint has it.
    MERCHANT_ID_LENGTH_MAX: the longest merchant id, in characters.
    REFERENCE_LENGTH_MAX: the longest reference: EMVCo's bound for 62/05.
    MERCHANT_NAME_LENGTH_MAX: EMVCo's bound for 59 and for 64/01, in characters.
    MERCHANT_CITY_LENGTH_MAX: EMVCo's bound for 60 and for 64/02, in characters.
    AMOUNT_YEN_MAX: the largest amount of a dynamic code, the ledger's own bound.
"""

import itertools
import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum

from ledger.limits import AMOUNT_MAX

SCHEME_GUID = "JP.LOCALCOIN"
TEMPLATE_ID = "27"
LEGACY_TEMPLATE_ID = "26"
JPQR_GUID = "jp.or.paymentsjapan"
JPQR_STORE_ID_PARTS = (13, 4, 6, 6)
PROVIDER_CODE_PATTERN = re.compile(r"[A-Za-z0-9]{1,20}")
POSTAL_CODE_PATTERN = re.compile(r"[0-9]{7}")
PAYLOAD_LENGTH_MAX = 512
COIN_CODE_PATTERN = re.compile(r"[A-Z][A-Z0-9_]{1,15}")
MERCHANT_ID_LENGTH_MAX = 32
REFERENCE_LENGTH_MAX = 25
MERCHANT_NAME_LENGTH_MAX = 25
MERCHANT_CITY_LENGTH_MAX = 15
AMOUNT_YEN_MAX = AMOUNT_MAX

_CURRENCY_JPY = "392"
_COUNTRY_JP = "JP"
# JPQR writes the language upper case; EMVCo readers compare it without case.
_LANGUAGE_JA = "JA"
_ASCII_DIGITS = frozenset("0123456789")
_TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]+")
_AMOUNT_PATTERN = re.compile(r"[1-9][0-9]{0,12}")
_CRC_PATTERN = re.compile(r"[0-9A-F]{4}")
_SCHEME_TEMPLATE_IDS = frozenset(f"{n:02d}" for n in range(26, 52))
# Our template starts with this; one that does is ours even if malformed after it.
_OUR_GUID_TLV = f"00{len(SCHEME_GUID):02d}{SCHEME_GUID}"
_JPQR_GUID_TLV = f"00{len(JPQR_GUID):02d}{JPQR_GUID}"
_JPQR_STORE_ID_PATTERN = re.compile(f"[0-9]{{{sum(JPQR_STORE_ID_PARTS)}}}")
# Tip or convenience fee: the payer would owe more than field 54 says.
_TIP_IDS = frozenset({"55", "56", "57"})
_MANDATORY_IDS = ("00", "01", "52", "53", "58", "59", "60", "63")


class Code(StrEnum):
    """Why a payload was refused, as a caller branches on it."""

    INVALID_QR = "invalid_qr"
    UNSUPPORTED_QR = "unsupported_qr"
    QR_FIELD_INVALID = "qr_field_invalid"


class Reason(StrEnum):
    """What exactly was wrong; stable, for logs, tests and support."""

    PAYLOAD_TOO_LONG = "payload_too_long"
    TLV_MALFORMED = "tlv_malformed"
    TLV_OVERRUN = "tlv_overrun"
    ID_DUPLICATE = "id_duplicate"
    FORMAT_INDICATOR_INVALID = "format_indicator_invalid"
    CRC_MISSING = "crc_missing"
    CHARSET_INVALID = "charset_invalid"
    CRC_MISMATCH = "crc_mismatch"
    FIELD_MISSING = "field_missing"
    FIELD_TOO_LONG = "field_too_long"
    FIELD_INVALID = "field_invalid"
    CURRENCY_NOT_JPY = "currency_not_jpy"
    COUNTRY_NOT_JP = "country_not_jp"
    TIP_NOT_SUPPORTED = "tip_not_supported"
    SCHEME_NOT_OURS = "scheme_not_ours"
    SCHEME_AMBIGUOUS = "scheme_ambiguous"
    FIELD_UNKNOWN = "field_unknown"
    AMOUNT_INVALID = "amount_invalid"
    AMOUNT_NOT_POSITIVE = "amount_not_positive"
    AMOUNT_EXCEEDS_MAX = "amount_exceeds_max"
    DYNAMIC_WITHOUT_AMOUNT = "dynamic_without_amount"
    DYNAMIC_WITHOUT_REFERENCE = "dynamic_without_reference"
    STATIC_WITH_AMOUNT = "static_with_amount"
    STATIC_WITH_REFERENCE = "static_with_reference"


class QrError(Exception):
    """A payload the parser refuses, or a value the builders cannot encode.

    Attributes:
        code: the stable code a caller branches on (and the API reports).
        reason: the specific rule that was broken.
        detail: a human sentence; never parse it.
    """

    def __init__(self, code: Code, reason: Reason, detail: str) -> None:
        super().__init__(f"{code} ({reason}): {detail}")
        self.code = code
        self.reason = reason
        self.detail = detail


class Initiation(StrEnum):
    """EMVCo's point of initiation method (id 01)."""

    STATIC = "11"
    DYNAMIC = "12"


@dataclass(frozen=True, slots=True)
class MerchantQr:
    """One merchant-presented QR code of our scheme.

    Attributes:
        initiation: STATIC (printed at the till; the payer types the amount) or
            DYNAMIC (shown for one payment, amount fixed).
        coin_code: the coin the merchant accepts (``SARUBOBO``).
        merchant_id: the merchant's public id in that coin; whether it exists
            is for the caller to check.
        merchant_name: the name EMVCo readers show, printable ASCII.
        merchant_city: the city, printable ASCII.
        mcc: the ISO 18245 merchant category code, 4 digits.
        amount_yen: the amount a dynamic code asks for; None on a static code.
        reference: what a dynamic code pays (e.g. a payment intent id); None on
            a static code.
        merchant_name_ja: the Japanese name (template 64), or None if absent.
        merchant_city_ja: the Japanese city (template 64), or None if absent.
        postal_code: the shop's postal code (61), 7 digits; None if absent.
        jpqr_store_id: the unified store id Payments Japan assigned the shop
            (template 26), 29 digits; None on a code of our scheme alone.
        provider_code: the coin's JPQR provider code (our template's 03), or None.
        template_id: the id our template sits under: TEMPLATE_ID on the codes
            we print now, LEGACY_TEMPLATE_ID on stickers from before JPQR.
    """

    initiation: Initiation
    coin_code: str
    merchant_id: str
    merchant_name: str
    merchant_city: str
    mcc: str
    amount_yen: int | None = None
    reference: str | None = None
    merchant_name_ja: str | None = None
    merchant_city_ja: str | None = None
    postal_code: str | None = None
    jpqr_store_id: str | None = None
    provider_code: str | None = None
    template_id: str = TEMPLATE_ID

    @property
    def is_legacy(self) -> bool:
        """Whether our template sits where JPQR's belongs: a sticker from before JPQR."""
        return self.template_id == LEGACY_TEMPLATE_ID


# ---------------------------------------------------------------- CRC and TLV


def crc16_ccitt_false(data: bytes) -> int:
    """CRC-16/CCITT-FALSE: polynomial 0x1021, initial value 0xFFFF, no reflection."""
    crc = 0xFFFF
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else crc << 1
        crc &= 0xFFFF
    return crc


def _tlv(data_id: str, value: str) -> str:
    assert len(data_id) == 2 and set(data_id) <= _ASCII_DIGITS
    assert 1 <= len(value) <= 99, (data_id, value)
    return f"{data_id}{len(value):02d}{value}"


def _split(text: str) -> list[tuple[str, str]]:
    """The (id, value) pairs of a TLV string, in order; refuses malformed TLV."""
    code = Code.INVALID_QR
    pairs: list[tuple[str, str]] = []
    seen: set[str] = set()
    at = 0
    # Each turn consumes at least 5 characters, so the loop is bounded by len(text).
    while at < len(text):
        head = text[at : at + 4]
        # str.isdigit() would accept non-ASCII digits such as "٣"; EMVCo means 0-9.
        if len(head) < 4 or not set(head) <= _ASCII_DIGITS:
            raise QrError(code, Reason.TLV_MALFORMED, f"bad id or length at {at}: {head!r}")
        data_id, length = head[:2], int(head[2:])
        if length == 0:
            raise QrError(code, Reason.TLV_MALFORMED, f"empty value for id {data_id}")
        if at + 4 + length > len(text):
            raise QrError(code, Reason.TLV_OVERRUN, f"id {data_id} runs past the end")
        if data_id in seen:
            raise QrError(code, Reason.ID_DUPLICATE, f"id {data_id} appears twice")
        seen.add(data_id)
        pairs.append((data_id, text[at + 4 : at + 4 + length]))
        at += 4 + length
    return pairs


# ---------------------------------------------------------------- validators
# Small pure checks shared by the builders (code qr_field_invalid) and the
# parser (code invalid_qr), so a code we build always parses.


def _is_ascii_printable(value: str) -> bool:
    return all(" " <= char <= "~" for char in value)


def _is_displayable(value: str) -> bool:
    # Control, format (bidi overrides), surrogate and unassigned characters
    # could hide or reorder what the payer sees.
    return all(not unicodedata.category(char).startswith("C") for char in value)


def _check_text(value: str, *, label: str, length_max: int, ascii_only: bool, code: Code) -> None:
    if not value or value.isspace():
        raise QrError(code, Reason.FIELD_INVALID, f"{label} is empty")
    if len(value) > length_max:
        raise QrError(code, Reason.FIELD_TOO_LONG, f"{label} is over {length_max} characters")
    allowed = _is_ascii_printable(value) if ascii_only else _is_displayable(value)
    if not allowed:
        raise QrError(code, Reason.FIELD_INVALID, f"{label} has characters not allowed")


def _check_token(value: str, *, label: str, length_max: int, code: Code) -> None:
    if len(value) > length_max:
        raise QrError(code, Reason.FIELD_TOO_LONG, f"{label} is over {length_max} characters")
    if not _TOKEN_PATTERN.fullmatch(value):
        raise QrError(code, Reason.FIELD_INVALID, f"{label} must be [A-Za-z0-9_-]: {value!r}")


def _check_amount(amount_yen: int, *, code: Code) -> None:
    if amount_yen <= 0:
        raise QrError(code, Reason.AMOUNT_NOT_POSITIVE, f"amount {amount_yen} is not positive")
    if amount_yen > AMOUNT_YEN_MAX:
        raise QrError(code, Reason.AMOUNT_EXCEEDS_MAX, f"amount {amount_yen} > {AMOUNT_YEN_MAX}")


def _check_record(qr: MerchantQr, *, code: Code) -> None:
    """Every rule a MerchantQr obeys, whichever way it was made."""
    if not COIN_CODE_PATTERN.fullmatch(qr.coin_code):
        raise QrError(code, Reason.FIELD_INVALID, f"coin code invalid: {qr.coin_code!r}")
    _check_token(qr.merchant_id, label="merchant id", length_max=MERCHANT_ID_LENGTH_MAX, code=code)
    if len(qr.mcc) != 4 or not set(qr.mcc) <= _ASCII_DIGITS:
        raise QrError(code, Reason.FIELD_INVALID, f"MCC must be 4 digits: {qr.mcc!r}")
    for label, value, length_max, ascii_only in (
        ("merchant name", qr.merchant_name, MERCHANT_NAME_LENGTH_MAX, True),
        ("merchant city", qr.merchant_city, MERCHANT_CITY_LENGTH_MAX, True),
        ("Japanese name", qr.merchant_name_ja, MERCHANT_NAME_LENGTH_MAX, False),
        ("Japanese city", qr.merchant_city_ja, MERCHANT_CITY_LENGTH_MAX, False),
    ):
        if value is not None:
            _check_text(value, label=label, length_max=length_max, ascii_only=ascii_only, code=code)
    if qr.merchant_city_ja is not None and qr.merchant_name_ja is None:
        raise QrError(code, Reason.FIELD_MISSING, "a Japanese city needs a Japanese name")
    if qr.reference is not None:
        _check_token(qr.reference, label="reference", length_max=REFERENCE_LENGTH_MAX, code=code)
    _check_jpqr_fields(qr, code=code)
    if qr.amount_yen is not None:
        _check_amount(qr.amount_yen, code=code)
    _check_initiation(qr, code=code)


def _check_jpqr_fields(qr: MerchantQr, *, code: Code) -> None:
    if qr.postal_code is not None and not POSTAL_CODE_PATTERN.fullmatch(qr.postal_code):
        raise QrError(
            code, Reason.FIELD_INVALID, f"postal code must be 7 digits: {qr.postal_code!r}"
        )
    if qr.provider_code is not None and not PROVIDER_CODE_PATTERN.fullmatch(qr.provider_code):
        raise QrError(code, Reason.FIELD_INVALID, f"provider code invalid: {qr.provider_code!r}")
    if qr.template_id not in _SCHEME_TEMPLATE_IDS:
        raise QrError(code, Reason.FIELD_INVALID, f"template id {qr.template_id!r} not in 26-51")
    if qr.jpqr_store_id is None:
        return
    if not _JPQR_STORE_ID_PATTERN.fullmatch(qr.jpqr_store_id):
        raise QrError(code, Reason.FIELD_INVALID, "the unified store id is 29 digits")
    # JPQR's rules: a code with its template also carries 61 and 64, and 26 is JPQR's.
    if qr.postal_code is None or qr.merchant_name_ja is None:
        raise QrError(code, Reason.FIELD_MISSING, "a JPQR code needs a postal code and template 64")
    if qr.merchant_city_ja is not None:
        raise QrError(code, Reason.FIELD_INVALID, "a JPQR code has no city in template 64")
    if qr.is_legacy:
        raise QrError(code, Reason.SCHEME_AMBIGUOUS, "id 26 is JPQR's template on a JPQR code")


def split_store_id(store_id: str) -> tuple[str, ...]:
    """The unified store id's four parts (13, 4, 6 and 6 digits), as template 26 holds them."""
    assert _JPQR_STORE_ID_PATTERN.fullmatch(store_id), store_id
    starts = [sum(JPQR_STORE_ID_PARTS[:n]) for n in range(len(JPQR_STORE_ID_PARTS) + 1)]
    return tuple(store_id[a:b] for a, b in itertools.pairwise(starts))


def _check_initiation(qr: MerchantQr, *, code: Code) -> None:
    if qr.initiation is Initiation.DYNAMIC:
        if qr.amount_yen is None:
            raise QrError(code, Reason.DYNAMIC_WITHOUT_AMOUNT, "a dynamic code needs an amount")
        if qr.reference is None:
            raise QrError(
                code, Reason.DYNAMIC_WITHOUT_REFERENCE, "a dynamic code needs a reference"
            )
        return
    # A static code with an amount is legal EMVCo, but our static codes are
    # printed once and reused; a fixed amount or reference would be reused too.
    if qr.amount_yen is not None:
        raise QrError(code, Reason.STATIC_WITH_AMOUNT, "a static code carries no amount")
    if qr.reference is not None:
        raise QrError(code, Reason.STATIC_WITH_REFERENCE, "a static code carries no reference")


# ---------------------------------------------------------------- building


def build_static(
    *,
    coin_code: str,
    merchant_id: str,
    merchant_name: str,
    merchant_city: str,
    mcc: str,
    merchant_name_ja: str | None = None,
    merchant_city_ja: str | None = None,
    postal_code: str | None = None,
    jpqr_store_id: str | None = None,
    provider_code: str | None = None,
) -> str:
    """The payload of a merchant's static code: the payer enters the amount."""
    return encode(
        MerchantQr(
            initiation=Initiation.STATIC,
            coin_code=coin_code,
            merchant_id=merchant_id,
            merchant_name=merchant_name,
            merchant_city=merchant_city,
            mcc=mcc,
            merchant_name_ja=merchant_name_ja,
            merchant_city_ja=merchant_city_ja,
            postal_code=postal_code,
            jpqr_store_id=jpqr_store_id,
            provider_code=provider_code,
        )
    )


def build_dynamic(
    *,
    coin_code: str,
    merchant_id: str,
    merchant_name: str,
    merchant_city: str,
    mcc: str,
    amount_yen: int,
    reference: str,
    merchant_name_ja: str | None = None,
    merchant_city_ja: str | None = None,
    postal_code: str | None = None,
    jpqr_store_id: str | None = None,
    provider_code: str | None = None,
) -> str:
    """The payload of a one-payment code asking for ``amount_yen`` against ``reference``."""
    return encode(
        MerchantQr(
            initiation=Initiation.DYNAMIC,
            coin_code=coin_code,
            merchant_id=merchant_id,
            merchant_name=merchant_name,
            merchant_city=merchant_city,
            mcc=mcc,
            amount_yen=amount_yen,
            reference=reference,
            merchant_name_ja=merchant_name_ja,
            merchant_city_ja=merchant_city_ja,
            postal_code=postal_code,
            jpqr_store_id=jpqr_store_id,
            provider_code=provider_code,
        )
    )


def encode(qr: MerchantQr) -> str:
    """The payload of ``qr``; refuses (qr_field_invalid) what ``parse`` would refuse."""
    assert isinstance(qr.amount_yen, int | None) and not isinstance(qr.amount_yen, bool)
    _check_record(qr, code=Code.QR_FIELD_INVALID)
    template = _tlv("00", SCHEME_GUID) + _tlv("01", qr.coin_code) + _tlv("02", qr.merchant_id)
    if qr.provider_code is not None:
        template += _tlv("03", qr.provider_code)
    fields = [_tlv("00", "01"), _tlv("01", qr.initiation.value)]
    if qr.jpqr_store_id is not None:
        parts = split_store_id(qr.jpqr_store_id)
        jpqr = _tlv("00", JPQR_GUID) + "".join(
            _tlv(f"{n:02d}", part) for n, part in enumerate(parts, start=1)
        )
        fields.append(_tlv("26", jpqr))
    fields += [
        _tlv(qr.template_id, template),
        _tlv("52", qr.mcc),
        _tlv("53", _CURRENCY_JPY),
    ]
    if qr.amount_yen is not None:
        fields.append(_tlv("54", str(qr.amount_yen)))
    fields += [
        _tlv("58", _COUNTRY_JP),
        _tlv("59", qr.merchant_name),
        _tlv("60", qr.merchant_city),
    ]
    if qr.postal_code is not None:
        fields.append(_tlv("61", qr.postal_code))
    if qr.reference is not None:
        fields.append(_tlv("62", _tlv("05", qr.reference)))
    if qr.merchant_name_ja is not None:
        language = _tlv("00", _LANGUAGE_JA) + _tlv("01", qr.merchant_name_ja)
        if qr.merchant_city_ja is not None:
            language += _tlv("02", qr.merchant_city_ja)
        fields.append(_tlv("64", language))
    body = "".join(fields) + "6304"
    payload = body + f"{crc16_ccitt_false(body.encode('utf-8')):04X}"
    # Every field is bounded, so the sum is too (about 380 characters at most).
    assert len(payload) <= PAYLOAD_LENGTH_MAX
    return payload


# ---------------------------------------------------------------- parsing


def parse(payload: str) -> MerchantQr:
    """The code ``payload`` describes; raises QrError and nothing else on bad data."""
    assert isinstance(payload, str)
    bad = Code.INVALID_QR
    if len(payload) > PAYLOAD_LENGTH_MAX:
        raise QrError(bad, Reason.PAYLOAD_TOO_LONG, f"{len(payload)} > {PAYLOAD_LENGTH_MAX}")
    pairs = _split(payload)
    _check_frame(payload, pairs)
    fields = dict(pairs)
    for data_id in _MANDATORY_IDS:
        if data_id not in fields:
            raise QrError(bad, Reason.FIELD_MISSING, f"mandatory id {data_id} is missing")
    _check_standard_fields(fields)
    template_id, sub = _our_template(fields)
    name_ja, city_ja = _language_template(fields.get("64"))
    qr = MerchantQr(
        initiation=Initiation(fields["01"]),
        coin_code=sub["01"],
        merchant_id=sub["02"],
        merchant_name=fields["59"],
        merchant_city=fields["60"],
        mcc=fields["52"],
        amount_yen=_amount(fields.get("54")),
        reference=_reference(fields.get("62")),
        merchant_name_ja=name_ja,
        merchant_city_ja=city_ja,
        postal_code=fields.get("61"),
        jpqr_store_id=_jpqr_store_id(fields.get("26")),
        provider_code=sub.get("03"),
        template_id=template_id,
    )
    _check_record(qr, code=bad)
    return qr


def _check_frame(payload: str, pairs: list[tuple[str, str]]) -> None:
    """00 first, 63 last and its CRC right."""
    bad = Code.INVALID_QR
    if not pairs or pairs[0] != ("00", "01"):
        raise QrError(bad, Reason.FORMAT_INDICATOR_INVALID, "payload must start with 000201")
    last_id, crc = pairs[-1]
    if last_id != "63" or not _CRC_PATTERN.fullmatch(crc):
        raise QrError(bad, Reason.CRC_MISSING, "payload must end with 6304 and 4 hex digits")
    try:
        body = payload[:-4].encode("utf-8")
    except UnicodeEncodeError as error:  # lone surrogates: no UTF-8 form to check
        raise QrError(bad, Reason.CHARSET_INVALID, "payload is not valid Unicode") from error
    if f"{crc16_ccitt_false(body):04X}" != crc:
        raise QrError(bad, Reason.CRC_MISMATCH, f"CRC {crc} does not match the payload")


def _check_standard_fields(fields: dict[str, str]) -> None:
    """EMVCo's own rules on the ids every code carries, then ours on what we accept."""
    bad = Code.INVALID_QR
    if fields["01"] not in {Initiation.STATIC.value, Initiation.DYNAMIC.value}:
        raise QrError(bad, Reason.FIELD_INVALID, f"point of initiation {fields['01']!r}")
    for data_id, length_max in (("59", MERCHANT_NAME_LENGTH_MAX), ("60", MERCHANT_CITY_LENGTH_MAX)):
        if len(fields[data_id]) > length_max:
            raise QrError(bad, Reason.FIELD_TOO_LONG, f"id {data_id} is over {length_max}")
    if len(fields.get("54", "")) > 13:
        raise QrError(bad, Reason.FIELD_TOO_LONG, "amount is over 13 characters")
    if len(fields["53"]) != 3 or not set(fields["53"]) <= _ASCII_DIGITS:
        raise QrError(bad, Reason.FIELD_INVALID, f"currency {fields['53']!r} is not ISO 4217")
    if len(fields["58"]) != 2:
        raise QrError(bad, Reason.FIELD_INVALID, f"country {fields['58']!r} is not ISO 3166")
    unsupported = Code.UNSUPPORTED_QR
    if fields["53"] != _CURRENCY_JPY:
        raise QrError(unsupported, Reason.CURRENCY_NOT_JPY, f"currency {fields['53']}")
    if fields["58"] != _COUNTRY_JP:
        raise QrError(unsupported, Reason.COUNTRY_NOT_JP, f"country {fields['58']!r}")
    if _TIP_IDS & fields.keys():
        raise QrError(unsupported, Reason.TIP_NOT_SUPPORTED, "tips and convenience fees")


def _our_template(fields: dict[str, str]) -> tuple[str, dict[str, str]]:
    """The id and sub-fields of the one template under SCHEME_GUID."""
    bad = Code.INVALID_QR
    ours: list[tuple[str, dict[str, str]]] = []
    for data_id, value in fields.items():
        if data_id not in _SCHEME_TEMPLATE_IDS:
            continue
        if value.startswith(_OUR_GUID_TLV):
            ours.append((data_id, dict(_split(value))))
        # Another scheme's template may hold anything; it is none of our business.
    if not ours:
        raise QrError(Code.UNSUPPORTED_QR, Reason.SCHEME_NOT_OURS, f"no {SCHEME_GUID} template")
    if len(ours) > 1:
        raise QrError(bad, Reason.SCHEME_AMBIGUOUS, f"{len(ours)} {SCHEME_GUID} templates")
    template_id, sub = ours[0]
    for sub_id in ("01", "02"):
        if sub_id not in sub:
            raise QrError(bad, Reason.FIELD_MISSING, f"our template lacks sub-field {sub_id}")
    # Our own template has no extension points yet: an unknown sub-field means
    # a newer or forged code, better refused than half understood.
    unknown = sub.keys() - {"00", "01", "02", "03"}
    if unknown:
        raise QrError(bad, Reason.FIELD_UNKNOWN, f"our template has {sorted(unknown)}")
    return template_id, sub


def _jpqr_store_id(value: str | None) -> str | None:
    """The unified store id from JPQR's template in 26; None without one."""
    if value is None or not value.startswith(_JPQR_GUID_TLV):
        return None
    sub = dict(_split(value))
    parts = [sub.get(f"{n:02d}", "") for n in range(1, len(JPQR_STORE_ID_PARTS) + 1)]
    lengths_right = all(len(p) == n for p, n in zip(parts, JPQR_STORE_ID_PARTS, strict=True))
    if not lengths_right or sub.keys() - {"00", "01", "02", "03", "04"}:
        raise QrError(Code.INVALID_QR, Reason.FIELD_INVALID, "JPQR template 26 malformed")
    return "".join(parts)


def _language_template(value: str | None) -> tuple[str | None, str | None]:
    """The Japanese name and city from template 64; (None, None) if absent or not ja."""
    if value is None:
        return None, None
    bad = Code.INVALID_QR
    sub = dict(_split(value))
    if "00" not in sub or "01" not in sub:
        raise QrError(bad, Reason.FIELD_MISSING, "template 64 needs a language and a name")
    language = sub["00"]
    if len(language) != 2 or not language.isascii() or not language.isalpha():
        raise QrError(bad, Reason.FIELD_INVALID, f"language {language!r} is not ISO 639")
    # Another language (an English alias, say) is legal EMVCo; we keep Japanese only.
    if language.upper() != _LANGUAGE_JA:
        return None, None
    return sub["01"], sub.get("02")


def _amount(value: str | None) -> int | None:
    """Whole yen from id 54: JPY has no minor unit, so no decimal point at all."""
    if value is None:
        return None
    if not _AMOUNT_PATTERN.fullmatch(value):
        if "0" in value and set(value) <= {"0", "."}:
            raise QrError(Code.INVALID_QR, Reason.AMOUNT_NOT_POSITIVE, f"amount {value!r}")
        raise QrError(Code.INVALID_QR, Reason.AMOUNT_INVALID, f"amount {value!r} is not whole yen")
    return int(value)


def _reference(value: str | None) -> str | None:
    """The reference label (62/05), or None if there is none."""
    if value is None:
        return None
    sub = dict(_split(value))
    return sub.get("05")
