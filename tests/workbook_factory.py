"""Write small reporting workbooks with openpyxl, as an association would, for tests."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from openpyxl import Workbook

from ase_impact.core import referentiel

Row = Mapping[str, object]


def headers_of(sheet_code: str) -> list[str]:
    return [column.header_fr for column in referentiel.columns(sheet_code)]


def write_workbook(
    path: Path,
    *,
    association_code: str,
    period: str,
    association_name: str = "Association de test",
    template_version: str = referentiel.CURRENT_TEMPLATE_VERSION,
    rows: Mapping[str, Sequence[Row]] | None = None,
    headers: Mapping[str, Sequence[str]] | None = None,
    omit_sheets: Sequence[str] = (),
) -> Path:
    """Write a workbook with every sheet of the référentiel.

    rows: sheet_code → rows as {header_fr: value}; a value can be a date, a number or text.
    headers: sheet_code → the header row to write instead of the référentiel's (to test
    misspelt, extra or missing columns); rows are then keyed by these headers.
    omit_sheets: sheet names (French) to leave out.
    """
    rows = rows or {}
    headers = headers or {}
    book = Workbook()
    book.remove(book.active)
    for spec in referentiel.sheets():
        if spec.name_fr in omit_sheets:
            continue
        sheet = book.create_sheet(spec.name_fr)
        if spec.sheet_code == "parameters":
            identity = {
                "association_name": association_name,
                "association_code": association_code,
                "period": period,
                "template_version": template_version,
            }
            for label, field in referentiel.IDENTITY_LABELS.items():
                sheet.append([label, identity[field]])
            continue
        if not spec.is_read:
            continue
        header_row = list(headers.get(spec.sheet_code, headers_of(spec.sheet_code)))
        sheet.append(header_row)
        for row in rows.get(spec.sheet_code, ()):
            sheet.append([row.get(header) for header in header_row])
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    return path
