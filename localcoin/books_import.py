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

The same file again changes nothing (its SHA-256 is on record); a resident
or merchant already brought in from another file is a bad line.
"""

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
from wallet_api.residents import enrol_unclaimed, verify_identity
from wallet_api.rules import Tier, get_rules


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
    clearing = open_account(
        conn,
        coin_id=coin.id,
        code=f"clearing:migration:{import_id}",
        account_class=AccountClass.ASSET,
        at=at,
    )
    tag = export.sha256.hex()[:16]
    entries: list[EntryRequest] = []
    records: list[dict[str, object]] = []

    def flush() -> None:
        if entries:
            post_batch(conn, coin_id=coin.id, requests=entries, posted_at=at)
            report.entries += len(entries)
            entries.clear()

    total = len(export.residents) + len(export.merchants)
    for done, resident in enumerate(export.residents, start=1):
        public_id, entry = _resident(conn, coin, resident, clearing_id=clearing.id, tag=tag, at=at)
        records.append({"kind": "resident", "ref": resident.ref, "public_id": public_id})
        if entry is not None:
            entries.append(entry)
        if len(entries) >= BATCH_ENTRIES_MAX:
            flush()
        progress(done, total)
    for done, merchant in enumerate(export.merchants, start=len(export.residents) + 1):
        public_id, entry = _merchant(conn, coin, merchant, clearing_id=clearing.id, tag=tag, at=at)
        records.append({"kind": "merchant", "ref": merchant.ref, "public_id": public_id})
        if entry is not None:
            entries.append(entry)
        progress(done, total)
    report.money = export.by_kind(LotKind.MONEY)
    report.premium = export.by_kind(LotKind.PREMIUM)
    report.points = export.by_kind(LotKind.POINTS)
    report.merchant_balances = sum(m.balance for m in export.merchants)
    report.outstanding = export.outstanding
    closing = _closing(conn, coin, report, clearing.id, tag)
    if closing is not None:
        entries.append(closing)
    flush()
    if records:
        conn.execute(
            text(
                "INSERT INTO imported_records (coin_id, import_id, kind, ref, public_id)"
                " VALUES (:coin, :import_id, :kind, :ref, :public_id)"
            ),
            [{"coin": coin.id, "import_id": import_id} | r for r in records],
        )
    left = get_balance(conn, coin_id=coin.id, account_id=clearing.id).posted
    assert left == 0, f"the clearing account ends at {left}, not zero"
    report.residents, report.merchants = len(export.residents), len(export.merchants)
    return report


def _resident(
    conn: Connection, coin: Coin, row: ResidentRow, *, clearing_id: int, tag: str, at: datetime
) -> tuple[str, EntryRequest | None]:
    resident, wallet = enrol_unclaimed(conn, coin=coin, display_name=row.display_name, at=at)
    if row.tier == "verified":
        # The old platform checked the identity; the reference says where to find it.
        verify_identity(
            conn,
            coin_id=coin.id,
            resident_public_id=resident.public_id,
            method="counter",
            reference=f"migrated: {row.ref}"[:100],
            at=at,
        )
    if not row.lots:
        return resident.public_id, None
    legs = [
        credit(wallet.account_id, lot.amount, lot_kind=lot.kind, lot_expires_at=lot.expires_at)
        for lot in row.lots
    ]
    entry = EntryRequest(
        "migration.opening",
        [debit(clearing_id, row.total), *legs],
        metadata={"import": tag, "ref": row.ref},
    )
    return resident.public_id, entry


def _merchant(
    conn: Connection, coin: Coin, row: MerchantRow, *, clearing_id: int, tag: str, at: datetime
) -> tuple[str, EntryRequest | None]:
    merchant = open_applied(conn, coin_id=coin.id, application=_application(conn, coin, row), at=at)
    if row.balance == 0:
        return merchant.public_id, None
    entry = EntryRequest(
        "migration.opening",
        [debit(clearing_id, row.balance), credit(merchant.account_id, row.balance)],
        metadata={"import": tag, "ref": row.ref},
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
