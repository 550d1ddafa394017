"""The ingestion asset under real `dagster.materialize`: partitions, contract checks, failures."""

from __future__ import annotations

import logging
from datetime import date

import dagster as dg
import duckdb
import pytest

from ase_impact.core.settings import load_settings
from orchestration.assets.ingestion import (
    ACCEPTANCE_CHECK,
    FEEDBACK_METADATA_KEY,
    PHASE_METADATA_KEYS,
    SUBMISSIONS_KEY,
    WORKERS_METADATA_KEY,
    ingest_workbook,
    workbook,
)
from orchestration.instance import project_instance
from orchestration.partitions import register_associations, submission_partition_key
from orchestration.resources import PipelineSettings
from tests.hostile_files import garbage_rows
from tests.integration.sample_rows import pair_row, write_submission
from tests.integration.test_pii import SECRETS, assert_no_pii
from tests.workbook_factory import write_workbook


@pytest.fixture
def instance():
    """The project's own instance configuration (dagster.yaml), in this test's DAGSTER_HOME."""
    project = project_instance(load_settings().dagster_home)
    yield project
    project.dispose()


def _materialize(instance, settings, period, code):
    register_associations(instance, {code})
    return dg.materialize(
        [workbook, ingest_workbook],
        partition_key=submission_partition_key(period, code),
        instance=instance,
        resources={
            "pipeline": PipelineSettings(
                raw_dir=str(settings.raw_dir), warehouse=str(settings.warehouse)
            )
        },
        raise_on_error=False,
    )


def _check_results(result) -> dict[str, dg.AssetCheckEvaluation]:
    return {
        event.asset_check_evaluation_data.check_name: event.asset_check_evaluation_data
        for event in result.all_events
        if event.event_type == dg.DagsterEventType.ASSET_CHECK_EVALUATION
    }


def test_a_partition_loads_its_rows_and_reports_each_sheet_contract(instance):
    settings = load_settings()
    write_submission(
        settings.raw_dir,
        "2026-10",
        "cap-avenir",
        pairs=3,
        extra_pairs=[pair_row("B-050", "Nomerr", "Prenomerr", date(2010, 2, 2), Territoire="Lune")],
    )
    result = _materialize(instance, settings, "2026-10", "cap-avenir")

    assert result.success
    checks = _check_results(result)
    assert set(checks) == {
        "contrat_pairs",
        "contrat_end_questionnaires",
        "contrat_mispe_questionnaires",
        "contrat_resources",
        "contrat_activities",
        ACCEPTANCE_CHECK,
    }
    assert checks[ACCEPTANCE_CHECK].passed  # rows were rejected, the file is accepted
    pairs_check = checks["contrat_pairs"]
    assert not pairs_check.passed
    assert pairs_check.metadata["lignes_recues"].value == 5
    assert pairs_check.metadata["lignes_rejetees"].value == 1
    first = pairs_check.metadata["premieres_anomalies"].value.records[0].data
    assert first["ligne"] == 6 and first["colonne"] == "Territoire"
    assert first["valeur"] == "Lune" and "Territoire" in first["message"]
    # The check's history names the month, the files and the rule, row by row.
    assert pairs_check.description.startswith("2026-10 · 1 fichier (cap-avenir)")
    assert "1 ligne(s) rejetée(s) sur 5 reçue(s)" in pairs_check.description
    assert f"`{first['regle']}` ×1" in pairs_check.description
    assert pairs_check.metadata["mois"].value == "2026-10"
    [file_line] = pairs_check.metadata["par_fichier"].value.records
    assert file_line.data["association"] == "cap-avenir" and file_line.data["rejetees"] == 1
    assert checks["contrat_resources"].passed
    with duckdb.connect(str(settings.warehouse), read_only=True) as conn:
        assert conn.execute("select count(*) from raw.pairs").fetchone()[0] == 4


def test_the_submission_materialization_says_where_the_file_time_went(instance):
    settings = load_settings()
    write_submission(settings.raw_dir, "2026-10", "cap-avenir")

    result = _materialize(instance, settings, "2026-10", "cap-avenir")

    assert result.success
    [record] = instance.fetch_materializations(SUBMISSIONS_KEY, limit=10).records
    metadata = record.asset_materialization.metadata
    durations = [*PHASE_METADATA_KEYS.values(), FEEDBACK_METADATA_KEY]
    assert all(metadata[key].value >= 0 for key in durations)
    assert metadata[WORKERS_METADATA_KEY].value == 1
    # The raw tables' materializations keep to their rows.
    pairs = instance.fetch_materializations(dg.AssetKey(["raw", "pairs"]), limit=10).records
    assert not set(durations) & set(pairs[0].asset_materialization.metadata)


def test_a_refused_file_fails_its_partition_check_with_the_french_reason(instance):
    settings = load_settings()
    write_workbook(
        settings.raw_dir / "2026-10" / "cap-avenir.xlsx",
        association_code="cap-avenir",
        period="2026-09",
    )

    result = _materialize(instance, settings, "2026-10", "cap-avenir")

    assert result.success  # a refused file is a data outcome, not a failed run
    check = _check_results(result)[ACCEPTANCE_CHECK]
    assert not check.passed and check.severity == dg.AssetCheckSeverity.ERROR
    assert check.partition == str(submission_partition_key("2026-10", "cap-avenir"))
    assert "2026-09" in check.description and "2026-10" in check.description
    assert check.metadata["statut"].value.startswith("Refusé")
    assert check.description.startswith("Fichier refusé : ")
    # The partition's own page (its materialization of quality/submissions) says why too.
    [record] = instance.fetch_materializations(SUBMISSIONS_KEY, limit=10).records
    materialization = record.asset_materialization
    assert materialization.partition == check.partition
    # The check targets that materialization: the UI counts it for the partition.
    assert check.target_materialization_data.storage_id == record.storage_id
    assert materialization.description == check.description
    assert materialization.metadata["motif"].value == check.metadata["motif"].value
    assert "2026-09" in materialization.metadata["motif"].value
    assert "Traceback" not in materialization.description


def test_no_name_or_birth_date_reaches_the_dagster_event_log(instance):
    settings = load_settings()
    write_submission(
        settings.raw_dir,
        "2026-10",
        "cap-avenir",
        extra_pairs=[
            pair_row("B-101", "Zorglubienne", "Quetzalix", date(2011, 7, 23)),
            # Rejected: its findings travel to the check metadata, masked.
            pair_row("B-104", "Kastafiore-Pélagie", "Ombrelune", date(1990, 3, 15)),
            pair_row("B-105", "Vrillançonne", "Quetzalix", "14/11/2009", Sexe="Martien"),
        ],
    )
    result = _materialize(instance, settings, "2026-10", "cap-avenir")
    assert result.success

    logs = instance.all_logs(result.run_id)
    serialized = "\n".join(dg.serialize_value(entry) for entry in logs)
    assert "B-104" in serialized  # the rejections are in the log, by pair id
    assert not SECRETS.found_in_bytes(serialized.encode())
    storage_files = [path for path in settings.dagster_home.rglob("*") if path.is_file()]
    assert_no_pii([*storage_files, settings.warehouse], SECRETS)


def test_the_contract_check_counts_every_finding_and_lists_the_first(instance):
    # 300 rows of garbage: each of the 11 required rules fails 300 times; 100 of each are kept,
    # 1,000 in all for the file.
    settings = load_settings()
    garbage_rows(settings.raw_dir, "2026-10", "cap-avenir", rows=300)
    result = _materialize(instance, settings, "2026-10", "cap-avenir")

    assert result.success
    pairs_check = _check_results(result)["contrat_pairs"]
    assert pairs_check.metadata["lignes_rejetees"].value == 300
    top = pairs_check.metadata["regles_les_plus_enfreintes"].value
    assert top.count(" : 300") == 5  # the five rules shown, each counted exactly
    assert pairs_check.metadata["anomalies_non_listees"].value == 11 * 300 - 1_000
    assert len(pairs_check.metadata["premieres_anomalies"].value.records) == 20


def test_a_partition_without_a_file_is_nothing_to_load_not_a_failure(instance):
    # A month selected whole in the UI holds associations that sent nothing: a data outcome
    # (the marts count their file as not received), never a failed run with a traceback.
    settings = load_settings()
    result = _materialize(instance, settings, "2026-10", "cap-avenir")
    assert result.success
    warnings = [
        event.message
        for event in instance.all_logs(result.run_id)
        if event.level == logging.WARNING and "Rien à intégrer" in (event.message or "")
    ]
    assert len(warnings) == 1
    assert (
        "Rien à intégrer pour 2026-10/cap-avenir : Aucun fichier pour l'association" in warnings[0]
    )
    assert not result.get_step_failure_events()
