"""Reports: fee sharing, institutions' positions, unused balance, the city's KPIs (HTTP).

Who may call what (a key sees only its own coin):

| call | keys |
| --- | --- |
| ``GET /v1/reports/unused_balance?base_date=[&any_date=]`` | issuer, operator |
| ``GET /v1/reports/fees?month=YYYY-MM`` | issuer, operator |
| ``GET /v1/reports/institutions?business_date=`` | issuer, operator |
| ``GET /v1/reports/kpi?from=&to=`` and ``/v1/reports/kpi.csv`` | municipality, issuer, operator |
| ``POST /v1/institutions``, ``PUT /v1/fee_sharing`` | issuer |
| ``GET /v1/institutions``, ``GET /v1/fee_sharing`` | issuer, operator |

Refusals: ``base_date_invalid``, ``base_date_not_past``, ``month_invalid``,
``period_invalid``, ``fee_sharing_invalid``, ``bank_code_invalid``,
``bank_unknown``, ``validation_error`` (422); ``institution_not_found`` (404);
``institution_exists``, ``issuer_exists`` (409); ``forbidden`` (403) for a
key of another role.
"""

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from kit.auth import InstitutionKey, IssuerKey, IssuerOrOperatorKey
from kit.errors import Code
from kit.idempotency import Db, IdempotentRoute
from kit.refusal_docs import refusals
from ledger.coins import get_coin
from settlement.fee_sharing import Share, get_rule, set_rule
from settlement.fee_statement import fee_statement, parse_month
from settlement.institutions import add_institution, list_institutions, net_positions
from settlement.kpi import kpi
from settlement.open_data import check_open_period, kpi_csv
from settlement.qualified_invoice import tax_by_merchant
from settlement.report_schemas import (
    FeeSharingPublic,
    FeeSharingSet,
    FeeStatementPublic,
    InstitutionCreate,
    InstitutionList,
    InstitutionPublic,
    KpiPublic,
    PositionsPublic,
    ShareIn,
    UnusedBalancePublic,
)
from settlement.unused_balance import unused_balance

router = APIRouter(route_class=IdempotentRoute, tags=["reports"])

PAGE_MAX = 100


@router.get(
    "/reports/unused_balance",
    response_model=UnusedBalancePublic,
    responses=refusals(Code.BASE_DATE_INVALID, Code.BASE_DATE_NOT_PAST),
)
def get_unused_balance(
    db: Db,
    key: IssuerOrOperatorKey,
    request: Request,
    base_date: date,
    any_date: Annotated[
        bool, Query(description="Allow a date other than 3/31 and 9/30 (statutory is then false).")
    ] = False,
) -> UnusedBalancePublic:
    """The Payment Services Act unused balance as the ledger stood at the end of the base date."""
    figures = unused_balance(
        db,
        coin_id=key.coin_id,
        base_date=base_date,
        now=request.app.state.clock.now(),
        any_date=any_date,
    )
    return UnusedBalancePublic.of(get_coin(db, key.coin_id).code, figures)


@router.get(
    "/reports/fees", response_model=FeeStatementPublic, responses=refusals(Code.MONTH_INVALID)
)
def get_fee_statement(db: Db, key: IssuerOrOperatorKey, month: str) -> FeeStatementPublic:
    """Net fee revenue of the month by merchant and kind, excluding consumption tax,
    shared by the coin's rule; the tax of each merchant's invoice beside it."""
    first = parse_month(month)
    statement = fee_statement(db, coin_id=key.coin_id, month=first)
    taxes = tax_by_merchant(db, coin_id=key.coin_id, month=first)
    return FeeStatementPublic.of(get_coin(db, key.coin_id).code, statement, taxes)


# Dates a report can be about: the day before the first one must still be a date
# (year 1 would overflow), and no coin predates the platform.
DATE_MIN, DATE_MAX = date(2000, 1, 1), date(9999, 12, 30)
FromDate = Annotated[
    date,
    Query(alias="from", description="First Tokyo date, inclusive.", ge=DATE_MIN, le=DATE_MAX),
]
ToDate = Annotated[
    date, Query(alias="to", description="Last Tokyo date, inclusive.", ge=DATE_MIN, le=DATE_MAX)
]
BusinessDate = Annotated[date, Query(ge=DATE_MIN, le=DATE_MAX)]


@router.get("/reports/institutions", response_model=PositionsPublic)
def get_positions(db: Db, key: IssuerOrOperatorKey, business_date: BusinessDate) -> PositionsPublic:
    """Each institution's top-ups, payouts and net position for a business date."""
    figures = net_positions(db, coin_id=key.coin_id, business_date=business_date)
    return PositionsPublic.of(get_coin(db, key.coin_id).code, figures)


@router.get(
    "/reports/kpi",
    response_model=KpiPublic,
    response_model_by_alias=True,
    responses=refusals(Code.PERIOD_INVALID),
)
def get_kpi(db: Db, key: InstitutionKey, date_from: FromDate, date_to: ToDate) -> KpiPublic:
    """The municipality's figures for the period."""
    figures = kpi(db, coin_id=key.coin_id, date_from=date_from, date_to=date_to)
    return KpiPublic.of(get_coin(db, key.coin_id).code, figures)


@router.get(
    "/reports/kpi.csv",
    response_class=Response,
    responses={
        200: {"content": {"text/csv": {}}, "description": "The KPI as open-data CSV."},
        **refusals(Code.PERIOD_INVALID, Code.PERIOD_TOO_SHORT),
    },
)
def get_kpi_csv(db: Db, key: InstitutionKey, date_from: FromDate, date_to: ToDate) -> Response:
    """The same figures as open data: aggregated, small cells hidden, a week or more
    (settlement/open_data.py)."""
    figures = kpi(db, coin_id=key.coin_id, date_from=date_from, date_to=date_to)
    check_open_period(date_from, date_to)
    filename = f"kpi_{get_coin(db, key.coin_id).code}_{date_from}_{date_to}.csv"
    return Response(
        kpi_csv(figures).encode(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.post(
    "/institutions",
    status_code=201,
    response_model=InstitutionPublic,
    responses=refusals(
        Code.BANK_CODE_INVALID, Code.BANK_UNKNOWN, Code.INSTITUTION_EXISTS, Code.ISSUER_EXISTS
    ),
)
def create_institution(
    body: InstitutionCreate, db: Db, key: IssuerKey, request: Request
) -> InstitutionPublic:
    """Registers a participating financial institution of the coin."""
    institution = add_institution(
        db,
        coin_id=key.coin_id,
        bank_code=body.bank_code,
        name=body.name,
        issuing=body.issuing,
        at=request.app.state.clock.now(),
    )
    return InstitutionPublic.of(institution)


@router.get("/institutions", response_model=InstitutionList)
def get_institutions(
    db: Db,
    key: IssuerOrOperatorKey,
    limit: Annotated[int, Query(ge=1, le=PAGE_MAX)] = 20,
    starting_after: Annotated[str | None, Query(description="The last bank code seen.")] = None,
) -> InstitutionList:
    page, has_more = list_institutions(
        db, coin_id=key.coin_id, limit=limit, starting_after=starting_after
    )
    return InstitutionList(data=[InstitutionPublic.of(i) for i in page], has_more=has_more)


@router.put(
    "/fee_sharing",
    response_model=FeeSharingPublic,
    responses=refusals(Code.INSTITUTION_NOT_FOUND, Code.FEE_SHARING_INVALID),
)
def put_fee_sharing(
    body: FeeSharingSet, db: Db, key: IssuerKey, request: Request
) -> FeeSharingPublic:
    """Replaces the coin's fee-sharing rule whole (a PUT: sending it again changes nothing)."""
    rule = set_rule(
        db,
        coin_id=key.coin_id,
        shares=[Share(s.party, s.share_bp) for s in body.shares],
        at=request.app.state.clock.now(),
    )
    return FeeSharingPublic(shares=[ShareIn(party=s.party, share_bp=s.share_bp) for s in rule])


@router.get("/fee_sharing", response_model=FeeSharingPublic)
def get_fee_sharing(db: Db, key: IssuerOrOperatorKey) -> FeeSharingPublic:
    rule = get_rule(db, coin_id=key.coin_id)
    return FeeSharingPublic(shares=[ShareIn(party=s.party, share_bp=s.share_bp) for s in rule])
