"""Reading a reporting workbook with python-calamine into one frame per read sheet.

Sheet names and headers are matched with `referentiel.match_key` (case and outer spaces
forgiven, accents not). Anything that makes the whole file unusable raises FileLevelError with
a French message; unknown and optional missing columns become "alerte" findings of the sheet.
Before calamine opens a file, file_checks refuses hostile and odd ones (empty, old .xls,
password-protected, text, zip bomb, oversized sheet, formulas without their result).

A plain number in a date column is read as an Excel serial date when it falls between
SERIAL_DATES_FROM and SERIAL_DATES_TO (a date typed in a cell formatted as a number); any other
number is left as is, and the date rule rejects the row.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import python_calamine
from openpyxl.utils import get_column_letter

from ase_impact.contracts.errors import FileLevelError, file_level_error
from ase_impact.contracts.findings import concat_findings, rule_findings
from ase_impact.contracts.rules import quoted_list, rule
from ase_impact.contracts.schemas import identity_failures
from ase_impact.core import referentiel
from ase_impact.core.dates import is_blank, parse_date_cell
from ase_impact.core.keys import ASSOCIATION_CODE, PERIOD
from ase_impact.intake.file_checks import check_sheet_cells, sheet_parts

WORKBOOK_SUFFIX = ".xlsx"
HEADER_ROW = 1
# Below this similarity a misspelt header or sheet name gets no did-you-mean hint.
HINT_CUTOFF = 0.6
EXCEL_EPOCH = datetime(1899, 12, 30)  # serial 0 of Excel's 1900 date system
SERIAL_DATES_FROM = date(1990, 1, 1)
SERIAL_DATES_TO = date(2100, 12, 31)
_FIRST_SERIAL = (SERIAL_DATES_FROM - EXCEL_EPOCH.date()).days
_LAST_SERIAL = (SERIAL_DATES_TO - EXCEL_EPOCH.date()).days
# Cell types calamine returns that are never an empty cell (a float may be NaN).
NEVER_BLANK_TYPES = frozenset({int, bool, date, datetime, time, timedelta})


@dataclass(frozen=True)
class _SheetCells:
    """Every cell of a read sheet, rows anchored at A1, and its merged header ranges ("A1:B1")."""

    rows: list[list[object]]
    merged_header_ranges: list[str]


@dataclass(frozen=True)
class SheetRows:
    """The non-blank rows of one read sheet: a column per field of the sheet, plus excel_row."""

    sheet_code: str
    frame: pd.DataFrame
    header_findings: pd.DataFrame


@dataclass(frozen=True)
class Workbook:
    display_name: str
    identity: dict[str, str | None]
    sheets: dict[str, SheetRows]


def parse_submission_path(raw_dir: Path, path: Path) -> tuple[str, str]:
    """(period "YYYY-MM", association_code) of a file dropped as <raw_dir>/<YYYY-MM>/<code>.xlsx."""
    try:
        relative = Path(path).resolve().relative_to(Path(raw_dir).resolve())
    except ValueError:
        raise file_level_error("FIC-001", file=Path(path).name) from None
    display_name = relative.as_posix()
    if len(relative.parts) != 2:
        raise file_level_error("FIC-001", file=display_name)
    folder, file_name = relative.parts
    if not PERIOD.fullmatch(folder):
        raise file_level_error("FIC-002", file=display_name, folder=folder)
    stem, suffix = file_name[: -len(WORKBOOK_SUFFIX)], file_name[-len(WORKBOOK_SUFFIX) :]
    if suffix.lower() != WORKBOOK_SUFFIX or not ASSOCIATION_CODE.fullmatch(stem):
        raise file_level_error("FIC-003", file=display_name)
    return folder, stem


def read_workbook(path: Path, display_name: str) -> Workbook:
    """Read the identity and the five data sheets; raises FileLevelError if the file is unusable.

    The identity's template version is checked here, before the columns, because the
    columns expected depend on it. check_identity compares the rest with the file's path.
    """
    sheet_names = {spec.sheet_code: spec.name_fr for spec in referentiel.sheets() if spec.is_read}
    cells = _read_cells(path, display_name, sheet_names)
    identity = read_identity(cells["parameters"].rows)
    _raise_first_identity_failure(identity, display_name, period=None, association_code=None)
    sheets = {
        sheet_code: _sheet_rows(sheet_code, cells[sheet_code], display_name)
        for sheet_code in sheet_names
        if sheet_code != "parameters"
    }
    return Workbook(display_name=display_name, identity=identity, sheets=sheets)


def check_identity(
    identity: dict[str, str | None], period: str, association_code: str, display_name: str
) -> None:
    """Raise FileLevelError when « Paramètres figés » disagrees with the file's folder and name.

    The template version is not checked again: read_workbook, which gave the identity, did.
    """
    _raise_first_identity_failure(identity, display_name, period, association_code)


def _raise_first_identity_failure(
    identity: dict[str, str | None],
    display_name: str,
    period: str | None,
    association_code: str | None,
) -> None:
    failures = identity_failures(identity, period=period, association_code=association_code)
    if not failures:
        return
    failed = rule(failures[0])
    expected = {"period": period, "association_code": association_code}.get(failed.column)
    raise file_level_error(
        failed.code,
        file=display_name,
        found=identity.get(failed.column) or "",
        expected=expected or "",
        supported=", ".join(referentiel.SUPPORTED_TEMPLATE_VERSIONS),
    )


def _read_cells(
    path: Path, display_name: str, sheet_names: dict[str, str]
) -> dict[str, _SheetCells]:
    """The cells of every read sheet, once file_checks has found the file safe to open."""
    parts = sheet_parts(path, display_name)
    found = {referentiel.match_key(name): name for name in parts}
    missing = [name for name in sheet_names.values() if referentiel.match_key(name) not in found]
    if missing:
        expected = {referentiel.match_key(name) for name in sheet_names.values()}
        unexpected = [name for name in parts if referentiel.match_key(name) not in expected]
        raise file_level_error(
            "FIC-006", file=display_name, missing=_missing_sheets(missing, unexpected)
        )
    names_in_file = {code: found[referentiel.match_key(name)] for code, name in sheet_names.items()}
    for code, name in names_in_file.items():
        check_sheet_cells(path, display_name, sheet_names[code], parts[name])
    try:
        book = python_calamine.CalamineWorkbook.from_path(str(path))
    except Exception:  # calamine reports zip, XML and format problems alike
        raise file_level_error("FIC-005", file=display_name) from None
    try:
        return {code: _sheet_cells(book, name) for code, name in names_in_file.items()}
    except Exception:
        raise file_level_error("FIC-005", file=display_name) from None
    finally:
        book.close()


def _sheet_cells(book: python_calamine.CalamineWorkbook, name: str) -> _SheetCells:
    sheet = book.get_sheet_by_name(name)
    merged_header_ranges = [
        f"{get_column_letter(first_column + 1)}{first_row + 1}:"
        f"{get_column_letter(last_column + 1)}{last_row + 1}"
        for (first_row, first_column), (last_row, last_column) in sheet.merged_cell_ranges or ()
        if first_row == HEADER_ROW - 1
    ]
    return _SheetCells(sheet.to_python(skip_empty_area=False), merged_header_ranges)


def _missing_sheets(names: list[str], unexpected: list[str]) -> str:
    """Which read sheets are absent, with the sheet of the file each one was likely renamed to."""
    if len(names) == 1:
        text = f"l'onglet {quoted_list(names)} est absent"
    else:
        text = f"les onglets {quoted_list(names)} sont absents"
    renamed = {referentiel.match_key(name): name for name in unexpected}
    suggestions = [
        f"« {name} » à la place de « {renamed[close[0]]} »"
        for name in names
        if (
            close := difflib.get_close_matches(
                referentiel.match_key(name), list(renamed), n=1, cutoff=HINT_CUTOFF
            )
        )
    ]
    return text + (f" (vouliez-vous dire {', '.join(suggestions)} ?)" if suggestions else "")


def read_identity(rows: Sequence[Sequence[object]]) -> dict[str, str | None]:
    """The label/value pairs of columns A/B; the first occurrence of each label counts."""
    fields_by_key = {referentiel.match_key(k): v for k, v in referentiel.IDENTITY_LABELS.items()}
    identity: dict[str, str | None] = dict.fromkeys(referentiel.IDENTITY_LABELS.values())
    for row in rows:
        if len(row) < 2 or is_blank(row[0]):
            continue
        field = fields_by_key.get(referentiel.match_key(row[0]))
        if field and identity[field] is None:
            identity[field] = _identity_text(field, row[1])
    return identity


def _identity_text(field: str, value: object) -> str | None:
    if is_blank(value):
        return None
    if field == "period":
        return _period_text(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _period_text(value: object) -> str:
    """A Période cell as "YYYY-MM", even when Excel turned it into a date; else the text."""
    if isinstance(value, str) and PERIOD.fullmatch(value.strip()):
        return value.strip()
    try:
        as_date = parse_date_cell(value)  # never None: blank cells are handled by the caller
    except ValueError:
        return str(value).strip()
    return as_date.strftime("%Y-%m")


def _sheet_rows(sheet_code: str, cells: _SheetCells, display_name: str) -> SheetRows:
    sheet_name = referentiel.sheet(sheet_code).name_fr
    specs = referentiel.columns(sheet_code)
    rows = cells.rows
    header = [None if is_blank(cell) else str(cell).strip() for cell in (rows[0] if rows else [])]
    positions, unknown, duplicates = _match_headers(header, specs)
    missing = [spec for spec in specs if spec.field not in positions]
    missing_required = [spec for spec in missing if spec.is_required]
    if missing_required:
        raise _missing_columns_error(
            display_name, sheet_name, missing_required, unknown, specs, cells.merged_header_ranges
        )

    data_rows = rows[1:]
    shortest_row = min(map(len, data_rows), default=0)
    columns = {
        spec.field: _column(data_rows, positions.get(spec.field), shortest_row, spec.data_type)
        for spec in specs
    }
    filled = np.zeros(len(data_rows), dtype=bool)  # blank rows are skipped
    for values in columns.values():
        filled |= pd.notna(values)
    excel_rows = np.arange(HEADER_ROW + 1, HEADER_ROW + 1 + len(data_rows), dtype="int64")
    frame = pd.DataFrame({field: values[filled] for field, values in columns.items()}, dtype=object)
    frame["excel_row"] = excel_rows[filled]

    header_findings = concat_findings(
        [
            _header_finding("ENT-001", display_name, sheet_name, name, _hint(name, specs))
            for name in unknown
        ]
        + [_header_finding("ENT-003", display_name, sheet_name, name) for name in duplicates]
        + [_header_finding("ENT-002", display_name, sheet_name, spec.header_fr) for spec in missing]
    )
    return SheetRows(sheet_code=sheet_code, frame=frame, header_findings=header_findings)


def _match_headers(
    header: list[str | None], specs: Sequence[referentiel.ColumnSpec]
) -> tuple[dict[str, int], list[str], list[str]]:
    """field → column position, then unknown headers, then repeated expected headers."""
    field_by_key = {referentiel.match_key(spec.header_fr): spec.field for spec in specs}
    positions: dict[str, int] = {}
    unknown: list[str] = []
    duplicates: list[str] = []
    for position, name in enumerate(header):
        if name is None:
            continue
        field = field_by_key.get(referentiel.match_key(name))
        if field is None:
            unknown.append(name)
        elif field in positions:
            duplicates.append(name)
        else:
            positions[field] = position
    return positions, unknown, duplicates


def _column(
    rows: list[list[object]], position: int | None, shortest_row: int, data_type: str
) -> np.ndarray:
    """One column's cells: text stripped, blanks as None, numbers of a date column as dates."""
    column = np.full(len(rows), None, dtype=object)
    if position is None:
        return column
    if position < shortest_row:  # calamine's rows all span the sheet's used range
        cells = [row[position] for row in rows]
    else:
        cells = [row[position] if position < len(row) else None for row in rows]
    # Inline for the common cells (text, dates, numbers); anything else through is_blank.
    cells = [
        (cell.strip() or None)
        if cell.__class__ is str
        else cell
        if cell.__class__ in NEVER_BLANK_TYPES or (cell.__class__ is float and cell == cell)
        else (None if is_blank(cell) else cell)
        for cell in cells
    ]
    column[:] = [_serial_date(cell) for cell in cells] if data_type == "date" else cells
    return column


def _serial_date(value: object) -> object:
    """A plain number that is a plausible Excel serial date, as that date; else the value."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return value
    if _FIRST_SERIAL <= value < _LAST_SERIAL + 1:  # any time on the last day too
        return EXCEL_EPOCH + timedelta(days=value)
    return value


def _closest_header(name: str, specs: Sequence[referentiel.ColumnSpec]) -> str | None:
    header_by_key = {referentiel.match_key(spec.header_fr): spec.header_fr for spec in specs}
    close = difflib.get_close_matches(
        referentiel.match_key(name), list(header_by_key), n=1, cutoff=HINT_CUTOFF
    )
    return header_by_key[close[0]] if close else None


def _hint(name: str, specs: Sequence[referentiel.ColumnSpec]) -> str:
    closest = _closest_header(name, specs)
    return f" Vouliez-vous dire « {closest} » ?" if closest else ""


def _header_finding(
    code: str, display_name: str, sheet_name: str, column_header: str, hint: str = ""
) -> pd.DataFrame:
    header_rule = rule(code)
    return rule_findings(
        header_rule,
        display_name=display_name,
        sheet_name=sheet_name,
        excel_rows=pd.Series([HEADER_ROW]),
        values_received=pd.Series([""]),
        pair_ids=pd.Series([None], dtype=object),
        message_tails=header_rule.message_fr.format(hint=hint),
        column_header=column_header,
    )


def _missing_columns_error(
    display_name: str,
    sheet_name: str,
    missing: list[referentiel.ColumnSpec],
    unknown: list[str],
    specs: Sequence[referentiel.ColumnSpec],
    merged_header_ranges: list[str],
) -> FileLevelError:
    missing_headers = [spec.header_fr for spec in missing]
    if len(missing_headers) == 1:
        text = f"la colonne obligatoire {quoted_list(missing_headers)} est absente"
    else:
        text = f"les colonnes obligatoires {quoted_list(missing_headers)} sont absentes"
    suggestions = [
        f"« {closest} » à la place de « {name} »"
        for name in unknown
        if (closest := _closest_header(name, specs)) in missing_headers
    ]
    hint = f" (vouliez-vous dire {', '.join(suggestions)} ?)" if suggestions else ""
    if merged_header_ranges:
        hint += (
            f" (cellules fusionnées dans l'en-tête : {', '.join(merged_header_ranges)} ; "
            "annulez la fusion, chaque colonne doit garder son propre en-tête)"
        )
    return file_level_error("FIC-007", file=display_name, sheet=sheet_name, missing=text, hint=hint)
