"""File-level (FIC), identity (PAR) and header (ENT) rules: files on which each fires or not.

A scenario is a file dropped in raw/: either only a path ("path", for naming rules), raw
bytes ("content"), a truncated workbook ("truncated"), or a workbook written with openpyxl
("workbook": write_workbook options, "sheet_titles": sheets renamed after writing, "cells":
{sheet: {cell: value}} written after, "cached_result": formulas given a cached result,
"declared_size": {member: size} in the zip directory, "twin": the same partition's file under
another case of .xlsx, "twin_differs": with other contents, "copy_sheet": {"Données":
("Données ", "veryHidden")} a copy of a sheet under another name and visibility, "hide":
{sheet: state}, "in_force": pairs of the version in force of the partition).
"""

from __future__ import annotations

import io
import zipfile
from datetime import date, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook

from ase_impact.contracts.errors import FileLevelError
from ase_impact.contracts.rules import RULES
from ase_impact.core import keys
from ase_impact.core.settings import load_settings
from ase_impact.intake.check import check_file
from ase_impact.intake.discovery import contents_differ, month_files
from ase_impact.intake.file_checks import OLE2_SIGNATURE
from ase_impact.intake.ingestion import blank_template_error
from ase_impact.intake.workbook import check_identity, read_workbook, submission_partition
from ase_impact.warehouse.queries import RowsInForce
from tests.conftest import DEMO_REGISTRY
from tests.hostile_files import (
    declare_size,
    ole2_file,
    rename_sheet,
    with_cached_results,
    with_member,
)
from tests.unit.test_rules_registry import ASSOCIATION, DISPLAY_NAME, PERIOD, case
from tests.workbook_factory import headers_of, write_workbook

SUBMISSION = f"{PERIOD}/{ASSOCIATION}.xlsx"
PAIR_HEADERS = headers_of("pairs")


def _pair_headers(replace: str, by: str | None) -> list[str]:
    return [header for header in (by if h == replace else h for h in PAIR_HEADERS) if header]


# A workbook's macros, as Excel stores and links them in a .xlsm.
VBA_PART = "xl/vbaProject.bin"
VBA_RELATIONSHIP = "http://schemas.microsoft.com/office/2006/relationships/vbaProject"


def _workbook(**options: object) -> dict:
    return {"workbook": options}


def _far_column(letters: str) -> dict:
    """An extra header in column `letters` of « Activités » (GR is the 200th column)."""
    return {"workbook": {}, "cells": {"Activités": {f"{letters}1": "Commentaire"}}}


def _zip_of(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


NOT_A_WORKBOOK_ZIP = _zip_of({"mimetype": b"application/vnd.oasis.opendocument.spreadsheet"})
ONE_PAIR = {"pairs": [{header: "x" for header in PAIR_HEADERS}]}
ONE_MISPE_ANSWER = {
    "mispe_questionnaires": [{header: "x" for header in headers_of("mispe_questionnaires")}]
}
ONE_RESOURCE = {"resources": [{header: "x" for header in headers_of("resources")}]}
ONE_ACTIVITY = {"activities": [{header: "x" for header in headers_of("activities")}]}
CURRENT_PERIOD = keys.current_period()


CASES = {
    "FIC-001": case(
        [
            {"path": "cap-avenir.xlsx"},
            {"path": "2026-10/envoi/cap-avenir.xlsx"},
            {"path": "../ailleurs/2026-10/cap-avenir.xlsx"},
        ],
        {"path": SUBMISSION},
    ),
    "FIC-002": case(
        [
            {"path": "2026-13/cap-avenir.xlsx"},
            {"path": "2026-1/cap-avenir.xlsx"},
            {"path": "octobre-2026/cap-avenir.xlsx"},
        ],
        {"path": "2026-01/cap-avenir.xlsx"},
    ),
    "FIC-003": case(
        [
            {"path": "2026-10/Cap Avenir.xlsx"},
            {"path": "2026-10/cap-avenir.xls"},
            {"path": "2026-10/cap_avenir.xlsx"},
            {"path": "2026-10/c.xlsx"},
            {"path": "2026-10/-cap.xlsx"},
        ],
        [{"path": "2026-10/a1.xlsx"}, {"path": "2026-10/cap-avenir-2.xlsx"}],
    ),
    "FIC-004": case(
        [{"content": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"}, {"content": NOT_A_WORKBOOK_ZIP}],
        _workbook(),
    ),
    "FIC-005": case({"truncated": True}, _workbook()),
    "FIC-006": case(
        _workbook(omit_sheets=["Activités"]),
        {"workbook": {}, "sheet_titles": {"Activités": " ACTIVITÉS ", "Données": "données"}},
    ),
    "FIC-007": case(
        _workbook(headers={"pairs": _pair_headers("Date de naissance", "Date naissance")}),
        _workbook(headers={"pairs": _pair_headers("Date de naissance", " date de naissance ")}),
    ),
    "FIC-008": case({"content": b""}, _workbook()),
    "FIC-009": case({"content": ole2_file(password_protected=False)}, _workbook()),
    "FIC-010": case({"content": ole2_file(password_protected=True)}, _workbook()),
    "FIC-011": case(
        [{"content": b"Nom;Prenom\nTesteur;Alix\n"}, {"content": "\ufeffA\tB".encode("utf-16")}],
        _workbook(),
    ),
    "FIC-012": case(
        {"workbook": {}, "declared_size": {"xl/worksheets/sheet4.xml": 201 * 1024 * 1024}},
        {"workbook": {}, "declared_size": {"xl/worksheets/sheet4.xml": 9 * 1024 * 1024}},
    ),
    "FIC-013": case(
        [{"workbook": {}, "cells": {"Ressources": {"A50002": 1}}}, _far_column("GS")],
        [{"workbook": {}, "cells": {"Ressources": {"A50001": "Subvention"}}}, _far_column("GR")],
    ),
    "FIC-014": case(
        {"workbook": {}, "cells": {"Activités": {"F2": "=1+1"}}},
        {"workbook": {}, "cells": {"Activités": {"F2": "=1+1"}}, "cached_result": "2"},
    ),
    "FIC-015": case(
        {"workbook": {}, "twin": "cap-avenir.XLSX", "twin_differs": True},
        {"workbook": {}, "twin": "cap-avenir.XLSX", "twin_differs": False},
    ),
    "ENT-001": case(
        _workbook(headers={"pairs": [*PAIR_HEADERS, "Commentaire"]}),
        _workbook(headers={"pairs": _pair_headers("Identifiant binôme", "IDENTIFIANT BINÔME")}),
    ),
    "ENT-002": case(
        _workbook(headers={"pairs": _pair_headers("Structure ASE d'origine", None)}),
        _workbook(),
    ),
    "ENT-003": case(_workbook(headers={"pairs": [*PAIR_HEADERS, "sexe"]}), _workbook()),
    # A sheet with rows that no indicator counts for the association, as the registry has it
    # (does_mentoring, does_residential_care): MIS PE answers of a mentoring-only association,
    # pairs or resources of a residential-only one. Activités counts for every association.
    "REG-001": case(
        [
            {"workbook": {"rows": ONE_MISPE_ANSWER}, "registered_as": (True, False)},
            {"workbook": {"rows": ONE_PAIR}, "registered_as": (False, True)},
            {"workbook": {"rows": ONE_RESOURCE}, "registered_as": (False, True)},
        ],
        [
            {"workbook": {"rows": ONE_MISPE_ANSWER}, "registered_as": (True, True)},
            {"workbook": {"rows": ONE_PAIR}, "registered_as": (True, False)},
            {"workbook": {"rows": ONE_ACTIVITY}, "registered_as": (False, True)},
            {"workbook": {}, "registered_as": (True, False)},  # an empty sheet counts nowhere
        ],
    ),
    "FIC-016": case(
        [
            {"path": f"2023-12/{ASSOCIATION}.xlsx"},
            {"path": f"2099-12/{ASSOCIATION}.xlsx"},
            {"path": f"{keys.period_of(date.today() + timedelta(days=31))}/{ASSOCIATION}.xlsx"},
        ],
        [
            {"path": f"{keys.FIRST_PERIOD}/{ASSOCIATION}.xlsx"},
            {"path": f"{CURRENT_PERIOD}/{ASSOCIATION}.xlsx"},
        ],
    ),
    "FIC-017": case(
        [{"path": "2026-10/cap-aveni.xlsx"}, {"path": "2026-10/inconnue.xlsx"}],
        [{"path": "2026-10/envol-mentorat.xlsx"}, {"path": SUBMISSION}],
    ),
    "FIC-018": case(
        [
            {"workbook": {"rows": ONE_PAIR}, "copy_sheet": {"Données": ("Données ", "veryHidden")}},
            {"workbook": {}, "copy_sheet": {"Activités": ("ACTIVITÉS", "hidden")}},
            {"workbook": {}, "copy_sheet": {"Ressources": ("Ressources", "visible")}},
        ],
        [
            {"workbook": {}, "hide": {"Données": "veryHidden"}},  # hidden, but the only one
            {"workbook": {}, "copy_sheet": {"Données": ("Données (2)", "hidden")}},
        ],
    ),
    "FIC-019": case(
        {"workbook": {"rows": {"pairs": []}}, "in_force": 28},
        [
            {"workbook": {"rows": {"pairs": []}}, "in_force": 0},
            {"workbook": {"rows": {"pairs": []}}},
            {"workbook": {"rows": ONE_PAIR}, "in_force": 28},
        ],
    ),
    "FIC-020": case(
        [
            {"workbook": {}, "member": (VBA_PART, VBA_RELATIONSHIP)},
            {"workbook": {}, "member": (VBA_PART, None)},  # the project alone, not linked
            {"workbook": {}, "member": ("xl/macros/VBAProject.BIN", None)},
        ],
        {"workbook": {}, "member": ("xl/printerSettings/printerSettings1.bin", None)},
    ),
    "PAR-001": case(_workbook(association_name=None), _workbook(association_name="Cap Avenir")),
    "PAR-002": case(_workbook(association_code=None), _workbook(association_code=ASSOCIATION)),
    "PAR-003": case(
        _workbook(association_code="autre-asso"), _workbook(association_code=" CAP-AVENIR ")
    ),
    "PAR-004": case(
        [_workbook(period="octobre 2026"), _workbook(period=None)],
        [_workbook(period=date(2026, 10, 1)), _workbook(period="01/10/2026")],
    ),
    "PAR-005": case(_workbook(period="2026-09"), _workbook(period=" 2026-10 ")),
    "PAR-006": case(_workbook(template_version=None), _workbook(template_version="2026.1")),
    "PAR-007": case(_workbook(template_version="2025.1"), _workbook(template_version=2026.1)),
}


def _with_cells(path: Path, cells: dict[str, dict[str, object]]) -> None:
    book = load_workbook(path)
    for sheet_name, values in cells.items():
        for coordinate, value in values.items():
            book[sheet_name][coordinate] = value
    book.save(path)


def _drop(directory: Path, scenario: dict) -> Path:
    """Write the scenario's file under raw/ and return its path."""
    path = directory / "raw" / scenario.get("path", SUBMISSION)
    path.parent.mkdir(parents=True, exist_ok=True)
    if "content" in scenario:
        path.write_bytes(scenario["content"])
        return path
    options = {"association_code": ASSOCIATION, "period": PERIOD}
    write_workbook(path, **{**options, **scenario.get("workbook", {})})
    if scenario.get("truncated"):
        path.write_bytes(path.read_bytes()[:2000])
    if titles := scenario.get("sheet_titles"):
        book = load_workbook(path)
        for old, new in titles.items():
            sheet = book[old]
            sheet.title = "renaming"  # openpyxl refuses a title equal to the old one but for case
            sheet.title = new
        book.save(path)
    if cells := scenario.get("cells"):
        _with_cells(path, cells)
    if result := scenario.get("cached_result"):
        with_cached_results(path, result)
    for member, size in scenario.get("declared_size", {}).items():
        declare_size(path, member, size)
    if copies := scenario.get("copy_sheet"):
        book = load_workbook(path)
        for number, (original, (_, state)) in enumerate(copies.items()):
            copy = book.copy_worksheet(book[original])
            copy.title = f"copie-{number}"
            copy.sheet_state = state
        book.save(path)
        # openpyxl renames a title equal to another but for case: set the names in the XML.
        for number, (name, _) in enumerate(copies.values()):
            rename_sheet(path, f"copie-{number}", name)
    if hidden := scenario.get("hide"):
        book = load_workbook(path)
        for name, state in hidden.items():
            book[name].sheet_state = state
        book.active = next(i for i, s in enumerate(book.worksheets) if s.sheet_state == "visible")
        book.save(path)
    if member := scenario.get("member"):
        name, relationship = member
        with_member(path, name, OLE2_SIGNATURE + bytes(512), relationship)
    if twin := scenario.get("twin"):
        contents = path.read_bytes()
        (path.parent / twin).write_bytes(
            contents + b"\x00" if scenario["twin_differs"] else contents
        )
    return path


def _registry(directory: Path, registered_as: tuple[bool, bool] | None = None) -> Path:
    """The demo registry, plus the codes FIC-003's passing names use; registered_as:
    (does_mentoring, does_residential_care) of ASSOCIATION instead of the demo's."""
    path = directory / "registre.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    extra = "".join(
        f"{code},Association {code},nord,2026-01-01,,true,false\n"
        for code in ("a1", "cap-avenir-2")
    )
    lines = DEMO_REGISTRY.read_text(encoding="utf-8").splitlines(keepends=True)
    if registered_as is not None:
        flags = ",".join(str(flag).lower() for flag in registered_as)
        lines = [
            f"{ASSOCIATION},Cap Avenir,est,2026-01-01,,{flags}\n"
            if line.startswith(f"{ASSOCIATION},")
            else line
            for line in lines
        ]
    path.write_text("".join(lines) + extra, encoding="utf-8")
    return path


def outcome(directory: Path, scenario: dict) -> set[str]:
    """The file-level error's code, or the header findings' codes when the file is read."""
    raw_dir = directory / "raw"
    registered_as = scenario.get("registered_as")
    settings = load_settings(raw_dir=raw_dir, registry=_registry(directory, registered_as))
    path = _drop(directory, scenario) if "path" not in scenario else raw_dir / scenario["path"]
    try:
        period, association_code = submission_partition(settings, path)
        if "path" in scenario:
            return set()
        workbook = read_workbook(path, DISPLAY_NAME)
        check_identity(workbook.identity, period, association_code, DISPLAY_NAME)
        if contents_differ(month_files(settings, period)[(period, association_code)]):
            return {"FIC-015"}
        if "in_force" in scenario:
            in_force = RowsInForce(1, datetime(2026, 11, 3, 9, 30), scenario["in_force"])
            snapshot_rows = len(workbook.sheets["pairs"].frame)
            if error := blank_template_error(DISPLAY_NAME, snapshot_rows, in_force):
                raise error
    except FileLevelError as error:
        return {error.code}
    if registered_as is not None:
        checked = check_file(
            path, DISPLAY_NAME, period, association_code, registry=settings.registry
        )
        return {code for code in checked.findings["rule_code"] if code.startswith("REG-")}
    header_findings = pd.concat([sheet.header_findings for sheet in workbook.sheets.values()])
    return set(header_findings["rule_code"])


@pytest.mark.parametrize("code", sorted(CASES))
def test_rule(tmp_path, code):
    rule_case = CASES[code]
    for number, scenario in enumerate(rule_case.firing):
        assert outcome(tmp_path / f"firing-{number}", scenario) == {code}
    for number, scenario in enumerate(rule_case.passing):
        passing = outcome(tmp_path / f"passing-{number}", scenario)
        assert code not in passing
        assert all(RULES[other].severity == "alerte" for other in passing)
