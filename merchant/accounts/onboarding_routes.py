"""Onboarding merchants, their stores, terminals, keys and fee plans (HTTP).

The coin's issuer (the bank that pays merchants out) onboards, lists,
suspends and reactivates its merchants and sets their fees; the coin's
operator may do the same. Every key is scoped to its coin: a merchant of
another coin is ``merchant_not_found`` (404), and naming another coin when
onboarding is ``coin_forbidden`` (403). A suspended merchant keeps its keys
and can see its books, but takes no payment (``merchant.accounts.merchants.require_active``).

The merchant itself (its own key, not a terminal's) reads its profile and
balance at ``GET /v1/merchant``; its stores, terminals and keys are in
``merchant.accounts.shop_routes``, the fee plans in ``merchant.accounts.fee_plan_routes``, the
static QR in ``merchant.qr.static_qr_routes``.
"""

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from kit.auth import IssuerOrOperatorKey
from kit.credentials import ApiKey, Role, issue_key
from kit.errors import Code
from kit.idempotency import Db, IdempotentRoute
from kit.problems import Problem
from kit.refusal_docs import refusals
from ledger.accounts import get_balance
from merchant.accounts.merchant_auth import MerchantOwnerKey
from merchant.accounts.merchant_views import merchant_public
from merchant.accounts.merchants import (
    MerchantStatus,
    find_merchant,
    list_merchants,
    set_location,
    set_status,
)
from merchant.accounts.onboarding import (
    BankAccountForm,
    FieldError,
    Location,
    OnboardingRefused,
    check_application,
    check_location,
    open_applied,
    preview_names,
)
from merchant.accounts.schemas import (
    KanaPreview,
    KanaPreviewIn,
    LocationIn,
    MerchantBalance,
    MerchantCreate,
    MerchantCreated,
    MerchantPage,
    MerchantPublic,
    MerchantSelf,
    TillLimits,
)
from merchant.qr.static_qr import coin_code

PAGE_MAX = 100
ONBOARDING_KEY_LABEL = "onboarding"

router = APIRouter(route_class=IdempotentRoute, tags=["merchants"])

# The issuer runs its merchants; the operator of the coin's deployment may stand in.


@router.post(
    "/merchants",
    status_code=201,
    response_model=MerchantCreated,
    responses=refusals(
        Code.COIN_FORBIDDEN,
        Code.NAME_INVALID,
        Code.NAME_KANA_INVALID,
        Code.NAME_KANA_TOO_LONG,
        Code.CATEGORY_INVALID,
        Code.MEMBER_GROUP_NOT_FOUND,
        Code.BANK_CODE_INVALID,
        Code.BANK_NOT_FOUND,
        Code.BRANCH_CODE_INVALID,
        Code.BRANCH_NOT_FOUND,
        Code.ACCOUNT_TYPE_INVALID,
        Code.ACCOUNT_NUMBER_INVALID,
        Code.HOLDER_KANA_INVALID,
        Code.HOLDER_KANA_TOO_LONG,
        Code.POSTAL_CODE_INVALID,
        Code.CITY_INVALID,
        Code.JPQR_STORE_ID_INVALID,
        Code.CITY_ROMAJI_INVALID,
    ),
)
def create_merchant(
    body: MerchantCreate, db: Db, key: IssuerOrOperatorKey, request: Request
) -> MerchantCreated | JSONResponse:
    """Onboards a merchant: its wallet and its first API key (shown once).

    Refusals: coin_forbidden (403); 422 naming each bad field (``field`` and
    ``errors``): name_invalid, name_kana_invalid, name_kana_too_long,
    category_invalid, member_group_not_found, bank_code_invalid,
    bank_not_found, branch_code_invalid, branch_not_found,
    account_type_invalid, account_number_invalid, holder_kana_invalid,
    holder_kana_too_long, postal_code_invalid, city_invalid, city_romaji_invalid,
    jpqr_store_id_invalid. Nothing is created on a refusal.
    """
    if body.coin is not None and body.coin != coin_code(db, coin_id=key.coin_id):
        raise Problem(Code.COIN_FORBIDDEN, "this key onboards in its own coin only")
    account = body.bank_account
    try:
        application = check_application(
            db,
            coin_id=key.coin_id,
            name=body.name,
            name_kana=body.name_kana,
            category=body.category,
            member_group=body.member_group,
            bank_account=BankAccountForm(
                bank_code=account.bank_code,
                branch_code=account.branch_code,
                account_type=account.account_type,
                account_number=account.account_number,
                holder_kana=account.holder_kana,
            ),
            location=Location(body.postal_code, body.city, body.jpqr_store_id, body.city_romaji),
        )
    except OnboardingRefused as refusal:
        return refusal.response()
    at = request.app.state.clock.now()
    merchant = open_applied(db, coin_id=key.coin_id, application=application, at=at)
    secret = issue_key(
        db,
        coin_id=key.coin_id,
        role=Role.MERCHANT,
        at=at,
        label=ONBOARDING_KEY_LABEL,
        merchant_id=merchant.id,
    )
    return MerchantCreated(**merchant_public(db, merchant).model_dump(), api_key=secret)


@router.post(
    "/merchants/kana_preview",
    response_model=KanaPreview,
    responses=refusals(
        Code.NAME_KANA_INVALID,
        Code.NAME_KANA_TOO_LONG,
        Code.HOLDER_KANA_INVALID,
        Code.HOLDER_KANA_TOO_LONG,
    ),
)
def preview_kana(body: KanaPreviewIn, key: IssuerOrOperatorKey) -> KanaPreview | JSONResponse:
    """The kana names as onboarding would store them and the bank print them
    (株式会社ミドリ → ｶ)ﾐﾄﾞﾘ), for the clerk to see before saving. Saves nothing.

    Refusals: 422 naming each bad field, as onboarding would.
    """
    try:
        names = preview_names(name_kana=body.name_kana, holder_kana=body.holder_kana)
    except OnboardingRefused as refusal:
        return refusal.response()
    return KanaPreview(name_kana=names.name_kana, holder_kana=names.holder_kana)


@router.post(
    "/merchants/{merchant_id}/location",
    response_model=MerchantPublic,
    responses=refusals(
        Code.MERCHANT_NOT_FOUND,
        Code.POSTAL_CODE_INVALID,
        Code.CITY_INVALID,
        Code.CITY_ROMAJI_INVALID,
        Code.JPQR_STORE_ID_INVALID,
    ),
)
def update_location(
    merchant_id: str, body: LocationIn, db: Db, key: IssuerOrOperatorKey
) -> MerchantPublic | JSONResponse:
    """Records the shop's postal code, city and unified store id (when Payments Japan
    assigns one after onboarding); its codes carry them from then on.

    Refusals: merchant_not_found (404); 422 naming each bad field.
    """
    merchant = find_merchant(db, coin_id=key.coin_id, merchant_public_id=merchant_id)
    errors: list[FieldError] = []
    place = check_location(
        Location(body.postal_code, body.city, body.jpqr_store_id, body.city_romaji), errors
    )
    if errors:
        return OnboardingRefused(errors).response()
    assert place.postal_code is not None and place.city is not None
    updated = set_location(
        db,
        coin_id=key.coin_id,
        merchant_id=merchant.id,
        postal_code=place.postal_code,
        city=place.city,
        city_romaji=place.city_romaji,
        jpqr_store_id=place.jpqr_store_id,
    )
    return merchant_public(db, updated)


@router.get("/merchants", response_model=MerchantPage, responses=refusals(Code.MERCHANT_NOT_FOUND))
def get_merchants(
    db: Db,
    key: IssuerOrOperatorKey,
    limit: Annotated[int, Query(ge=1, le=PAGE_MAX)] = 20,
    starting_after: Annotated[
        str | None, Query(max_length=40, description="The last merchant_id seen.")
    ] = None,
) -> MerchantPage:
    """The coin's merchants, newest first."""
    merchants, has_more = list_merchants(
        db, coin_id=key.coin_id, limit=limit, starting_after=starting_after
    )
    return MerchantPage(data=[merchant_public(db, m) for m in merchants], has_more=has_more)


@router.get(
    "/merchants/{merchant_id}",
    response_model=MerchantPublic,
    responses=refusals(Code.MERCHANT_NOT_FOUND),
)
def get_one_merchant(merchant_id: str, db: Db, key: IssuerOrOperatorKey) -> MerchantPublic:
    """One merchant of the coin. Refusals: merchant_not_found (404)."""
    return merchant_public(
        db, find_merchant(db, coin_id=key.coin_id, merchant_public_id=merchant_id)
    )


def _set_status(
    db: Db, key: ApiKey, merchant_public_id: str, status: MerchantStatus
) -> MerchantPublic:
    merchant = find_merchant(db, coin_id=key.coin_id, merchant_public_id=merchant_public_id)
    return merchant_public(
        db, set_status(db, coin_id=key.coin_id, merchant_id=merchant.id, status=status)
    )


@router.post(
    "/merchants/{merchant_id}/suspend",
    response_model=MerchantPublic,
    responses=refusals(Code.MERCHANT_NOT_FOUND),
)
def suspend_merchant(merchant_id: str, db: Db, key: IssuerOrOperatorKey) -> MerchantPublic:
    """Stops the merchant taking payments; suspending a suspended merchant changes nothing.

    Refusals: merchant_not_found (404)."""
    return _set_status(db, key, merchant_id, MerchantStatus.SUSPENDED)


@router.post(
    "/merchants/{merchant_id}/reactivate",
    response_model=MerchantPublic,
    responses=refusals(Code.MERCHANT_NOT_FOUND),
)
def reactivate_merchant(merchant_id: str, db: Db, key: IssuerOrOperatorKey) -> MerchantPublic:
    """Lets a suspended merchant take payments again. Refusals: merchant_not_found (404)."""
    return _set_status(db, key, merchant_id, MerchantStatus.ACTIVE)


@router.get(
    "/merchant", response_model=MerchantSelf, responses=refusals(Code.TERMINAL_KEY_NOT_ALLOWED)
)
def get_own_merchant(db: Db, caller: MerchantOwnerKey) -> MerchantSelf:
    """The calling merchant: its profile, fees and balance.

    Refusals: terminal_key_not_allowed (403)."""
    merchant = caller.merchant
    balance = get_balance(db, coin_id=merchant.coin_id, account_id=merchant.account_id)
    return MerchantSelf(
        **merchant_public(db, merchant).model_dump(),
        balance=MerchantBalance(
            posted=balance.posted, held=balance.held, available=balance.available
        ),
        till_limits=TillLimits(
            refund_days=merchant.till_refund_days, refund_max=merchant.till_refund_max
        ),
    )
