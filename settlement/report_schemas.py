"""Request and response bodies of the reports, the institutions and the fee-sharing rule.

Every amount is an integer of coin (= yen); dates are ISO 8601 Tokyo dates.
"""

from pydantic import BaseModel, Field

from kit.request_body import RequestBody
from settlement.fee_sharing import PARTIES_MAX
from settlement.fee_statement import FeeStatement, StatementKind
from settlement.institutions import Institution, Positions
from settlement.kpi import Kpi
from settlement.unused_balance import THRESHOLD_YEN, UnusedBalance


class UnusedBalancePublic(BaseModel):
    """The Payment Services Act figures at a base date (see settlement/unused_balance.py)."""

    coin: str
    base_date: str
    statutory: bool = Field(description="Is the base date 3/31 or 9/30?")
    as_of: str = Field(
        description="When the figures are taken: the end of the base date in Asia/Tokyo, as UTC."
    )
    residents_money: int = Field(description="Residents' money lots (bought with yen).")
    residents_premium: int = Field(description="Residents' premium lots, at face value.")
    merchants: int = Field(description="Coin merchants' wallets held.")
    unused_balance: int = Field(description="residents_money + residents_premium + merchants.")
    points: int = Field(description="Free points held: not issued for value, reported apart.")
    threshold: int = Field(default=THRESHOLD_YEN, description="The 基準額 (¥10,000,000).")
    exceeds_threshold: bool
    security_deposit: int = Field(
        description="Half the unused balance rounded up to the yen above the threshold, else 0."
    )
    filing_deadline: str = Field(description="Two months after the base date.")

    @classmethod
    def of(cls, coin: str, figures: UnusedBalance) -> "UnusedBalancePublic":
        return cls(
            coin=coin,
            base_date=figures.base_date.isoformat(),
            statutory=figures.statutory,
            as_of=figures.as_of.isoformat(),
            residents_money=figures.residents_money,
            residents_premium=figures.residents_premium,
            merchants=figures.merchants,
            unused_balance=figures.unused_balance,
            points=figures.points,
            exceeds_threshold=figures.exceeds_threshold,
            security_deposit=figures.security_deposit,
            filing_deadline=figures.filing_deadline.isoformat(),
        )


class FeesByKind(BaseModel):
    payment: int
    cashout: int
    btob: int
    other: int = Field(description="Fees posted by any other kind of entry (none expected).")

    @classmethod
    def of(cls, by_kind: dict[StatementKind, int]) -> "FeesByKind":
        return cls(**{kind.value: amount for kind, amount in by_kind.items()})


class MerchantFeesPublic(BaseModel):
    merchant_id: str | None = Field(
        description="The merchant's public id; null for fees no merchant paid."
    )
    name: str | None
    fees: FeesByKind
    total: int = Field(description="Fees excluding consumption tax.")
    tax: int = Field(description="The consumption tax its month's invoice carries (0: none).")


class PartySharePublic(BaseModel):
    party: str = Field(description="An institution's bank code, or 'operator'.")
    name: str
    share_bp: int
    amount: int


class FeeStatementPublic(BaseModel):
    """Net fee revenue of a month (postings to revenue:fees, Tokyo dates), and its sharing.

    Fees are excluding consumption tax; the tax is invoiced to the merchants by
    the issuer, who files it, so it is shown apart and never shared."""

    coin: str
    month: str
    total: int = Field(description="Fees excluding consumption tax.")
    tax: int = Field(description="The consumption tax of the month's invoices, apart.")
    by_kind: FeesByKind
    merchants: list[MerchantFeesPublic]
    shares: list[PartySharePublic] = Field(
        description="The total (excluding tax) by the coin's rule, summing to it exactly;"
        " empty without a rule."
    )

    @classmethod
    def of(cls, coin: str, statement: FeeStatement, taxes: dict[str, int]) -> "FeeStatementPublic":
        return cls(
            coin=coin,
            month=statement.month.isoformat()[:7],
            total=statement.total,
            tax=sum(taxes.values()),
            by_kind=FeesByKind.of(statement.by_kind),
            merchants=[
                MerchantFeesPublic(
                    merchant_id=m.merchant_id,
                    name=m.name,
                    fees=FeesByKind.of(m.by_kind),
                    total=m.total,
                    tax=taxes.get(m.merchant_id or "", 0),
                )
                for m in statement.merchants
            ],
            shares=[
                PartySharePublic(party=s.party, name=s.name, share_bp=s.share_bp, amount=s.amount)
                for s in statement.shares
            ],
        )


class ShareIn(RequestBody):
    party: str = Field(pattern=r"^(operator|[0-9]{4})$", description="A bank code or 'operator'.")
    share_bp: int = Field(ge=1, le=10_000)


class FeeSharingSet(RequestBody):
    shares: list[ShareIn] = Field(min_length=1, max_length=PARTIES_MAX)


class FeeSharingPublic(BaseModel):
    shares: list[ShareIn]


class InstitutionCreate(RequestBody):
    bank_code: str = Field(description="The 4-digit Zengin bank code.")
    name: str = Field(min_length=1, max_length=100)
    issuing: bool = Field(default=False, description="Does it issue the coin and hold the reserve?")


class InstitutionPublic(BaseModel):
    bank_code: str
    name: str
    issuing: bool
    created_at: str

    @classmethod
    def of(cls, institution: Institution) -> "InstitutionPublic":
        return cls(
            bank_code=institution.bank_code,
            name=institution.name,
            issuing=institution.issuing,
            created_at=institution.created_at.isoformat(),
        )


class InstitutionList(BaseModel):
    data: list[InstitutionPublic]
    has_more: bool


class PositionPublic(BaseModel):
    bank_code: str | None
    name: str
    registered: bool = Field(description="Is it a participating institution of the coin?")
    issuing: bool
    topups_count: int
    topups: int = Field(description="Yen it took for top-ups that date.")
    payouts_count: int
    payouts: int = Field(description="Net yen owed to merchants banking with it.")
    returned: int = Field(description="Yen of its transfers returned (振込不能) that date.")
    net: int = Field(
        description="topups - payouts + returned: positive, it pays the issuer; negative, receives."
    )


class MovementPublic(BaseModel):
    from_bank_code: str
    to_bank_code: str
    amount: int


class PositionsPublic(BaseModel):
    coin: str
    business_date: str
    positions: list[PositionPublic]
    movements: list[MovementPublic] = Field(
        description="Yen to move to or from the issuing institution."
    )
    topups: int
    payouts: int
    returned: int

    @classmethod
    def of(cls, coin: str, figures: Positions) -> "PositionsPublic":
        return cls(
            coin=coin,
            business_date=figures.business_date.isoformat(),
            positions=[
                PositionPublic(
                    bank_code=p.bank_code,
                    name=p.name,
                    registered=p.registered,
                    issuing=p.issuing,
                    topups_count=p.topups_count,
                    topups=p.topups,
                    payouts_count=p.payouts_count,
                    payouts=p.payouts,
                    returned=p.returned,
                    net=p.net,
                )
                for p in figures.positions
            ],
            movements=[
                MovementPublic(
                    from_bank_code=m.from_bank_code, to_bank_code=m.to_bank_code, amount=m.amount
                )
                for m in figures.movements
            ],
            topups=figures.topups,
            payouts=figures.payouts,
            returned=figures.returned,
        )


class DayOutstandingPublic(BaseModel):
    date: str
    outstanding: int


class CategoryPaymentsPublic(BaseModel):
    category: str
    count: int
    amount: int


class KpiPublic(BaseModel):
    """The municipality's figures for a period (see settlement/kpi.py for each definition)."""

    coin: str
    from_: str = Field(alias="from")
    to: str
    outstanding: int = Field(description="Coin in all wallets at the end of the period.")
    daily: list[DayOutstandingPublic]
    topups_count: int
    topups_amount: int
    payments_count: int
    payments_amount: int
    payments_by_category: list[CategoryPaymentsPublic]
    active_residents: int = Field(description="Distinct resident wallets that paid in the period.")
    btob_amount: int
    cashout_amount: int
    btob_share_bp: int | None = Field(
        description="btob / (btob + cashout) in basis points, rounded down; null when both are 0."
    )
    points_granted: int
    points_expired: int

    model_config = {"populate_by_name": True}

    @classmethod
    def of(cls, coin: str, figures: Kpi) -> "KpiPublic":
        return cls(
            coin=coin,
            from_=figures.date_from.isoformat(),
            to=figures.date_to.isoformat(),
            outstanding=figures.outstanding,
            daily=[
                DayOutstandingPublic(date=d.day.isoformat(), outstanding=d.outstanding)
                for d in figures.daily
            ],
            topups_count=figures.topups_count,
            topups_amount=figures.topups_amount,
            payments_count=figures.payments_count,
            payments_amount=figures.payments_amount,
            payments_by_category=[
                CategoryPaymentsPublic(category=p.category, count=p.count, amount=p.amount)
                for p in figures.payments
            ],
            active_residents=figures.active_residents,
            btob_amount=figures.btob_amount,
            cashout_amount=figures.cashout_amount,
            btob_share_bp=figures.btob_share_bp,
            points_granted=figures.points_granted,
            points_expired=figures.points_expired,
        )
