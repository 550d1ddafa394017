"""The benchmark generator: deterministic files, valid rows, and exactly the planted rejections."""

import pandas as pd
import pytest

from ase_impact.intake.validate import FileContext, validate_workbook
from ase_impact.intake.workbook import read_workbook
from benchmarks.workloads import WORKLOADS, corrected_file, draft_file, generate

# The benchmark's smallest workload: 2 associations × 1 month × 200 pairs.
TINY = WORKLOADS["S"]
SEED = 7


def _validated(path, file_name):
    period, code = file_name.removesuffix(".xlsx").split("/")
    workbook = read_workbook(path, file_name)
    return validate_workbook(workbook, FileContext(file_name, period, code))


def _errors(validated) -> set[tuple[str, int]]:
    return {
        (sheet_code, int(row))
        for sheet_code, sheet in validated.items()
        for row in sheet.findings.loc[sheet.findings["severity"] == "erreur", "excel_row"]
    }


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return generate(TINY, SEED, cache_dir=tmp_path_factory.mktemp("cache"), workers=1)


def test_the_same_seed_draws_the_same_files(tiny, tmp_path):
    again = generate(TINY, SEED, cache_dir=tmp_path, workers=1)

    assert again.files == tiny.files
    for generated in tiny.files:
        first = read_workbook(tiny.path(generated), generated.file_name)
        second = read_workbook(again.path(generated), generated.file_name)
        assert first.identity == second.identity
        for sheet_code, rows in first.sheets.items():
            pd.testing.assert_frame_equal(rows.frame, second.sheets[sheet_code].frame)


def test_another_seed_draws_other_rows():
    assert (
        draft_file(TINY, SEED, "2026-10", "bench-001").rows
        != draft_file(TINY, SEED + 1, "2026-10", "bench-001").rows
    )


def test_about_one_percent_of_rows_are_rejected(tiny):
    assert tiny.row_count == sum(generated.row_count for generated in tiny.files) > 600
    assert 0.005 <= tiny.rejected_rows / tiny.row_count <= 0.015


def test_the_pipeline_rejects_exactly_the_planted_rows_and_flags_nothing(tiny):
    for generated in tiny.files:
        validated = _validated(tiny.path(generated), generated.file_name)

        planted = {(defect.sheet_code, defect.excel_row) for defect in generated.defects}
        assert _errors(validated) == planted
        assert all(not sheet.accepted["has_alerts"].any() for sheet in validated.values())
        assert {
            sheet_code: sheet.rows_received for sheet_code, sheet in validated.items()
        } == generated.rows


def test_the_corrected_file_has_the_same_rows_and_no_rejection(tiny):
    generated = tiny.files[0]
    period, code = generated.file_name.removesuffix(".xlsx").split("/")

    validated = _validated(corrected_file(tiny, period, code), generated.file_name)

    assert _errors(validated) == set()
    assert {
        sheet_code: sheet.rows_received for sheet_code, sheet in validated.items()
    } == generated.rows


def test_a_cached_workload_is_not_written_again(tiny):
    path = tiny.path(tiny.files[0])
    written_at = path.stat().st_mtime_ns

    cached = generate(TINY, SEED, cache_dir=tiny.root.parent, workers=1)

    assert cached.files == tiny.files
    assert path.stat().st_mtime_ns == written_at
