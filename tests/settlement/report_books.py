"""Activity for the report tests: real top-ups, charges and grants, and the entries of
producers still being written (BtoB, cash-out closes, refunds) posted as they will be."""

import itertools
from datetime import UTC, datetime
from typing import Any

from kit.credentials import Role
from ledger.chart import Standard, standard_account
from ledger.clock import BUSINESS_TZ
from ledger.entries import EntryRequest, Leg, credit, debit, post_entry
from ledger.expiry import expire_lots
from ledger.unit_of_work import run_in_transaction
from merchant.accounts.merchants import Merchant
from merchant.payments.charges import Charge, Source, record_charge
from tests.wallet_api.test_residents_api import Town
from wallet_api.residents import find_wallet
from wallet_api.rules import get_rules

_refs = itertools.count(1)


def tokyo(year: int, month: int, day: int, hour: int = 10, minute: int = 0) -> datetime:
    """An instant given in Asia/Tokyo, as UTC."""
    return datetime(year, month, day, hour, minute, tzinfo=BUSINESS_TZ).astimezone(UTC)


def key(town: Town, role: Role) -> dict[str, str]:
    return {"Authorization": f"Bearer {town.coin.keys[role]}"}


def top_up(town: Town, wallet_id: str, amount: int, channel: str = "counter") -> None:
    response = town.top_up(wallet_id, amount, f"ref-{next(_refs)}", channel)
    assert response.status_code == 201, response.text


def pay(town: Town, merchant: Merchant, wallet_id: str, amount: int) -> Charge:
    """A resident pays a merchant now (by the town's clock), through record_charge."""
    coin_id = town.coin.coin.id

    def work(conn):  # type: ignore[no-untyped-def]
        return record_charge(
            conn,
            rules=get_rules(conn, coin_id=coin_id),
            merchant=merchant,
            wallet=find_wallet(conn, coin_id=coin_id, wallet_public_id=wallet_id),
            amount=amount,
            source=Source.STATIC_QR,
            at=town.clock.now(),
        )

    charge: Charge = run_in_transaction(town.engine, work)
    return charge


def post(town: Town, kind: str, legs: list[Leg], metadata: dict[str, Any]) -> int:
    """Posts an entry now, as a producer of that kind will."""
    coin_id = town.coin.coin.id
    entry_id: int = run_in_transaction(
        town.engine,
        lambda conn: (
            post_entry(
                conn,
                coin_id=coin_id,
                request=EntryRequest(kind, legs, metadata=metadata),
                posted_at=town.clock.now(),
            ).entry_id
        ),
    )
    return entry_id


def standard(town: Town, code: Standard) -> int:
    coin_id = town.coin.coin.id
    account_id: int = run_in_transaction(
        town.engine, lambda conn: standard_account(conn, coin_id=coin_id, code=code).id
    )
    return account_id


def btob(town: Town, sender: Merchant, receiver: Merchant, amount: int, fee: int) -> int:
    legs = [debit(sender.account_id, amount), credit(receiver.account_id, amount - fee)]
    if fee:
        legs.append(credit(standard(town, Standard.REVENUE_FEES), fee))
    return post(
        town, "btob", legs, {"merchant": sender.public_id, "to_merchant": receiver.public_id}
    )


def close_payout(town: Town, merchant: Merchant, amount: int, fee: int) -> int:
    """A settlement batch closing a cash-out: the coin to payable:payout (net) and fees."""
    legs = [
        debit(merchant.account_id, amount),
        credit(standard(town, Standard.PAYABLE_PAYOUT), amount - fee),
    ]
    if fee:
        legs.append(credit(standard(town, Standard.REVENUE_FEES), fee))
    return post(
        town, "payout.close", legs, {"merchant": merchant.public_id, "payout": f"po_{next(_refs)}"}
    )


def return_payout(town: Town, merchant: Merchant, net: int) -> int:
    """The bank returned a transfer (振込不能): the net goes back to the merchant."""
    legs = [debit(standard(town, Standard.PAYABLE_PAYOUT), net), credit(merchant.account_id, net)]
    return post(town, "payout.returned", legs, {"merchant": merchant.public_id})


def refund(town: Town, charge: Charge, merchant: Merchant, payer_account_id: int) -> int:
    """A full refund of a charge: the merchant gives back its net, revenue the fee."""
    legs = [debit(merchant.account_id, charge.amount - charge.fee)]
    if charge.fee:
        legs.append(debit(standard(town, Standard.REVENUE_FEES), charge.fee))
    legs.append(credit(payer_account_id, charge.amount, lot_entry_id=charge.entry_id))
    return post(town, "refund", legs, {"merchant": merchant.public_id, "charge": charge.public_id})


def wallet_account(town: Town, wallet_id: str) -> int:
    coin_id = town.coin.coin.id
    account_id: int = run_in_transaction(
        town.engine,
        lambda conn: find_wallet(conn, coin_id=coin_id, wallet_public_id=wallet_id).account_id,
    )
    return account_id


def expire_due_lots(town: Town) -> int:
    """The expiry sweep, now: lots past their date go to breakage."""
    coin_id = town.coin.coin.id
    now = town.clock.now()
    breakage = standard(town, Standard.REVENUE_BREAKAGE)
    expired = run_in_transaction(
        town.engine,
        lambda conn: expire_lots(
            conn, coin_id=coin_id, as_of=now, at=now, breakage_account_id=breakage
        ),
    )
    return sum(lot.amount for lot in expired)
