"""Issuance as the API runs it: a top-up, a points grant or a premium campaign, now
or once approved.

One function per kind takes the request as the caller sent it (as stored with
an approval) and the key that asked, checks that key's daily ceiling (and,
for points, the coin's budget), runs it, and gives the API's answer. The
route calls it directly below the coin's approval threshold; above it, the
approval calls it when a second key approves, so both paths run the same
checks.
"""

from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from kit.credentials import ApiKey
from wallet_api.approvals import Issue, Kind, open_approval, pending_answer, would_succeed
from wallet_api.issuance_limits import check_daily_ceiling, check_points_budget
from wallet_api.issuance_schemas import (
    CampaignCreate,
    PointsGrantCreate,
    PointsGrantPublic,
    campaign_public,
)
from wallet_api.points_grants import grant_points
from wallet_api.premium import create_campaign
from wallet_api.residents import find_wallet
from wallet_api.rules import get_rules
from wallet_api.schemas import TopupCreate, TopupPublic
from wallet_api.topups import Channel, record_topup
from wallet_api.winddown import announce


def topup_total(request: dict[str, Any]) -> int:
    return TopupCreate.model_validate(request).amount


def points_total(request: dict[str, Any]) -> int:
    body = PointsGrantCreate.model_validate(request)
    return body.amount * len(body.wallet_ids)


def campaign_total(request: dict[str, Any]) -> int:
    """The coin a campaign creates if it sells out: its premium on every unit."""
    body = CampaignCreate.model_validate(request)
    return (body.face_value - body.price) * body.total_units


def issue_topup(
    conn: Connection, request: dict[str, Any], key: ApiKey, at: datetime
) -> dict[str, Any]:
    body = TopupCreate.model_validate(request)
    rules = get_rules(conn, coin_id=key.coin_id)
    wallet = find_wallet(conn, coin_id=key.coin_id, wallet_public_id=body.wallet_id)
    check_daily_ceiling(conn, rules=rules, key_id=key.id, amount=body.amount, at=at)
    topup = record_topup(
        conn,
        rules=rules,
        wallet=wallet,
        amount=body.amount,
        channel=Channel(body.channel),
        reference=body.reference,
        at=at,
        institution_bank_code=body.institution,
        recorded_by=key.id,
    )
    return TopupPublic(
        id=topup.public_id,
        wallet_id=topup.wallet_public_id,
        amount=topup.amount,
        channel=topup.channel.value,
        reference=topup.reference,
        created_at=topup.created_at.isoformat(),
    ).model_dump()


def issue_points(
    conn: Connection, request: dict[str, Any], key: ApiKey, at: datetime
) -> dict[str, Any]:
    body = PointsGrantCreate.model_validate(request)
    rules = get_rules(conn, coin_id=key.coin_id)
    total = body.amount * len(body.wallet_ids)
    check_points_budget(conn, rules=rules, total=total)
    check_daily_ceiling(conn, rules=rules, key_id=key.id, amount=total, at=at)
    grant = grant_points(
        conn,
        rules=rules,
        wallet_public_ids=body.wallet_ids,
        amount=body.amount,
        reason=body.reason,
        expires_at=body.expires_at,
        api_key_id=key.id,
        at=at,
    )
    return PointsGrantPublic(
        id=grant.public_id,
        amount=grant.amount,
        wallet_count=grant.wallet_count,
        total=grant.total,
        expires_at=grant.expires_at.isoformat(),
        reason=grant.reason,
        created_at=grant.created_at.isoformat(),
    ).model_dump()


def issue_campaign(
    conn: Connection, request: dict[str, Any], key: ApiKey, at: datetime
) -> dict[str, Any]:
    body = CampaignCreate.model_validate(request)
    get_rules(conn, coin_id=key.coin_id).check_issuing(at)
    campaign = create_campaign(
        conn,
        coin_id=key.coin_id,
        name=body.name,
        price=body.price,
        face_value=body.face_value,
        per_resident_limit=body.per_resident_limit,
        total_units=body.total_units,
        starts_at=body.starts_at,
        ends_at=body.ends_at,
        premium_expires_at=body.premium_expires_at,
        at=at,
        verified_only=body.verified_only,
        created_by=key.id,
    )
    return campaign_public(campaign).model_dump()


def issue_winddown(
    conn: Connection, request: dict[str, Any], key: ApiKey, at: datetime
) -> dict[str, Any]:
    """A coin's wind-down, once approved: the approval is the public notice."""
    return announce(conn, request, key, at).as_json()


ISSUERS: dict[Kind, Issue] = {
    Kind.TOPUP: issue_topup,
    Kind.POINTS_GRANT: issue_points,
    Kind.PREMIUM_CAMPAIGN: issue_campaign,
    Kind.WINDDOWN: issue_winddown,
}

TOTALS = {
    Kind.TOPUP: topup_total,
    Kind.POINTS_GRANT: points_total,
    Kind.PREMIUM_CAMPAIGN: campaign_total,
}


def issue_or_hold(
    conn: Connection, *, kind: Kind, request: dict[str, Any], key: ApiKey, at: datetime
) -> tuple[int, dict[str, Any]]:
    """Runs the issuance (201 and its answer), or, above the coin's approval
    threshold, checks that it would run and keeps it for a second key (202)."""
    issue = ISSUERS[kind]
    total = TOTALS[kind](request)
    if total <= get_rules(conn, coin_id=key.coin_id).approval_threshold:
        return 201, issue(conn, request, key, at)
    would_succeed(conn, lambda: issue(conn, request, key, at))
    approval = open_approval(
        conn, kind=kind, amount=total, request=request, requested_by=key, at=at
    )
    return 202, pending_answer(approval)
