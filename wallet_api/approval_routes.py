"""Approvals (HTTP): issuance above the coin's threshold, waiting for a second key.

Top-ups are the issuer's to approve, points grants the municipality's; the
operator sees them all and decides none. Refusals: 403 ``approval_by_maker``
(the key that asked), 404 ``approval_not_found`` (also for the other role's
kind), 409 ``approval_decided``.
"""

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request

from kit.auth import InstitutionKey, MunicipalityOrIssuerKey
from kit.credentials import Role
from kit.errors import Code
from kit.idempotency import Db, IdempotentRoute
from kit.problems import Problem
from kit.refusal_docs import refusals
from kit.request_clock import request_clock
from wallet_api.approvals import (
    Kind,
    Status,
    approve,
    get_approval,
    list_approvals,
    reject,
)
from wallet_api.issuance import ISSUERS
from wallet_api.issuance_schemas import ApprovalDecision, ApprovalPage, ApprovalPublic

router = APIRouter(route_class=IdempotentRoute, tags=["issuance"])

PAGE_MAX = 100
Limit = Annotated[int, Query(ge=1, le=PAGE_MAX)]
After = Annotated[str | None, Query(description="The id of the last item seen.", max_length=64)]
ApprovalId = Annotated[str, Path(max_length=64)]
StatusFilter = Annotated[
    Status | None, Query(description="Only approvals in this state (pending: the queue).")
]


def _kinds(role: Role) -> frozenset[Kind]:
    """What a role sees in the queue: its own kind; the operator, all."""
    return frozenset(k for k in Kind if role is Role.OPERATOR or k.role is role)


@router.get("/approvals", response_model=ApprovalPage, responses=refusals(Code.CURSOR_INVALID))
def list_coin_approvals(
    db: Db,
    key: InstitutionKey,
    status: StatusFilter = None,
    limit: Limit = 20,
    starting_after: After = None,
) -> ApprovalPage:
    """The coin's approvals this key's role decides (the operator sees all), newest first."""
    approvals, has_more = list_approvals(
        db,
        coin_id=key.coin_id,
        kinds=_kinds(key.role),
        status=status,
        limit=limit,
        starting_after=starting_after,
    )
    return ApprovalPage(data=[ApprovalPublic.of(a) for a in approvals], has_more=has_more)


@router.get(
    "/approvals/{approval_id}",
    response_model=ApprovalPublic,
    responses=refusals(Code.APPROVAL_NOT_FOUND),
)
def get_coin_approval(approval_id: ApprovalId, db: Db, key: InstitutionKey) -> ApprovalPublic:
    approval = get_approval(db, coin_id=key.coin_id, approval_id=approval_id)
    if approval.kind not in _kinds(key.role):
        raise Problem(Code.APPROVAL_NOT_FOUND, "no such approval in this coin")
    return ApprovalPublic.of(approval)


@router.post(
    "/approvals/{approval_id}/approve",
    response_model=ApprovalPublic,
    responses=refusals(Code.APPROVAL_BY_MAKER, Code.APPROVAL_NOT_FOUND, Code.APPROVAL_DECIDED),
)
def approve_issuance(
    approval_id: ApprovalId, db: Db, key: MunicipalityOrIssuerKey, request: Request
) -> ApprovalPublic:
    """Runs the issuance as asked (recorded to the key that asked). If it no longer
    holds, the approval is ``failed`` with the refusal's code and nothing moves."""
    approval = approve(
        db, approval_id=approval_id, by=key, at=request_clock(request).now(), issuers=ISSUERS
    )
    return ApprovalPublic.of(approval)


@router.post(
    "/approvals/{approval_id}/reject",
    response_model=ApprovalPublic,
    responses=refusals(Code.APPROVAL_BY_MAKER, Code.APPROVAL_NOT_FOUND, Code.APPROVAL_DECIDED),
)
def reject_issuance(
    approval_id: ApprovalId,
    db: Db,
    key: MunicipalityOrIssuerKey,
    request: Request,
    body: ApprovalDecision | None = None,
) -> ApprovalPublic:
    """Declines the issuance; nothing moves. ``reason`` says why, for the record."""
    approval = reject(
        db,
        approval_id=approval_id,
        by=key,
        at=request_clock(request).now(),
        reason=None if body is None else body.reason,
    )
    return ApprovalPublic.of(approval)
