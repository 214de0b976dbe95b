"""Settlement batches over HTTP, for the issuer (bank) of the key's own coin only.

| call | answer |
| --- | --- |
| ``POST /v1/settlement/settings`` | the coin's cut-off and originating account |
| ``POST /v1/settlement/batches`` ``{"business_date"}`` | 201 the batch closed now; 200 if before |
| ``GET /v1/settlement/batches`` | the coin's batches, latest first, paginated |
| ``GET /v1/settlement/batches/{id}`` | the batch with its payouts and status changes |
| ``GET /v1/settlement/batches/{id}/zengin`` | the Zengin file (Shift_JIS); the batch is exported |
| ``POST /v1/settlement/batches/{id}/results`` | 200 the batch confirmed |
| ``GET /v1/settlement/batches/{id}/reconciliation`` | its figures and differences |
| ``GET /v1/settlement/reconciliation?from=&to=`` | the same for a period of business dates |
| ``POST /v1/merchants/{id}/payout_schedule`` | the merchant's automatic cash-out |

Another coin's batch or merchant is 404. Refusal codes are those of
``batches``, ``batch_files``, ``bank_results``, ``payout_schedules`` and
``originator``; ``period_invalid`` (422) for a period that ends before it
starts or spans more than ``PERIOD_DAYS_MAX`` days.
"""

from datetime import date, time
from http import HTTPStatus
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response

from jp_banking.zengin import TransferDesignation
from jp_banking.zengin_errors import ZenginError
from kit.auth import IssuerKey
from kit.credentials import ApiKey
from kit.errors import Code
from kit.idempotency import Db, IdempotentRoute
from kit.problems import Problem
from kit.refusal_docs import refusals
from merchant.accounts.merchants import find_merchant
from settlement.bank_results import Results, apply_results
from settlement.batch_files import export_batch
from settlement.batch_schemas import (
    BatchClose,
    BatchPage,
    BatchPublic,
    BatchReconciliationPublic,
    BatchResults,
    PayoutSchedulePublic,
    PayoutScheduleSet,
    PeriodReconciliationPublic,
    SettlementSettingsPublic,
    SettlementSettingsSet,
    batch_public,
)
from settlement.batches import (
    batch_events,
    batch_payouts,
    batches_between,
    close_batch,
    find_batch,
    list_batches,
)
from settlement.originator import (
    SettlementSettings,
    checked_originator,
    get_settings,
    save_settings,
)
from settlement.payout_schedules import Frequency, set_schedule
from settlement.reconciliation import reconcile_batch, reconcile_period
from settlement.registration_number import is_registration_number
from settlement.zengin_refusals import zengin_problem

router = APIRouter(route_class=IdempotentRoute, tags=["settlement"])

PAGE_MAX = 100
PERIOD_DAYS_MAX = 366
ZENGIN_MEDIA_TYPE = "text/plain; charset=Shift_JIS"


def actor_of(key: ApiKey) -> str:
    return f"api_key:{key.id}"


def _full(db: Db, batch_id: str, key: ApiKey) -> BatchPublic:
    batch = find_batch(db, coin_id=key.coin_id, batch_public_id=batch_id)
    return batch_public(
        batch, payouts=batch_payouts(db, batch=batch), events=batch_events(db, batch=batch)
    )


@router.post(
    "/settlement/settings",
    response_model=SettlementSettingsPublic,
    responses=refusals(
        Code.REQUESTER_CODE_INVALID,
        Code.BANK_CODE_INVALID,
        Code.BANK_UNKNOWN,
        Code.BRANCH_CODE_INVALID,
        Code.BRANCH_UNKNOWN,
        Code.ACCOUNT_NUMBER_INVALID,
        Code.NAME_EMPTY,
        Code.NAME_NOT_REPRESENTABLE,
        Code.NAME_TOO_LONG,
        Code.REGISTRATION_NUMBER_INVALID,
    ),
)
def set_settlement_settings(
    body: SettlementSettingsSet, db: Db, key: IssuerKey, request: Request
) -> dict[str, Any]:
    """Sets the coin's cut-off time, the issuer's originating account and/or the
    file's 振込指定区分; what the body leaves out keeps its value."""
    current = get_settings(db, coin_id=key.coin_id)
    cut_off = current.cut_off
    if body.cut_off is not None:
        hour, minute = body.cut_off.split(":")
        cut_off = time(int(hour), int(minute))
    originator = current.originator
    if body.originator is not None:
        try:
            originator = checked_originator(**body.originator.model_dump())
        except ZenginError as error:
            raise zengin_problem(error) from error
    designation = current.designation
    if body.transfer_designation is not None:
        designation = TransferDesignation(body.transfer_designation or " ")
    registration = current.registration_number
    if body.invoice_registration_number is not None:
        registration = body.invoice_registration_number.strip()
        if not is_registration_number(registration):
            raise Problem(
                Code.REGISTRATION_NUMBER_INVALID,
                f"{registration!r} is not T + 13 digits with a right check digit",
            )
    saved = save_settings(
        db,
        coin_id=key.coin_id,
        settings=SettlementSettings(cut_off, originator, designation, registration),
        at=request.app.state.clock.now(),
    )
    return saved.as_json()


@router.post(
    "/settlement/batches",
    status_code=201,
    response_model=BatchPublic,
    responses={
        200: {"model": BatchPublic, "description": "Closed before; nothing changed."},
        **refusals(Code.CUT_OFF_NOT_REACHED, Code.BUSINESS_DATE_INVALID),
    },
)
def close_settlement_batch(
    body: BatchClose, db: Db, key: IssuerKey, request: Request, response: Response
) -> BatchPublic:
    """Closes the day's batch: scheduled payouts, then one entry per payout.

    Refusals: business_date_invalid (422), cut_off_not_reached (409).
    """
    closing = close_batch(
        db,
        coin_id=key.coin_id,
        business_date=body.business_date,
        actor=actor_of(key),
        at=request.app.state.clock.now(),
    )
    if not closing.closed_now:
        response.status_code = HTTPStatus.OK
    return _full(db, closing.batch.public_id, key)


@router.get(
    "/settlement/batches", response_model=BatchPage, responses=refusals(Code.BATCH_NOT_FOUND)
)
def list_settlement_batches(
    db: Db,
    key: IssuerKey,
    limit: Annotated[int, Query(ge=1, le=PAGE_MAX)] = 20,
    starting_after: Annotated[str | None, Query(max_length=64)] = None,
) -> BatchPage:
    batches, has_more = list_batches(
        db, coin_id=key.coin_id, limit=limit, starting_after=starting_after
    )
    return BatchPage(data=[batch_public(b) for b in batches], has_more=has_more)


@router.get(
    "/settlement/batches/{batch_id}",
    response_model=BatchPublic,
    responses=refusals(Code.BATCH_NOT_FOUND),
)
def get_settlement_batch(batch_id: str, db: Db, key: IssuerKey) -> BatchPublic:
    return _full(db, batch_id, key)


@router.get(
    "/settlement/batches/{batch_id}/zengin",
    response_class=Response,
    responses={
        200: {"content": {ZENGIN_MEDIA_TYPE: {}}, "description": "The 総合振込 file."},
        **refusals(
            Code.BATCH_NOT_FOUND,
            Code.ORIGINATOR_NOT_SET,
            Code.BATCH_NOT_CLOSED,
            Code.TRANSFER_DATE_NOT_BUSINESS_DAY,
            Code.REQUESTER_CODE_INVALID,
            Code.TRANSFERS_EMPTY,
            Code.BANK_CODE_INVALID,
            Code.BRANCH_CODE_INVALID,
            Code.BANK_UNKNOWN,
            Code.BRANCH_UNKNOWN,
            Code.ACCOUNT_TYPE_INVALID,
            Code.ACCOUNT_NUMBER_INVALID,
            Code.NAME_EMPTY,
            Code.NAME_NOT_REPRESENTABLE,
            Code.NAME_TOO_LONG,
            Code.AMOUNT_NOT_POSITIVE_INT,
            Code.AMOUNT_TOO_LARGE,
            Code.CUSTOMER_CODE_INVALID,
            Code.COUNT_OVERFLOW,
            Code.TOTAL_OVERFLOW,
        ),
    },
)
def get_zengin_file(batch_id: str, db: Db, key: IssuerKey, request: Request) -> Response:
    """The batch's Zengin file; a closed batch becomes exported.

    Refusals: originator_not_set (409), batch_not_closed (409), any Zengin
    writer code (422) naming the payout.
    """
    batch, data = export_batch(
        db,
        coin_id=key.coin_id,
        batch_public_id=batch_id,
        actor=actor_of(key),
        at=request.app.state.clock.now(),
    )
    filename = f"zengin_{batch.business_date:%Y%m%d}_{batch.public_id}.txt"
    return Response(
        content=data,
        media_type=ZENGIN_MEDIA_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.post(
    "/settlement/batches/{batch_id}/results",
    response_model=BatchPublic,
    responses=refusals(
        Code.BATCH_NOT_FOUND,
        Code.RESULTS_CONFLICT,
        Code.BATCH_NOT_EXPORTED,
        Code.RETURNED_DUPLICATED,
        Code.REASON_WITHOUT_RETURN,
        Code.REASON_INVALID,
        Code.PAYOUT_NOT_IN_BATCH,
    ),
)
def post_bank_results(
    batch_id: str, body: BatchResults, db: Db, key: IssuerKey, request: Request
) -> BatchPublic:
    """Confirms the batch: returned payouts go back to the merchants, the rest are paid.

    Refusals: results_conflict (409), batch_not_exported (409),
    returned_duplicated, reason_without_return, reason_invalid,
    payout_not_in_batch (422).
    """
    apply_results(
        db,
        coin_id=key.coin_id,
        batch_public_id=batch_id,
        results=Results(body.returned, body.reasons),
        actor=actor_of(key),
        at=request.app.state.clock.now(),
    )
    return _full(db, batch_id, key)


@router.get(
    "/settlement/batches/{batch_id}/reconciliation",
    response_model=BatchReconciliationPublic,
    responses=refusals(Code.BATCH_NOT_FOUND),
)
def get_batch_reconciliation(batch_id: str, db: Db, key: IssuerKey) -> dict[str, Any]:
    """The batch's figures from itself, its payouts, the ledger and its file; every difference."""
    batch = find_batch(db, coin_id=key.coin_id, batch_public_id=batch_id)
    return reconcile_batch(db, batch=batch).as_json()


@router.get(
    "/settlement/reconciliation",
    response_model=PeriodReconciliationPublic,
    responses=refusals(Code.PERIOD_INVALID),
)
def get_period_reconciliation(
    db: Db,
    key: IssuerKey,
    first: Annotated[date, Query(alias="from", description="First business date.")],
    last: Annotated[date, Query(alias="to", description="Last business date (included).")],
) -> dict[str, Any]:
    if not first <= last or (last - first).days > PERIOD_DAYS_MAX:
        raise Problem(
            Code.PERIOD_INVALID,
            f"from is on or before to, at most {PERIOD_DAYS_MAX} days apart",
        )
    batches = batches_between(db, coin_id=key.coin_id, first=first, last=last)
    return {"from": first.isoformat(), "to": last.isoformat()} | reconcile_period(
        db, batches=batches
    )


@router.post(
    "/merchants/{merchant_id}/payout_schedule",
    response_model=PayoutSchedulePublic,
    responses=refusals(Code.MERCHANT_NOT_FOUND, Code.WEEKDAY_INVALID),
)
def set_payout_schedule(
    merchant_id: str, body: PayoutScheduleSet, db: Db, key: IssuerKey, request: Request
) -> dict[str, Any]:
    """Sets the merchant's automatic cash-out.

    Refusals: weekday_invalid (422), merchant_not_found (404).
    """
    merchant = find_merchant(db, coin_id=key.coin_id, merchant_public_id=merchant_id)
    schedule = set_schedule(
        db,
        merchant=merchant,
        frequency=Frequency(body.frequency),
        weekday=body.weekday,
        min_amount=body.min_amount,
        at=request.app.state.clock.now(),
    )
    return schedule.as_json(merchant.public_id)
