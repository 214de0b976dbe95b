"""Opening a coin's books from another platform's export, all of it or none of it.

Each resident and merchant of the file becomes one here (residents without a
PIN: they claim their wallet at the counter, which sets one), and each wallet
gets one opening entry: its lots credited, as the old platform held them,
against this import's clearing account. A last entry moves the old platform's
stated outstanding out of the clearing account, money against the bank's
reserve and premium and points against the municipality's receivable, so the
clearing account ends at zero exactly when the file's balances add up to
what the old platform says it owed. If they do not, nothing is imported and
the difference is reported.

The clearing account is split by chunk of ``RESIDENTS_PER_STATEMENT``
records (``clearing:migration:<id>:<n>``), each gathered into the import's
clearing account by one ``migration.gather`` entry: the import runs in one
transaction, and a row updated once per wallet in one transaction keeps every
version until commit, so one clearing row for 100,000 openings made the
import quadratic (148 s for 100,000 residents, against 4 s for 10,000).

The same file again changes nothing (its SHA-256 is on record); a resident
or merchant already brought in from another file is a bad line.
"""

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Connection, text

from ledger.accounts import AccountClass, get_balance, open_account
from ledger.chart import Standard, standard_account
from ledger.coins import Coin
from ledger.entries import EntryRequest, credit, debit, post_batch
from ledger.limits import BATCH_ENTRIES_MAX
from ledger.lots import LotKind
from localcoin.import_file import ExportFile, MerchantRow, ResidentRow, RowError
from merchant.accounts.onboarding import (
    Application,
    BankAccountForm,
    OnboardingRefused,
    check_application,
    open_applied,
)
from wallet_api.rules import Tier, get_rules
from wallet_api.unclaimed_residents import Newcomer, enrol_unclaimed

# Residents enrolled per statement: large enough that round trips do not count,
# small enough that one statement's parameters stay a few hundred kilobytes.
RESIDENTS_PER_STATEMENT = 1_000


class ImportRefused(Exception):  # noqa: N818 - a refusal, reported with its code
    def __init__(self, code: str, detail: str, errors: Sequence[RowError] = ()) -> None:
        super().__init__(detail)
        self.code, self.detail, self.errors = code, detail, list(errors)

    def as_json(self) -> dict[str, object]:
        return {
            "ok": False,
            "code": self.code,
            "detail": self.detail,
            "errors": [e.as_json() for e in self.errors],
        }


@dataclass(slots=True)
class ImportReport:
    coin: str
    file_sha256: str
    residents: int = 0
    merchants: int = 0
    entries: int = 0
    money: int = 0
    premium: int = 0
    points: int = 0
    merchant_balances: int = 0
    outstanding: int = 0
    already_imported: bool = False
    created: dict[str, str] = field(default_factory=dict)

    def as_json(self) -> dict[str, object]:
        return {
            "ok": True,
            "coin": self.coin,
            "file_sha256": self.file_sha256,
            "already_imported": self.already_imported,
            "residents": self.residents,
            "merchants": self.merchants,
            "entries": self.entries,
            "money": self.money,
            "premium": self.premium,
            "points": self.points,
            "merchant_balances": self.merchant_balances,
            "outstanding": self.outstanding,
            "difference": 0,
        }


def _already_imported(conn: Connection, coin: Coin, export: ExportFile) -> bool:
    found = conn.execute(
        text("SELECT 1 FROM book_imports WHERE coin_id = :coin AND file_sha256 = :sha"),
        {"coin": coin.id, "sha": export.sha256},
    ).first()
    return found is not None


def _check(conn: Connection, coin: Coin, export: ExportFile) -> list[RowError]:
    """What the file's lines cannot be here: brought in before, above a cap, a bad bank account."""
    errors = list(export.errors)
    seen = {
        (row.kind, row.ref)
        for row in conn.execute(
            text("SELECT kind, ref FROM imported_records WHERE coin_id = :coin"),
            {"coin": coin.id},
        )
    }
    rules = get_rules(conn, coin_id=coin.id)
    for resident in export.residents:
        if ("resident", resident.ref) in seen:
            errors.append(RowError(resident.line, "ref", "this resident was imported before"))
        tier = Tier.VERIFIED if resident.tier == "verified" else Tier.BASIC
        if resident.total > rules.balance_cap(tier):
            errors.append(
                RowError(
                    resident.line,
                    "tier",
                    f"holds {resident.total}, above a {tier} wallet's cap of"
                    f" {rules.balance_cap(tier)}",
                )
            )
    for merchant in export.merchants:
        if ("merchant", merchant.ref) in seen:
            errors.append(RowError(merchant.line, "ref", "this merchant was imported before"))
        try:
            _application(conn, coin, merchant)
        except OnboardingRefused as refused:
            errors += [RowError(merchant.line, e.field, e.message) for e in refused.errors]
    return sorted(errors, key=lambda e: e.line)


def _application(conn: Connection, coin: Coin, merchant: MerchantRow) -> Application:
    return check_application(
        conn,
        coin_id=coin.id,
        name=merchant.name,
        name_kana=merchant.name_kana,
        category=merchant.category,
        member_group="",
        bank_account=BankAccountForm(
            bank_code=merchant.bank_code,
            branch_code=merchant.branch_code,
            account_type=merchant.account_type,
            account_number=merchant.account_number,
            holder_kana=merchant.holder_kana,
        ),
    )


def import_books(
    conn: Connection,
    *,
    coin: Coin,
    export: ExportFile,
    at: datetime,
    progress: Callable[[int, int], None] = lambda done, total: None,
) -> ImportReport:
    """Opens the books from ``export`` in the caller's transaction, or raises ImportRefused."""
    report = ImportReport(coin=coin.code, file_sha256=export.sha256.hex())
    if _already_imported(conn, coin, export):
        report.already_imported = True
        return report
    errors = _check(conn, coin, export)
    if errors:
        raise ImportRefused(
            "import_rows_invalid", f"{len(errors)} bad line(s); nothing was imported", errors
        )
    assert export.outstanding is not None, "a file without its total line has an error"
    imported = export.imported_total
    if imported != export.outstanding:
        raise ImportRefused(
            "import_totals_disagree",
            f"the file's balances add up to {imported}, the stated outstanding is"
            f" {export.outstanding}: a difference of {imported - export.outstanding};"
            " nothing was imported",
        )
    import_id: int = conn.execute(
        text(
            "INSERT INTO book_imports (coin_id, file_sha256, residents, merchants, total,"
            " created_at) VALUES (:coin, :sha, :residents, :merchants, :total, :at) RETURNING id"
        ),
        {
            "coin": coin.id,
            "sha": export.sha256,
            "residents": len(export.residents),
            "merchants": len(export.merchants),
            "total": imported,
            "at": at,
        },
    ).scalar_one()
    books = _Opening(conn, coin=coin, import_id=import_id, tag=export.sha256.hex()[:16], at=at)
    total = len(export.residents) + len(export.merchants)
    for start in range(0, len(export.residents), RESIDENTS_PER_STATEMENT):
        chunk = export.residents[start : start + RESIDENTS_PER_STATEMENT]
        enrolled = enrol_unclaimed(
            conn, coin=coin, newcomers=[_newcomer(row) for row in chunk], at=at
        )
        chunk_id = books.chunk_clearing()
        for row, (resident, wallet) in zip(chunk, enrolled, strict=True):
            books.record("resident", row.ref, resident.public_id)
            books.add(_opening(row, wallet.account_id, clearing_id=chunk_id, tag=books.tag))
        books.gather(chunk_id, sum(row.total for row in chunk))
        progress(start + len(chunk), total)
    for start in range(0, len(export.merchants), RESIDENTS_PER_STATEMENT):
        shops = export.merchants[start : start + RESIDENTS_PER_STATEMENT]
        chunk_id = books.chunk_clearing()
        for done, merchant in enumerate(shops, start=len(export.residents) + start + 1):
            public_id, entry = _merchant(
                conn, coin, merchant, clearing_id=chunk_id, tag=books.tag, at=at
            )
            books.record("merchant", merchant.ref, public_id)
            books.add(entry)
            progress(done, total)
        books.gather(chunk_id, sum(m.balance for m in shops))
    report.money = export.by_kind(LotKind.MONEY)
    report.premium = export.by_kind(LotKind.PREMIUM)
    report.points = export.by_kind(LotKind.POINTS)
    report.merchant_balances = sum(m.balance for m in export.merchants)
    report.outstanding = export.outstanding
    books.add(_closing(conn, coin, report, books.clearing_id, books.tag))
    report.entries = books.finish()
    report.residents, report.merchants = len(export.residents), len(export.merchants)
    return report


class _Opening:
    """An import's entries and records on their way to the database: entries go in
    ledger batches, the clearing account is split by chunk (see the module doc)."""

    def __init__(
        self, conn: Connection, *, coin: Coin, import_id: int, tag: str, at: datetime
    ) -> None:
        self.conn, self.coin, self.import_id, self.tag, self.at = conn, coin, import_id, tag, at
        self.clearing_id = self._clearing(f"clearing:migration:{import_id}")
        self.entries: list[EntryRequest] = []
        self.records: list[dict[str, object]] = []
        self.posted = 0
        self._chunks = itertools.count()

    def _clearing(self, code: str) -> int:
        return open_account(
            self.conn, coin_id=self.coin.id, code=code, account_class=AccountClass.ASSET, at=self.at
        ).id

    def chunk_clearing(self) -> int:
        return self._clearing(f"clearing:migration:{self.import_id}:{next(self._chunks)}")

    def gather(self, chunk_id: int, amount: int) -> None:
        """Moves what a chunk's openings put in its clearing account to the import's."""
        if amount:
            self.add(
                EntryRequest(
                    "migration.gather",
                    [debit(self.clearing_id, amount), credit(chunk_id, amount)],
                    metadata={"import": self.tag},
                )
            )

    def record(self, kind: str, ref: str, public_id: str) -> None:
        self.records.append({"kind": kind, "ref": ref, "public_id": public_id})

    def add(self, entry: EntryRequest | None) -> None:
        """Queues an entry; a full batch is posted (the ledger takes at most so many)."""
        if entry is not None:
            self.entries.append(entry)
        if len(self.entries) >= BATCH_ENTRIES_MAX:
            self._flush()

    def _flush(self) -> None:
        if self.entries:
            post_batch(self.conn, coin_id=self.coin.id, requests=self.entries, posted_at=self.at)
            self.posted += len(self.entries)
            self.entries.clear()

    def finish(self) -> int:
        """Posts what is queued and the records; returns the entries posted."""
        self._flush()
        if self.records:
            self.conn.execute(
                text(
                    "INSERT INTO imported_records (coin_id, import_id, kind, ref, public_id)"
                    " VALUES (:coin, :import_id, :kind, :ref, :public_id)"
                ),
                [{"coin": self.coin.id, "import_id": self.import_id} | r for r in self.records],
            )
        left = get_balance(self.conn, coin_id=self.coin.id, account_id=self.clearing_id).posted
        assert left == 0, f"the clearing account ends at {left}, not zero"
        return self.posted


def _newcomer(row: ResidentRow) -> Newcomer:
    # The old platform checked a verified resident's identity; the reference says
    # where to find that check.
    verified_by = f"migrated: {row.ref}"[:100] if row.tier == "verified" else None
    return Newcomer(row.display_name, verified_by)


def _opening(
    row: ResidentRow, account_id: int, *, clearing_id: int, tag: str
) -> EntryRequest | None:
    """The resident's lots, credited against the import's clearing account."""
    if not row.lots:
        return None
    legs = [
        credit(account_id, lot.amount, lot_kind=lot.kind, lot_expires_at=lot.expires_at)
        for lot in row.lots
    ]
    return EntryRequest(
        "migration.opening",
        [debit(clearing_id, row.total), *legs],
        metadata={"import": tag},
    )


def _merchant(
    conn: Connection, coin: Coin, row: MerchantRow, *, clearing_id: int, tag: str, at: datetime
) -> tuple[str, EntryRequest | None]:
    merchant = open_applied(conn, coin_id=coin.id, application=_application(conn, coin, row), at=at)
    if row.balance == 0:
        return merchant.public_id, None
    entry = EntryRequest(
        "migration.opening",
        [debit(clearing_id, row.balance), credit(merchant.account_id, row.balance)],
        metadata={"import": tag},
    )
    return merchant.public_id, entry


def _closing(
    conn: Connection, coin: Coin, report: ImportReport, clearing_id: int, tag: str
) -> EntryRequest | None:
    """Out of the clearing account: the yen behind money and merchants' balances is the
    bank's reserve now; premium and points are the municipality's to fund."""
    yen = report.money + report.merchant_balances
    funded = report.premium + report.points
    if yen + funded == 0:
        return None
    legs = [credit(clearing_id, yen + funded)]
    if yen:
        reserve = standard_account(conn, coin_id=coin.id, code=Standard.RESERVE_BANK)
        legs.append(debit(reserve.id, yen))
    if funded:
        city = standard_account(conn, coin_id=coin.id, code=Standard.RECEIVABLE_MUNICIPALITY)
        legs.append(debit(city.id, funded))
    return EntryRequest("migration.close", legs, metadata={"import": tag})
