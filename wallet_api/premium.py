"""Premium campaigns (プレミアム付商品券): yen buys more coin, the city pays the difference.

A campaign sells units (e.g. 10,000 yen buys 12,000 coin) first come, first
served, within a sales window, up to a total and a per-resident limit.

- **Reserve.** A resident's purchase reserves units at once: the campaign's
  counter and the resident's holding are raised by conditional updates whose
  CHECK constraints are the last guard, so a rush never oversells and no
  resident exceeds the limit. Every purchase of a campaign takes the
  campaign's row first (the one global order: campaign, holding, purchase),
  so concurrent buyers queue on it instead of deadlocking.
- **Pay.** The resident pays the price in yen at the issuer (counter, ATM,
  bank transfer): coin cannot buy coin. The issuer confirms the payment and
  the wallet is credited in one entry: the price as money (debit
  ``reserve:bank``) and the premium as a premium lot expiring with the
  campaign (debit ``receivable:municipality``).
- **Release.** A reservation not paid within ``PAYMENT_WINDOW`` is released
  and its units go back on sale; every purchase attempt releases the
  campaign's overdue reservations first (``release_overdue``).

Result codes:

| code | status | when |
| --- | --- | --- |
| ``campaign_invalid`` | 422 | a new campaign's figures or dates do not hold together |
| ``campaign_not_found`` / ``purchase_not_found`` | 404 | unknown in this coin |
| ``campaign_closed`` | 422 | a purchase outside the sales window |
| ``limit_exceeded`` | 422 | over the per-resident limit, or the wallet's balance cap |
| ``sold_out`` | 409 | fewer units left than asked for |
| ``purchase_not_reserved`` | 409 | confirming a purchase paid or released already |
| ``reservation_expired`` | 409 | confirming after the payment deadline |
| ``payment_reference_reused`` | 409 | the bank's reference paid another purchase |
"""

import hashlib
import hmac
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, text

from kit.errors import Code
from kit.problems import Problem
from kit.public_ids import public_id
from ledger.accounts import get_balance
from ledger.chart import Standard, standard_account
from ledger.entries import EntryRequest, credit, debit, post_entry
from ledger.limits import AMOUNT_MAX
from ledger.lots import LotKind
from ledger.records import Column, RecordColumns
from wallet_api.residents import Wallet
from wallet_api.rules import CoinRules, Tier

PAYMENT_WINDOW = timedelta(minutes=30)
UNITS_MAX = 1_000_000


@dataclass(frozen=True, slots=True)
class Campaign:
    """Attributes:
    coin_id, id: its key.
    public_id: its id in the API (``pc_…``).
    name: what residents see.
    price: yen paid per unit.
    face_value: coin credited per unit (price as money, the rest as premium).
    per_resident_limit: the most units one resident may hold.
    total_units: the most units sold in all.
    sold_units: units reserved or paid (released ones are back on sale).
    starts_at, ends_at: the sales window [starts_at, ends_at).
    premium_expires_at: when what is left of the premium part expires.
    verified_only: only verified wallets may buy, and the limit is per verified
        identity (two accounts of one person share it), not per wallet.
    """

    coin_id: int
    id: int
    public_id: str
    name: str
    price: int
    face_value: int
    per_resident_limit: int
    total_units: int
    sold_units: int
    starts_at: datetime
    ends_at: datetime
    premium_expires_at: datetime
    verified_only: bool = False

    @property
    def premium(self) -> int:
        return self.face_value - self.price


@dataclass(frozen=True, slots=True)
class Purchase:
    """Attributes:
    public_id: its id in the API (``pp_…``).
    campaign_public_id: the campaign.
    wallet_public_id: the wallet credited once paid.
    units: units bought.
    price_total: yen to pay.
    face_total: coin credited once paid (premium_total of it as premium).
    status: reserved, paid or released.
    pay_by: the payment deadline of a reservation.
    paid_at: when the issuer confirmed the payment (None until then).
    channel, reference: where and under which bank reference it was paid.
    """

    public_id: str
    campaign_public_id: str
    wallet_public_id: str
    units: int
    price_total: int
    face_total: int
    status: str
    pay_by: datetime
    paid_at: datetime | None
    channel: str | None
    reference: str | None

    @property
    def premium_total(self) -> int:
        return self.face_total - self.price_total


CAMPAIGN = RecordColumns(Campaign)


def create_campaign(
    conn: Connection,
    *,
    coin_id: int,
    name: str,
    price: int,
    face_value: int,
    per_resident_limit: int,
    total_units: int,
    starts_at: datetime,
    ends_at: datetime,
    premium_expires_at: datetime,
    at: datetime,
    verified_only: bool = False,
    created_by: int | None = None,
) -> Campaign:
    """Opens a campaign; ``created_by`` is the key that asked for it (the actor on record)."""
    _check_campaign(
        price=price,
        face_value=face_value,
        per_resident_limit=per_resident_limit,
        total_units=total_units,
        starts_at=starts_at,
        ends_at=ends_at,
        premium_expires_at=premium_expires_at,
        at=at,
    )
    row = conn.execute(
        text(
            "INSERT INTO premium_campaigns (coin_id, public_id, name, price, face_value,"
            " per_resident_limit, total_units, starts_at, ends_at, premium_expires_at,"
            " created_at, verified_only, created_by) VALUES (:coin, :pid, :name, :price, :face,"
            " :limit, :total, :starts, :ends, :expires, :at, :verified_only, :created_by)"
            f" RETURNING {CAMPAIGN.sql}"
        ),
        {
            "coin": coin_id,
            "pid": public_id("pc_"),
            "name": name,
            "price": price,
            "face": face_value,
            "limit": per_resident_limit,
            "total": total_units,
            "starts": starts_at,
            "ends": ends_at,
            "expires": premium_expires_at,
            "at": at,
            "verified_only": verified_only,
            "created_by": created_by,
        },
    ).one()
    return CAMPAIGN.read(row)


def _check_campaign(
    *,
    price: int,
    face_value: int,
    per_resident_limit: int,
    total_units: int,
    starts_at: datetime,
    ends_at: datetime,
    premium_expires_at: datetime,
    at: datetime,
) -> None:
    def refuse(detail: str) -> None:
        raise Problem(Code.CAMPAIGN_INVALID, detail)

    if not 0 < price < face_value:
        refuse("face_value is above price, and price above 0")
    if not 0 < per_resident_limit <= total_units <= UNITS_MAX:
        refuse(f"1 <= per_resident_limit <= total_units <= {UNITS_MAX}")
    if face_value * per_resident_limit > AMOUNT_MAX:
        refuse(f"one resident's purchase is at most {AMOUNT_MAX} coin")
    if not starts_at < ends_at < premium_expires_at:
        refuse("starts_at < ends_at < premium_expires_at")
    if ends_at <= at:
        refuse("the sales window ends in the future")


def find_campaign(conn: Connection, *, coin_id: int, campaign_public_id: str) -> Campaign:
    row = conn.execute(
        text(
            f"SELECT {CAMPAIGN.sql} FROM premium_campaigns"
            " WHERE coin_id = :coin AND public_id = :pid"
        ),
        {"coin": coin_id, "pid": campaign_public_id},
    ).one_or_none()
    if row is None:
        raise Problem(Code.CAMPAIGN_NOT_FOUND, "no such campaign in this coin")
    return CAMPAIGN.read(row)


def coin_of_campaign(conn: Connection, campaign_public_id: str) -> int:
    """The coin a campaign sells (campaign ids are unique in the deployment)."""
    coin_id: int | None = conn.execute(
        text("SELECT coin_id FROM premium_campaigns WHERE public_id = :pid"),
        {"pid": campaign_public_id},
    ).scalar_one_or_none()
    if coin_id is None:
        raise Problem(Code.CAMPAIGN_NOT_FOUND, "no such campaign")
    return coin_id


def _lock_campaign(conn: Connection, campaign: Campaign) -> None:
    conn.execute(
        text(
            "SELECT 1 FROM premium_campaigns WHERE coin_id = :coin AND id = :id FOR NO KEY UPDATE"
        ),
        {"coin": campaign.coin_id, "id": campaign.id},
    )


def release_overdue(conn: Connection, *, campaign: Campaign, at: datetime) -> int:
    """Releases the campaign's reservations unpaid at their deadline; returns the units freed.

    Takes the campaign's row first, like every purchase, then the purchases,
    then the holdings.
    """
    _lock_campaign(conn, campaign)
    released = conn.execute(
        text(
            "UPDATE premium_purchases SET status = 'released', released_at = :at"
            " WHERE coin_id = :coin AND campaign_id = :campaign AND status = 'reserved'"
            " AND pay_by <= :at RETURNING wallet_id, units, identity"
        ),
        {"coin": campaign.coin_id, "campaign": campaign.id, "at": at},
    ).all()
    if not released:
        return 0
    per_wallet: dict[int, int] = {}
    per_identity: dict[bytes, int] = {}
    for wallet_id, units, identity in released:
        per_wallet[wallet_id] = per_wallet.get(wallet_id, 0) + units
        if identity is not None:
            per_identity[bytes(identity)] = per_identity.get(bytes(identity), 0) + units
    for identity, units in sorted(per_identity.items()):
        conn.execute(
            text(
                "UPDATE premium_identity_holdings SET units = units - :units"
                " WHERE coin_id = :coin AND campaign_id = :campaign AND identity = :identity"
            ),
            {
                "units": units,
                "coin": campaign.coin_id,
                "campaign": campaign.id,
                "identity": identity,
            },
        )
    conn.execute(
        text(
            "UPDATE premium_holdings h SET units = h.units - r.units"
            " FROM unnest(CAST(:wallets AS bigint[]), CAST(:units AS integer[])) AS r (w, units)"
            " WHERE h.coin_id = :coin AND h.campaign_id = :campaign AND h.wallet_id = r.w"
        ),
        {
            "coin": campaign.coin_id,
            "campaign": campaign.id,
            "wallets": sorted(per_wallet),
            "units": [per_wallet[w] for w in sorted(per_wallet)],
        },
    )
    freed = sum(per_wallet.values())
    conn.execute(
        text(
            "UPDATE premium_campaigns SET sold_units = sold_units - :freed"
            " WHERE coin_id = :coin AND id = :id"
        ),
        {"freed": freed, "coin": campaign.coin_id, "id": campaign.id},
    )
    return freed


def reserve(
    conn: Connection,
    *,
    rules: CoinRules,
    campaign: Campaign,
    wallet: Wallet,
    units: int,
    at: datetime,
    identity_key: bytes = b"",
) -> Purchase:
    """Reserves ``units`` for the wallet, first come, first served. For a campaign
    for verified residents, ``identity_key`` keys the hash of the wallet's identity
    check that its limit is counted by."""
    assert campaign.coin_id == wallet.coin_id == rules.coin_id
    rules.check_issuing(at)
    release_overdue(conn, campaign=campaign, at=at)
    if not campaign.starts_at <= at < campaign.ends_at:
        raise Problem(
            Code.CAMPAIGN_CLOSED,
            f"sales run from {campaign.starts_at.isoformat()} to {campaign.ends_at.isoformat()}",
        )
    if not 0 < units <= campaign.per_resident_limit:
        raise _over_limit(campaign)
    identity = None
    if campaign.verified_only:
        identity = _identity(conn, wallet=wallet, key=identity_key)
    _check_cap(conn, rules=rules, wallet=wallet, face_total=units * campaign.face_value)
    sold = conn.execute(
        text(
            "UPDATE premium_campaigns SET sold_units = sold_units + :units"
            " WHERE coin_id = :coin AND id = :id AND sold_units + :units <= total_units"
            " RETURNING sold_units"
        ),
        {"units": units, "coin": campaign.coin_id, "id": campaign.id},
    ).one_or_none()
    if sold is None:
        raise Problem(Code.SOLD_OUT, f"fewer than {units} units are left")
    held = conn.execute(
        text(
            "INSERT INTO premium_holdings (coin_id, campaign_id, wallet_id, units,"
            " per_resident_limit) VALUES (:coin, :campaign, :wallet, :units, :limit)"
            " ON CONFLICT (coin_id, campaign_id, wallet_id) DO UPDATE"
            " SET units = premium_holdings.units + EXCLUDED.units"
            " WHERE premium_holdings.units + EXCLUDED.units <= premium_holdings.per_resident_limit"
            " RETURNING units"
        ),
        {
            "coin": campaign.coin_id,
            "campaign": campaign.id,
            "wallet": wallet.id,
            "units": units,
            "limit": campaign.per_resident_limit,
        },
    ).one_or_none()
    if held is None:
        raise _over_limit(campaign)
    if identity is not None:
        counted = conn.execute(
            text(
                "INSERT INTO premium_identity_holdings (coin_id, campaign_id, identity, units,"
                " per_resident_limit) VALUES (:coin, :campaign, :identity, :units, :limit)"
                " ON CONFLICT (coin_id, campaign_id, identity) DO UPDATE"
                " SET units = premium_identity_holdings.units + EXCLUDED.units"
                " WHERE premium_identity_holdings.units + EXCLUDED.units"
                " <= premium_identity_holdings.per_resident_limit RETURNING units"
            ),
            {
                "coin": campaign.coin_id,
                "campaign": campaign.id,
                "identity": identity,
                "units": units,
                "limit": campaign.per_resident_limit,
            },
        ).one_or_none()
        if counted is None:
            raise _over_limit(campaign)
    return _insert_purchase(
        conn, campaign=campaign, wallet=wallet, units=units, at=at, identity=identity
    )


def _identity(conn: Connection, *, wallet: Wallet, key: bytes) -> bytes:
    """A keyed hash of how the wallet's resident was identified: the same person
    checked twice (two accounts) gives the same hash; the reference is not kept."""
    if wallet.tier is not Tier.VERIFIED:
        raise Problem(Code.TIER_NOT_ALLOWED, "this campaign is for verified residents")
    method, reference = conn.execute(
        text(
            "SELECT verification_method, verification_reference FROM wallets"
            " WHERE coin_id = :coin AND id = :id"
        ),
        {"coin": wallet.coin_id, "id": wallet.id},
    ).one()
    assert key, "the route passes the server's key"
    checked = f"{method}\0{unicodedata.normalize('NFKC', reference).strip().upper()}"
    return hmac.new(key, b"premium-identity\0" + checked.encode(), hashlib.sha256).digest()


def _over_limit(campaign: Campaign) -> Problem:
    return Problem(
        Code.LIMIT_EXCEEDED,
        f"a resident buys at most {campaign.per_resident_limit} units of this campaign",
    )


def _check_cap(conn: Connection, *, rules: CoinRules, wallet: Wallet, face_total: int) -> None:
    cap = rules.balance_cap(wallet.tier)
    posted = get_balance(conn, coin_id=wallet.coin_id, account_id=wallet.account_id).posted
    if posted + face_total > cap:
        raise Problem(
            Code.LIMIT_EXCEEDED,
            f"a {wallet.tier} wallet holds at most {cap} coin; this purchase would take it"
            f" to {posted + face_total}",
        )


def _insert_purchase(
    conn: Connection,
    *,
    campaign: Campaign,
    wallet: Wallet,
    units: int,
    at: datetime,
    identity: bytes | None = None,
) -> Purchase:
    purchase = Purchase(
        public_id=public_id("pp_"),
        campaign_public_id=campaign.public_id,
        wallet_public_id=wallet.public_id,
        units=units,
        price_total=units * campaign.price,
        face_total=units * campaign.face_value,
        status="reserved",
        pay_by=at + PAYMENT_WINDOW,
        paid_at=None,
        channel=None,
        reference=None,
    )
    conn.execute(
        text(
            "INSERT INTO premium_purchases (coin_id, public_id, campaign_id, wallet_id, units,"
            " price_total, face_total, status, reserved_at, pay_by, identity) VALUES (:coin,"
            " :pid, :campaign, :wallet, :units, :price, :face, 'reserved', :at, :pay_by,"
            " :identity)"
        ),
        {
            "coin": campaign.coin_id,
            "pid": purchase.public_id,
            "campaign": campaign.id,
            "wallet": wallet.id,
            "units": units,
            "price": purchase.price_total,
            "face": purchase.face_total,
            "at": at,
            "pay_by": purchase.pay_by,
            "identity": identity,
        },
    )
    return purchase


# A purchase (p) with its campaign (c) and wallet (w), and what paying it needs.
_PURCHASE = RecordColumns(
    Purchase, campaign_public_id=Column("c.public_id"), wallet_public_id=Column("w.public_id")
)
_PURCHASE_SELECT = (
    f"SELECT {_PURCHASE.select('p')}, p.id, w.account_id, w.tier, c.premium_expires_at"
    " FROM premium_purchases p"
    " JOIN premium_campaigns c ON c.coin_id = p.coin_id AND c.id = p.campaign_id"
    " JOIN wallets w ON w.coin_id = p.coin_id AND w.id = p.wallet_id"
    " WHERE p.coin_id = :coin AND p.public_id = :pid"
)


def find_purchase(conn: Connection, *, coin_id: int, purchase_public_id: str) -> Purchase:
    row = conn.execute(
        text(_PURCHASE_SELECT), {"coin": coin_id, "pid": purchase_public_id}
    ).one_or_none()
    if row is None:
        raise Problem(Code.PURCHASE_NOT_FOUND, "no such purchase in this coin")
    return _PURCHASE.read(row)


def confirm_payment(
    conn: Connection,
    *,
    rules: CoinRules,
    purchase_public_id: str,
    channel: str,
    reference: str,
    at: datetime,
) -> Purchase:
    """The issuer received the price in yen: the wallet is credited in one entry."""
    row = conn.execute(
        text(_PURCHASE_SELECT + " FOR UPDATE OF p"),
        {"coin": rules.coin_id, "pid": purchase_public_id},
    ).one_or_none()
    if row is None:
        raise Problem(Code.PURCHASE_NOT_FOUND, "no such purchase in this coin")
    purchase = _PURCHASE.read(row)
    purchase_id, account_id, tier = row.id, row.account_id, Tier(row.tier)
    if purchase.status != "reserved":
        raise Problem(Code.PURCHASE_NOT_RESERVED, f"the purchase is {purchase.status}")
    if purchase.pay_by <= at:
        raise Problem(
            Code.RESERVATION_EXPIRED,
            f"the reservation had to be paid by {purchase.pay_by.isoformat()}",
        )
    _check_reference_free(conn, coin_id=rules.coin_id, channel=channel, reference=reference)
    entry_id = _credit(
        conn,
        coin_id=rules.coin_id,
        purchase=purchase,
        account_id=account_id,
        premium_expires_at=row.premium_expires_at,
        at=at,
    )
    cap = rules.balance_cap(tier)
    if get_balance(conn, coin_id=rules.coin_id, account_id=account_id).posted > cap:
        raise Problem(
            Code.LIMIT_EXCEEDED,
            f"a {tier} wallet holds at most {cap} coin; the purchase would exceed it",
        )
    conn.execute(
        text(
            "UPDATE premium_purchases SET status = 'paid', paid_at = :at, channel = :channel,"
            " reference = :reference, entry_id = :entry WHERE coin_id = :coin AND id = :id"
        ),
        {
            "at": at,
            "channel": channel,
            "reference": reference,
            "entry": entry_id,
            "coin": rules.coin_id,
            "id": purchase_id,
        },
    )
    return find_purchase(conn, coin_id=rules.coin_id, purchase_public_id=purchase_public_id)


def _check_reference_free(conn: Connection, *, coin_id: int, channel: str, reference: str) -> None:
    # A unique index is the guard; this gives the refusal its own code.
    taken = conn.execute(
        text(
            "SELECT 1 FROM premium_purchases WHERE coin_id = :coin AND status = 'paid'"
            " AND channel = :channel AND reference = :reference"
        ),
        {"coin": coin_id, "channel": channel, "reference": reference},
    ).one_or_none()
    if taken is not None:
        raise Problem(
            Code.PAYMENT_REFERENCE_REUSED,
            f"reference {reference!r} paid another purchase",
        )


def _credit(
    conn: Connection,
    *,
    coin_id: int,
    purchase: Purchase,
    account_id: int,
    premium_expires_at: datetime,
    at: datetime,
) -> int:
    reserve_bank = standard_account(conn, coin_id=coin_id, code=Standard.RESERVE_BANK)
    funding = standard_account(conn, coin_id=coin_id, code=Standard.RECEIVABLE_MUNICIPALITY)
    posted = post_entry(
        conn,
        coin_id=coin_id,
        request=EntryRequest(
            "premium.purchase",
            [
                debit(reserve_bank.id, purchase.price_total),
                debit(funding.id, purchase.premium_total),
                credit(account_id, purchase.price_total, lot_kind=LotKind.MONEY),
                credit(
                    account_id,
                    purchase.premium_total,
                    lot_kind=LotKind.PREMIUM,
                    lot_expires_at=premium_expires_at,
                ),
            ],
            # One credit per purchase, whatever happens above.
            idempotency_key=f"premium:{purchase.public_id}",
            metadata={"purchase": purchase.public_id, "campaign": purchase.campaign_public_id},
        ),
        posted_at=at,
    )
    return posted.entry_id
