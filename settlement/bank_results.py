"""The bank's results for a batch: which transfers were made and which came back (振込不能).

Posting results confirms an exported batch. The file paid each merchant one
transfer (``batch_files``), so the bank returns a merchant's payouts together:
a payout listed as returned returns every payout of its merchant in the batch,
with the reason given to the first of them listed. For each payout of the
batch, in id order, in the caller's transaction:
- returned: one entry (kind ``payout.returned``) moves its net yen from
  payable:payout back to the merchant's wallet; the payout is ``returned``
  with the bank's reason; event ``payout.returned``. The cash-out fee stays
  in revenue, as for any cash-out the bank handled.
- paid: one entry (kind ``payout.paid``) clears payable:payout against
  reserve:bank; the payout is ``paid``; event ``payout.paid``.
Then the batch's result totals are written and it is ``confirmed``.

The same results posted again change nothing and return the batch (the
request's fingerprint is kept on the batch); different results for a
confirmed batch are refused, as the money has moved.

Refusals, in order: ``batch_not_found`` (404); ``results_conflict`` (409)
for different results on a confirmed batch; ``batch_not_exported`` (409)
before the file was downloaded; ``returned_duplicated`` (422);
``reason_without_return`` (422) for a reason given to a payout not returned;
``reason_invalid`` (422) for an empty or over-long reason;
``payout_not_in_batch`` (422) for a returned id the batch does not pay.
"""

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, text

from kit.errors import Code
from kit.problems import Problem
from ledger.chart import Standard, standard_account
from ledger.entries import EntryRequest, credit, debit, post_entry
from merchant.payouts.payouts import PayoutStatus
from merchant.webhooks.outbox import record_event
from settlement.batches import (
    Batch,
    BatchPayout,
    BatchStatus,
    batch_payouts,
    find_batch,
    move_batch,
)

PAID_ENTRY_KIND = "payout.paid"
RETURNED_ENTRY_KIND = "payout.returned"
DEFAULT_REASON = "振込不能"
REASON_LENGTH_MAX = 200


@dataclass(frozen=True, slots=True)
class Results:
    """Attributes:
    returned: public ids of the payouts the bank could not pay.
    reasons: the bank's reason per returned payout (default ``振込不能``).
    """

    returned: Sequence[str]
    reasons: Mapping[str, str]

    def fingerprint(self) -> bytes:
        canonical = {
            "returned": sorted(self.returned),
            "reasons": dict(sorted(self.reasons.items())),
        }
        return hashlib.sha256(json.dumps(canonical, ensure_ascii=False).encode()).digest()


def apply_results(
    conn: Connection,
    *,
    coin_id: int,
    batch_public_id: str,
    results: Results,
    actor: str,
    at: datetime,
) -> tuple[Batch, bool]:
    """Confirms the batch with the bank's results; returns it and whether this call did."""
    batch = find_batch(conn, coin_id=coin_id, batch_public_id=batch_public_id, for_update=True)
    if batch.status is BatchStatus.CONFIRMED:
        if _kept_fingerprint(conn, batch) != results.fingerprint():
            raise Problem(
                Code.RESULTS_CONFLICT,
                "this batch was confirmed with other results; the money has moved",
            )
        return batch, False
    if batch.status is not BatchStatus.EXPORTED:
        raise Problem(
            Code.BATCH_NOT_EXPORTED,
            f"the batch is {batch.status}; results come after its file was downloaded",
        )
    payouts = [
        p for p in batch_payouts(conn, batch=batch) if p.payout.status is PayoutStatus.IN_BATCH
    ]
    _check(results, {p.payout.public_id for p in payouts})
    payable = standard_account(conn, coin_id=coin_id, code=Standard.PAYABLE_PAYOUT).id
    reserve = standard_account(conn, coin_id=coin_id, code=Standard.RESERVE_BANK).id
    returned = _returned_by_merchant(results, payouts)
    for item in payouts:
        reason = returned.get(item.payout.merchant_id)
        if reason is not None:
            _settle(
                conn,
                batch=batch,
                item=item,
                payable=payable,
                to_account=_wallet_of(conn, item),
                reason=reason,
                at=at,
            )
        else:
            _settle(
                conn,
                batch=batch,
                item=item,
                payable=payable,
                to_account=reserve,
                reason=None,
                at=at,
            )
    _write_results(conn, batch=batch, fingerprint=results.fingerprint())
    return move_batch(conn, batch=batch, to=BatchStatus.CONFIRMED, actor=actor, at=at), True


def _returned_by_merchant(results: Results, payouts: Sequence[BatchPayout]) -> dict[int, str]:
    """The bank's reason for each merchant whose transfer came back (``payouts`` in id order)."""
    listed = set(results.returned)
    reasons: dict[int, str] = {}
    for item in payouts:
        if item.payout.public_id in listed:
            reason = results.reasons.get(item.payout.public_id, DEFAULT_REASON)
            reasons.setdefault(item.payout.merchant_id, reason)
    return reasons


def _check(results: Results, in_batch: set[str]) -> None:
    if len(set(results.returned)) != len(results.returned):
        raise Problem(Code.RETURNED_DUPLICATED, "a payout is listed twice")
    stray = sorted(set(results.reasons) - set(results.returned))
    if stray:
        raise Problem(
            Code.REASON_WITHOUT_RETURN,
            f"reasons given for payouts not returned: {', '.join(stray)}",
        )
    for payout_id, reason in results.reasons.items():
        if not 0 < len(reason.strip()) <= REASON_LENGTH_MAX:
            raise Problem(
                Code.REASON_INVALID,
                f"the reason for {payout_id} is 1 to {REASON_LENGTH_MAX} characters",
            )
    unknown = sorted(set(results.returned) - in_batch)
    if unknown:
        raise Problem(
            Code.PAYOUT_NOT_IN_BATCH,
            f"the batch does not pay: {', '.join(unknown)}",
        )


def _kept_fingerprint(conn: Connection, batch: Batch) -> bytes:
    kept = conn.execute(
        text("SELECT results_hash FROM settlement_batches WHERE coin_id = :coin AND id = :id"),
        {"coin": batch.coin_id, "id": batch.id},
    ).scalar_one()
    return bytes(kept)


def _wallet_of(conn: Connection, item: BatchPayout) -> int:
    account_id: int = conn.execute(
        text("SELECT account_id FROM merchants WHERE coin_id = :coin AND id = :id"),
        {"coin": item.payout.coin_id, "id": item.payout.merchant_id},
    ).scalar_one()
    return account_id


def _settle(
    conn: Connection,
    *,
    batch: Batch,
    item: BatchPayout,
    payable: int,
    to_account: int,
    reason: str | None,
    at: datetime,
) -> None:
    """One payout's result: its entry, its status, its event."""
    payout = item.payout
    status = PayoutStatus.PAID if reason is None else PayoutStatus.RETURNED
    posted = post_entry(
        conn,
        coin_id=batch.coin_id,
        request=EntryRequest(
            kind=PAID_ENTRY_KIND if reason is None else RETURNED_ENTRY_KIND,
            legs=(debit(payable, payout.net), credit(to_account, payout.net)),
            metadata={
                "merchant": item.merchant_public_id,
                "payout": payout.public_id,
                "batch": batch.public_id,
            },
        ),
        posted_at=at,
    )
    conn.execute(
        text(
            "UPDATE payouts SET status = :status, result_entry_id = :entry, return_reason = :reason"
            " WHERE coin_id = :coin AND id = :id"
        ),
        {
            "status": status.value,
            "entry": posted.entry_id,
            "reason": reason,
            "coin": payout.coin_id,
            "id": payout.id,
        },
    )
    data = payout.as_json(item.merchant_public_id) | {"status": status.value}
    if reason is not None:
        data["return_reason"] = reason
    record_event(
        conn,
        coin_id=batch.coin_id,
        merchant_id=payout.merchant_id,
        type_=f"payout.{status.value}",
        data=data,
        at=at,
    )


def _write_results(conn: Connection, *, batch: Batch, fingerprint: bytes) -> None:
    conn.execute(
        text(
            "UPDATE settlement_batches b SET results_hash = :hash,"
            " paid_count = t.paid_n, paid_total = t.paid, returned_count = t.ret_n,"
            " returned_total = t.ret"
            " FROM (SELECT count(*) FILTER (WHERE status = 'paid') AS paid_n,"
            " coalesce(sum(amount - fee) FILTER (WHERE status = 'paid'), 0) AS paid,"
            " count(*) FILTER (WHERE status = 'returned') AS ret_n,"
            " coalesce(sum(amount - fee) FILTER (WHERE status = 'returned'), 0) AS ret"
            " FROM payouts WHERE coin_id = :coin AND batch_id = :batch) t"
            " WHERE b.coin_id = :coin AND b.id = :batch"
        ),
        {"hash": fingerprint, "coin": batch.coin_id, "batch": batch.id},
    )
