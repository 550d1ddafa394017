"""Reading a reporting workbook with python-calamine into one frame per read sheet.

Sheet names and headers are matched with `referentiel.match_key` (case and outer spaces
forgiven, accents not). Anything that makes the whole file unusable raises FileLevelError with
a French message; unknown and optional missing columns become "alerte" findings of the sheet.
Before calamine opens a file, file_checks refuses hostile and odd ones (empty, old .xls,
password-protected, text, zip bomb, oversized sheet, formulas without their result).

A plain number in a date column is read as an Excel serial date when it falls between
SERIAL_DATES_FROM and SERIAL_DATES_TO (a date typed in a cell formatted as a number), counted
from the workbook's own date system (1900, or 1904 for workbooks of Mac Excel); any other
number is left as is, and the date rule rejects the row.

A read sheet is found by its name once: a workbook holding two sheets of that name (one of
them hidden, or named with extra spaces) is refused, never read from one of them silently.
Cells are judged as Excel holds them (rules CEL-…): an error (#DIV/0!, which calamine reads as
empty), a logical value (VRAI), a number shown as a percentage (50 % is 0.5) or a text longer
than MAX_TEXT_LENGTH rejects its row, naming the cell.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path, PurePath

import numpy as np
import pandas as pd
import python_calamine
from openpyxl.utils import get_column_letter

from ase_impact.contracts.errors import FileLevelError, file_level_error
from ase_impact.contracts.findings import cell_text, concat_findings, rule_findings
from ase_impact.contracts.rules import MAX_TEXT_LENGTH, quoted_list, rule
from ase_impact.contracts.schemas import identity_failures
from ase_impact.core import keys, referentiel
from ase_impact.core.dates import is_blank, parse_date_cell
from ase_impact.core.identifiers import visible_text
from ase_impact.core.keys import ASSOCIATION_CODE, PERIOD
from ase_impact.core.registry import load_registry
from ase_impact.core.settings import Settings
from ase_impact.intake.file_checks import (
    ERROR_MARK,
    PERCENT_MARK,
    VISIBLE,
    CellMarks,
    SheetPart,
    check_sheet_cells,
    workbook_parts,
)

WORKBOOK_SUFFIX = ".xlsx"
HEADER_ROW = 1
# Below this similarity a misspelt header or sheet name gets no did-you-mean hint.
HINT_CUTOFF = 0.6
EXCEL_EPOCH = datetime(1899, 12, 30)  # serial 0 of Excel's 1900 date system
EXCEL_1904_EPOCH = datetime(1904, 1, 1)  # serial 0 of the 1904 date system (Mac Excel)
SERIAL_DATES_FROM = date(1990, 1, 1)
SERIAL_DATES_TO = date(2100, 12, 31)
# Cell types calamine returns that are never an empty cell (a float may be NaN).
NEVER_BLANK_TYPES = frozenset({int, bool, date, datetime, time, timedelta})
# The CEL rule of each kind of cell the reading flags.
CELL_RULES = {
    ERROR_MARK: "CEL-001",
    "logical": "CEL-002",
    PERCENT_MARK: "CEL-003",
    "long": "CEL-004",
}
# The CEL rule of a cell that a merge covers: Excel shows the merge's value there, it holds none.
MERGED_CELL_RULE = "CEL-005"
CELL_FLAG_COLUMNS = ["index", "field", "rule_code", "detail"]
SHEET_STATES_FR = {"hidden": "masqué", "veryHidden": "très masqué, invisible depuis Excel"}
_type_of = np.frompyfunc(type, 1, 1)


@dataclass(frozen=True)
class _SheetCells:
    """Every cell of a read sheet, rows anchored at A1, its merged header ranges ("A1:B1"), the
    cells the XML pass marked (errors, percentages), the workbook's date system and the merged
    ranges that reach the data rows (0-based first row, first column, last row, last column)."""

    rows: list[list[object]]
    merged_header_ranges: list[str]
    marks: CellMarks
    date1904: bool = False
    merged_data_ranges: tuple[tuple[int, int, int, int], ...] = ()


def empty_cell_flags() -> pd.DataFrame:
    return pd.DataFrame(
        {
            column: pd.Series(dtype="int64" if column == "index" else object)
            for column in CELL_FLAG_COLUMNS
        }
    )


@dataclass(frozen=True)
class SheetRows:
    """The non-blank rows of one read sheet: a column per field of the sheet, plus excel_row.

    cell_flags: the cells judged as Excel holds them (CEL rules), one row per cell: the frame's
    row index, the field, the rule code and the detail its message shows.
    """

    sheet_code: str
    frame: pd.DataFrame
    header_findings: pd.DataFrame
    cell_flags: pd.DataFrame = field(default_factory=empty_cell_flags)


@dataclass(frozen=True)
class Workbook:
    display_name: str
    identity: dict[str, str | None]
    sheets: dict[str, SheetRows]


def shown_name(path: PurePath | str) -> str:
    """A path as people and the quality tables read it. Bytes of a name that are not UTF-8 (a
    name written in another encoding by an old file share or archive tool), which no message
    or table could hold, show as « � »."""
    text = path.as_posix() if isinstance(path, PurePath) else path
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def parse_submission_path(raw_dir: Path, path: Path) -> tuple[str, str]:
    """(period "YYYY-MM", association_code) of a file dropped as <raw_dir>/<YYYY-MM>/<code>.xlsx."""
    try:
        relative = Path(path).resolve().relative_to(Path(raw_dir).resolve())
    except ValueError:
        raise file_level_error("FIC-001", file=shown_name(Path(path).name)) from None
    display_name = shown_name(relative)
    if len(relative.parts) != 2:
        raise file_level_error("FIC-001", file=display_name)
    folder, file_name = relative.parts
    if not PERIOD.fullmatch(folder):
        raise file_level_error("FIC-002", file=display_name, folder=shown_name(folder))
    stem, suffix = file_name[: -len(WORKBOOK_SUFFIX)], file_name[-len(WORKBOOK_SUFFIX) :]
    if suffix.lower() != WORKBOOK_SUFFIX or not ASSOCIATION_CODE.fullmatch(stem):
        raise file_level_error("FIC-003", file=display_name)
    return folder, stem


def submission_partition(
    settings: Settings, path: Path, today: date | None = None
) -> tuple[str, str]:
    """(period, association_code) of a file of raw/, once its place, its name, its month and its
    association allow it: FileLevelError otherwise, before anything reads it."""
    period, association_code = parse_submission_path(settings.raw_dir, path)
    check_partition(
        settings.registry, period, association_code, f"{period}/{Path(path).name}", today
    )
    return period, association_code


def check_partition(
    registry_path: Path,
    period: str,
    association_code: str,
    display_name: str,
    today: date | None = None,
) -> None:
    """Raise FileLevelError unless a submission may describe the month
    (keys.supported_period_range: no month before the first supported one, none that has not
    started) and the association is one of the registry's."""
    first, last = keys.supported_period_range(today)
    if not keys.is_supported_period(period, today):
        advice = (
            "Un fichier ne peut pas décrire un mois qui n'a pas encore commencé : déposez-le "
            "dans le dossier du mois qu'il décrit."
            if period > last
            else f"Les mois antérieurs à {first} ne sont pas intégrés : vérifiez le dossier où "
            "le fichier a été déposé."
        )
        raise file_level_error(
            "FIC-016", file=display_name, period=period, first=first, last=last, advice=advice
        )
    registry = load_registry(registry_path)
    if association_code not in registry.codes:
        raise file_level_error(
            "FIC-017",
            file=display_name,
            association=association_code,
            how_to_register=registry.how_to_register(),
        )


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
    workbook = workbook_parts(path, display_name)
    found: dict[str, list[SheetPart]] = {}
    for sheet in workbook.sheets:
        found.setdefault(referentiel.match_key(sheet.name), []).append(sheet)
    missing = [name for name in sheet_names.values() if referentiel.match_key(name) not in found]
    if missing:
        expected = {referentiel.match_key(name) for name in sheet_names.values()}
        unexpected = [
            s.name for s in workbook.sheets if referentiel.match_key(s.name) not in expected
        ]
        raise file_level_error(
            "FIC-006", file=display_name, missing=_missing_sheets(missing, unexpected)
        )
    repeated = {
        name: found[referentiel.match_key(name)]
        for name in sheet_names.values()
        if len(found[referentiel.match_key(name)]) > 1
    }
    if repeated:
        raise file_level_error("FIC-018", file=display_name, sheets=_repeated_sheets(repeated))
    in_file = {code: found[referentiel.match_key(name)][0] for code, name in sheet_names.items()}
    marks = {
        code: check_sheet_cells(
            path, display_name, sheet_names[code], sheet.part, workbook.percent_styles
        )
        for code, sheet in in_file.items()
    }
    try:
        # Through a file object: calamine cannot open a path whose name is not UTF-8.
        with open(path, "rb") as handle:
            book = python_calamine.CalamineWorkbook.from_filelike(handle)
    except Exception:  # calamine reports zip, XML and format problems alike
        raise file_level_error("FIC-005", file=display_name) from None
    try:
        return {
            code: _sheet_cells(book, sheet.name, marks[code], workbook.date1904)
            for code, sheet in in_file.items()
        }
    except Exception:
        raise file_level_error("FIC-005", file=display_name) from None
    finally:
        book.close()


def _repeated_sheets(repeated: dict[str, list[SheetPart]]) -> str:
    """ "le classeur contient 2 onglets nommés « Données » : « Données » et « Données  »
    (masqué, nom entouré d'espaces)"."""
    parts = []
    for name, sheets in repeated.items():
        described = [
            f"« {sheet.name} »"
            + (f" ({', '.join(qualifiers)})" if (qualifiers := _sheet_qualifiers(sheet)) else "")
            for sheet in sheets
        ]
        listed = ", ".join(described[:-1]) + " et " + described[-1]
        parts.append(f"{len(sheets)} onglets nommés « {name} » : {listed}")
    return "le classeur contient " + " ; ".join(parts)


def _sheet_qualifiers(sheet: SheetPart) -> list[str]:
    qualifiers = []
    if sheet.state != VISIBLE:
        qualifiers.append(SHEET_STATES_FR.get(sheet.state, sheet.state))
    if sheet.name != sheet.name.strip():
        qualifiers.append("nom entouré d'espaces")
    return qualifiers


def _sheet_cells(
    book: python_calamine.CalamineWorkbook, name: str, marks: CellMarks, date1904: bool
) -> _SheetCells:
    sheet = book.get_sheet_by_name(name)
    merged = [
        (first_row, first_column, last_row, last_column)
        for (first_row, first_column), (last_row, last_column) in sheet.merged_cell_ranges or ()
    ]
    merged_header_ranges = [
        _range_text(*bounds) for bounds in merged if bounds[0] == HEADER_ROW - 1
    ]
    rows = sheet.to_python(skip_empty_area=False)
    # Those reaching the data rows (0-based: from HEADER_ROW on), whose value shows elsewhere
    # than in the cell holding it; a merge of empty cells shows nothing.
    merged_data = tuple(
        bounds
        for bounds in merged
        if bounds[2] >= HEADER_ROW and not _is_blank_at(rows, bounds[0], bounds[1])
    )
    return _SheetCells(rows, merged_header_ranges, marks, date1904, merged_data)


def _is_blank_at(rows: list[list[object]], row: int, column: int) -> bool:
    return row >= len(rows) or column >= len(rows[row]) or is_blank(rows[row][column])


def _range_text(first_row: int, first_column: int, last_row: int, last_column: int) -> str:
    """0-based bounds as Excel names the range: "D2:D4"."""
    return (
        f"{get_column_letter(first_column + 1)}{first_row + 1}:"
        f"{get_column_letter(last_column + 1)}{last_row + 1}"
    )


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
    """An identity cell as its text shows (visible_text), the period as "YYYY-MM"."""
    if isinstance(value, str):
        value = visible_text(value)
    if is_blank(value):
        return None
    if field == "period":
        return _period_text(value)
    return cell_text(value)


def _period_text(value: object) -> str:
    """A Période cell as "YYYY-MM", even when Excel turned it into a date; else as shown."""
    if isinstance(value, str) and PERIOD.fullmatch(value.strip()):
        return value.strip()
    try:
        as_date = parse_date_cell(value)  # never None: blank cells are handled by the caller
    except ValueError:
        return cell_text(value)
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
    epoch = EXCEL_1904_EPOCH if cells.date1904 else EXCEL_EPOCH
    columns = {
        spec.field: _column(
            data_rows, positions.get(spec.field), shortest_row, spec.data_type, epoch
        )
        for spec in specs
    }
    flags = _flag_cells(columns, positions, cells.marks, cells.merged_data_ranges)
    filled = np.zeros(len(data_rows), dtype=bool)  # blank rows are skipped
    for values in columns.values():
        filled |= pd.notna(values)
    excel_rows = np.arange(HEADER_ROW + 1, HEADER_ROW + 1 + len(data_rows), dtype="int64")
    frame = pd.DataFrame(
        {field_name: values[filled] for field_name, values in columns.items()}, dtype=object
    )
    frame["excel_row"] = excel_rows[filled]
    # Flagged cells are never blank: their rows are kept, at their position among kept rows.
    flags["index"] = (np.cumsum(filled) - 1)[flags["index"].to_numpy(dtype="int64")]

    header_findings = concat_findings(
        [
            _header_finding("ENT-001", display_name, sheet_name, name, _hint(name, specs))
            for name in unknown
        ]
        + [_header_finding("ENT-003", display_name, sheet_name, name) for name in duplicates]
        + [_header_finding("ENT-002", display_name, sheet_name, spec.header_fr) for spec in missing]
    )
    return SheetRows(
        sheet_code=sheet_code, frame=frame, header_findings=header_findings, cell_flags=flags
    )


def _flag_cells(
    columns: dict[str, np.ndarray],
    positions: dict[str, int],
    marks: CellMarks,
    merged_ranges: Sequence[tuple[int, int, int, int]] = (),
) -> pd.DataFrame:
    """The cells of the read columns that a CEL rule rejects (see CELL_RULES), by data row.

    An error cell, which calamine reads as empty, takes the error's text ("#N/A"), a
    percentage the text Excel shows ("50 %") and a cell a merge covers the merge's range
    ("D2:D4"): the finding shows them as the association sees them. Logical values and long
    texts keep their value. Changes columns in place.
    """
    field_at = {position: name for name, position in positions.items()}
    merged = _flag_merged_cells(columns, field_at, merged_ranges)
    flagged: list[tuple[int, str, str, str]] = []
    for (row, column), (kind, detail) in sorted(marks.items()):
        name = field_at.get(column - 1)
        position = row - HEADER_ROW - 1
        if name is None or not 0 <= position < len(columns[name]):
            continue
        if kind == PERCENT_MARK:
            value = columns[name][position]
            if isinstance(value, bool) or not isinstance(value, int | float):
                continue
            detail = _percent_text(value)
        columns[name][position] = detail
        flagged.append((position, name, CELL_RULES[kind], detail))
    for name in positions:
        values = columns[name]
        kinds = _type_of(values)
        for position in np.flatnonzero(np.equal(kinds, bool)):
            flagged.append((position, name, CELL_RULES["logical"], _logical_text(values[position])))
        texts = np.flatnonzero(np.equal(kinds, str))
        # As lists: indexing the object array cell by cell costs more than the lengths.
        for position, text in zip(texts.tolist(), values[texts].tolist(), strict=True):
            if len(text) > MAX_TEXT_LENGTH:
                length = f"{len(text):,}".replace(",", " ")
                flagged.append((position, name, CELL_RULES["long"], length))
    if not flagged and merged.empty:
        return empty_cell_flags()
    flags = pd.concat([pd.DataFrame(flagged, columns=CELL_FLAG_COLUMNS), merged], ignore_index=True)
    flags["index"] = flags["index"].astype("int64")
    return flags.drop_duplicates(["index", "field"]).reset_index(drop=True)


def _flag_merged_cells(
    columns: dict[str, np.ndarray],
    field_at: dict[int, str],
    merged_ranges: Sequence[tuple[int, int, int, int]],
) -> pd.DataFrame:
    """The data cells of read columns (field_at: column position → field) that a merge covers
    (all of it but its first cell, which holds the value), as CEL flags; each takes the
    merge's range as its text. One array per range and column: a merge can cover a whole
    sheet."""
    parts = []
    for first_row, first_column, last_row, last_column in merged_ranges:
        shown = _range_text(first_row, first_column, last_row, last_column)
        for column in range(first_column, last_column + 1):
            name = field_at.get(column)
            if name is None:
                continue
            # Data position = sheet row - HEADER_ROW; the first cell of the merge is not covered.
            first = max(first_row + (column == first_column), HEADER_ROW) - HEADER_ROW
            last = min(last_row - HEADER_ROW, len(columns[name]) - 1)
            if first > last:
                continue
            covered = np.arange(first, last + 1)
            columns[name][covered] = shown
            parts.append(
                pd.DataFrame(
                    {
                        "index": covered,
                        "field": name,
                        "rule_code": MERGED_CELL_RULE,
                        "detail": shown,
                    }
                )
            )
    if not parts:
        return empty_cell_flags()
    return pd.concat(parts, ignore_index=True)


def _percent_text(value: float) -> str:
    """0.5 → "50 %", as Excel shows it in French."""
    return f"{value * 100:.10g} %".replace(".", ",")


def _logical_text(value: bool) -> str:
    return "VRAI" if value else "FAUX"


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
    rows: list[list[object]],
    position: int | None,
    shortest_row: int,
    data_type: str,
    epoch: datetime = EXCEL_EPOCH,
) -> np.ndarray:
    """One column's cells: text as shown (visible_text) and stripped, blanks as None, numbers of
    a date column as dates."""
    column = np.full(len(rows), None, dtype=object)
    if position is None:
        return column
    if position < shortest_row:  # calamine's rows all span the sheet's used range
        cells = [row[position] for row in rows]
    else:
        cells = [row[position] if position < len(row) else None for row in rows]
    # Inline for the common cells (text, dates, numbers); anything else through is_blank.
    cells = [
        (visible_text(cell).strip() or None)
        if cell.__class__ is str
        else cell
        if cell.__class__ in NEVER_BLANK_TYPES or (cell.__class__ is float and cell == cell)
        else (None if is_blank(cell) else cell)
        for cell in cells
    ]
    if data_type == "date":
        first, last = _serial_bounds(epoch)
        cells = [_serial_date(cell, epoch, first, last) for cell in cells]
    column[:] = cells
    return column


def _serial_bounds(epoch: datetime) -> tuple[int, int]:
    """The serials of SERIAL_DATES_FROM and SERIAL_DATES_TO in a date system."""
    return (SERIAL_DATES_FROM - epoch.date()).days, (SERIAL_DATES_TO - epoch.date()).days


def _serial_date(value: object, epoch: datetime, first: int, last: int) -> object:
    """A plain number that is a plausible Excel serial date, as that date; else the value."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return value
    if first <= value < last + 1:  # any time on the last day too
        return epoch + timedelta(days=value)
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
