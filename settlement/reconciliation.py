"""Reconciliation: the ledger's movements, the payouts, the batch and its file must agree.

For a batch, four independent sources give the same figures, and every
disagreement is listed (never netted away, never hidden):

- ``batch``: the totals written on the batch when it closed (and its results).
- ``payouts``: the payout rows the batch pays (in_batch, paid or returned).
- ``ledger``: the postings of the batch's ``payout.close`` entries: the
  merchants' wallets gave ``amount``, payable:payout took ``net``,
  revenue:fees took ``fee``; and, once confirmed, the ``payout.paid`` and
  ``payout.returned`` entries that cleared payable:payout. Entries are found
  by the batch named in their metadata, through the postings index of
  payable:payout at the instant the batch closed (or was confirmed).
- ``file``: the Zengin file as it would be written now, read back: its
  trailer's record count (one transfer per merchant paid, against the batch's
  merchants) and total (net yen).

Per payout, its close entry must move its own net to payable:payout and its
fee to revenue:fees, and name it.

A period reconciles every batch whose business date falls in it and adds
their figures; its differences are each batch's, tagged with the batch.
"""

from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import Connection, text

from jp_banking.zengin import read_transfer_file
from kit.problems import Problem
from ledger.chart import Standard, standard_account
from settlement.bank_results import PAID_ENTRY_KIND, RETURNED_ENTRY_KIND
from settlement.batch_files import build_file
from settlement.batches import CLOSE_ENTRY_KIND, Batch, BatchStatus


@dataclass(frozen=True, slots=True)
class Figures:
    """Counts and coin (= yen) totals of one source; None where it has none.

    count: payouts; records: transfers (one per merchant paid), for the batch
    and its file.
    """

    count: int | None
    amount: int | None
    fee: int | None
    net: int
    paid: int | None = None
    returned: int | None = None
    records: int | None = None


@dataclass(frozen=True, slots=True)
class Difference:
    """Attributes:
    check: which figure disagrees (``ledger.net``, ``payout.fee``, …).
    expected: what the batch (or the payout row) says.
    found: what the other source says.
    batch_id: the batch.
    payout_id: the payout, for a per-payout difference.
    """

    check: str
    expected: int
    found: int
    batch_id: str
    payout_id: str | None = None


@dataclass(frozen=True, slots=True)
class Reconciliation:
    batch: Batch
    figures: dict[str, Figures | None]
    differences: list[Difference] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "batch_id": self.batch.public_id,
            "business_date": self.batch.business_date.isoformat(),
            "status": self.batch.status.value,
            "figures": {k: None if v is None else asdict(v) for k, v in self.figures.items()},
            "differences": [asdict(d) for d in self.differences],
            "balanced": not self.differences,
        }


def reconcile_batch(conn: Connection, *, batch: Batch) -> Reconciliation:
    payable = standard_account(conn, coin_id=batch.coin_id, code=Standard.PAYABLE_PAYOUT).id
    fees = standard_account(conn, coin_id=batch.coin_id, code=Standard.REVENUE_FEES).id
    confirmed = batch.status is BatchStatus.CONFIRMED
    figures: dict[str, Figures | None] = {
        "batch": Figures(
            batch.payout_count,
            batch.amount_total,
            batch.fee_total,
            batch.net_total,
            batch.paid_total if confirmed else None,
            batch.returned_total if confirmed else None,
            _merchants_paid(conn, batch),
        ),
        "payouts": _payout_figures(conn, batch, confirmed),
        "ledger": _ledger_figures(conn, batch, payable, fees),
        "file": _file_figures(conn, batch),
    }
    differences = _compare(batch, figures)
    differences += _payout_differences(conn, batch, payable, fees)
    return Reconciliation(batch, figures, differences)


def _payout_figures(conn: Connection, batch: Batch, confirmed: bool) -> Figures:
    row = conn.execute(
        text(
            "SELECT count(*), coalesce(sum(amount), 0)::bigint, coalesce(sum(fee), 0)::bigint,"
            " coalesce(sum(amount - fee) FILTER (WHERE status = 'paid'), 0)::bigint,"
            " coalesce(sum(amount - fee) FILTER (WHERE status = 'returned'), 0)::bigint"
            " FROM payouts WHERE coin_id = :coin AND batch_id = :batch"
            " AND status IN ('in_batch', 'paid', 'returned')"
        ),
        {"coin": batch.coin_id, "batch": batch.id},
    ).one()
    return Figures(
        row[0],
        row[1],
        row[2],
        row[1] - row[2],
        row[3] if confirmed else None,
        row[4] if confirmed else None,
    )


_LEDGER_SQL = """
WITH batch_entries AS (
    SELECT DISTINCT e.id, e.kind FROM postings q
    JOIN entries e ON e.coin_id = q.coin_id AND e.id = q.entry_id
    WHERE q.coin_id = :coin AND q.account_id = :payable AND q.posted_at = ANY(:instants)
      AND e.kind = ANY(:kinds) AND e.metadata ->> 'batch' = :batch
)
SELECT
    count(DISTINCT b.id) FILTER (WHERE b.kind = :close),
    coalesce(sum(q.amount) FILTER (WHERE b.kind = :close AND q.account_id NOT IN (:payable, :fees)
                                   AND q.amount > 0), 0)::bigint,
    coalesce(-sum(q.amount) FILTER (WHERE b.kind = :close AND q.account_id = :fees), 0)::bigint,
    coalesce(-sum(q.amount) FILTER (WHERE b.kind = :close AND q.account_id = :payable), 0)::bigint,
    coalesce(sum(q.amount) FILTER (WHERE b.kind = :paid AND q.account_id = :payable), 0)::bigint,
    coalesce(sum(q.amount) FILTER (WHERE b.kind = :returned AND q.account_id = :payable), 0)::bigint
FROM batch_entries b JOIN postings q ON q.coin_id = :coin AND q.entry_id = b.id
"""


def _ledger_figures(conn: Connection, batch: Batch, payable: int, fees: int) -> Figures:
    instants = [at for at in (batch.closed_at, batch.confirmed_at) if at is not None]
    row = conn.execute(
        text(_LEDGER_SQL),
        {
            "coin": batch.coin_id,
            "payable": payable,
            "fees": fees,
            "instants": instants,
            "kinds": [CLOSE_ENTRY_KIND, PAID_ENTRY_KIND, RETURNED_ENTRY_KIND],
            "batch": batch.public_id,
            "close": CLOSE_ENTRY_KIND,
            "paid": PAID_ENTRY_KIND,
            "returned": RETURNED_ENTRY_KIND,
        },
    ).one()
    confirmed = batch.status is BatchStatus.CONFIRMED
    return Figures(
        row[0], row[1], row[2], row[3], row[4] if confirmed else None, row[5] if confirmed else None
    )


def _merchants_paid(conn: Connection, batch: Batch) -> int:
    """The merchants the batch pays: the file's records, one transfer each."""
    merchants: int = conn.execute(
        text(
            "SELECT count(DISTINCT merchant_id) FROM payouts WHERE coin_id = :coin"
            " AND batch_id = :batch AND status IN ('in_batch', 'paid', 'returned')"
        ),
        {"coin": batch.coin_id, "batch": batch.id},
    ).scalar_one()
    return merchants


def _file_figures(conn: Connection, batch: Batch) -> Figures | None:
    """The file's trailer as written now; None when no file can be written."""
    try:
        data = build_file(conn, batch=batch)
    except Problem:
        return None
    read = read_transfer_file(data)
    return Figures(None, None, None, read.total_yen, records=read.count)


def _compare(batch: Batch, figures: dict[str, Figures | None]) -> list[Difference]:
    expected = figures["batch"]
    assert expected is not None
    differences: list[Difference] = []
    for source in ("payouts", "ledger", "file"):
        found = figures[source]
        if found is None:
            if source == "file" and expected.count:
                differences.append(Difference("file.count", expected.count, 0, batch.public_id))
            continue
        for name in ("count", "amount", "fee", "net", "paid", "returned", "records"):
            want, got = getattr(expected, name), getattr(found, name)
            if want is not None and got is not None and want != got:
                differences.append(Difference(f"{source}.{name}", want, got, batch.public_id))
    return differences


_PER_PAYOUT_SQL = """
SELECT p.public_id, p.amount - p.fee, p.fee, e.metadata ->> 'payout',
    coalesce(-sum(q.amount) FILTER (WHERE q.account_id = :payable), 0)::bigint,
    coalesce(-sum(q.amount) FILTER (WHERE q.account_id = :fees), 0)::bigint
FROM payouts p
LEFT JOIN entries e ON e.coin_id = p.coin_id AND e.id = p.entry_id
LEFT JOIN postings q ON q.coin_id = p.coin_id AND q.entry_id = p.entry_id
WHERE p.coin_id = :coin AND p.batch_id = :batch AND p.status IN ('in_batch', 'paid', 'returned')
GROUP BY p.coin_id, p.id, e.metadata
ORDER BY p.id
"""


def _payout_differences(
    conn: Connection, batch: Batch, payable: int, fees: int
) -> list[Difference]:
    rows = conn.execute(
        text(_PER_PAYOUT_SQL),
        {"coin": batch.coin_id, "batch": batch.id, "payable": payable, "fees": fees},
    ).all()
    differences: list[Difference] = []
    for payout_id, net, fee, named, ledger_net, ledger_fee in rows:
        if named != payout_id:
            differences.append(Difference("payout.entry", 1, 0, batch.public_id, payout_id))
        if ledger_net != net:
            differences.append(
                Difference("payout.net", net, ledger_net, batch.public_id, payout_id)
            )
        if ledger_fee != fee:
            differences.append(
                Difference("payout.fee", fee, ledger_fee, batch.public_id, payout_id)
            )
    return differences


def reconcile_period(conn: Connection, *, batches: list[Batch]) -> dict[str, Any]:
    """Every batch of the period, their summed figures and all their differences."""
    each = [reconcile_batch(conn, batch=batch) for batch in batches]
    totals: dict[str, dict[str, int]] = {}
    for item in each:
        for source, figures in item.figures.items():
            if figures is None:
                continue
            into = totals.setdefault(source, {})
            for name, value in asdict(figures).items():
                if value is not None:
                    into[name] = into.get(name, 0) + value
    differences = [asdict(d) for item in each for d in item.differences]
    return {
        "batches": [item.as_json() for item in each],
        "totals": totals,
        "differences": differences,
        "balanced": not differences,
    }
