"""Charges at the terminal (HTTP): a resident's payment token or QR card, and reading them.

Refusal codes are listed in the service module's docstring
(merchant/payments/terminal_charges.py).
"""

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from kit.errors import Code
from kit.idempotency import Db, IdempotentRoute
from kit.problems import Problem, problem_response
from kit.rate_limits import CARD_PIN_FAILURES, give_back, limit_for, take
from kit.rate_limits import refusal as rate_limit_refusal
from kit.refusal_docs import refusals
from ledger.clock import Clock
from ledger.errors import Code as LedgerCode
from ledger.errors import LedgerError
from merchant.accounts.merchant_auth import AnyMerchantKey
from merchant.pages import PAGE_DEFAULT, PAGE_MAX
from merchant.payments.charges import Charge, charge_customer_id, charges_page, find_charge
from merchant.payments.receipts import receipt
from merchant.payments.schemas import ChargeCreate, ChargePage, ChargePublic, ReceiptPublic
from merchant.payments.terminal_charges import charge_card, charge_token
from wallet_api.token_keys import token_keys

router = APIRouter(route_class=IdempotentRoute, tags=["charges"])


def charge_public(charge: Charge, merchant_public_id: str, customer: str) -> ChargePublic:
    body: dict[str, Any] = charge.as_json(merchant_public_id, customer)
    return ChargePublic.model_validate(body)


# Card refusals that a caller guessing cards or PINs meets: they stay counted.
GUESSES = frozenset({Code.CARD_UNKNOWN, Code.CARD_PIN_INCORRECT, Code.RESIDENT_LOCKED})


@router.post(
    "/charges",
    status_code=201,
    response_model=ChargePublic,
    responses=refusals(
        Code.COIN_ACCEPTANCE_ENDED,
        LedgerCode.INSUFFICIENT_FUNDS,
        Code.CARD_BLOCKED,
        Code.CARD_PIN_INCORRECT,
        Code.MERCHANT_SUSPENDED,
        Code.CARD_UNKNOWN,
        Code.TOKEN_USED,
        Code.RESIDENT_LOCKED,
        Code.TOKEN_MALFORMED,
        Code.TOKEN_UNKNOWN_KEY,
        Code.TOKEN_FORGED,
        Code.TOKEN_NOT_YET_VALID,
        Code.TOKEN_EXPIRED,
        Code.TOKEN_WRONG_COIN,
        Code.AMOUNT_INVALID,
        Code.LIMIT_EXCEEDED,
        Code.RATE_LIMITED,
    ),
)
def create_charge(
    body: ChargeCreate, db: Db, caller: AnyMerchantKey, request: Request
) -> ChargePublic | JSONResponse:
    """Charges the resident whose payment token or card the till scanned (merchant or terminal key).

    Refusals: the token's codes (422 ``token_expired``, ``token_forged``,
    ``token_wrong_coin``…; 409 ``token_used``), the card's (404
    ``card_unknown``, 403 ``card_blocked``, 423 ``resident_locked``, 403
    ``card_pin_incorrect``), 422 ``limit_exceeded``, 403
    ``merchant_suspended``, 402 ``insufficient_funds``.
    """
    clock: Clock = request.app.state.clock
    outcome: Charge | Problem
    if body.payment_token is not None:
        outcome = charge_token(
            db,
            caller=caller,
            token=body.payment_token,
            amount=body.amount,
            reference=body.reference,
            keys=token_keys(request),
            clock=clock,
        )
    else:
        assert body.card is not None and body.pin is not None, "the body's validator"
        # Wrong PINs per key too: the resident lockout alone lets a till try a few PINs
        # each of many cards (kit/rate_limits.py).
        limit, subject = limit_for(request, CARD_PIN_FAILURES), f"key:{caller.key.id}"
        engine = request.app.state.engine
        wait_s = take(engine, limit, subject, at=clock.now())
        if wait_s is not None:
            return rate_limit_refusal(limit, wait_s, "card PINs from one key")
        try:
            outcome = charge_card(
                db,
                caller=caller,
                card=body.card,
                pin=body.pin,
                amount=body.amount,
                reference=body.reference,
                hasher=request.app.state.pin_hasher,
                at=clock.now(),
            )
        except Problem as refused:
            if refused.code not in GUESSES:
                give_back(engine, limit, subject, at=clock.now())
            raise
        except LedgerError:
            give_back(engine, limit, subject, at=clock.now())
            raise
        if not (isinstance(outcome, Problem) and outcome.code in GUESSES):
            give_back(engine, limit, subject, at=clock.now())
    if isinstance(outcome, Problem):
        # Answered, not raised: the PIN failure it counted must commit.
        return problem_response(outcome.code, outcome.detail)
    merchant = caller.merchant
    return charge_public(outcome, merchant.public_id, charge_customer_id(db, merchant, outcome))


@router.get("/charges", response_model=ChargePage, responses=refusals(Code.CURSOR_INVALID))
def list_charges(
    db: Db,
    caller: AnyMerchantKey,
    limit: Annotated[int, Query(ge=1, le=PAGE_MAX)] = PAGE_DEFAULT,
    starting_after: Annotated[
        str | None, Query(description="The id of the last charge seen.", max_length=40)
    ] = None,
) -> ChargePage:
    """The merchant's own charges, newest first; a terminal's key lists the till's own."""
    merchant = caller.merchant
    charges, has_more = charges_page(
        db,
        merchant=merchant,
        limit=limit,
        starting_after=starting_after,
        terminal_id=caller.terminal_id,
    )
    return ChargePage(
        data=[charge_public(charge, merchant.public_id, payer) for charge, payer in charges],
        has_more=has_more,
    )


@router.get(
    "/charges/{charge_id}", response_model=ChargePublic, responses=refusals(Code.CHARGE_NOT_FOUND)
)
def get_charge(charge_id: str, db: Db, caller: AnyMerchantKey) -> ChargePublic:
    """One of the merchant's own charges; another merchant's is 404 ``charge_not_found``."""
    merchant = caller.merchant
    charge = find_charge(
        db,
        coin_id=merchant.coin_id,
        merchant_id=merchant.id,
        charge_public_id=charge_id,
        for_update=False,
    )
    return charge_public(charge, merchant.public_id, charge_customer_id(db, merchant, charge))


@router.get(
    "/charges/{charge_id}/receipt",
    response_model=ReceiptPublic,
    responses=refusals(Code.CHARGE_NOT_FOUND, Code.TERMINAL_KEY_NOT_ALLOWED),
)
def get_receipt(charge_id: str, db: Db, caller: AnyMerchantKey) -> ReceiptPublic:
    """The resident's receipt for a charge: payee, department, window, amount, time, number.

    A terminal's key reads only the receipts of charges it took itself.
    """
    return ReceiptPublic.of(receipt(db, caller=caller, charge_public_id=charge_id))
