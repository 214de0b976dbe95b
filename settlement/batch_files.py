"""A batch's Zengin 総合振込 file: one data record per merchant the batch pays.

The bank charges per transfer, so a merchant's payouts in one batch go in one
transfer of their summed net yen (amount - fee), to its bank account in its
holder's kana. 顧客コード1 carries the merchant's id and 顧客コード2 the batch's,
so a transfer the bank returns names the merchant, and through it every payout
the transfer carried (``bank_results`` returns them together). Records are in
the order of each merchant's first payout. Every record is checked before a
byte is written (``zengin.write_transfer_file``).

Downloading it the first time moves a closed batch to ``exported``; later
downloads return the same bytes and change nothing.

Refusals: ``originator_not_set`` (409); ``batch_not_closed`` (409) for a
batch still open; any of the writer's codes (422, e.g. ``transfers_empty``
for a batch with no payout, ``bank_unknown``), with the payouts at fault named
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
from settlement.originator import get_settings, require_originator
from settlement.zengin_refusals import zengin_problem

_ACCOUNT_TYPES = {"ordinary": AccountType.ORDINARY, "current": AccountType.CURRENT}
# One transfer per merchant (m) of the batch: its payouts' (p) net yen summed.
_TRANSFER = RecordColumns(
    Transfer,
    account_type=_ACCOUNT_TYPES.__getitem__,
    recipient_name=Column("holder_kana"),
    amount_yen=Column("sum(p.amount - p.fee)", int),
    customer_code_1=Column("m.id", str),
    customer_code_2=GIVEN,
)


def batch_transfers(conn: Connection, *, batch: Batch) -> list[tuple[list[str], Transfer]]:
    """(the payouts' public ids, the transfer) for each merchant the batch pays."""
    rows = conn.execute(
        text(
            "SELECT array_agg(p.public_id ORDER BY p.id) AS payouts,"
            f" {_TRANSFER.select('m')} FROM payouts p"
            " JOIN merchants m ON m.coin_id = p.coin_id AND m.id = p.merchant_id"
            " WHERE p.coin_id = :coin AND p.batch_id = :batch"
            " AND p.status IN ('in_batch', 'paid', 'returned')"
            " GROUP BY m.coin_id, m.id ORDER BY min(p.id)"
        ),
        {"coin": batch.coin_id, "batch": batch.id},
    ).all()
    return [(list(row.payouts), _TRANSFER.read(row, customer_code_2=str(batch.id))) for row in rows]


def build_file(conn: Connection, *, batch: Batch) -> bytes:
    """The batch's file, or a 422 problem naming the record that cannot be written."""
    originator = require_originator(conn, coin_id=batch.coin_id)
    transfers = batch_transfers(conn, batch=batch)
    try:
        return write_transfer_file(
            originator=originator,
            transfers=[transfer for _, transfer in transfers],
            transfer_date=batch.transfer_date,
            designation=get_settings(conn, coin_id=batch.coin_id).designation,
        )
    except ZenginError as error:
        where = ""
        if error.record_index is not None:
            where = f" (payouts {', '.join(transfers[error.record_index][0])})"
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
