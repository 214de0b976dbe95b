"""The customer id a merchant sees: a pseudonym of the resident, different at every shop.

A wallet id would let two shops (or a shop and anyone it shares its exports
with) see that their customers are the same person. So a merchant is shown
``cus_`` + HMAC-SHA256 under that merchant's own random key of the resident's
id, cut to 120 bits: stable at that shop (its repeat customers stay
recognisable, its CSV and webhook records agree), unrelated across shops,
and not reversible without the key.

The key is the merchant's row's ``customer_key`` (32 random bytes made by the
database, never shown by any answer). It is not a configured server secret on
purpose: rotating the secrets key would otherwise rename every shop's
customers, and the database that holds the key also holds which wallet paid
which charge, so keeping it elsewhere would hide nothing from its reader.
"""

import base64
import hashlib
import hmac

CUSTOMER_ID_PREFIX = "cus_"
_DIGEST_BYTES = 15


def customer_id(customer_key: bytes, resident_id: int) -> str:
    """The id the merchant whose key is ``customer_key`` knows the resident by."""
    assert len(customer_key) == 32, "a merchant's customer key is 32 bytes"
    digest = hmac.new(customer_key, f"resident:{resident_id}".encode(), hashlib.sha256).digest()
    return CUSTOMER_ID_PREFIX + base64.b32encode(digest[:_DIGEST_BYTES]).decode()
