"""Records read from rows by column name: one RecordColumns says what is selected and how it is read.

The rows are PostgreSQL's own (a VALUES list standing in for a table), so the
driver's types are the real ones: text for an enum, memoryview for bytea.
"""

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import pytest
from sqlalchemy import Engine, Row, text

from ledger.records import GIVEN, Column, Derived, RecordColumns, optional


class Colour(StrEnum):
    RED = "red"
    BLUE = "blue"


@dataclass(frozen=True, slots=True)
class Shelf:
    id: int
    label: str


@dataclass(frozen=True, slots=True)
class Parcel:
    id: int
    colour: Colour
    weight_g: int
    note: str | None
    seen: bool = False


@dataclass(frozen=True, slots=True)
class Sealed:
    id: int
    digest: bytes
    colour: Colour | None


@dataclass(frozen=True, slots=True)
class Tagged:
    id: int
    tags: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Stocked:
    shelf: Shelf
    sizes: dict[str, int]
    colour: Colour


PARCELS = (
    "(VALUES (7, 'red', 1200, NULL), (8, 'blue', 300, 'fragile')) AS p (id, paint, weight_g, note)"
)
PARCEL = RecordColumns(Parcel, colour=Column("paint", Colour), seen=GIVEN)


def rows(engine: Engine, sql: str) -> list[Row[Any]]:
    with engine.connect() as conn:
        return list(conn.execute(text(sql)).all())


def test_the_select_list_follows_the_fields_and_labels_what_is_named_otherwise() -> None:
    assert RecordColumns(Shelf).sql == "id, label"
    assert PARCEL.sql == "id, paint AS colour, weight_g, note"


def test_a_row_becomes_its_record_by_name_with_its_conversions(engine: Engine) -> None:
    found = [PARCEL.read(row) for row in rows(engine, f"SELECT {PARCEL.sql} FROM {PARCELS}")]

    assert found == [
        Parcel(7, Colour.RED, 1200, None),
        Parcel(8, Colour.BLUE, 300, "fragile"),
    ]
    assert found[0].colour is Colour.RED


def test_the_order_of_the_columns_does_not_matter(engine: Engine) -> None:
    (row,) = rows(engine, "SELECT note, weight_g, paint AS colour, id FROM " + PARCELS + " LIMIT 1")

    assert PARCEL.read(row) == Parcel(7, Colour.RED, 1200, None)


def test_the_caller_gives_what_is_not_selected_and_may_override_what_is(engine: Engine) -> None:
    (row,) = rows(engine, f"SELECT {PARCEL.sql} FROM {PARCELS} WHERE id = 8")

    assert PARCEL.read(row, seen=True).seen is True
    assert PARCEL.read(row, weight_g=0).weight_g == 0


def test_records_sharing_column_names_are_read_from_one_row_by_prefix(engine: Engine) -> None:
    shelf = RecordColumns(Shelf)
    select = f"{shelf.select('s', prefix='s_')}, {PARCEL.select('p', prefix='p_')}"
    assert select == (
        "s.id AS s_id, s.label AS s_label, p.id AS p_id, p.paint AS p_colour,"
        " p.weight_g AS p_weight_g, p.note AS p_note"
    )

    (row,) = rows(
        engine,
        f"SELECT {select} FROM (VALUES (1, 'top')) AS s (id, label), {PARCELS} WHERE p.id = 7",
    )

    assert shelf.read(row, prefix="s_") == Shelf(1, "top")
    assert PARCEL.read(row, prefix="p_") == Parcel(7, Colour.RED, 1200, None)


def test_an_alias_qualifies_plain_columns_and_leaves_expressions_as_written() -> None:
    weighed = RecordColumns(Parcel, colour=Colour, weight_g=Column("p.grams * 1"), seen=GIVEN)

    assert weighed.select("q") == "q.id, q.colour, p.grams * 1 AS weight_g, q.note"


def test_bytes_come_from_bytea_and_optional_passes_null_through(engine: Engine) -> None:
    sealed = RecordColumns(Sealed, digest=bytes, colour=optional(Colour))

    found = [
        sealed.read(row)
        for row in rows(
            engine,
            f"SELECT {sealed.sql} FROM (VALUES (1, '\\x0102'::bytea, NULL), (2, '\\x'::bytea, 'blue'))"
            " AS t (id, digest, colour)",
        )
    ]

    assert found == [Sealed(1, b"\x01\x02", None), Sealed(2, b"", Colour.BLUE)]
    assert type(found[0].digest) is bytes


def test_an_array_becomes_the_tuple_its_field_wants(engine: Engine) -> None:
    tagged = RecordColumns(Tagged, tags=tuple)

    (row,) = rows(engine, f"SELECT {tagged.sql} FROM (VALUES (1, ARRAY['a', 'b'])) AS t (id, tags)")

    assert tagged.read(row) == Tagged(1, ("a", "b"))


def test_a_nested_record_and_a_derived_field_read_their_own_columns(engine: Engine) -> None:
    def sizes(small: int | None, large: int | None) -> dict[str, int]:
        return {k: v for k, v in (("small", small), ("large", large)) if v is not None}

    stocked = RecordColumns(
        Stocked,
        shelf=RecordColumns(Shelf),
        sizes=Derived(("small", "large"), sizes),
        colour=Colour,
    )
    assert stocked.sql == "id, label, small, large, colour"

    (row,) = rows(
        engine,
        f"SELECT {stocked.sql} FROM (VALUES (3, 'low', NULL, 5, 'red'))"
        " AS t (id, label, small, large, colour)",
    )

    assert stocked.read(row) == Stocked(Shelf(3, "low"), {"large": 5}, Colour.RED)


@pytest.mark.parametrize(
    ("record", "specs", "complaint"),
    [
        (Shelf, {"name": Column("label")}, "no field"),
        (Parcel, {"seen": GIVEN}, "Parcel.colour: convert it"),
        (Sealed, {"colour": optional(Colour)}, "Sealed.digest: convert it"),
        (Sealed, {"digest": bytes}, "Sealed.colour: convert it"),
        (Tagged, {}, "Tagged.tags: convert it"),
        (
            Stocked,
            {"shelf": RecordColumns(Shelf), "sizes": Derived(("id",), dict), "colour": Colour},
            "reads a label twice",
        ),
    ],
)
def test_a_mistake_in_the_columns_is_refused_when_they_are_defined(
    record: type[Any], specs: dict[str, Any], complaint: str
) -> None:
    with pytest.raises(AssertionError, match=complaint):
        RecordColumns(record, **specs)
