"""The resident side's request and response bodies (separate Create and Public shapes)."""

from typing import Literal, Self

from pydantic import BaseModel, Field, model_validator

from kit.request_body import RequestBody
from ledger.limits import AMOUNT_MAX
from wallet_api.payment_tokens import TOKEN_CHARS, TOKEN_TTL_S
from wallet_api.winddown_schemas import WinddownNotice


class ResidentCreate(RequestBody):
    coin: str = Field(description="The coin's code, e.g. SARUBOBO.", min_length=2, max_length=16)
    display_name: str = Field(min_length=1, max_length=100)
    pin: str = Field(description="4 to 6 digits.", pattern=r"^[0-9]{4,6}$")


class ResidentCreated(BaseModel):
    resident_id: str
    wallet_id: str
    resident_number: str = Field(description="The short login id to give the resident.")


class TokenRequest(RequestBody):
    resident_id: str | None = Field(default=None, min_length=1, max_length=40)
    login: str | None = Field(
        default=None,
        min_length=1,
        max_length=254,
        description="Instead of resident_id: the resident number (hyphens and spaces allowed),"
        " or the resident's verified e-mail or phone number.",
    )
    pin: str = Field(min_length=1, max_length=6)
    device: str | None = Field(
        default=None,
        pattern=r"^[A-Za-z0-9_-]{8,64}$",
        description="A random id the app keeps for this device: a new log-in ends the tokens"
        " this device was given before.",
    )

    @model_validator(mode="after")
    def _one_login(self) -> Self:
        if (self.resident_id is None) == (self.login is None):
            raise ValueError("send resident_id or login, one of them")
        return self

    @property
    def names(self) -> str:
        name = self.resident_id if self.resident_id is not None else self.login
        assert name is not None, "the validator requires one"
        return name


class TokenResponse(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 - the OAuth token type, not a secret
    expires_in: int = Field(description="Seconds until the token expires.")


class Lot(BaseModel):
    kind: Literal["money", "premium", "points"]
    amount: int
    expires_at: str | None = Field(description="ISO 8601, UTC; null for never.")


class Balance(BaseModel):
    """Integers of coin (1 coin = 1 yen)."""

    total: int
    available: int
    money: int
    premium: int
    points: int
    held: int


class WalletPublic(BaseModel):
    wallet_id: str
    coin: str
    resident_number: str = Field(description="The resident's login number (check digit last).")
    tier: Literal["basic", "verified"]
    balance: Balance
    lots: list[Lot] = Field(description="Each part of the balance, in the order payments spend it.")
    winddown: WinddownNotice | None = Field(
        default=None, description="The coin's wind-down notice (払戻し), if one is announced."
    )


class VerificationCreate(RequestBody):
    method: Literal["my_number_card", "drivers_license", "bank_account", "counter"]
    reference: str = Field(min_length=1, max_length=100)


class ResidentPublic(BaseModel):
    resident_id: str
    display_name: str
    wallet_id: str
    tier: Literal["basic", "verified"]


class TopupCreate(RequestBody):
    wallet_id: str = Field(min_length=1, max_length=40)
    amount: int = Field(gt=0, le=AMOUNT_MAX)
    channel: Literal["counter", "atm", "bank_account"]
    reference: str = Field(
        description="The bank's reference, unique per channel.", min_length=1, max_length=100
    )
    institution: str | None = Field(
        default=None,
        pattern=r"^[0-9]{4}$",
        description="Bank code of the participating institution that took the yen, when it"
        " is not the issuer (see /v1/institutions).",
    )


class TopupPublic(BaseModel):
    id: str
    wallet_id: str
    amount: int
    channel: Literal["counter", "atm", "bank_account"]
    reference: str
    created_at: str


class CoinListing(BaseModel):
    code: str = Field(description="The coin's code, as sign-up takes it.")
    name: str = Field(description="The name residents see (みどり市コイン).")
    issuer_name: str = Field(description="The financial institution that issues it.")
    winddown: WinddownNotice | None = Field(
        default=None,
        description="The public notice of the coin's wind-down (払戻し), if one is announced.",
    )


class CoinDirectory(BaseModel):
    data: list[CoinListing]
    has_more: bool


class CardTopupCreate(RequestBody):
    amount: int = Field(gt=0, le=AMOUNT_MAX)


class CardTopupPublic(BaseModel):
    id: str
    amount: int
    status: str
    client_secret: str | None = Field(description="For Stripe's payment sheet in the app.")


class CardTopupAttention(BaseModel):
    id: str
    wallet_id: str
    amount: int
    refunded_amount: int = Field(description="Given back to the card so far.")
    status: Literal["refund_required", "refund_shortfall", "disputed"]
    frozen: int = Field(description="Coin a dispute's hold keeps from being spent now.")
    disputed_at: str | None
    updated_at: str


class CardTopupAttentionList(BaseModel):
    data: list[CardTopupAttention]


class PaymentTokenCreate(RequestBody):
    coin: str | None = Field(
        default=None,
        description="The coin's code; default: the resident's home coin.",
        min_length=2,
        max_length=16,
    )


class PaymentTokenPublic(BaseModel):
    token: str = Field(description=f"The signed token, {TOKEN_CHARS} characters.")
    qr_payload: str = Field(description="What the QR code holds: the token itself.")
    expires_at: str = Field(description=f"ISO 8601, UTC: {TOKEN_TTL_S} s after issue.")
    coin: str
    wallet_id: str


class PinChange(RequestBody):
    current_pin: str = Field(min_length=1, max_length=6)
    new_pin: str = Field(description="4 to 6 digits.", pattern=r"^[0-9]{4,6}$")


class PinReset(RequestBody):
    """The counter's reset, after the clerk checked the resident's identity."""

    new_pin: str = Field(
        description="4 to 6 digits, chosen by the resident.", pattern=r"^[0-9]{4,6}$"
    )
    checked_with: Literal[
        "my_number_card", "driving_licence", "passport", "residence_card", "health_insurance_card"
    ] = Field(description="How the identity was checked (the document's number is not kept).")


class PinResetDone(BaseModel):
    resident_id: str
    sessions_ended: int
