"""Residents brought in from another platform: enrolled many at a time, without a PIN.

An import opens tens of thousands of residents at once; one statement per
resident, wallet and account (as a sign-up does) would take minutes. Here a
chunk of residents takes three statements: their rows, their wallets' ledger
accounts (``ledger.accounts.open_accounts``) and their wallets, verified ones
in the verified tier at once.

Until the counter sets a PIN (``POST /v1/residents/{id}/pin_reset``, after an
identity check) no PIN matches ``UNCLAIMED_PIN_HASH``, so nobody can log in as
an imported resident; their resident number is theirs from the import on.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, text

from kit.public_ids import public_id
from ledger.accounts import AccountClass, open_accounts
from ledger.coins import Coin
from wallet_api.resident_numbers import new_resident_number
from wallet_api.residents import Resident, Wallet
from wallet_api.rules import Tier

# Never a valid argon2 hash: no PIN matches it.
UNCLAIMED_PIN_HASH = "!unclaimed"
# A random number may be taken already (one chance in millions each): draw again.
NUMBER_DRAWS = 5


@dataclass(frozen=True, slots=True)
class Newcomer:
    """Attributes:
    display_name: the name the old platform knew.
    verified_by: where the old platform's identity check is on record (the wallet
        is verified with method ``counter`` and this reference); None for basic.
    """

    display_name: str
    verified_by: str | None = None


def enrol_unclaimed(
    conn: Connection, *, coin: Coin, newcomers: Sequence[Newcomer], at: datetime
) -> list[tuple[Resident, Wallet]]:
    """The newcomers as residents of ``coin`` with a wallet each, in their order."""
    if not newcomers:
        return []
    resident_ids, numbers, public_ids = _residents(conn, coin=coin, newcomers=newcomers, at=at)
    wallet_ids = [public_id("wal_") for _ in newcomers]
    accounts = open_accounts(
        conn,
        coin_id=coin.id,
        codes=[f"wallet:resident:{w}" for w in wallet_ids],
        account_class=AccountClass.LIABILITY,
        tracks_lots=True,
        at=at,
    )
    verified = [n.verified_by is not None for n in newcomers]
    rows = conn.execute(
        text(
            "INSERT INTO wallets (coin_id, public_id, resident_id, account_id, tier, created_at,"
            " verified_at, verification_method, verification_reference)"
            " SELECT :coin, w.pid, w.resident, w.account,"
            " CASE WHEN w.ref IS NULL THEN 'basic' ELSE 'verified' END, :at,"
            " CASE WHEN w.ref IS NULL THEN NULL ELSE CAST(:at AS timestamptz) END,"
            " CASE WHEN w.ref IS NULL THEN NULL ELSE 'counter' END, w.ref"
            " FROM unnest(CAST(:pids AS text[]), CAST(:residents AS bigint[]),"
            " CAST(:accounts AS bigint[]), CAST(:refs AS text[])) WITH ORDINALITY"
            " AS w(pid, resident, account, ref, n) ORDER BY w.n RETURNING id, public_id"
        ),
        {
            "coin": coin.id,
            "at": at,
            "pids": wallet_ids,
            "residents": resident_ids,
            "accounts": accounts,
            "refs": [n.verified_by for n in newcomers],
        },
    ).all()
    wallet_row_ids = {row.public_id: row.id for row in rows}
    return [
        (
            Resident(resident_ids[i], public_ids[i], n.display_name, coin.id, numbers[i]),
            Wallet(
                coin.id,
                wallet_row_ids[wallet_ids[i]],
                wallet_ids[i],
                resident_ids[i],
                accounts[i],
                Tier.VERIFIED if verified[i] else Tier.BASIC,
            ),
        )
        for i, n in enumerate(newcomers)
    ]


def _residents(
    conn: Connection, *, coin: Coin, newcomers: Sequence[Newcomer], at: datetime
) -> tuple[list[int], list[str], list[str]]:
    """Inserts the residents; returns (ids, resident numbers, public ids) in order."""
    count = len(newcomers)
    public_ids = [public_id("res_") for _ in range(count)]
    numbers: list[str | None] = [None] * count
    ids: list[int | None] = [None] * count
    waiting = list(range(count))
    for _ in range(NUMBER_DRAWS):
        drawn: dict[str, int] = {}
        for i in waiting:
            number = new_resident_number()
            while number in drawn:
                number = new_resident_number()
            drawn[number] = i
        rows = conn.execute(
            text(
                "INSERT INTO residents (home_coin_id, public_id, display_name, pin_hash,"
                " created_at, resident_number) SELECT :coin, r.pid, r.name, :hash, :at, r.number"
                " FROM unnest(CAST(:pids AS text[]), CAST(:names AS text[]),"
                " CAST(:numbers AS text[])) AS r(pid, name, number)"
                " ON CONFLICT (resident_number) DO NOTHING RETURNING id, resident_number"
            ),
            {
                "coin": coin.id,
                "hash": UNCLAIMED_PIN_HASH,
                "at": at,
                "pids": [public_ids[i] for i in drawn.values()],
                "names": [newcomers[i].display_name for i in drawn.values()],
                "numbers": list(drawn),
            },
        ).all()
        for row in rows:
            i = drawn[row.resident_number]
            ids[i], numbers[i] = row.id, row.resident_number
        waiting = [i for i in waiting if ids[i] is None]
        if not waiting:
            break
    else:
        raise AssertionError("no free resident number in several draws")
    return [i for i in ids if i is not None], [n for n in numbers if n is not None], public_ids
