"""Records read from SQL rows by column name.

A *record* is a frozen dataclass a query returns (a coin, a hold, a charge).
Its `RecordColumns` is the one place that says where each field comes from;
the SELECT list and the reading of a row are both derived from it, so a column
is added by adding a field. A field comes from:

- by default, the column named like it, as the driver returns it;
- a `Column`: another column or an SQL expression (labelled with the field's
  name), and/or a conversion (text to a StrEnum, bytea's memoryview to bytes).
  A bare callable is shorthand for ``Column(convert=...)``;
- a nested `RecordColumns`: a record built from columns of its own (a
  merchant's bank account);
- `Derived`: several columns combined (a merchant's fee overrides);
- `GIVEN`: the caller, as a keyword of `RecordColumns.read`; not selected.

A row is read through ``row._mapping``, SQLAlchemy's lookup by name. In a join
whose tables share column names, each record's columns are selected with a
table alias and labelled with a prefix, and read with the same prefix.
"""

import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from enum import Enum
from types import UnionType
from typing import TYPE_CHECKING, Any, Final, Generic, TypeAlias, TypeVar

from sqlalchemy import Row

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

R = TypeVar("R", bound="DataclassInstance")


@dataclass(frozen=True, slots=True)
class Column:
    """Where one field is read from, when not simply the column named like it.

    Attributes:
        sql: the column or SQL expression the field is read from; None for the
            column named like the field. A plain column name takes the table
            alias of `RecordColumns.select`; an expression is used as written.
        convert: turns the driver's value into the field's; None keeps it as is.
    """

    sql: str | None = None
    convert: Callable[[Any], Any] | None = None


@dataclass(frozen=True, slots=True)
class Derived:
    """A field built from several columns: ``build(*values)`` in the order of ``columns``.

    Attributes:
        columns: plain column names; each is selected and labelled as itself.
        build: makes the field's value from the columns' values.
    """

    columns: tuple[str, ...]
    build: Callable[..., Any]


class Given:
    """Marks a field that the caller passes to `RecordColumns.read`; it is not selected."""


GIVEN: Final = Given()

Spec: TypeAlias = "Column | Derived | Given | RecordColumns[Any] | Callable[[Any], Any]"


class RecordColumns(Generic[R]):
    """The columns a record is read from, and how a row becomes the record.

    Attributes:
        record: the record's dataclass.
        sql: the SELECT list, unqualified and unprefixed (``SELECT {X.sql} FROM t``).
    """

    def __init__(self, record: type[R], /, **specs: Spec) -> None:
        names = [field.name for field in fields(record)]
        assert set(specs) <= set(names), f"{record.__name__} has no field {set(specs) - set(names)}"
        hints = typing.get_type_hints(record)
        self.record = record
        self._make: Callable[..., R] = record
        self._plain: list[str] = []
        self._columns: list[tuple[str, Column]] = []
        self._nested: list[tuple[str, RecordColumns[Any]]] = []
        self._derived: list[tuple[str, Derived]] = []
        # (sql, label) of each selected column, or a nested record's columns, in field order.
        self._selected: list[tuple[str, str] | RecordColumns[Any]] = []
        for name in names:
            self._add(name, specs.get(name), hints[name])
        labels = self.labels()
        assert len(labels) == len(set(labels)), f"{record.__name__} reads a label twice"
        self.sql = self.select()

    def _add(self, name: str, spec: "Spec | None", hint: Any) -> None:
        if spec is None:
            assert not _needs_conversion(hint), f"{self.record.__name__}.{name}: convert it"
            self._plain.append(name)
            self._selected.append((name, name))
        elif isinstance(spec, RecordColumns):
            self._nested.append((name, spec))
            self._selected.append(spec)
        elif isinstance(spec, Derived):
            self._derived.append((name, spec))
            self._selected += [(column, column) for column in spec.columns]
        elif not isinstance(spec, Given):
            column = spec if isinstance(spec, Column) else Column(convert=spec)
            self._columns.append((name, column))
            self._selected.append((column.sql or name, name))

    def labels(self) -> list[str]:
        """The names the row's columns carry, before any prefix."""
        return [
            label
            for selected in self._selected
            for label in (
                selected.labels() if isinstance(selected, RecordColumns) else [selected[1]]
            )
        ]

    def select(self, alias: str = "", *, prefix: str = "") -> str:
        """The SELECT list: plain columns qualified by ``alias``, labels prefixed by ``prefix``."""
        return ", ".join(
            selected.select(alias, prefix=prefix)
            if isinstance(selected, RecordColumns)
            else _item(*selected, alias, prefix)
            for selected in self._selected
        )

    def read(self, row: Row[Any], *, prefix: str = "", **given: Any) -> R:
        """The record in ``row``, whose labels carry ``prefix``.

        ``given`` supplies the GIVEN fields, and overrides what the row says for others.
        """
        return self.read_mapping(row._mapping, prefix, given)

    def read_mapping(self, mapping: Mapping[Any, Any], prefix: str, given: Mapping[str, Any]) -> R:
        """As `read`, from a row's mapping (a nested record reads its parent's)."""
        values = {name: mapping[prefix + name] for name in self._plain}
        for name, column in self._columns:
            value = mapping[prefix + name]
            values[name] = value if column.convert is None else column.convert(value)
        for name, nested in self._nested:
            values[name] = nested.read_mapping(mapping, prefix, {})
        for name, derived in self._derived:
            values[name] = derived.build(*(mapping[prefix + c] for c in derived.columns))
        if given:
            values.update(given)
        return self._make(**values)


def optional(convert: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """A conversion that passes NULL (None) through."""
    return lambda value: None if value is None else convert(value)


def _item(sql: str, label: str, alias: str, prefix: str) -> str:
    plain = sql.isidentifier()
    expression = f"{alias}.{sql}" if alias and plain else sql
    if plain and sql == label and not prefix:
        return expression
    return f"{expression} AS {prefix}{label}"


def _needs_conversion(hint: Any) -> bool:
    """Whether the driver's value is never of the field's type: an enum comes as text,
    bytes as a memoryview, a tuple or a set as a list."""
    origin = typing.get_origin(hint)
    if isinstance(hint, UnionType) or origin is typing.Union:
        return any(_needs_conversion(arg) for arg in typing.get_args(hint))
    if origin in (tuple, frozenset, set):
        return True
    return isinstance(hint, type) and (
        issubclass(hint, Enum) or hint in (bytes, tuple, frozenset, set)
    )
