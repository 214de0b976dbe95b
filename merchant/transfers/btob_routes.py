"""BtoB transfers between merchants of one coin (HTTP); rules in btob_transfers.py beside it."""

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from kit.errors import Code
from kit.idempotency import Db, IdempotentRoute
from kit.refusal_docs import refusals
from ledger.clock import Clock
from ledger.errors import Code as LedgerCode
from merchant.accounts.merchant_auth import MerchantOwnerKey
from merchant.pages import PAGE_DEFAULT, PAGE_MAX
from merchant.transfers.btob_transfers import (
    MerchantTransfer,
    merchant_transfers_page,
    send_to_merchant,
)
from merchant.transfers.schemas import (
    MerchantTransferCreate,
    MerchantTransferPage,
    MerchantTransferPublic,
)

router = APIRouter(route_class=IdempotentRoute, tags=["charges", "merchants"])


def _public(transfer: MerchantTransfer, viewer_public_id: str) -> MerchantTransferPublic:
    body: dict[str, Any] = transfer.as_json(viewer_public_id)
    return MerchantTransferPublic.model_validate(body)


@router.post(
    "/merchant/transfers",
    status_code=201,
    response_model=MerchantTransferPublic,
    responses=refusals(
        LedgerCode.INSUFFICIENT_FUNDS,
        Code.TERMINAL_KEY_NOT_ALLOWED,
        Code.MERCHANT_SUSPENDED,
        Code.MERCHANT_NOT_FOUND,
        Code.TRANSFER_TO_SELF,
        Code.TRANSFER_BELOW_FEE,
        Code.TRANSFER_BELOW_MINIMUM,
    ),
)
def create_merchant_transfer(
    body: MerchantTransferCreate, db: Db, caller: MerchantOwnerKey, request: Request
) -> MerchantTransferPublic:
    """Pays another merchant of the same coin (the merchant's own key only).

    Refusals: 403 ``terminal_key_not_allowed``, 404 ``merchant_not_found``, 422
    ``transfer_to_self``, 403 ``merchant_suspended``, 422 ``transfer_below_fee``,
    402 ``insufficient_funds``.
    """
    clock: Clock = request.app.state.clock
    transfer = send_to_merchant(
        db,
        sender=caller.merchant,
        to_merchant_public_id=body.to_merchant_id,
        amount=body.amount,
        at=clock.now(),
    )
    return _public(transfer, caller.merchant.public_id)


@router.get(
    "/merchant/transfers",
    response_model=MerchantTransferPage,
    responses=refusals(Code.TERMINAL_KEY_NOT_ALLOWED, Code.CURSOR_INVALID),
)
def list_merchant_transfers(
    db: Db,
    caller: MerchantOwnerKey,
    limit: Annotated[int, Query(ge=1, le=PAGE_MAX)] = PAGE_DEFAULT,
    starting_after: Annotated[str | None, Query(max_length=40)] = None,
) -> MerchantTransferPage:
    """Transfers the merchant sent and received, newest first."""
    transfers, has_more = merchant_transfers_page(
        db, merchant=caller.merchant, limit=limit, starting_after=starting_after
    )
    return MerchantTransferPage(
        data=[_public(transfer, caller.merchant.public_id) for transfer in transfers],
        has_more=has_more,
    )
