"""Each file's report says how long each phase of its ingestion took."""

from __future__ import annotations

import time

import pytest

from ase_impact.core import vocabulary
from ase_impact.core.settings import load_settings
from ase_impact.intake.ingestion import PHASES, ingest_file
from ase_impact.intake.pseudonymise import KEY_ENV_VAR
from ase_impact.warehouse import connection, schema
from tests.integration.sample_rows import write_submission
from tests.workbook_factory import write_workbook

KEY = "cle-de-test-chronometrage-0123456789abcdef"


@pytest.fixture
def settings(monkeypatch):
    monkeypatch.setenv(KEY_ENV_VAR, KEY)
    return load_settings()


def _timed_ingestion(path, settings):
    """The file's report, and the time its ingestion took as measured from outside."""
    with connection.locked_connection(settings.warehouse) as conn:
        schema.ensure_schema(conn)
        start = time.perf_counter()
        report = ingest_file(path, settings, conn)
        return report, time.perf_counter() - start


def test_a_loaded_file_reports_every_phase_within_its_ingestion_time(settings):
    path = write_submission(settings.raw_dir, "2026-10", "cap-avenir")

    report, total = _timed_ingestion(path, settings)

    assert report.status == vocabulary.ACCEPTED
    assert set(report.seconds_by_phase) == set(PHASES)
    assert all(seconds >= 0 for seconds in report.seconds_by_phase.values())
    assert sum(report.seconds_by_phase.values()) <= total


def test_a_refused_file_reports_the_phases_it_went_through(settings):
    # « Paramètres figés » declares another month than the folder's: refused while reading.
    path = write_workbook(
        settings.raw_dir / "2026-10" / "cap-avenir.xlsx",
        association_code="cap-avenir",
        period="2026-09",
    )

    report, total = _timed_ingestion(path, settings)

    assert report.status == vocabulary.REJECTED
    assert set(report.seconds_by_phase) == {"archive", "read", "load"}
    assert all(seconds >= 0 for seconds in report.seconds_by_phase.values())
    assert sum(report.seconds_by_phase.values()) <= total
