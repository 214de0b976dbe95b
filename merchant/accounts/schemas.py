"""Bodies of merchant administration: onboarding, stores, terminals, keys, fee plans, static QR.

Onboarding fields are plain strings here on purpose: ``merchant.accounts.onboarding``
checks them and answers each bad one with its own code (bank_not_found,
holder_kana_invalid, …) rather than a generic validation error.
"""

from typing import Literal

from pydantic import BaseModel, Field

from kit.request_body import RequestBody
from ledger.limits import AMOUNT_MAX

BasisPoints = Field(ge=0, le=10_000, description="Basis points: 160 is 1.6%.")


class BankAccountIn(RequestBody):
    bank_code: str = Field(max_length=20, description="金融機関コード, 4 digits.")
    branch_code: str = Field(max_length=20, description="支店コード, 3 digits.")
    account_type: str = Field(max_length=20, description="ordinary (普通) or current (当座).")
    account_number: str = Field(
        max_length=20, description="Up to 7 digits; shorter numbers are left-padded with zeros."
    )
    holder_kana: str = Field(
        max_length=200, description="口座名義 in katakana; stored as half-width, at most 30."
    )


class MerchantCreate(RequestBody):
    coin: str | None = Field(
        None, max_length=16, description="The coin's code; if given, it must be the key's coin."
    )
    name: str = Field(max_length=200, description="Trading name, 1 to 100 characters.")
    name_kana: str = Field(
        max_length=200, description="Name in katakana; stored as half-width, at most 40."
    )
    category: str = Field(max_length=100, description="snake_case: food, retail, service, public…")
    member_group: str = Field(
        "", max_length=100, description="A fee plan's group of the coin; '' is the standard plan."
    )
    postal_code: str | None = Field(
        None,
        max_length=20,
        description="Required. Seven digits (123-4567); the QR's field 61 carries it.",
    )
    city: str | None = Field(
        None, max_length=200, description="Required. The city the shop is in (高山市)."
    )
    city_romaji: str | None = Field(
        None,
        max_length=40,
        description="The city in Latin letters (TAKAYAMA), the QR's field 60: 1 to 15 ASCII"
        " characters; required when ``city`` is written in Japanese.",
    )
    jpqr_store_id: str | None = Field(
        None,
        max_length=64,
        description="The unified store id Payments Japan assigned the shop (13-4-6-6 digits),"
        " if any; its codes then carry the JPQR template.",
    )
    bank_account: BankAccountIn


class KanaPreviewIn(RequestBody):
    name_kana: str | None = Field(None, max_length=200, description="As typed in the form.")
    holder_kana: str | None = Field(None, max_length=200, description="As typed in the form.")


class KanaPreview(BaseModel):
    name_kana: str | None = Field(description="What the bank will print; null if not asked.")
    holder_kana: str | None = Field(description="What the bank will print; null if not asked.")


class LocationIn(RequestBody):
    postal_code: str = Field(max_length=20, description="Seven digits (123-4567).")
    city: str = Field(max_length=200, description="The city the shop is in (高山市).")
    city_romaji: str | None = Field(
        None, max_length=40, description="Required when ``city`` is written in Japanese."
    )
    jpqr_store_id: str | None = Field(
        None, max_length=64, description="The unified store id; null: the shop has none."
    )


class BankAccountPublic(BaseModel):
    bank_code: str
    branch_code: str
    account_type: Literal["ordinary", "current"]
    account_number: str
    holder_kana: str


class FeeRates(BaseModel):
    payment_bp: int
    cashout_bp: int
    btob_bp: int


class FeeOverrides(BaseModel):
    payment_bp: int | None = None
    cashout_bp: int | None = None
    btob_bp: int | None = None


class MerchantPublic(BaseModel):
    merchant_id: str
    wallet_id: str
    name: str
    name_kana: str = Field(description="Half-width katakana, as the Zengin file carries it.")
    category: str
    member_group: str
    status: Literal["active", "suspended"]
    bank_account: BankAccountPublic
    fee_overrides: FeeOverrides = Field(description="The merchant's own rates; null: the plan's.")
    fees: FeeRates = Field(description="The rates that apply now (override > group > standard).")
    postal_code: str | None = Field(description="Seven digits; null if not given.")
    city: str | None
    city_romaji: str | None = Field(description="The city as the QR's field 60 carries it.")
    jpqr_store_id: str | None = Field(description="The unified store id, 29 digits; or null.")


class MerchantCreated(MerchantPublic):
    api_key: str = Field(description="The merchant's first API key. Shown once.")


class MerchantPage(BaseModel):
    data: list[MerchantPublic] = Field(description="Newest first.")
    has_more: bool


class MerchantBalance(BaseModel):
    posted: int
    held: int = Field(description="Held for cash-outs not yet paid and other holds.")
    available: int


class TillLimits(BaseModel):
    refund_days: int = Field(description="How many days back a till may refund a charge.")
    refund_max: int = Field(description="The largest refund a till may give at once.")


class TillLimitsUpdate(RequestBody):
    refund_days: int | None = Field(default=None, ge=0, le=90)
    refund_max: int | None = Field(default=None, ge=0, le=AMOUNT_MAX)


class MerchantSelf(MerchantPublic):
    balance: MerchantBalance
    till_limits: TillLimits = Field(
        description="What a terminal's key may refund; beyond it, the merchant's own key."
    )


class StoreCreate(RequestBody):
    name: str = Field(min_length=1, max_length=100)


class StorePublic(BaseModel):
    id: str
    name: str
    created_at: str


class StorePage(BaseModel):
    data: list[StorePublic] = Field(description="Newest first.")
    has_more: bool


class TerminalCreate(RequestBody):
    store_id: str = Field(max_length=40)
    name: str = Field(min_length=1, max_length=100)


class TerminalPublic(BaseModel):
    id: str
    store_id: str
    name: str
    status: Literal["active", "disabled"]
    created_at: str
    disabled_at: str | None


class TerminalWithKey(TerminalPublic):
    api_key: str = Field(description="The terminal's API key. Shown once.")


class TerminalPage(BaseModel):
    data: list[TerminalPublic] = Field(description="Newest first.")
    has_more: bool


class ApiKeyCreate(RequestBody):
    label: str = Field("", max_length=200)


class ApiKeyPublic(BaseModel):
    id: str = Field(description="key_ and the key's prefix.")
    prefix: str = Field(description="The non-secret part of the key that names it.")
    label: str
    terminal_id: str | None = Field(
        description="The terminal whose key it is; null: the merchant's."
    )
    created_at: str
    revoked_at: str | None


class ApiKeyCreated(ApiKeyPublic):
    api_key: str = Field(description="The key. Shown once.")


class ApiKeyPage(BaseModel):
    data: list[ApiKeyPublic] = Field(description="Newest first.")
    has_more: bool


class FeePlanPut(RequestBody):
    member_group: str = Field(max_length=100, description="'' is the coin's standard plan.")
    payment_bp: int = BasisPoints
    cashout_bp: int = BasisPoints
    btob_bp: int = BasisPoints


class FeePlanPublic(BaseModel):
    member_group: str
    payment_bp: int
    cashout_bp: int
    btob_bp: int


class FeePlanList(BaseModel):
    data: list[FeePlanPublic] = Field(description="By member group; '' first.")
    has_more: bool = Field(description="Always false: a coin has a handful of plans.")


class FeeOverridesPatch(RequestBody):
    """A rate sets the merchant's own; null clears it; a rate not sent stays as it was."""

    payment_bp: int | None = Field(None, ge=0, le=10_000)
    cashout_bp: int | None = Field(None, ge=0, le=10_000)
    btob_bp: int | None = Field(None, ge=0, le=10_000)


class StaticQr(BaseModel):
    qr_payload: str = Field(
        description="EMVCo merchant-presented, static (the payer enters the amount)."
    )
