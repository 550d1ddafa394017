"""The demo reporting files: deterministic, continuous from month to month, defects as listed."""

from __future__ import annotations

import re
from collections import Counter
from datetime import date, datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook

from ase_impact.contracts.errors import FileLevelError
from ase_impact.core import referentiel
from ase_impact.core.dates import parse_date_cell
from ase_impact.core.keys import period_bounds
from ase_impact.core.registry import load_registry
from ase_impact.intake.validate import FileContext, validate_workbook
from ase_impact.intake.workbook import check_identity, parse_submission_path, read_workbook
from devtools.demo_data import (
    DEMO_PERIODS,
    DEMO_REGISTRY_FILE,
    MANIFEST_FILE_NAME,
    DemoManifest,
    generate_demo_data,
)

READ_DATA_SHEETS = [s for s in referentiel.sheets() if s.is_read and s.sheet_code != "parameters"]
REGISTRY = {row.association_code: row for row in load_registry(DEMO_REGISTRY_FILE).associations}


def _read_raw(raw_dir: Path) -> dict[str, dict[str, list[tuple]]]:
    """File name → sheet name → rows of cell values (header included)."""
    return {
        path.relative_to(raw_dir).as_posix(): {
            sheet.title: [tuple(row) for row in sheet.iter_rows(values_only=True)]
            for sheet in load_workbook(path, read_only=True)
        }
        for path in sorted(raw_dir.glob("*/*.xlsx"))
    }


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    raw_dir = tmp_path_factory.mktemp("raw")
    manifest = generate_demo_data(raw_dir)
    return raw_dir, manifest, _read_raw(raw_dir)


def _records(cells, file_name: str, sheet_code: str) -> list[dict[str, object]]:
    header, *rows = cells[file_name][referentiel.sheet(sheet_code).name_fr]
    return [dict(zip(header, row, strict=True)) for row in rows]


def _cell(cells, file_name: str, sheet: str, excel_row: int, column_header: str) -> object:
    rows = cells[file_name][sheet]
    return rows[excel_row - 1][rows[0].index(column_header)]


def test_two_runs_give_identical_cells(demo, tmp_path):
    raw_dir, manifest, cells = demo
    assert generate_demo_data(tmp_path) == manifest
    assert _read_raw(tmp_path) == cells
    assert (tmp_path / MANIFEST_FILE_NAME).read_text() == (raw_dir / MANIFEST_FILE_NAME).read_text()


def test_another_seed_gives_other_youth(demo, tmp_path):
    _, manifest, cells = demo
    other = generate_demo_data(tmp_path, seed=7)
    assert other.files == manifest.files
    file_name = "2026-08/envol-mentorat.xlsx"
    pairs = load_workbook(tmp_path / file_name, read_only=True)["Données"]
    assert [tuple(row) for row in pairs.iter_rows(values_only=True)] != cells[file_name]["Données"]


def test_file_set_has_every_month_and_one_missing_submission(demo):
    raw_dir, manifest, cells = demo
    expected = {
        f"{period}/{code}.xlsx"
        for period in DEMO_PERIODS
        for code in REGISTRY
        if (period, code) not in manifest.missing_submissions
    }
    assert set(cells) == expected == set(manifest.files)
    assert manifest.missing_submissions == (("2026-09", "boussole-ase"),)
    assert [p.name for p in raw_dir.iterdir() if p.is_file()] == [MANIFEST_FILE_NAME]
    assert DemoManifest.from_json((raw_dir / MANIFEST_FILE_NAME).read_text()) == manifest
    assert sum(path.stat().st_size for path in raw_dir.rglob("*")) < 1_000_000


def test_files_are_filled_templates_with_their_identity(demo):
    _, manifest, cells = demo
    resent = {defect.file for defect in manifest.file_defects}
    for file_name, sheets in cells.items():
        period, code = file_name.removesuffix(".xlsx").split("/")
        assert list(sheets) == [spec.name_fr for spec in referentiel.sheets()]
        identity = dict(row[:2] for row in sheets["Paramètres figés"][:4])
        assert identity["Code association"] == code
        assert identity["Association"] == REGISTRY[code].association_name
        assert (identity["Période"] == period) is (file_name not in resent)


def test_every_read_sheet_is_filled_somewhere(demo):
    _, _, cells = demo
    for spec in READ_DATA_SHEETS:
        filled = [name for name in cells if len(cells[name][spec.name_fr]) > 1]
        assert filled, spec.name_fr


def test_mentoring_associations_report_15_to_40_pairs_and_others_none(demo):
    _, _, cells = demo
    for file_name in cells:
        code = file_name.split("/")[1].removesuffix(".xlsx")
        pairs = _records(cells, file_name, "pairs")
        if REGISTRY[code].does_mentoring:
            assert 15 <= len(pairs) <= 40, file_name
        else:
            assert pairs == []
        has_mispe = bool(_records(cells, file_name, "mispe_questionnaires"))
        assert has_mispe is REGISTRY[code].does_residential_care, file_name


def _youth(row: dict[str, object]) -> tuple:
    return row["Nom du bénéficiaire"], row["Prénom du bénéficiaire"], row["Date de naissance"]


def test_pairs_carry_over_and_progress_from_month_to_month(demo):
    _, manifest, cells = demo
    waiting, ongoing = referentiel.list_labels("status")[:2]
    ended = set(referentiel.list_labels("status")[2:])
    transitions: Counter[tuple[str, str]] = Counter()
    duplicated = {  # a planted duplicate id names two different youth
        tuple(d.file.removesuffix(".xlsx").split("/")): _cell(
            cells, d.file, d.sheet, d.excel_row, d.column_header
        )
        for d in manifest.row_defects
        if d.kind == "duplicate_pair_id"
    }
    new_pairs = 0
    for code in ("envol-mentorat", "passerelles-jeunes", "cap-avenir"):
        for before, after in zip(DEMO_PERIODS, DEMO_PERIODS[1:], strict=False):
            previous = {
                r["Identifiant binôme"]: r
                for r in _records(cells, f"{before}/{code}.xlsx", "pairs")
            }
            current = {
                r["Identifiant binôme"]: r for r in _records(cells, f"{after}/{code}.xlsx", "pairs")
            }
            assert len(set(previous) & set(current)) >= 10
            new_pairs += len(set(current) - set(previous))
            for pair_id in set(previous) & set(current):
                old, new = previous[pair_id], current[pair_id]
                if duplicated.get((after, code)) != pair_id:
                    assert _youth(old) == _youth(new), pair_id
                status_before = old["Statut du mentorat"]
                status_after = new["Statut du mentorat"]
                kind = "ended" if status_after in ended else status_after
                transitions[status_before, kind] += status_before != status_after
    assert new_pairs > 0
    assert transitions[waiting, ongoing] > 0
    assert transitions[ongoing, "ended"] > 0


def test_one_youth_is_followed_by_two_associations(demo):
    _, manifest, cells = demo
    assert len(manifest.shared_youth_pairs) == 2
    identities = set()
    for code, pair_id in manifest.shared_youth_pairs:
        (row,) = [
            r
            for r in _records(cells, f"2026-10/{code}.xlsx", "pairs")
            if r["Identifiant binôme"] == pair_id
        ]
        identities.add(_youth(row))
    assert len(identities) == 1


def test_residential_youth_answer_t0_then_t1_with_some_nsp(demo):
    _, _, cells = demo
    rows = _records(cells, "2026-10/les-tilleuls.xlsx", "mispe_questionnaires")
    waves: dict[tuple, set[str]] = {}
    for row in rows:
        youth = (
            row["Nom du bénéficiaire"],
            row["Prénom du bénéficiaire"],
            row["Date de naissance"],
        )
        waves.setdefault(youth, set()).add(row["Vague"])
    t0, t1 = referentiel.list_labels("wave")[:2]
    assert any(found == {t0, t1} for found in waves.values())
    answers = [row[f"Q{i:02d}"] for row in rows for i in range(1, 19)]
    assert "NSP" in answers
    assert {a for a in answers if a != "NSP" and a is not None} <= {1, 2, 3, 4}


def test_activities_are_dated_in_their_month_except_the_planted_one(demo):
    _, manifest, cells = demo
    planted = {(d.file, d.excel_row) for d in manifest.row_defects if d.sheet == "Activités"}
    assert planted
    for file_name in cells:
        period = file_name.split("/")[0]
        if file_name in {d.file for d in manifest.file_defects}:
            continue
        start, end = period_bounds(period)
        for excel_row, row in enumerate(_records(cells, file_name, "activities"), start=2):
            inside = start <= parse_date_cell(row["Date"]) <= end
            assert inside is ((file_name, excel_row) not in planted), (file_name, excel_row)


def _is_defect(kind: str, value: object, row: dict[str, object], column: list, period: str) -> bool:
    """Whether a cell really shows the defect of the given kind."""
    start, end = period_bounds(period)
    if kind == "closed_without_end_date":
        return value is None and row["Statut du mentorat"] == referentiel.list_labels("status")[2]
    if kind == "unknown_list_value":
        return value not in referentiel.list_labels("territory")
    if kind == "unreadable_date":
        with pytest.raises(ValueError):
            parse_date_cell(value)
        return isinstance(value, str)
    if kind == "negative_amount":
        return value < 0
    if kind == "duplicate_pair_id":
        return column.count(value) == 2
    if kind == "date_outside_month":
        return isinstance(value, datetime) and not start <= value.date() <= end
    if kind == "score_out_of_range":
        return value not in (1, 2, 3, 4, "NSP", None)
    if kind == "age_outside_mispe_scope":
        answered = row["Date de passation"].date()
        born = value.date()
        age = answered.year - born.year - ((answered.month, answered.day) < (born.month, born.day))
        return 11 <= age <= 21 and not 13 <= age <= 18
    raise AssertionError(kind)


def test_manifest_points_at_cells_that_hold_the_defect(demo):
    _, manifest, cells = demo
    kinds = Counter(defect.kind for defect in manifest.row_defects)
    assert len(kinds) >= 8 and kinds["duplicate_pair_id"] == 2
    assert len({d.file for d in manifest.row_defects}) >= 6
    for defect in manifest.row_defects:
        rows = cells[defect.file][defect.sheet]
        if defect.kind == "unknown_column":
            known = {
                c.header_fr for s in READ_DATA_SHEETS for c in referentiel.columns(s.sheet_code)
            }
            assert defect.excel_row == 1 and defect.column_header in rows[0]
            assert defect.column_header not in known and defect.severity == "alerte"
            continue
        value = _cell(cells, defect.file, defect.sheet, defect.excel_row, defect.column_header)
        row = dict(zip(rows[0], rows[defect.excel_row - 1], strict=True))
        column = [r[rows[0].index(defect.column_header)] for r in rows[1:]]
        period = defect.file.split("/")[0]
        assert _is_defect(defect.kind, value, row, column, period), defect


def test_tolerated_cells_are_text_dates_and_loosely_typed_labels(demo):
    _, manifest, cells = demo
    kinds = {cell.kind for cell in manifest.tolerated_cells}
    assert kinds == {"text_date_dd_mm_yyyy", "text_date_iso", "label_case_and_spaces"}
    for note in manifest.tolerated_cells:
        value = _cell(cells, note.file, note.sheet, note.excel_row, note.column_header)
        assert isinstance(value, str)
        if note.kind == "text_date_dd_mm_yyyy":
            assert re.fullmatch(r"\d{2}/\d{2}/\d{4}", value)
            assert isinstance(parse_date_cell(value), date)
        elif note.kind == "text_date_iso":
            assert parse_date_cell(value) == date.fromisoformat(value)
        else:
            labels = referentiel.label_lookup("questionnaire_answer")
            assert value not in labels.values() and referentiel.match_key(value) in labels


def test_file_level_defect_is_last_months_file_dropped_again(demo):
    _, manifest, cells = demo
    (defect,) = manifest.file_defects
    assert defect.file == "2026-10/horizons-partages.xlsx"
    previous = cells["2026-09/horizons-partages.xlsx"]
    assert cells[defect.file]["Paramètres figés"][2][1] == "2026-09"
    assert cells[defect.file]["Données"] == previous["Données"]


def _validate(raw_dir: Path, path: Path):
    """Read, check and validate one demo file as the pipeline does; FileLevelError propagates."""
    period, code = parse_submission_path(raw_dir, path)
    display_name = path.relative_to(raw_dir).as_posix()
    workbook = read_workbook(path, display_name)
    check_identity(workbook.identity, period, code, display_name)
    return validate_workbook(workbook, FileContext(display_name, period, code))


def test_validation_finds_exactly_the_planted_defects(demo):
    raw_dir, manifest, _ = demo
    found: dict[str, set[tuple[str, str, int]]] = {"erreur": set(), "alerte": set()}
    refused = set()
    for path in sorted(raw_dir.glob("*/*.xlsx")):
        try:
            validated = _validate(raw_dir, path)
        except FileLevelError:
            refused.add(path.relative_to(raw_dir).as_posix())
            continue
        for sheet in validated.values():
            for finding in sheet.findings.itertuples():
                file_name = path.relative_to(raw_dir).as_posix()
                found[finding.severity].add((file_name, finding.sheet, finding.excel_row))
    assert refused == {defect.file for defect in manifest.file_defects}
    for severity, positions in found.items():
        planted = {
            (d.file, d.sheet, d.excel_row) for d in manifest.row_defects if d.severity == severity
        }
        assert positions == planted, severity
