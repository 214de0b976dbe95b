"""Four eyes on money creation: issuance above the coin's threshold waits for a second key.

A top-up, a points grant whose total, or a premium campaign whose premium in
all (face value less price, times the units on sale) is above ``approval_threshold`` is
checked as if it ran (in a savepoint, rolled back), so a request that would be
refused is refused at once; otherwise it is kept as an approval, and nothing
moves. Another named key of the same role then approves it (the issuance
runs then, recorded to the key that asked) or rejects it. The key that asked
can do neither: the database refuses it too (``approvals_four_eyes``).

If the issuance no longer holds when approved (the wallet filled up since,
the reference was used), the approval is ``failed`` with the refusal's code,
and nothing moves.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Connection, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.sql.expression import bindparam

from kit.credentials import KEY_ID_PREFIX, ApiKey, Role
from kit.errors import Code
from kit.problems import Problem
from kit.public_ids import public_id
from ledger.errors import LedgerError
from ledger.records import Column, RecordColumns

REASON_CHARS_MAX = 200
# None is SQL NULL (not JSON null): the outcome checks of the table count on it.
_JSON = JSONB(none_as_null=True)


class Kind(StrEnum):
    TOPUP = "topup"
    POINTS_GRANT = "points_grant"
    PREMIUM_CAMPAIGN = "premium_campaign"
    WINDDOWN = "winddown"

    @property
    def role(self) -> Role:
        """The role that asks for, and approves, this kind of issuance."""
        return Role.ISSUER if self in (Kind.TOPUP, Kind.WINDDOWN) else Role.MUNICIPALITY


class Status(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class Approval:
    """Attributes:
    public_id: ``apr_…``.
    kind: what is issued.
    amount: the money or points it creates in all.
    request: the request as it was asked, run as is when approved.
    status: pending, approved, rejected or failed.
    requested_by, decided_by: the keys (``key_…``) that asked and decided.
    created_at, decided_at: when.
    reason: the decider's note (a rejection's why).
    result: what the issuance answered when it ran (approved).
    error: the refusal's code and detail when it could not run (failed).
    """

    public_id: str
    kind: Kind
    amount: int
    request: dict[str, Any]
    status: Status
    requested_by: str
    decided_by: str | None
    created_at: datetime
    decided_at: datetime | None
    reason: str | None
    result: dict[str, Any] | None
    error: dict[str, Any] | None


_APPROVAL = RecordColumns(
    Approval,
    public_id=Column("a.public_id"),
    kind=Column("a.kind", Kind),
    amount=Column("a.amount"),
    request=Column("a.request"),
    status=Column("a.status", Status),
    requested_by=Column(f"'{KEY_ID_PREFIX}' || maker.prefix"),
    decided_by=Column(f"'{KEY_ID_PREFIX}' || checker.prefix"),
    created_at=Column("a.created_at"),
    decided_at=Column("a.decided_at"),
    reason=Column("a.reason"),
    result=Column("a.result"),
    error=Column("a.error"),
)

_FROM = (
    "FROM approvals a"
    " JOIN api_keys maker ON maker.coin_id = a.coin_id AND maker.id = a.requested_by"
    " LEFT JOIN api_keys checker ON checker.coin_id = a.coin_id AND checker.id = a.decided_by"
    " WHERE a.coin_id = :coin"
)

# Runs an issuance for real: (connection, the request, the key that asked, when) → the answer.
Issue = Callable[[Connection, dict[str, Any], ApiKey, datetime], dict[str, Any]]


def would_succeed(conn: Connection, issue: Callable[[], object]) -> None:
    """Runs ``issue`` in a savepoint and rolls it back: raises its refusal, if any."""
    savepoint = conn.begin_nested()
    try:
        issue()
    finally:
        savepoint.rollback()


def open_approval(
    conn: Connection,
    *,
    kind: Kind,
    amount: int,
    request: dict[str, Any],
    requested_by: ApiKey,
    at: datetime,
) -> Approval:
    approval_id = public_id("apr_")
    conn.execute(
        text(
            "INSERT INTO approvals (coin_id, public_id, kind, amount, request, requested_by,"
            " created_at) VALUES (:coin, :pid, :kind, :amount, :request, :by, :at)"
        ).bindparams(bindparam("request", type_=_JSON)),
        {
            "coin": requested_by.coin_id,
            "pid": approval_id,
            "kind": kind.value,
            "amount": amount,
            "request": request,
            "by": requested_by.id,
            "at": at,
        },
    )
    return get_approval(conn, coin_id=requested_by.coin_id, approval_id=approval_id)


def pending_answer(approval: Approval) -> dict[str, Any]:
    """The 202 body of a request that now waits for approval."""
    return {
        "status": "pending_approval",
        "approval_id": approval.public_id,
        "kind": approval.kind.value,
        "amount": approval.amount,
    }


def get_approval(conn: Connection, *, coin_id: int, approval_id: str) -> Approval:
    row = conn.execute(
        text(f"SELECT {_APPROVAL.sql} {_FROM} AND a.public_id = :p"),
        {"coin": coin_id, "p": approval_id},
    ).one_or_none()
    if row is None:
        raise Problem(Code.APPROVAL_NOT_FOUND, "no such approval in this coin")
    return _APPROVAL.read(row)


def list_approvals(
    conn: Connection,
    *,
    coin_id: int,
    kinds: frozenset[Kind],
    status: Status | None,
    limit: int,
    starting_after: str | None = None,
) -> tuple[list[Approval], bool]:
    """The coin's approvals of these kinds, newest first; and whether more follow."""
    where = " AND a.kind = ANY(:kinds)"
    params: dict[str, object] = {
        "coin": coin_id,
        "kinds": [k.value for k in kinds],
        "limit": limit + 1,
    }
    if status is not None:
        where += " AND a.status = :status"
        params["status"] = status.value
    if starting_after is not None:
        params["after"] = conn.execute(
            text(f"SELECT a.id {_FROM} AND a.public_id = :p"),
            {"coin": coin_id, "p": starting_after},
        ).scalar_one_or_none()
        if params["after"] is None:
            raise Problem(Code.CURSOR_INVALID, "starting_after names no approval of this coin")
        where += " AND a.id < :after"
    rows = conn.execute(
        text(f"SELECT {_APPROVAL.sql} {_FROM}{where} ORDER BY a.id DESC LIMIT :limit"), params
    ).all()
    return [_APPROVAL.read(row) for row in rows[:limit]], len(rows) > limit


def _pending_for(conn: Connection, *, approval_id: str, by: ApiKey) -> tuple[int, int, Approval]:
    """Locks the approval; checks it is pending and ``by`` may decide it. Returns the
    approval's row id, its maker's key id, and the approval."""
    row = conn.execute(
        text(
            "SELECT id, requested_by FROM approvals WHERE coin_id = :coin AND public_id = :p"
            " FOR UPDATE"
        ),
        {"coin": by.coin_id, "p": approval_id},
    ).one_or_none()
    if row is None:
        raise Problem(Code.APPROVAL_NOT_FOUND, "no such approval in this coin")
    approval = get_approval(conn, coin_id=by.coin_id, approval_id=approval_id)
    if by.role is not approval.kind.role:
        # Another role's queue is not this key's to see (GET answers 404 alike).
        raise Problem(Code.APPROVAL_NOT_FOUND, "no such approval in this key's queue")
    if approval.status is not Status.PENDING:
        raise Problem(Code.APPROVAL_DECIDED, f"the approval is {approval.status} already")
    if row.requested_by == by.id:
        raise Problem(Code.APPROVAL_BY_MAKER, "the key that asked cannot decide; another must")
    return row.id, row.requested_by, approval


def approve(
    conn: Connection,
    *,
    approval_id: str,
    by: ApiKey,
    at: datetime,
    issuers: Mapping[Kind, Issue],
) -> Approval:
    """Runs the issuance as asked (with its kind's issuer), recorded to the key that
    asked; a refusal now leaves the approval ``failed`` with its code, and nothing moves."""
    row_id, maker_id, approval = _pending_for(conn, approval_id=approval_id, by=by)
    maker = ApiKey(coin_id=by.coin_id, id=maker_id, role=approval.kind.role, label="")
    savepoint = conn.begin_nested()
    try:
        result = issuers[approval.kind](conn, approval.request, maker, at)
    except (Problem, LedgerError) as refused:
        savepoint.rollback()
        code = refused.code if isinstance(refused, Problem) else refused.code.value
        _decide(
            conn,
            row_id,
            by=by,
            at=at,
            status=Status.FAILED,
            error={"code": str(code), "detail": refused.detail},
        )
    else:
        savepoint.commit()
        _decide(conn, row_id, by=by, at=at, status=Status.APPROVED, result=result)
    return get_approval(conn, coin_id=by.coin_id, approval_id=approval_id)


def reject(
    conn: Connection, *, approval_id: str, by: ApiKey, at: datetime, reason: str | None
) -> Approval:
    row_id, _, _ = _pending_for(conn, approval_id=approval_id, by=by)
    _decide(conn, row_id, by=by, at=at, status=Status.REJECTED, reason=reason)
    return get_approval(conn, coin_id=by.coin_id, approval_id=approval_id)


def _decide(
    conn: Connection,
    row_id: int,
    *,
    by: ApiKey,
    at: datetime,
    status: Status,
    reason: str | None = None,
    result: dict[str, Any] | None = None,
    error: dict[str, Any] | None = None,
) -> None:
    conn.execute(
        text(
            "UPDATE approvals SET status = :status, decided_by = :by, decided_at = :at,"
            " reason = :reason, result = :result, error = :error"
            " WHERE coin_id = :coin AND id = :id"
        ).bindparams(bindparam("result", type_=_JSON), bindparam("error", type_=_JSON)),
        {
            "status": status.value,
            "by": by.id,
            "at": at,
            "reason": reason,
            "result": result,
            "error": error,
            "coin": by.coin_id,
            "id": row_id,
        },
    )
