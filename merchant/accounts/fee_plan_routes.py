"""Fee plans and merchants' own rates over HTTP (the coin's issuer or operator).

Included under ``/v1`` by ``merchant.accounts.onboarding_routes``. See
``merchant.accounts.fee_plan_admin`` for how plans and overrides combine.
"""

from fastapi import APIRouter, Response

from kit.auth import IssuerOrOperatorKey
from kit.errors import Code
from kit.idempotency import Db, IdempotentRoute
from kit.refusal_docs import refusals
from merchant.accounts.fee_plan_admin import list_fee_plans, put_fee_plan, set_fee_overrides
from merchant.accounts.fees import FeeKind, FeePlan
from merchant.accounts.merchant_views import merchant_public
from merchant.accounts.merchants import find_merchant
from merchant.accounts.schemas import (
    FeeOverridesPatch,
    FeePlanList,
    FeePlanPublic,
    FeePlanPut,
    MerchantPublic,
)

router = APIRouter(route_class=IdempotentRoute, tags=["merchants", "fee plans"])


def _plan(plan: FeePlan) -> FeePlanPublic:
    return FeePlanPublic(
        member_group=plan.member_group,
        payment_bp=plan.payment_bp,
        cashout_bp=plan.cashout_bp,
        btob_bp=plan.btob_bp,
    )


@router.get("/fee_plans", response_model=FeePlanList)
def get_fee_plans(db: Db, key: IssuerOrOperatorKey) -> FeePlanList:
    """The coin's fee plans: the standard one ('') and each member group's."""
    return FeePlanList(
        data=[_plan(p) for p in list_fee_plans(db, coin_id=key.coin_id)], has_more=False
    )


@router.post(
    "/fee_plans",
    status_code=201,
    response_model=FeePlanPublic,
    responses={
        200: {"description": "The group's plan was replaced.", "model": FeePlanPublic},
        **refusals(Code.MEMBER_GROUP_INVALID),
    },
)
def create_or_replace_fee_plan(
    body: FeePlanPut, db: Db, key: IssuerOrOperatorKey, response: Response
) -> FeePlanPublic:
    """Creates (201) or replaces (200) a member group's plan; '' is the standard plan.

    Refusals: member_group_invalid, validation_error (a rate outside 0..10,000) (422)."""
    plan, created = put_fee_plan(
        db,
        coin_id=key.coin_id,
        member_group=body.member_group,
        payment_bp=body.payment_bp,
        cashout_bp=body.cashout_bp,
        btob_bp=body.btob_bp,
    )
    if not created:
        response.status_code = 200
    return _plan(plan)


@router.post(
    "/merchants/{merchant_id}/fees",
    response_model=MerchantPublic,
    responses=refusals(Code.MERCHANT_NOT_FOUND),
)
def set_merchant_fees(
    merchant_id: str, body: FeeOverridesPatch, db: Db, key: IssuerOrOperatorKey
) -> MerchantPublic:
    """Sets the merchant's own rates: a rate sets, null clears, a rate not sent stays.

    Refusals: merchant_not_found (404), validation_error (422)."""
    merchant = find_merchant(db, coin_id=key.coin_id, merchant_public_id=merchant_id)
    sent = body.model_dump(include=body.model_fields_set)
    overrides = {FeeKind(name.removesuffix("_bp")): bp for name, bp in sent.items()}
    return merchant_public(db, set_fee_overrides(db, merchant=merchant, overrides=overrides))
