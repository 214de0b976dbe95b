"""Request and response bodies of issuance: points grants, coin rules, premium
campaigns, approvals."""

from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from kit.request_body import RequestBody
from ledger.limits import AMOUNT_MAX
from wallet_api.approvals import REASON_CHARS_MAX, Approval
from wallet_api.premium import Campaign

TopupChannel = Literal["counter", "atm", "bank_account", "card"]
PaymentChannel = Literal["counter", "atm", "bank_account"]


class PointsGrantCreate(RequestBody):
    wallet_ids: list[str] = Field(
        description="The wallets to credit (1 to 1,000; more is refused as batch_too_large).",
        min_length=1,
    )
    amount: int = Field(description="Points per wallet, at most the coin's payment_max.", gt=0)
    reason: str = Field(description="Why the city grants them.", min_length=1, max_length=200)
    expires_at: AwareDatetime = Field(description="When what is left expires (ISO 8601).")


class PointsGrantPublic(BaseModel):
    id: str
    amount: int = Field(description="Points per wallet.")
    wallet_count: int
    total: int = Field(description="amount * wallet_count, funded by the municipality.")
    expires_at: str
    reason: str
    created_at: str


class CoinRulesChange(RequestBody):
    """Only the fields given change."""

    basic_balance_cap: int | None = Field(default=None, gt=0, le=AMOUNT_MAX)
    verified_balance_cap: int | None = Field(default=None, gt=0, le=AMOUNT_MAX)
    payment_max: int | None = Field(default=None, gt=0, le=AMOUNT_MAX)
    daily_topup_max: int | None = Field(default=None, gt=0, le=AMOUNT_MAX)
    topup_bonus_bp: int | None = Field(
        default=None, ge=0, le=10_000, description="Points per top-up in basis points (100 = 1%)."
    )
    topup_bonus_excluded_channels: list[TopupChannel] | None = Field(
        default=None, description="Top-up channels that earn no bonus."
    )
    merchant_to_resident_allowed: bool | None = Field(
        default=None, description="May merchants pay residents (change, cash-back)?"
    )
    step_up_amount: int | None = Field(
        default=None,
        gt=0,
        le=AMOUNT_MAX,
        description="Payments and transfers of this much or more need the resident's PIN.",
    )
    approval_threshold: int | None = Field(
        default=None,
        gt=0,
        le=AMOUNT_MAX,
        description="A top-up, or a points grant in total, above this waits for a second"
        " key's approval.",
    )
    points_budget: int | None = Field(
        default=None,
        ge=0,
        le=10**15,
        description="The most points the municipality may grant in all (grants so far count).",
    )
    daily_issuance_max_per_key: int | None = Field(
        default=None,
        gt=0,
        le=AMOUNT_MAX,
        description="The most one key may issue per Tokyo business day.",
    )
    cashout_min: int | None = Field(
        default=None, gt=0, le=AMOUNT_MAX, description="The smallest cash-out."
    )
    btob_min: int | None = Field(
        default=None, gt=0, le=AMOUNT_MAX, description="The smallest merchant-to-merchant transfer."
    )
    fee_min: int | None = Field(
        default=None,
        ge=0,
        le=AMOUNT_MAX,
        description="The least fee a cash-out or BtoB transfer pays (0: none).",
    )
    pending_payouts_max: int | None = Field(
        default=None, gt=0, le=1_000, description="Cash-outs one merchant may have waiting."
    )
    retention_years: int | None = Field(
        default=None,
        ge=7,
        le=30,
        description="Years a resident's records are kept after their wallet last moved;"
        " erasure is refused before.",
    )


class CoinRulesPublic(BaseModel):
    basic_balance_cap: int
    verified_balance_cap: int
    payment_max: int
    daily_topup_max: int
    topup_bonus_bp: int
    topup_bonus_excluded_channels: list[TopupChannel]
    merchant_to_resident_allowed: bool
    step_up_amount: int
    approval_threshold: int
    points_budget: int | None
    points_granted: int = Field(description="Points granted so far, against the budget.")
    daily_issuance_max_per_key: int
    cashout_min: int
    btob_min: int
    fee_min: int
    pending_payouts_max: int
    retention_years: int = Field(
        description="Years a resident's records are kept after their wallet last moved."
    )


class CampaignCreate(RequestBody):
    name: str = Field(min_length=1, max_length=200)
    price: int = Field(description="Yen per unit.", gt=0, le=AMOUNT_MAX)
    face_value: int = Field(description="Coin per unit; above price.", gt=0, le=AMOUNT_MAX)
    per_resident_limit: int = Field(description="Units one resident may buy.", gt=0)
    total_units: int = Field(description="Units on sale in all.", gt=0)
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    premium_expires_at: AwareDatetime = Field(description="When the premium part expires.")
    verified_only: bool = Field(
        default=False,
        description="Only verified residents may buy, the limit counted per verified identity.",
    )


class CampaignPublic(BaseModel):
    id: str
    name: str
    price: int
    face_value: int
    premium: int = Field(description="face_value - price, funded by the municipality.")
    per_resident_limit: int
    total_units: int
    sold_units: int = Field(description="Reserved or paid units.")
    starts_at: str
    ends_at: str
    premium_expires_at: str
    verified_only: bool = False


class PurchaseCreate(RequestBody):
    units: int = Field(gt=0, le=1_000_000)


class PaymentConfirmation(RequestBody):
    channel: PaymentChannel
    reference: str = Field(description="The bank's reference.", min_length=1, max_length=100)


class PurchasePublic(BaseModel):
    id: str
    campaign_id: str
    wallet_id: str
    units: int
    price_total: int = Field(description="Yen to pay at the issuer.")
    face_total: int = Field(description="Coin credited once paid.")
    premium_total: int = Field(description="The part of face_total credited as premium.")
    status: Literal["reserved", "paid", "released"]
    pay_by: str = Field(description="The reservation is released if unpaid by then.")
    paid_at: str | None
    channel: PaymentChannel | None
    reference: str | None


def campaign_public(campaign: Campaign) -> CampaignPublic:
    return CampaignPublic(
        id=campaign.public_id,
        name=campaign.name,
        price=campaign.price,
        face_value=campaign.face_value,
        premium=campaign.premium,
        per_resident_limit=campaign.per_resident_limit,
        total_units=campaign.total_units,
        sold_units=campaign.sold_units,
        starts_at=campaign.starts_at.isoformat(),
        ends_at=campaign.ends_at.isoformat(),
        premium_expires_at=campaign.premium_expires_at.isoformat(),
        verified_only=campaign.verified_only,
    )


class CampaignDirectory(BaseModel):
    data: list[CampaignPublic]
    has_more: bool


class CampaignSales(CampaignPublic):
    paid_units: int = Field(description="Units paid for at the issuer.")
    paid_price: int = Field(description="Yen taken for them.")
    paid_premium: int = Field(description="Premium credited on them, funded by the city.")


class CampaignPage(BaseModel):
    data: list[CampaignSales]
    has_more: bool


class ApprovalPublic(BaseModel):
    id: str = Field(description="apr_…")
    kind: str = Field(description="topup or points_grant.")
    amount: int = Field(description="What it creates in all (money or points).")
    request: dict[str, Any] = Field(description="The request as asked; it runs as is.")
    status: str = Field(description="pending, approved, rejected or failed.")
    requested_by: str = Field(description="The key that asked (key_…).")
    decided_by: str | None = Field(description="The other key that decided.")
    created_at: str
    decided_at: str | None
    reason: str | None
    result: dict[str, Any] | None = Field(description="The issuance's answer, once approved.")
    error: dict[str, Any] | None = Field(
        description="{code, detail}: why it could not run when approved (failed)."
    )

    @classmethod
    def of(cls, approval: Approval) -> "ApprovalPublic":
        return cls(
            id=approval.public_id,
            kind=approval.kind.value,
            amount=approval.amount,
            request=approval.request,
            status=approval.status.value,
            requested_by=approval.requested_by,
            decided_by=approval.decided_by,
            created_at=approval.created_at.isoformat(),
            decided_at=None if approval.decided_at is None else approval.decided_at.isoformat(),
            reason=approval.reason,
            result=approval.result,
            error=approval.error,
        )


class ApprovalPage(BaseModel):
    data: list[ApprovalPublic] = Field(description="Newest first.")
    has_more: bool


class ApprovalDecision(RequestBody):
    model_config = ConfigDict(extra="forbid")

    reason: str | None = Field(
        default=None, max_length=REASON_CHARS_MAX, description="The decider's note."
    )
