"""A coin's rules over HTTP: the issuer (or the operator) reads and changes them."""

from fastapi import APIRouter

from kit.auth import InstitutionKey, IssuerOrOperatorKey
from kit.errors import Code
from kit.idempotency import Db, IdempotentRoute
from kit.refusal_docs import refusals
from wallet_api.issuance_limits import points_granted
from wallet_api.issuance_schemas import CoinRulesChange, CoinRulesPublic
from wallet_api.rules import CoinRules, get_rules
from wallet_api.rules_changes import change_rules

router = APIRouter(route_class=IdempotentRoute, tags=["issuance"])


def _public(db: Db, rules: CoinRules) -> CoinRulesPublic:
    return CoinRulesPublic(
        basic_balance_cap=rules.basic_balance_cap,
        verified_balance_cap=rules.verified_balance_cap,
        payment_max=rules.payment_max,
        daily_topup_max=rules.daily_topup_max,
        topup_bonus_bp=rules.topup_bonus_bp,
        topup_bonus_excluded_channels=sorted(rules.topup_bonus_excluded_channels),
        merchant_to_resident_allowed=rules.merchant_to_resident_allowed,
        step_up_amount=rules.step_up_amount,
        approval_threshold=rules.approval_threshold,
        points_budget=rules.points_budget,
        points_granted=points_granted(db, coin_id=rules.coin_id),
        daily_issuance_max_per_key=rules.daily_issuance_max_per_key,
        cashout_min=rules.cashout_min,
        btob_min=rules.btob_min,
        fee_min=rules.fee_min,
        pending_payouts_max=rules.pending_payouts_max,
        retention_years=rules.retention_years,
    )


@router.get("/coin_rules", response_model=CoinRulesPublic)
def read_coin_rules(db: Db, key: InstitutionKey) -> CoinRulesPublic:
    """The caller's coin's rules."""
    return _public(db, get_rules(db, coin_id=key.coin_id))


@router.post("/coin_rules", response_model=CoinRulesPublic, responses=refusals(Code.RULES_INVALID))
def update_coin_rules(body: CoinRulesChange, db: Db, key: IssuerOrOperatorKey) -> CoinRulesPublic:
    """Changes the rules named in the body (the others stay); issuer or operator key.

    Refusal: rules_invalid (422) when the result would not hold together
    (e.g. a basic cap above the verified cap).
    """
    changes = body.model_dump(exclude_none=True)
    return _public(db, change_rules(db, coin_id=key.coin_id, changes=changes))
