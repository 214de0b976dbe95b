"""The demo town ``localcoin serve --demo`` seeds into an empty database.

A coin with its keys, two shops with their keys and bank accounts, and three
residents (one verified and topped up, one basic with a little money, one
with city points) whose logins are printed, so a newcomer can pay, refund and
close a batch at once. Everything goes through the same functions the API
uses; nothing is written around the ledger.

Keys are shown only when made, so every later start of ``serve --demo`` makes
the demo's keys afresh and revokes the previous ones: the newcomer always has
logins that work. Residents keep their PINs (the demo's, unless changed).
"""

from datetime import timedelta
from typing import Any

from sqlalchemy import Connection, text

from kit.credentials import Role, authenticate, issue_key, revoke_labelled
from ledger.clock import Clock
from ledger.coins import Coin, find_coin
from localcoin.coin_setup import FIRST_KEY_ROLES, set_up_coin
from merchant.accounts.merchants import AccountType, BankAccount, open_merchant
from wallet_api.pins import PinHasher
from wallet_api.points_grants import grant_points
from wallet_api.residents import sign_up, verify_identity
from wallet_api.rules import get_rules
from wallet_api.topups import Channel, record_topup

DEMO_COIN = {"code": "DEMO", "name": "デモコイン", "issuer_name": "デモ信用金庫"}

# (name, name in half-width kana, category, bank, branch, account number)
DEMO_SHOPS = (
    ("みどり青果店", "ﾐﾄﾞﾘｾｲｶﾃﾝ", "food", "0001", "001", "1234567"),
    ("市民体育館", "ｼﾐﾝﾀｲｲｸｶﾝ", "public", "0005", "001", "7654321"),
)
# Where the demo shops are: a made-up town's postal code, its city and the city
# in Latin letters, as the stickers carry them (no unified store id: only
# Payments Japan assigns one).
DEMO_LOCATION = {"postal_code": "5060011", "city": "みどり市", "city_romaji": "MIDORI"}
# (display name, PIN, verified?, money topped up at the counter, city points)
DEMO_RESIDENTS = (
    ("山田花子", "1234", True, 30_000, 0),
    ("佐藤一郎", "5678", False, 5_000, 0),
    ("鈴木トメ", "2468", True, 10_000, 3_000),
)
POINTS_LIFETIME = timedelta(days=180)
DEMO_KEY_LABEL = "demo"
# Keys the demo made before it labelled them: the coin's first keys.
_EARLIER_DEMO_LABELS = (DEMO_KEY_LABEL, "first key")


def seed_demo(conn: Connection, *, clock: Clock, hasher: PinHasher) -> dict[str, Any]:
    """Creates the demo town in the caller's transaction and returns its logins."""
    now = clock.now()
    coin_setup = set_up_coin(conn, at=now, key_label=DEMO_KEY_LABEL, **DEMO_COIN)
    coin = coin_setup.coin
    rules = get_rules(conn, coin_id=coin.id)
    municipality = authenticate(conn, coin_setup.keys[Role.MUNICIPALITY], at=now)
    assert municipality is not None, "the coin's first municipality key was just made"
    shops = []
    for name, kana, category, bank, branch, account_number in DEMO_SHOPS:
        shop = open_merchant(
            conn,
            coin_id=coin.id,
            name=name,
            name_kana=kana,
            category=category,
            bank_account=BankAccount(bank, branch, AccountType.ORDINARY, account_number, kana[:30]),
            at=now,
            **DEMO_LOCATION,
        )
        key = issue_key(
            conn,
            coin_id=coin.id,
            role=Role.MERCHANT,
            at=now,
            label=DEMO_KEY_LABEL,
            merchant_id=shop.id,
        )
        shops.append({"merchant_id": shop.public_id, "name": name, "api_key": key})
    residents = []
    for number, (display_name, pin, verified, money, points) in enumerate(DEMO_RESIDENTS, 1):
        resident, wallet = sign_up(
            conn, coin=coin, display_name=display_name, pin=pin, hasher=hasher, at=now
        )
        if verified:
            wallet = verify_identity(
                conn,
                coin_id=coin.id,
                resident_public_id=resident.public_id,
                method="counter",
                reference=f"demo-{number}",
                at=now,
            )
        if money:
            record_topup(
                conn,
                rules=rules,
                wallet=wallet,
                amount=money,
                channel=Channel.COUNTER,
                reference=f"demo-topup-{number}",
                at=now,
            )
        if points:
            grant_points(
                conn,
                rules=rules,
                wallet_public_ids=[wallet.public_id],
                amount=points,
                reason="デモの行政ポイント",
                expires_at=now + POINTS_LIFETIME,
                api_key_id=municipality.id,
                at=now,
            )
        residents.append(
            {
                "resident_id": resident.public_id,
                "wallet_id": wallet.public_id,
                "display_name": display_name,
                "pin": pin,
            }
        )
    return {"demo": "created"} | coin_setup.as_json() | {"merchants": shops, "residents": residents}


def renew_demo(conn: Connection, *, clock: Clock) -> dict[str, Any]:
    """Revokes the demo coin's keys and makes new ones, in the caller's
    transaction; returns the logins in the same shape as ``seed_demo``."""
    now = clock.now()
    coin = find_coin(conn, DEMO_COIN["code"])
    revoke_labelled(conn, coin_id=coin.id, labels=_EARLIER_DEMO_LABELS, at=now)
    keys = {
        role.value: issue_key(conn, coin_id=coin.id, role=role, at=now, label=DEMO_KEY_LABEL)
        for role in FIRST_KEY_ROLES
    }
    shops = [
        {
            "merchant_id": public_id,
            "name": name,
            "api_key": issue_key(
                conn,
                coin_id=coin.id,
                role=Role.MERCHANT,
                at=now,
                label=DEMO_KEY_LABEL,
                merchant_id=merchant_id,
            ),
        }
        for merchant_id, public_id, name in _demo_shops(conn, coin)
    ]
    return {"demo": "renewed", "coin_id": coin.id, "code": coin.code, "keys": keys} | {
        "merchants": shops,
        "residents": _demo_residents(conn, coin),
    }


def _demo_shops(conn: Connection, coin: Coin) -> list[tuple[int, str, str]]:
    names = [shop[0] for shop in DEMO_SHOPS]
    rows = conn.execute(
        text(
            "SELECT DISTINCT ON (name) id, public_id, name FROM merchants"
            " WHERE coin_id = :coin AND name = ANY(:names) ORDER BY name, id"
        ),
        {"coin": coin.id, "names": names},
    ).all()
    return sorted(((r.id, r.public_id, r.name) for r in rows), key=lambda s: names.index(s[2]))


def _demo_residents(conn: Connection, coin: Coin) -> list[dict[str, str]]:
    pins = {name: pin for name, pin, *_ in DEMO_RESIDENTS}
    rows = conn.execute(
        text(
            "SELECT DISTINCT ON (r.display_name) r.public_id AS resident_id,"
            " w.public_id AS wallet_id, r.display_name FROM residents r"
            " JOIN wallets w ON w.resident_id = r.id AND w.coin_id = r.home_coin_id"
            " WHERE r.home_coin_id = :coin AND r.display_name = ANY(:names)"
            " ORDER BY r.display_name, r.id"
        ),
        {"coin": coin.id, "names": list(pins)},
    ).all()
    order = list(pins)
    return [
        {
            "resident_id": r.resident_id,
            "wallet_id": r.wallet_id,
            "display_name": r.display_name,
            "pin": pins[r.display_name],
        }
        for r in sorted(rows, key=lambda r: order.index(r.display_name))
    ]
