"""JPQR's rules for a merchant-presented code, written apart from our builder to check it.

Encoded from Mercari's public reference implementation of the JPQR MPM
guideline, go-emv-code (https://github.com/mercari/go-emv-code, files
``mpm/jpqr/jpqr.go`` and ``mpm/jpqr/id.go``), on top of the EMVCo framing it
decodes first (``mpm/decode.go``): TLV with 2-digit ids and lengths counted in
characters, 00 = "01" first, 63 last with the CRC-16/CCITT-FALSE of everything
before its 4 digits. Its JPQR validators, in its order:

1. ``validateID``: a merchant account template whose 00 is
   ``jp.or.paymentsjapan`` and whose 01, 02, 03, 04 are 13, 4, 6 and 6
   characters long (the unified store id). The guideline puts it under 26;
   go-emv-code looks at every template, we ask for 26 as the guideline does.
2. ``validateCountryCodeIsJP``: 58 is "JP".
3. ``validateTransactionCurrency``: 53 is "392".
4. ``validatePostalCode``: 61 is present.
5. ``validateMerchantInformation``: 64 is present, its 00 (language) is "JA"
   exactly (upper case), and it has no 02 (alternate city).

``violations`` returns every rule a payload breaks, by name (empty: a JPQR
code). Deliberately no import from ``merchant.qr``: an oracle that shared the
builder's code would agree with its bugs.
"""

JPQR_ID_PREFIX = "jp.or.paymentsjapan"
JPQR_ID_LENGTHS = {"01": 13, "02": 4, "03": 6, "04": 6}


def crc16(data: bytes) -> int:
    crc = 0xFFFF
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) & 0xFFFF if crc & 0x8000 else (crc << 1) & 0xFFFF
    return crc


def tlv_split(text: str) -> dict[str, str] | None:
    """The fields of a TLV string, or None when it is not one."""
    fields: dict[str, str] = {}
    at = 0
    while at < len(text):
        head = text[at : at + 4]
        if len(head) < 4 or not head.isascii() or not head.isdigit():
            return None
        length = int(head[2:])
        value = text[at + 4 : at + 4 + length]
        if len(value) != length or head[:2] in fields:
            return None
        fields[head[:2]] = value
        at += 4 + length
    return fields


def emvco_violations(payload: str) -> list[str]:
    """The EMVCo framing go-emv-code checks before any JPQR rule."""
    fields = tlv_split(payload)
    if fields is None:
        return ["tlv"]
    broken = []
    if next(iter(fields), None) != "00" or fields["00"] != "01":
        broken.append("payload_format_indicator")
    if list(fields)[-1] != "63" or len(fields["63"]) != 4:
        broken.append("crc_position")
    elif f"{crc16(payload[:-4].encode('utf-8')):04X}" != fields["63"]:
        broken.append("crc")
    for mandatory in ("52", "53", "58", "59", "60"):
        if mandatory not in fields:
            broken.append(f"missing_{mandatory}")
    if not any(f"{n:02d}" in fields for n in range(2, 52)):
        broken.append("merchant_account_information")
    return broken


def jpqr_violations(payload: str) -> list[str]:
    """The JPQR rules a payload breaks, EMVCo's framing first."""
    broken = emvco_violations(payload)
    fields = tlv_split(payload) or {}
    jpqr_id = tlv_split(fields.get("26", "")) or {}
    if jpqr_id.get("00") != JPQR_ID_PREFIX or any(
        len(jpqr_id.get(sub, "")) != length for sub, length in JPQR_ID_LENGTHS.items()
    ):
        broken.append("id")
    if fields.get("58") != "JP":
        broken.append("country_code")
    if fields.get("53") != "392":
        broken.append("transaction_currency")
    if not fields.get("61"):
        broken.append("postal_code")
    language = tlv_split(fields.get("64", "")) if "64" in fields else None
    if language is None:
        broken.append("merchant_information")
    else:
        if language.get("00") != "JA":
            broken.append("merchant_information_language")
        if "02" in language:
            broken.append("merchant_information_city")
    return broken
