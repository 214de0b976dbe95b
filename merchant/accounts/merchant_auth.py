"""Which merchant is calling: the merchant behind a merchant or terminal key.

A terminal's key takes payments at its till (charges, refunds, intents); the
merchant's own keys also manage the shop (keys, terminals, webhooks, cash-outs),
so a stolen terminal cannot empty the wallet.
"""

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from kit.auth import MerchantKey
from kit.credentials import ApiKey
from kit.errors import Code
from kit.problems import Problem
from kit.request_connection import on_request_connection
from merchant.accounts.merchants import Merchant, get_merchant


@dataclass(frozen=True, slots=True)
class MerchantCaller:
    """Attributes:
    key: the key presented.
    merchant: the merchant it acts for.
    terminal_id: the terminal, when the key is a terminal's.
    """

    key: ApiKey
    merchant: Merchant

    @property
    def terminal_id(self) -> int | None:
        return self.key.terminal_id


def current_merchant(request: Request, key: MerchantKey) -> MerchantCaller:
    assert key.merchant_id is not None, "the database ties every merchant key to its merchant"
    merchant_id = key.merchant_id
    merchant = on_request_connection(
        request, lambda conn: get_merchant(conn, coin_id=key.coin_id, merchant_id=merchant_id)
    )
    return MerchantCaller(key, merchant)


def merchant_owner(caller: Annotated[MerchantCaller, Depends(current_merchant)]) -> MerchantCaller:
    if caller.terminal_id is not None:
        raise Problem(
            Code.TERMINAL_KEY_NOT_ALLOWED,
            "a terminal's key only takes payments; use the merchant's own key",
        )
    return caller


AnyMerchantKey = Annotated[MerchantCaller, Depends(current_merchant)]
MerchantOwnerKey = Annotated[MerchantCaller, Depends(merchant_owner)]
