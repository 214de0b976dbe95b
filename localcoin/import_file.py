"""Another platform's export, read and checked row by row before anything is written.

One CSV file (UTF-8, a BOM allowed), one record per line, the kind in the
``record`` column; the other columns are the union of every kind's:

- ``resident``: ``ref`` (the old platform's id), ``display_name``, ``tier``
  (``basic`` or ``verified``);
- ``lot``: ``ref`` (its resident's), ``kind`` (``money``, ``premium``,
  ``points``), ``amount``, ``expires_at`` (premium and points only, ISO 8601
  with an offset);
- ``merchant``: ``ref``, ``name``, ``name_kana``, ``category``, ``bank_code``,
  ``branch_code``, ``account_type``, ``account_number``, ``holder_kana``,
  ``balance``;
- ``total``: ``outstanding``, what the old platform states it owes in all.

Every bad line is listed (``line``, ``field``, ``detail``), not only the
first, so one correction round fixes the file. Amounts are digits only: a
``1,000`` or ``100.0`` in an export is a bug in the export, not a number.
"""

import csv
import hashlib
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from ledger.limits import AMOUNT_MAX
from ledger.lots import LotKind

RECORD_KINDS = ("resident", "lot", "merchant", "total")
TIERS = ("basic", "verified")
REF_CHARS_MAX = 100
NAME_CHARS_MAX = 100
_DIGITS = re.compile(r"^[0-9]{1,16}$")


@dataclass(frozen=True, slots=True)
class RowError:
    line: int
    field: str
    detail: str

    def as_json(self) -> dict[str, object]:
        return {"line": self.line, "field": self.field, "detail": self.detail}


@dataclass(frozen=True, slots=True)
class LotRow:
    line: int
    kind: LotKind
    amount: int
    expires_at: datetime | None


@dataclass(slots=True)
class ResidentRow:
    line: int
    ref: str
    display_name: str
    tier: str
    lots: list[LotRow] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(lot.amount for lot in self.lots)


@dataclass(frozen=True, slots=True)
class MerchantRow:
    line: int
    ref: str
    name: str
    name_kana: str
    category: str
    bank_code: str
    branch_code: str
    account_type: str
    account_number: str
    holder_kana: str
    balance: int


@dataclass(slots=True)
class ExportFile:
    """Attributes:
    sha256: the file's digest: a file is imported once.
    residents, merchants: the records, in file order.
    outstanding: the old platform's stated total; None if the file has no total line.
    errors: every bad line; nothing may be imported while there is one.
    """

    sha256: bytes
    residents: list[ResidentRow]
    merchants: list[MerchantRow]
    outstanding: int | None
    errors: list[RowError]

    @property
    def imported_total(self) -> int:
        return sum(r.total for r in self.residents) + sum(m.balance for m in self.merchants)

    def by_kind(self, kind: LotKind) -> int:
        return sum(lot.amount for r in self.residents for lot in r.lots if lot.kind is kind)


class _Line:
    """One CSV line's cells, collecting what is wrong with them."""

    def __init__(self, number: int, cells: dict[str, str], errors: list[RowError]) -> None:
        self.number, self.cells, self.errors = number, cells, errors

    def text(self, name: str, *, limit: int = NAME_CHARS_MAX) -> str:
        value = (self.cells.get(name) or "").strip()
        if not value:
            self.errors.append(RowError(self.number, name, "missing"))
        elif len(value) > limit or any(ord(c) < 32 for c in value):
            self.errors.append(RowError(self.number, name, f"1 to {limit} printable characters"))
        return value

    def amount(self, name: str, *, positive: bool) -> int:
        value = (self.cells.get(name) or "").strip()
        if not _DIGITS.match(value):
            self.errors.append(RowError(self.number, name, f"digits only, not {value!r}"))
            return 0
        amount = int(value)
        if amount > AMOUNT_MAX or (positive and amount == 0):
            self.errors.append(RowError(self.number, name, f"1 to {AMOUNT_MAX}"))
            return 0
        return amount

    def instant(self, name: str) -> datetime | None:
        value = (self.cells.get(name) or "").strip()
        try:
            at = datetime.fromisoformat(value)
        except ValueError:
            at = None
        if at is None or at.tzinfo is None:
            self.errors.append(RowError(self.number, name, "ISO 8601 with an offset"))
            return None
        return at

    def choice(self, name: str, allowed: tuple[str, ...]) -> str:
        value = (self.cells.get(name) or "").strip()
        if value not in allowed:
            self.errors.append(RowError(self.number, name, f"one of {', '.join(allowed)}"))
        return value


def read_export(path: Path) -> ExportFile:
    raw = path.read_bytes()
    return parse_export(raw)


def _lines(raw: bytes, errors: list[RowError]) -> Iterator[tuple[int, dict[str, str]]]:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as bad:
        errors.append(RowError(0, "file", f"not UTF-8: {bad.reason}"))
        return
    reader = csv.DictReader(io.StringIO(text, newline=""))
    if reader.fieldnames is None or "record" not in reader.fieldnames:
        errors.append(RowError(1, "record", "the header has no record column"))
        return
    for cells in reader:
        yield reader.line_num, {k: v for k, v in cells.items() if k is not None and v is not None}


def parse_export(raw: bytes) -> ExportFile:
    """Every record of the file, and every error in it."""
    errors: list[RowError] = []
    residents: dict[str, ResidentRow] = {}
    merchants: dict[str, MerchantRow] = {}
    lots: list[tuple[str, LotRow]] = []
    totals: list[int] = []
    for number, cells in _lines(raw, errors):
        line = _Line(number, cells, errors)
        kind = line.choice("record", RECORD_KINDS)
        if kind == "resident":
            resident = ResidentRow(
                number,
                line.text("ref", limit=REF_CHARS_MAX),
                line.text("display_name"),
                line.choice("tier", TIERS),
            )
            if resident.ref in residents:
                errors.append(RowError(number, "ref", f"resident {resident.ref!r} again"))
            residents[resident.ref] = resident
        elif kind == "lot":
            ref = line.text("ref", limit=REF_CHARS_MAX)
            lot_kind = line.choice("kind", tuple(k.value for k in LotKind))
            amount = line.amount("amount", positive=True)
            expires_at = None
            if lot_kind in (LotKind.PREMIUM.value, LotKind.POINTS.value):
                expires_at = line.instant("expires_at")
            elif (cells.get("expires_at") or "").strip():
                errors.append(RowError(number, "expires_at", "money does not expire"))
            if lot_kind in {k.value for k in LotKind}:
                lots.append((ref, LotRow(number, LotKind(lot_kind), amount, expires_at)))
        elif kind == "merchant":
            merchant = MerchantRow(
                number,
                line.text("ref", limit=REF_CHARS_MAX),
                line.text("name"),
                line.text("name_kana"),
                line.text("category"),
                line.text("bank_code"),
                line.text("branch_code"),
                line.text("account_type"),
                line.text("account_number"),
                line.text("holder_kana"),
                line.amount("balance", positive=False),
            )
            if merchant.ref in merchants:
                errors.append(RowError(number, "ref", f"merchant {merchant.ref!r} again"))
            merchants[merchant.ref] = merchant
        elif kind == "total":
            totals.append(line.amount("outstanding", positive=False))
    for ref, lot in lots:
        owner = residents.get(ref)
        if owner is None:
            errors.append(RowError(lot.line, "ref", f"no resident {ref!r} in the file"))
        else:
            owner.lots.append(lot)
    if len(totals) != 1:
        errors.append(RowError(0, "total", f"one total line, not {len(totals)}"))
    return ExportFile(
        sha256=hashlib.sha256(raw).digest(),
        residents=list(residents.values()),
        merchants=list(merchants.values()),
        outstanding=totals[0] if len(totals) == 1 else None,
        errors=errors,
    )
