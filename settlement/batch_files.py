"""A batch's Zengin 総合振込 file: one data record per payout the batch pays.

The file is built from the issuer's originating account (``originator``) and,
per payout in the batch (in id order), the merchant's bank account, its
holder's kana, and the payout's net yen (amount - fee); 顧客コード1 carries
the payout's id, so the bank's results can be matched back. Every record is
checked before a byte is written (``zengin.write_transfer_file``).

Downloading it the first time moves a closed batch to ``exported``; later
downloads return the same bytes and change nothing.

Refusals: ``originator_not_set`` (409); ``batch_not_closed`` (409) for a
batch still open; any of the writer's codes (422, e.g. ``transfers_empty``
for a batch with no payout, ``bank_unknown``), with the payout at fault named
in the detail.
"""

from datetime import datetime

from sqlalchemy import Connection, text

from jp_banking.zengin import AccountType, Transfer, write_transfer_file
from jp_banking.zengin_errors import ZenginError
from kit.errors import Code
from kit.problems import Problem
from ledger.records import GIVEN, Column, RecordColumns
from settlement.batches import Batch, BatchStatus, find_batch, move_batch
from settlement.originator import require_originator
from settlement.zengin_refusals import zengin_problem

_ACCOUNT_TYPES = {"ordinary": AccountType.ORDINARY, "current": AccountType.CURRENT}
# A payout's (p) transfer to its merchant's (m) bank account; the payout's id is
# the customer code the bank's results name it by.
_TRANSFER = RecordColumns(
    Transfer,
    account_type=_ACCOUNT_TYPES.__getitem__,
    recipient_name=Column("holder_kana"),
    amount_yen=Column("p.amount - p.fee"),
    customer_code_1=Column("p.id", str),
    customer_code_2=GIVEN,
)


def batch_transfers(conn: Connection, *, batch: Batch) -> list[tuple[str, Transfer]]:
    """(payout public id, transfer) for each payout the batch pays, in id order."""
    rows = conn.execute(
        text(
            f"SELECT p.public_id, {_TRANSFER.select('m')} FROM payouts p"
            " JOIN merchants m ON m.coin_id = p.coin_id AND m.id = p.merchant_id"
            " WHERE p.coin_id = :coin AND p.batch_id = :batch"
            " AND p.status IN ('in_batch', 'paid', 'returned') ORDER BY p.id"
        ),
        {"coin": batch.coin_id, "batch": batch.id},
    ).all()
    return [(row.public_id, _TRANSFER.read(row)) for row in rows]


def build_file(conn: Connection, *, batch: Batch) -> bytes:
    """The batch's file, or a 422 problem naming the record that cannot be written."""
    originator = require_originator(conn, coin_id=batch.coin_id)
    transfers = batch_transfers(conn, batch=batch)
    try:
        return write_transfer_file(
            originator=originator,
            transfers=[transfer for _, transfer in transfers],
            transfer_date=batch.transfer_date,
        )
    except ZenginError as error:
        where = ""
        if error.record_index is not None:
            where = f" (payout {transfers[error.record_index][0]})"
        raise zengin_problem(error, f"{error.detail}{where}") from error


def export_batch(
    conn: Connection, *, coin_id: int, batch_public_id: str, actor: str, at: datetime
) -> tuple[Batch, bytes]:
    """The file of the coin's batch; the batch is ``exported`` from now on."""
    batch = find_batch(conn, coin_id=coin_id, batch_public_id=batch_public_id, for_update=True)
    if batch.status is BatchStatus.OPEN:
        raise Problem(Code.BATCH_NOT_CLOSED, "close the batch first")
    data = build_file(conn, batch=batch)
    if batch.status is BatchStatus.CLOSED:
        batch = move_batch(conn, batch=batch, to=BatchStatus.EXPORTED, actor=actor, at=at)
    return batch, data
