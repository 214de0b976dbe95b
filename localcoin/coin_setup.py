"""Creating a coin: its record, its chart of accounts and its first keys, in one transaction."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection

from kit.credentials import Role, issue_key
from ledger.chart import open_chart
from ledger.coins import Coin, create_coin
from merchant.accounts.fees import open_fee_plans
from wallet_api.rules import open_rules

FIRST_KEY_ROLES = (Role.OPERATOR, Role.ISSUER, Role.MUNICIPALITY)


@dataclass(frozen=True, slots=True)
class NewCoin:
    """Attributes:
    coin: the coin created.
    keys: the secret of each first key by role, shown this once.
    """

    coin: Coin
    keys: dict[Role, str]

    def as_json(self) -> dict[str, object]:
        return {
            "coin_id": self.coin.id,
            "code": self.coin.code,
            "keys": {role.value: key for role, key in self.keys.items()},
        }


def set_up_coin(
    conn: Connection,
    *,
    code: str,
    name: str,
    issuer_name: str,
    at: datetime,
    key_label: str = "first key",
) -> NewCoin:
    coin = create_coin(conn, code=code, name=name, issuer_name=issuer_name, at=at)
    open_chart(conn, coin_id=coin.id, at=at)
    open_rules(conn, coin_id=coin.id)
    open_fee_plans(conn, coin_id=coin.id)
    keys = {
        role: issue_key(conn, coin_id=coin.id, role=role, at=at, label=key_label)
        for role in FIRST_KEY_ROLES
    }
    return NewCoin(coin, keys)
