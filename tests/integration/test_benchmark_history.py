"""The benchmark's months carry the same pairs over, as a real association's files do: ingested
month after month, they raise none of the référentiel's month-to-month queries, so a
multi-month workload measures the pipeline, not a flood of « à vérifier » rows."""

import shutil
from datetime import datetime

from ase_impact.core.settings import PATH_SETTINGS, load_settings
from ase_impact.intake.ingestion import ingest_file
from ase_impact.intake.pseudonymise import KEY_ENV_VAR
from ase_impact.warehouse import connection, schema
from benchmarks.workloads import Workload, generate, write_registry
from tests.integration.conftest import TEST_KEY

TWO_MONTHS = Workload("two-months", 1, ("2026-09", "2026-10"), 120, 20, 20)
MONTH_TO_MONTH_PAIR_QUERIES = ("DON-055", "DON-056", "DON-057", "DON-058")


def test_a_pair_keeps_its_youth_and_match_date_from_one_month_to_the_next(tmp_path, monkeypatch):
    generated = generate(TWO_MONTHS, 7, cache_dir=tmp_path / "cache", workers=1)
    registry = write_registry(TWO_MONTHS, tmp_path / "registry.csv")
    monkeypatch.setenv(PATH_SETTINGS["registry"][0], str(registry))
    monkeypatch.setenv(KEY_ENV_VAR, TEST_KEY)
    settings = load_settings()
    with connection.connect(settings.warehouse) as conn:
        schema.ensure_schema(conn)
        reports = []
        for file in sorted(generated.files, key=lambda file: file.file_name):
            received = settings.raw_dir / file.file_name
            received.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(generated.path(file), received)
            reports.append(ingest_file(received, settings, conn, datetime(2026, 11, 3)))
    october = reports[1]
    assert october.rows_accepted > 100, october.status
    fired = set(october.findings["rule_code"]) if not october.findings.empty else set()
    assert fired.isdisjoint(MONTH_TO_MONTH_PAIR_QUERIES), fired
