"""Participating financial institutions and what they owe each other for a business date.

Several institutions take part in a coin: the issuing one holds the reserve
(reserve:bank); others take top-ups at their counters and ATMs and hold the
accounts merchants are paid into. For a business date each institution's
position is:

- ``topups``: yen it took in for top-ups recorded that date (the ``topups``
  table). A top-up names its institution in ``topups.institution_bank_code``
  (``institution`` in ``POST /v1/topups``); where that is NULL it is the
  issuing institution's. Card top-ups come from the card processor,
  not a bank, and are not in it.
- ``payouts``: yen owed to merchants banking with it, from the ledger: the
  net (payable:payout) of ``payout.close`` entries posted that date;
- ``returned``: yen of transfers to it returned (振込不能) that date
  (``payout.returned`` entries): they never left, or come back to, the reserve;
- ``net`` = topups - payouts + returned: positive, it pays that much to the issuing
  institution; negative, it receives that much. The issuer's own net is the
  change of its reserve and moves nowhere.

A merchant's bank that is not registered as an institution still appears
(``registered`` false): the Zengin transfer reaches it all the same.

Refusals:

| code | status | when |
| --- | --- | --- |
| ``bank_code_invalid`` | 422 | not 4 ASCII digits |
| ``bank_unknown`` | 422 | not in the Zengin code list |
| ``institution_exists`` | 409 | the coin has that institution already |
| ``issuer_exists`` | 409 | the coin has an issuing institution already |
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, text
from sqlalchemy.exc import IntegrityError
from zengin_code import Bank

from jp_banking.bank_codes import check_bank_code
from jp_banking.zengin_errors import ZenginError
from kit.errors import Code
from kit.problems import Problem
from ledger.chart import Standard, standard_account
from ledger.clock import end_of_business_date
from ledger.records import RecordColumns
from settlement.zengin_refusals import zengin_problem


@dataclass(frozen=True, slots=True)
class Institution:
    """Attributes:
    bank_code: its 4-digit Zengin bank code.
    name: its name as the coin knows it.
    issuing: does it issue the coin and hold the reserve?
    created_at: when it joined the coin (UTC).
    """

    bank_code: str
    name: str
    issuing: bool
    created_at: datetime


INSTITUTION = RecordColumns(Institution)


def check_known_bank(bank_code: str) -> None:
    try:
        check_bank_code(bank_code)
    except ZenginError as error:
        raise zengin_problem(error) from error
    if Bank.all.get(bank_code) is None:
        raise Problem(Code.BANK_UNKNOWN, f"no bank has the code {bank_code}")


def add_institution(
    conn: Connection, *, coin_id: int, bank_code: str, name: str, issuing: bool, at: datetime
) -> Institution:
    check_known_bank(bank_code)
    try:
        with conn.begin_nested():
            row = conn.execute(
                text(
                    "INSERT INTO institutions (coin_id, bank_code, name, issuing, created_at)"
                    " VALUES (:coin, :bank, :name, :issuing, :at)"
                    f" RETURNING {INSTITUTION.sql}"
                ),
                {"coin": coin_id, "bank": bank_code, "name": name, "issuing": issuing, "at": at},
            ).one()
    except IntegrityError as error:
        constraint = getattr(getattr(error.orig, "diag", None), "constraint_name", None)
        if constraint == "institutions_one_issuer":
            raise Problem(Code.ISSUER_EXISTS, "the coin has an issuing institution") from error
        raise Problem(Code.INSTITUTION_EXISTS, f"{bank_code} is an institution already") from error
    return INSTITUTION.read(row)


def list_institutions(
    conn: Connection, *, coin_id: int, limit: int, starting_after: str | None
) -> tuple[list[Institution], bool]:
    """A page of the coin's institutions by bank code, and whether more follow."""
    rows = conn.execute(
        text(
            f"SELECT {INSTITUTION.sql} FROM institutions"
            " WHERE coin_id = :coin AND bank_code > :after ORDER BY bank_code LIMIT :limit"
        ),
        {"coin": coin_id, "after": starting_after or "", "limit": limit + 1},
    ).all()
    return [INSTITUTION.read(row) for row in rows[:limit]], len(rows) > limit


@dataclass(frozen=True, slots=True, kw_only=True)
class Position:
    """One institution's position for a business date, in yen.

    Attributes:
        bank_code: the institution's bank code; None for top-ups that no
            institution can be named for (the coin has no issuing institution).
        name: its name when registered, else the Zengin list's.
        registered: is it a participating institution of the coin?
        issuing: is it the issuing institution?
        topups_count, topups: top-ups it took that date.
        payouts_count, payouts: net yen owed to merchants banking with it.
        returned: yen of its transfers returned that date.
        net: topups - payouts + returned (positive: it pays the issuer;
            negative: it receives).
    """

    bank_code: str | None
    name: str
    registered: bool
    issuing: bool
    topups_count: int
    topups: int
    payouts_count: int
    payouts: int
    returned: int

    @property
    def net(self) -> int:
        return self.topups - self.payouts + self.returned


@dataclass(frozen=True, slots=True, kw_only=True)
class Movement:
    """Yen to move between an institution and the issuing institution."""

    from_bank_code: str
    to_bank_code: str
    amount: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Positions:
    business_date: date
    positions: list[Position]
    movements: list[Movement]

    @property
    def topups(self) -> int:
        return sum(p.topups for p in self.positions)

    @property
    def payouts(self) -> int:
        return sum(p.payouts for p in self.positions)

    @property
    def returned(self) -> int:
        return sum(p.returned for p in self.positions)


def net_positions(conn: Connection, *, coin_id: int, business_date: date) -> Positions:
    registered = {
        row.bank_code: row
        for row in conn.execute(
            text("SELECT bank_code, name, issuing FROM institutions WHERE coin_id = :coin"),
            {"coin": coin_id},
        ).all()
    }
    issuer = next((code for code, row in registered.items() if row.issuing), None)
    # Per bank: top-ups count and yen, payouts count and yen, returned yen.
    tallies: dict[str | None, list[int]] = {}
    for bank, count, amount in _topups(conn, coin_id, business_date):
        tally = tallies.setdefault(bank if bank is not None else issuer, [0] * 5)
        tally[0] += count
        tally[1] += amount
    for bank, count, amount, returned in _payouts(conn, coin_id, business_date):
        tally = tallies.setdefault(bank, [0] * 5)
        tally[2] += count
        tally[3] += amount
        tally[4] += returned
    for code in registered:
        tallies.setdefault(code, [0] * 5)
    positions = [
        _position(bank, tally, registered.get(bank) if bank is not None else None)
        for bank, tally in sorted(tallies.items(), key=lambda item: item[0] or "")
    ]
    return Positions(
        business_date=business_date,
        positions=positions,
        movements=_movements(positions, issuer),
    )


def _position(bank: str | None, tally: list[int], row: Any) -> Position:
    if row is not None:
        name, issuing = str(row.name), bool(row.issuing)
    else:
        known = Bank.all.get(bank) if bank is not None else None
        name, issuing = (str(known.name) if known is not None else ""), False
    return Position(
        bank_code=bank,
        name=name,
        registered=row is not None,
        issuing=issuing,
        topups_count=tally[0],
        topups=tally[1],
        payouts_count=tally[2],
        payouts=tally[3],
        returned=tally[4],
    )


def _movements(positions: list[Position], issuer: str | None) -> list[Movement]:
    if issuer is None:
        return []
    moves = []
    for position in positions:
        if position.bank_code in (None, issuer) or position.net == 0:
            continue
        assert position.bank_code is not None
        if position.net > 0:
            moves.append(
                Movement(
                    from_bank_code=position.bank_code, to_bank_code=issuer, amount=position.net
                )
            )
        else:
            moves.append(
                Movement(
                    from_bank_code=issuer, to_bank_code=position.bank_code, amount=-position.net
                )
            )
    return moves


def _topups(conn: Connection, coin_id: int, day: date) -> list[Any]:
    return list(
        conn.execute(
            text(
                "SELECT institution_bank_code, count(*), sum(amount)::bigint FROM topups"
                " WHERE coin_id = :coin AND business_date = :day AND channel <> 'card'"
                " GROUP BY 1"
            ),
            {"coin": coin_id, "day": day},
        ).all()
    )


def _payouts(conn: Connection, coin_id: int, day: date) -> list[Any]:
    payable = standard_account(conn, coin_id=coin_id, code=Standard.PAYABLE_PAYOUT)
    start = end_of_business_date(day - timedelta(days=1))
    return list(
        conn.execute(
            text(
                "SELECT m.bank_code,"
                "  count(*) FILTER (WHERE e.kind = 'payout.close'),"
                "  coalesce(-sum(p.amount) FILTER (WHERE e.kind = 'payout.close'), 0)::bigint,"
                "  coalesce(sum(p.amount) FILTER (WHERE e.kind = 'payout.returned'), 0)::bigint"
                " FROM entries e"
                " JOIN postings p ON p.coin_id = e.coin_id AND p.entry_id = e.id"
                "  AND p.account_id = :payable"
                # The merchant the entry names, or else its payout's merchant.
                " JOIN merchants m ON m.coin_id = e.coin_id AND m.id = coalesce("
                "  (SELECT id FROM merchants WHERE coin_id = e.coin_id"
                "    AND public_id = e.metadata->>'merchant'),"
                "  (SELECT merchant_id FROM payouts WHERE coin_id = e.coin_id"
                "    AND public_id = e.metadata->>'payout'))"
                " WHERE e.coin_id = :coin AND e.kind IN ('payout.close', 'payout.returned')"
                "   AND e.posted_at >= :start AND e.posted_at < :end"
                " GROUP BY 1"
            ),
            {
                "coin": coin_id,
                "payable": payable.id,
                "start": start,
                "end": end_of_business_date(day),
            },
        ).all()
    )
