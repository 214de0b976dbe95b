"""Merchants for tests: opened directly in the books, with a merchant key, beside a Town."""

import itertools
from dataclasses import dataclass

from kit.credentials import Role, issue_key
from ledger.unit_of_work import run_in_transaction
from merchant.accounts.merchants import AccountType, BankAccount, Merchant, open_merchant
from tests.conftest import T0
from tests.wallet_api.test_residents_api import Town

_numbers = itertools.count(1)

# 0001 is Mizuho Bank and 001 its head office in the Zengin code list.
TEST_BANK_ACCOUNT = BankAccount("0001", "001", AccountType.ORDINARY, "1234567", "ﾔｵﾔ")


@dataclass(frozen=True)
class Shop:
    merchant: Merchant
    key: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"}


def open_shop(
    town: Town,
    *,
    name: str = "八百屋",
    category: str = "food",
    member_group: str = "",
    postal_code: str | None = None,
    city: str | None = None,
    city_romaji: str | None = None,
    jpqr_store_id: str | None = None,
) -> Shop:
    """A merchant of the town's coin with its own merchant key."""

    def work(conn):  # type: ignore[no-untyped-def]
        merchant = open_merchant(
            conn,
            coin_id=town.coin.coin.id,
            name=f"{name}{next(_numbers)}",
            name_kana="ﾔｵﾔ",
            category=category,
            member_group=member_group,
            bank_account=TEST_BANK_ACCOUNT,
            at=T0,
            postal_code=postal_code,
            city=city,
            city_romaji=city_romaji,
            jpqr_store_id=jpqr_store_id,
        )
        key = issue_key(
            conn,
            coin_id=merchant.coin_id,
            role=Role.MERCHANT,
            at=T0,
            label="test shop",
            merchant_id=merchant.id,
        )
        return Shop(merchant, key)

    shop: Shop = run_in_transaction(town.engine, work)
    return shop


@dataclass(frozen=True)
class Payer:
    resident_id: str
    wallet_id: str
    headers: dict[str, str]


def funded_resident(town: Town, amount: int, *, pin: str = "1234") -> Payer:
    """A signed-up resident whose wallet the issuer topped up with ``amount`` of money."""
    created = town.sign_up(pin=pin)
    if amount:
        topped = town.top_up(created["wallet_id"], amount, f"fund-{next(_numbers)}")
        assert topped.status_code == 201, topped.text
    return Payer(
        created["resident_id"], created["wallet_id"], town.token(created["resident_id"], pin)
    )
