"""The wind-down's request and answer bodies (wallet_api/winddown.py has the rules)."""

from pydantic import AwareDatetime, BaseModel, Field

from kit.request_body import RequestBody


class WinddownCreate(RequestBody):
    issuance_ends_at: AwareDatetime = Field(
        description="From then on no top-ups, points or premium sales."
    )
    acceptance_ends_at: AwareDatetime = Field(
        description="From then on no payments or transfers; on or after issuance_ends_at."
    )
    claims_close_at: AwareDatetime = Field(
        description="The last moment to claim a refund: at least 60 days after the notice"
        " (the approval), and on or after acceptance_ends_at."
    )


class WinddownNotice(BaseModel):
    """The public notice (公告) of a coin's wind-down."""

    announced_at: str
    issuance_ends_at: str
    acceptance_ends_at: str
    claims_close_at: str


class WinddownClaims(BaseModel):
    count: int
    at_counter: int
    total: int


class WinddownReport(WinddownNotice):
    closed_at: str | None
    unclaimed_total: int | None = Field(description="Went to breakage at the close.")
    claims: WinddownClaims
    owed_on_claims: int = Field(description="Claimed, not yet paid to the residents' banks.")
    refundable_outstanding: int = Field(description="Money and premium still in wallets.")


class RefundBankAccount(RequestBody):
    bank_code: str = Field(max_length=20, description="金融機関コード, 4 digits.")
    branch_code: str = Field(max_length=20, description="支店コード, 3 digits.")
    account_type: str = Field(max_length=20, description="ordinary (普通) or current (当座).")
    account_number: str = Field(max_length=20, description="Up to 7 digits.")
    holder_kana: str = Field(max_length=200, description="口座名義 in katakana.")


class WinddownClaimCreate(RequestBody):
    bank_account: RefundBankAccount


class WinddownClaimPublic(BaseModel):
    id: str
    wallet_id: str
    amount: int = Field(description="Refunded: money and premium.")
    money: int
    premium: int
    points_not_refunded: int = Field(description="Free points are not refunded.")
    via: str
    created_at: str
