"""A merchant's static QR code: the sticker at the till the payer scans and types an amount into.

The payload is EMVCo merchant-presented (``merchant.qr.emvco_qr.build_static``):
our scheme's template carries the coin's code and the merchant's public id,
which is all a wallet needs to pay. The rest is what any reader shows:

- 59 merchant name: printable ASCII. The trading name itself when it is
  ASCII; otherwise the Hepburn-style romanisation of its Zengin kana
  (ﾔｵﾔ → YAOYA), which every merchant has. Cut to 25 characters.
- 64 the Japanese name, as registered, cut to 25 characters, so a Japanese
  wallet shows 八百屋 rather than YAOYA.
- 60 merchant city: the platform keeps no city per merchant, so the country's
  name stands in; the payee is named by the template, not by the city.
- 52 MCC: from the merchant's category (ISO 18245), 5999 (miscellaneous
  retail) for a category without its own code.

The code never changes while the merchant's name and category do not, so a
printed sticker stays good.
"""

from functools import lru_cache

import jaconv
from sqlalchemy import Connection, text

from merchant.accounts.merchants import Merchant
from merchant.qr.emvco_qr import MERCHANT_NAME_LENGTH_MAX, build_static

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


def payee_names(merchant: Merchant) -> tuple[str, str | None]:
    """The names our codes carry for the merchant: field 59 (ASCII), and the
    Japanese name of template 64 (None when the name is ASCII already)."""
    return _payee_names(merchant.name, merchant.name_kana)


# Every QR payment checks the code's names against these: the romanisation is
# worked out once per name, not on each payment.
@lru_cache(maxsize=4096)
def _payee_names(name: str, name_kana: str) -> tuple[str, str | None]:
    japanese = name.strip()[:MERCHANT_NAME_LENGTH_MAX]
    return _ascii(name, name_kana), None if _is_printable_ascii(japanese) else japanese


def static_payload(conn: Connection, merchant: Merchant) -> str:
    """The merchant's static EMVCo payload."""
    name, name_ja = payee_names(merchant)
    return build_static(
        coin_code=coin_code(conn, coin_id=merchant.coin_id),
        merchant_id=merchant.public_id,
        merchant_name=name,
        merchant_city=CITY,
        mcc=MCC_BY_CATEGORY.get(merchant.category, MCC_DEFAULT),
        merchant_name_ja=name_ja,
    )
