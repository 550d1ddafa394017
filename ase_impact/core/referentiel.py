"""The référentiel as data: every list, column map and catalogue is read from the dbt seeds.

The seeds in dbt_project/seeds are the single source: dbt loads them into the warehouse, the
contracts validate against them and the template builds its drop-downs from them.
"""

from __future__ import annotations

import csv
import unicodedata
from dataclasses import dataclass
from functools import cache

from ase_impact.core.identifiers import without_format_characters
from ase_impact.core.settings import SEEDS_DIR

SUPPORTED_TEMPLATE_VERSIONS = ("2026.1",)
CURRENT_TEMPLATE_VERSION = SUPPORTED_TEMPLATE_VERSIONS[-1]

# Labels of the identity cells of "Paramètres figés" (column A), mapped to their field.
IDENTITY_LABELS = {
    "Association": "association_name",
    "Code association": "association_code",
    "Période": "period",
    "Version du modèle": "template_version",
}


@dataclass(frozen=True)
class ColumnSpec:
    sheet_code: str
    order: int
    header_fr: str
    field: str
    data_type: str  # text, date, list, integer, number, score
    list_code: str | None
    is_required: bool
    is_pii: bool
    help_fr: str


@dataclass(frozen=True)
class SheetSpec:
    sheet_code: str
    name_fr: str
    order: int
    is_read: bool
    raw_table: str | None
    population_code: str | None  # the population of indicators its rows count in


@dataclass(frozen=True)
class ListValue:
    list_code: str
    code: str
    label_fr: str
    order: int
    category_code: str | None
    category_label_fr: str | None


def read_seed(name: str) -> list[dict[str, str]]:
    with open(SEEDS_DIR / f"{name}.csv", encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _bool(value: str) -> bool:
    return value.strip().lower() == "true"


def match_key(label: object) -> str:
    """Key under which a header or list label is matched: case and outer spaces ignored.

    Accents are kept on purpose: the référentiel refuses a silently unaccented label.
    Invisible format characters (zero-width space, soft hyphen…) do not count.
    """
    text = unicodedata.normalize("NFC", without_format_characters(str(label)))
    return " ".join(text.strip().casefold().split())


@cache
def sheets() -> tuple[SheetSpec, ...]:
    return tuple(
        SheetSpec(
            sheet_code=row["sheet_code"],
            name_fr=row["sheet_name_fr"],
            order=int(row["sort_order"]),
            is_read=_bool(row["is_read"]),
            raw_table=row["raw_table"] or None,
            population_code=row["population_code"] or None,
        )
        for row in sorted(read_seed("reporting_sheets"), key=lambda r: int(r["sort_order"]))
    )


def sheet(sheet_code: str) -> SheetSpec:
    return next(spec for spec in sheets() if spec.sheet_code == sheet_code)


@dataclass(frozen=True)
class Population:
    """A population of indicators (seed indicator_populations): the associations whose
    registry flag registry_flag is true, or every association when it has none."""

    population_code: str
    label_fr: str
    registry_flag: str | None


@cache
def populations() -> tuple[Population, ...]:
    return tuple(
        Population(row["population_code"], row["label_fr"], row["registry_flag"] or None)
        for row in read_seed("indicator_populations")
    )


@cache
def columns(sheet_code: str) -> tuple[ColumnSpec, ...]:
    rows = [row for row in read_seed("reporting_columns") if row["sheet_code"] == sheet_code]
    return tuple(
        ColumnSpec(
            sheet_code=row["sheet_code"],
            order=int(row["column_order"]),
            header_fr=row["header_fr"],
            field=row["field"],
            data_type=row["data_type"],
            list_code=row["list_code"] or None,
            is_required=_bool(row["is_required"]),
            is_pii=_bool(row["is_pii"]),
            help_fr=row["help_fr"],
        )
        for row in sorted(rows, key=lambda r: int(r["column_order"]))
    )


@cache
def list_values(list_code: str) -> tuple[ListValue, ...]:
    """The allowed values of a fixed list; territories come from their own seed."""
    if list_code == "territory":
        rows = sorted(read_seed("territories"), key=lambda r: int(r["sort_order"]))
        return tuple(
            ListValue(
                "territory",
                row["territory_code"],
                row["label_fr"],
                int(row["sort_order"]),
                None,
                None,
            )
            for row in rows
        )
    rows = [row for row in read_seed("ref_list_values") if row["list_code"] == list_code]
    if not rows:
        raise KeyError(f"unknown list {list_code!r}")
    return tuple(
        ListValue(
            list_code=row["list_code"],
            code=row["value_code"],
            label_fr=row["label_fr"],
            order=int(row["sort_order"]),
            category_code=row["category_code"] or None,
            category_label_fr=row["category_label_fr"] or None,
        )
        for row in sorted(rows, key=lambda r: int(r["sort_order"]))
    )


def list_labels(list_code: str) -> tuple[str, ...]:
    return tuple(value.label_fr for value in list_values(list_code))


@cache
def label_lookup(list_code: str) -> dict[str, str]:
    """Matching key → canonical label, for reading drop-down values as typed."""
    return {match_key(value.label_fr): value.label_fr for value in list_values(list_code)}


@cache
def pii_fields() -> frozenset[str]:
    """Fields that identify a youth (is_pii): read to pseudonymise, never stored."""
    return frozenset(
        column.field for sheet in sheets() for column in columns(sheet.sheet_code) if column.is_pii
    )


@cache
def indicator_catalog() -> tuple[dict[str, str], ...]:
    return tuple(read_seed("indicator_catalog"))


@cache
def school_level_ages() -> dict[str, tuple[int, int]]:
    """School level label → the ages (at the period's last day) at which it is plausible."""
    labels = {value.code: value.label_fr for value in list_values("school_level")}
    return {
        labels[row["value_code"]]: (int(row["min_age"]), int(row["max_age"]))
        for row in read_seed("ref_school_level_ages")
    }
