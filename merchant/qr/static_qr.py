"""A merchant's static QR code: the sticker at the till the payer scans and types an amount into.

The payload is EMVCo merchant-presented (``merchant.qr.emvco_qr.build_static``)
and, for a merchant with a unified store id, a JPQR code (docs/qr.md): our
scheme's template (id 27) carries the coin's code, the merchant's public id and
the coin's JPQR provider code, which is all a wallet needs to pay. The rest is
what any reader shows:

- 26 JPQR's template with the unified store id, when the issuer recorded one
  (a merchant without one gets a plain EMVCo code of our scheme).
- 59 merchant name: printable ASCII. The trading name itself when it is
  ASCII; otherwise the Hepburn-style romanisation of its Zengin kana
  (ﾔｵﾔ → YAOYA), which every merchant has. Cut to 25 characters.
- 60 merchant city: the city in Latin letters as the issuer registered it
  (TAKAYAMA), or the city itself when it is ASCII; merchants onboarded before
  cities were asked for show the country's name (JAPAN).
- 61 postal code, when the merchant has one (every merchant onboarded now).
- 64 language ``JA`` and the name as registered, cut to 25 characters, always
  (JPQR asks for it), so a Japanese wallet shows 八百屋 rather than YAOYA.
- 52 MCC: from the merchant's category (ISO 18245), 5999 (miscellaneous
  retail) for a category without its own code.

The code never changes while the merchant's name, category and location and
the coin's provider code do not, so a printed sticker stays good.
"""

from functools import lru_cache
from typing import TypedDict

import jaconv
from sqlalchemy import Connection, text

from merchant.accounts.merchants import Merchant
from merchant.qr.emvco_qr import MERCHANT_NAME_LENGTH_MAX, POSTAL_CODE_PATTERN, build_static
from merchant.qr.qr_settings import get_qr_settings

CITY = "JAPAN"
MCC_DEFAULT = "5999"
MCC_BY_CATEGORY = {
    "food": "5812",  # eating places, restaurants
    "grocery": "5411",  # grocery stores, supermarkets
    "retail": "5399",  # miscellaneous general merchandise
    "service": "7299",  # miscellaneous personal services
    "lodging": "7011",  # hotels, ryokan
    "transport": "4121",  # taxis
    "fuel": "5541",  # service stations
    "health": "8099",  # health practitioners
    "education": "8299",  # schools and educational services
    "leisure": "7999",  # recreation services
    "public": "9399",  # government services (city counters, facilities)
}


def _is_printable_ascii(value: str) -> bool:
    return bool(value) and all(" " <= char <= "~" for char in value)


def _ascii(trading_name: str, name_kana: str) -> str:
    """The name EMVCo's field 59 carries: printable ASCII, at most 25 characters."""
    name = trading_name.strip()
    if not _is_printable_ascii(name):
        katakana = jaconv.h2z(name_kana, kana=True, ascii=True, digit=True)
        romaji = jaconv.kana2alphabet(jaconv.kata2hira(katakana))
        ascii_only = jaconv.z2h(romaji, ascii=True, digit=True).upper()
        name = "".join(char for char in ascii_only if " " <= char <= "~").strip()
    # Every merchant has a Zengin kana name, but a name of symbols alone would romanise to nothing.
    return name[:MERCHANT_NAME_LENGTH_MAX].strip() or "MERCHANT"


def coin_code(conn: Connection, *, coin_id: int) -> str:
    code: str = conn.execute(
        text("SELECT code FROM coins WHERE id = :id"), {"id": coin_id}
    ).scalar_one()
    return code


def payee_names(merchant: Merchant) -> tuple[str, str]:
    """The names our codes carry for the merchant: field 59 (ASCII), and the
    name of template 64 (the registered name, Japanese or not)."""
    return _payee_names(merchant.name, merchant.name_kana)


# Every QR payment checks the code's names against these: the romanisation is
# worked out once per name, not on each payment.
@lru_cache(maxsize=4096)
def _payee_names(name: str, name_kana: str) -> tuple[str, str]:
    return _ascii(name, name_kana), name.strip()[:MERCHANT_NAME_LENGTH_MAX]


def merchant_city(merchant: Merchant) -> str:
    """Field 60: the romanised city, the city itself if ASCII, else the country."""
    if merchant.city_romaji:
        return merchant.city_romaji
    if merchant.city and _is_printable_ascii(merchant.city) and len(merchant.city) <= 15:
        return merchant.city
    return CITY


class CodeFields(TypedDict):
    """What every code of a merchant carries, as the builders take it."""

    coin_code: str
    merchant_id: str
    merchant_name: str
    merchant_city: str
    mcc: str
    merchant_name_ja: str
    postal_code: str | None
    jpqr_store_id: str | None
    provider_code: str | None


def code_fields(conn: Connection, merchant: Merchant) -> CodeFields:
    """The merchant's fields for ``build_static`` and ``build_dynamic``."""
    name, name_ja = payee_names(merchant)
    postal = merchant.postal_code
    store = merchant.jpqr_store_id
    # A store id kept from before it was checked as 29 digits, or one without a
    # postal code, cannot make a JPQR code: the code stays one of our scheme.
    jpqr = store is not None and len(store) == 29 and store.isdigit() and postal is not None
    return CodeFields(
        coin_code=coin_code(conn, coin_id=merchant.coin_id),
        merchant_id=merchant.public_id,
        merchant_name=name,
        merchant_city=merchant_city(merchant),
        mcc=MCC_BY_CATEGORY.get(merchant.category, MCC_DEFAULT),
        merchant_name_ja=name_ja,
        postal_code=postal if postal and POSTAL_CODE_PATTERN.fullmatch(postal) else None,
        jpqr_store_id=store if jpqr else None,
        provider_code=get_qr_settings(conn, coin_id=merchant.coin_id).provider_code,
    )


def static_payload(conn: Connection, merchant: Merchant) -> str:
    """The merchant's static payload: JPQR when it has a unified store id, else EMVCo."""
    return build_static(**code_fields(conn, merchant))
