"""Transfers between residents (P2P): money sent from one wallet to another of the same coin.

Only money moves. Points are the city's gift to one person and never move
between people; premium is the municipality's subsidy to the buyer, and no
coin rule lets it move yet, so it stays too (``spend_kinds={money}``). The
recipient receives it as money.

Refusals, in the order they are checked:

| code | status | when |
| --- | --- | --- |
| ``limit_exceeded`` | 422 | the amount is above the coin's ``payment_max`` |
| ``tier_not_allowed`` | 403 | the sender's wallet is basic (no identity check yet) |
| ``wallet_not_found`` | 404 | no wallet with that id in this coin |
| ``transfer_to_self`` | 422 | sender and recipient are the same wallet |
| ``insufficient_funds`` | 402 | the sender's available money is too small |
| ``limit_exceeded`` | 422 | the recipient would hold more than its tier's cap |

The recipient's cap is checked after the entry is posted, while the posting
holds the recipient's balance row locked, so concurrent transfers (and
top-ups) cannot both slip under it; a refusal rolls the entry back.
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, text

from kit.errors import Code
from kit.problems import Problem
from kit.public_ids import public_id
from ledger.accounts import get_balance
from ledger.entries import EntryRequest, credit, debit, post_entry
from ledger.lots import LotKind
from wallet_api.residents import Wallet, find_wallet
from wallet_api.rules import CoinRules, Tier

KIND = "p2p"
SPENDABLE = frozenset({LotKind.MONEY})


@dataclass(frozen=True, slots=True)
class Transfer:
    """Attributes:
    public_id: its id in the API (``trf_…``).
    from_wallet_public_id: the sender's wallet.
    to_wallet_public_id: the recipient's wallet.
    amount: coin moved, money only.
    entry_id: the ledger entry.
    created_at: when it was posted (UTC).
    """

    public_id: str
    from_wallet_public_id: str
    to_wallet_public_id: str
    amount: int
    entry_id: int
    created_at: datetime


def send_money(
    conn: Connection,
    *,
    rules: CoinRules,
    sender: Wallet,
    to_wallet_public_id: str,
    amount: int,
    at: datetime,
) -> Transfer:
    """Moves ``amount`` of the sender's money to another resident's wallet in the same coin."""
    assert sender.coin_id == rules.coin_id, "the rules are the sender's coin's"
    rules.check_accepting(at)
    if not 0 < amount <= rules.payment_max:
        raise Problem(
            Code.LIMIT_EXCEEDED,
            f"a transfer is 1 to {rules.payment_max} coin",
        )
    if sender.tier is not Tier.VERIFIED:
        raise Problem(
            Code.TIER_NOT_ALLOWED,
            "only a verified wallet may send coin; ask the issuer to check your identity",
        )
    recipient = find_wallet(conn, coin_id=rules.coin_id, wallet_public_id=to_wallet_public_id)
    if recipient.id == sender.id:
        raise Problem(Code.TRANSFER_TO_SELF, "a wallet cannot send to itself")
    transfer_public_id = public_id("trf_")
    posted = post_entry(
        conn,
        coin_id=rules.coin_id,
        request=EntryRequest(
            KIND,
            [
                debit(sender.account_id, amount, spend_kinds=SPENDABLE),
                credit(recipient.account_id, amount, lot_kind=LotKind.MONEY),
            ],
            metadata={
                "transfer": transfer_public_id,
                "from_wallet": sender.public_id,
                "to_wallet": recipient.public_id,
            },
        ),
        posted_at=at,
    )
    conn.execute(
        text(
            "INSERT INTO transfers (coin_id, public_id, from_wallet_id, to_wallet_id, amount,"
            " entry_id, created_at) VALUES (:coin, :pid, :sender, :recipient, :amount,"
            " :entry, :at)"
        ),
        {
            "coin": rules.coin_id,
            "pid": transfer_public_id,
            "sender": sender.id,
            "recipient": recipient.id,
            "amount": amount,
            "entry": posted.entry_id,
            "at": at,
        },
    )
    _check_cap(conn, rules=rules, recipient=recipient)
    return Transfer(
        transfer_public_id, sender.public_id, recipient.public_id, amount, posted.entry_id, at
    )


def _check_cap(conn: Connection, *, rules: CoinRules, recipient: Wallet) -> None:
    balance = get_balance(conn, coin_id=rules.coin_id, account_id=recipient.account_id)
    cap = rules.balance_cap(recipient.tier)
    if balance.posted > cap:
        raise Problem(
            Code.LIMIT_EXCEEDED,
            f"the recipient's wallet holds at most {cap} coin",
        )
