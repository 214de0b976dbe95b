"""Request and response bodies of settlement: batches, results, reconciliation, schedules."""

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, Field

from kit.request_body import RequestBody
from ledger.limits import AMOUNT_MAX
from settlement.bank_results import REASON_LENGTH_MAX
from settlement.batches import Batch, BatchPayout

PAYOUTS_PER_RESULT_MAX = 100_000


class BatchClose(RequestBody):
    business_date: dt.date = Field(description="The Tokyo business date whose payouts to close.")


class BatchPayoutPublic(BaseModel):
    id: str = Field(description="The payout (po_…).")
    merchant_id: str
    source: Literal["request", "schedule"]
    amount: int = Field(description="Coin taken from the merchant's wallet.")
    fee: int = Field(description="Cash-out fee kept (revenue:fees).")
    net: int = Field(description="Yen the bank transfers: amount - fee.")
    status: Literal["pending", "in_batch", "paid", "returned", "canceled"]
    return_reason: str | None = Field(description="The bank's reason, for a returned payout.")
    requested_at: str


class BatchTotals(BaseModel):
    count: int = Field(description="Payouts the batch pays.")
    amount: int
    fee: int
    net: int = Field(description="Yen the file transfers: the trailer's total.")
    canceled: int = Field(description="Payouts canceled at closing (their hold had lapsed).")


class BatchResultTotals(BaseModel):
    paid_count: int
    paid: int = Field(description="Net yen the bank paid.")
    returned_count: int
    returned: int = Field(description="Net yen returned to merchants' wallets.")


class BatchEventPublic(BaseModel):
    from_: str | None = Field(alias="from", serialization_alias="from")
    to: str
    actor: str
    at: str


class BatchPublic(BaseModel):
    id: str = Field(description="The batch (stb_…).")
    object: Literal["settlement_batch"] = "settlement_batch"
    business_date: dt.date
    transfer_date: dt.date = Field(description="The next bank business day: 振込指定日.")
    cut_off_at: str = Field(description="The day's cut-off (UTC).")
    status: Literal["open", "closed", "exported", "confirmed"]
    totals: BatchTotals
    results: BatchResultTotals | None = Field(description="Once confirmed.")
    created_at: str
    closed_at: str | None
    exported_at: str | None
    confirmed_at: str | None
    payouts: list[BatchPayoutPublic] | None = Field(
        default=None, description="The batch's payouts (on the batch itself, not in lists)."
    )
    events: list[BatchEventPublic] | None = Field(
        default=None, description="Every change of status: who, when, from, to."
    )


class BatchPage(BaseModel):
    data: list[BatchPublic]
    has_more: bool


class BatchResults(RequestBody):
    returned: list[str] = Field(
        description="Payouts the bank could not pay (振込不能).", max_length=PAYOUTS_PER_RESULT_MAX
    )
    reasons: dict[str, str] = Field(
        default_factory=dict,
        description=f"The bank's reason per returned payout (1-{REASON_LENGTH_MAX} characters).",
    )


class PayoutScheduleSet(RequestBody):
    frequency: Literal["daily", "weekly", "month_end"]
    weekday: int | None = Field(default=None, ge=0, le=6, description="0 = Monday; weekly only.")
    min_amount: int = Field(gt=0, le=AMOUNT_MAX, description="The least coin worth a payout.")


class PayoutSchedulePublic(BaseModel):
    merchant_id: str
    frequency: Literal["daily", "weekly", "month_end"]
    weekday: int | None
    min_amount: int


class OriginatorSet(RequestBody):
    requester_code: str = Field(description="振込依頼人コード, 1-10 digits.", max_length=10)
    name: str = Field(description="振込依頼人名, in kana.", min_length=1, max_length=80)
    bank_code: str = Field(max_length=4)
    branch_code: str = Field(max_length=3)
    account_type: Literal["ordinary", "current"]
    account_number: str = Field(max_length=7)


class SettlementSettingsSet(RequestBody):
    cut_off: str | None = Field(
        default=None, description="HH:MM in Asia/Tokyo.", pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$"
    )
    originator: OriginatorSet | None = None
    transfer_designation: Literal["", "7", "8"] | None = Field(
        default=None,
        description="振込指定区分 of every transfer: '' (blank: the bank's default),"
        " '7' (電信) or '8' (文書), as the bank's guide asks; null keeps it.",
    )
    invoice_registration_number: str | None = Field(
        default=None,
        max_length=20,
        description="The issuer's 適格請求書発行事業者登録番号, T + 13 digits; null keeps it.",
    )


class SettlementSettingsPublic(BaseModel):
    cut_off: str
    transfer_designation: Literal["", "7", "8"]
    invoice_registration_number: str | None
    originator: dict[str, str] | None


def batch_public(
    batch: Batch,
    *,
    payouts: list[BatchPayout] | None = None,
    events: list[dict[str, Any]] | None = None,
) -> BatchPublic:
    def stamp(at: dt.datetime | None) -> str | None:
        return None if at is None else at.isoformat()

    confirmed = batch.confirmed_at is not None
    return BatchPublic(
        id=batch.public_id,
        business_date=batch.business_date,
        transfer_date=batch.transfer_date,
        cut_off_at=batch.cut_off_at.isoformat(),
        status=batch.status.value,
        totals=BatchTotals(
            count=batch.payout_count,
            amount=batch.amount_total,
            fee=batch.fee_total,
            net=batch.net_total,
            canceled=batch.canceled_count,
        ),
        results=BatchResultTotals(
            paid_count=batch.paid_count,
            paid=batch.paid_total,
            returned_count=batch.returned_count,
            returned=batch.returned_total,
        )
        if confirmed
        else None,
        created_at=batch.created_at.isoformat(),
        closed_at=stamp(batch.closed_at),
        exported_at=stamp(batch.exported_at),
        confirmed_at=stamp(batch.confirmed_at),
        payouts=None
        if payouts is None
        else [
            BatchPayoutPublic(
                **item.payout.as_json(item.merchant_public_id), return_reason=item.return_reason
            )
            for item in payouts
        ],
        events=None if events is None else [BatchEventPublic.model_validate(e) for e in events],
    )


class FiguresPublic(BaseModel):
    count: int | None = Field(description="Payouts; null for the file, which counts transfers.")
    amount: int | None = Field(
        description="Coin taken from merchants; null where the source has none."
    )
    fee: int | None
    net: int = Field(description="Yen to transfer (payable:payout).")
    paid: int | None = Field(description="Net yen paid, once confirmed.")
    returned: int | None = Field(description="Net yen returned, once confirmed.")
    records: int | None = Field(
        default=None,
        description="Transfers: one per merchant paid (the batch's merchants, the file's records).",
    )


class DifferencePublic(BaseModel):
    check: str = Field(
        description="The figure that disagrees: source.figure (ledger.net, payout.fee, …)."
    )
    expected: int = Field(description="What the batch (or the payout row) says.")
    found: int = Field(description="What the other source says.")
    batch_id: str
    payout_id: str | None


class BatchReconciliationPublic(BaseModel):
    batch_id: str
    business_date: dt.date
    status: Literal["open", "closed", "exported", "confirmed"]
    figures: dict[str, FiguresPublic | None] = Field(
        description="By source: batch, payouts, ledger, file (null when no file can be written)."
    )
    differences: list[DifferencePublic]
    balanced: bool


class PeriodReconciliationPublic(BaseModel):
    from_: dt.date = Field(alias="from", serialization_alias="from")
    to: dt.date
    batches: list[BatchReconciliationPublic]
    totals: dict[str, dict[str, int]] = Field(description="Each source's figures summed.")
    differences: list[DifferencePublic]
    balanced: bool
