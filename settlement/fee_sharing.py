"""The coin's fee-sharing rule, and the allocation that makes the shares add up to the yen.

A rule gives each party (a participating institution, by bank code, or the
operator) a share in basis points; the shares sum to 10,000 (the database
refuses any other rule at COMMIT). Setting a rule replaces the old one
whole; concurrent replacements queue on an advisory lock of the coin, and
the last to commit wins.

Allocation is by largest remainder (Hamilton's method): each party first
gets the floor of its exact share; the yen left over go one each to the
parties with the largest fractional remainders (ties: the larger share, then
the party's name), so the parts always sum to the total exactly and no party
is ever more than one yen from its exact share.

Refusals:

| code | status | when |
| --- | --- | --- |
| ``fee_sharing_invalid`` | 422 | no parties, a party twice, or the shares do not sum to 10,000 |
| ``institution_not_found`` | 404 | a bank code that is not an institution of the coin |
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, text

from kit.errors import Code
from kit.problems import Problem
from ledger.records import RecordColumns

WHOLE_BP = 10_000
# Serializes replacements of one coin's rule (two-key advisory lock: this, coin id).
RULE_LOCK_KEY = 7315
OPERATOR = "operator"
PARTIES_MAX = 50


@dataclass(frozen=True, slots=True)
class Share:
    """Attributes:
    party: an institution's bank code, or ``operator``.
    share_bp: its share in basis points (1 to 10,000).
    """

    party: str
    share_bp: int


def check_rule(shares: Sequence[Share]) -> None:
    parties = [share.party for share in shares]
    if not shares or len(shares) > PARTIES_MAX:
        raise Problem(
            Code.FEE_SHARING_INVALID,
            f"a rule names 1 to {PARTIES_MAX} parties",
        )
    if len(set(parties)) != len(parties):
        raise Problem(Code.FEE_SHARING_INVALID, "a party is named twice")
    if sum(share.share_bp for share in shares) != WHOLE_BP:
        raise Problem(
            Code.FEE_SHARING_INVALID,
            f"the shares sum to {sum(s.share_bp for s in shares)} bp, not {WHOLE_BP}",
        )


def set_rule(
    conn: Connection, *, coin_id: int, shares: Sequence[Share], at: datetime
) -> list[Share]:
    """Replaces the coin's rule in the caller's transaction."""
    check_rule(shares)
    banks = [share.party for share in shares if share.party != OPERATOR]
    known = set(
        conn.execute(
            text(
                "SELECT bank_code FROM institutions WHERE coin_id = :coin"
                " AND bank_code = ANY(:banks)"
            ),
            {"coin": coin_id, "banks": banks},
        ).scalars()
    )
    for bank in banks:
        if bank not in known:
            raise Problem(
                Code.INSTITUTION_NOT_FOUND,
                f"{bank!r} is not an institution of this coin",
            )
    # Two replacements at once would each delete the old rule and both insert:
    # the second waits here and then replaces the first's rule whole.
    conn.execute(
        text("SELECT pg_advisory_xact_lock(:key, CAST(:coin AS integer))"),
        {"key": RULE_LOCK_KEY, "coin": coin_id},
    )
    conn.execute(text("DELETE FROM fee_sharing WHERE coin_id = :coin"), {"coin": coin_id})
    conn.execute(
        text(
            "INSERT INTO fee_sharing (coin_id, party, share_bp, updated_at)"
            " SELECT :coin, party, bp, :at FROM unnest(CAST(:parties AS text[]),"
            " CAST(:bps AS integer[])) AS s(party, bp)"
        ),
        {
            "coin": coin_id,
            "parties": [s.party for s in shares],
            "bps": [s.share_bp for s in shares],
            "at": at,
        },
    )
    return get_rule(conn, coin_id=coin_id)


_SHARE = RecordColumns(Share)


def get_rule(conn: Connection, *, coin_id: int) -> list[Share]:
    """The coin's rule, largest share first; empty when none was set."""
    rows = conn.execute(
        text(
            f"SELECT {_SHARE.sql} FROM fee_sharing WHERE coin_id = :coin"
            " ORDER BY share_bp DESC, party"
        ),
        {"coin": coin_id},
    ).all()
    return [_SHARE.read(row) for row in rows]


def allocate(total: int, shares: Sequence[Share]) -> dict[str, int]:
    """Splits ``total`` yen by the shares so that the parts sum to ``total`` exactly.

    A negative total (more fees refunded than earned in a period) is split as
    its absolute value and given back its sign, so each party bears its share.
    """
    assert sum(share.share_bp for share in shares) == WHOLE_BP, "a whole rule"
    sign, amount = (-1, -total) if total < 0 else (1, total)
    floors = {share.party: amount * share.share_bp // WHOLE_BP for share in shares}
    left = amount - sum(floors.values())
    by_remainder = sorted(
        shares,
        key=lambda s: (-(amount * s.share_bp % WHOLE_BP), -s.share_bp, s.party),
    )
    for share in by_remainder[:left]:
        floors[share.party] += 1
    assert sum(floors.values()) == amount
    return {party: sign * part for party, part in floors.items()}
