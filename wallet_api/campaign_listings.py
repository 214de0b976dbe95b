"""Lists of premium campaigns: those on sale now in a coin (for its residents), and all of
a coin's campaigns with what their paid purchases took (for the city and the issuer)."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, text

from wallet_api.premium import CAMPAIGN, Campaign, find_campaign


@dataclass(frozen=True, slots=True)
class CampaignTakings:
    """A campaign and what its paid purchases took.

    Attributes:
        campaign: the campaign; its ``sold_units`` counts reserved units too.
        paid_units: units paid for at the issuer.
        paid_price: yen taken for them.
        paid_face: coin credited for them (the price as money, the rest as premium).
    """

    campaign: Campaign
    paid_units: int
    paid_price: int
    paid_face: int


def open_campaigns(
    conn: Connection, *, coin_id: int, at: datetime, limit: int, starting_after: str | None
) -> tuple[list[Campaign], bool]:
    """The coin's campaigns on sale at ``at``, the one ending soonest first, and if more follow."""
    rows = conn.execute(
        text(
            f"SELECT {CAMPAIGN.sql} FROM premium_campaigns"
            " WHERE coin_id = :coin AND starts_at <= :now AND ends_at > :now"
            " AND (CAST(:after AS text) IS NULL OR (ends_at, public_id) > ("
            "   SELECT ends_at, public_id FROM premium_campaigns"
            "   WHERE coin_id = :coin AND public_id = :after))"
            " ORDER BY ends_at, public_id LIMIT :limit"
        ),
        {"coin": coin_id, "now": at, "after": starting_after, "limit": limit + 1},
    ).all()
    campaigns = [CAMPAIGN.read(row) for row in rows]
    return campaigns[:limit], len(campaigns) > limit


def campaign_takings_page(
    conn: Connection, *, coin_id: int, limit: int, starting_after: str | None
) -> tuple[list[CampaignTakings], bool]:
    """The coin's campaigns, newest first, each with its takings, and if more follow.

    ``starting_after`` is a campaign's public id; one of another coin is 404
    ``campaign_not_found``.
    """
    after = None
    if starting_after is not None:
        after = find_campaign(conn, coin_id=coin_id, campaign_public_id=starting_after).id
    ids = (
        conn.execute(
            text(
                "SELECT public_id FROM premium_campaigns WHERE coin_id = :coin"
                " AND (CAST(:after AS bigint) IS NULL OR id < :after)"
                " ORDER BY id DESC LIMIT :limit"
            ),
            {"coin": coin_id, "after": after, "limit": limit + 1},
        )
        .scalars()
        .all()
    )
    page = [_takings(conn, coin_id=coin_id, campaign_public_id=pid) for pid in ids[:limit]]
    return page, len(ids) > limit


def _takings(conn: Connection, *, coin_id: int, campaign_public_id: str) -> CampaignTakings:
    campaign = find_campaign(conn, coin_id=coin_id, campaign_public_id=campaign_public_id)
    units, price, face = conn.execute(
        text(
            "SELECT COALESCE(SUM(units), 0), COALESCE(SUM(price_total), 0),"
            " COALESCE(SUM(face_total), 0) FROM premium_purchases"
            " WHERE coin_id = :coin AND campaign_id = :id AND status = 'paid'"
        ),
        {"coin": coin_id, "id": campaign.id},
    ).one()
    return CampaignTakings(campaign, int(units), int(price), int(face))
