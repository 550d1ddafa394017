"""Sensor, build sensor and monthly schedule, evaluated against the project's real instance."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import dagster as dg
import duckdb
import pytest

from ase_impact.core import referentiel
from ase_impact.core.settings import load_settings
from ase_impact.warehouse import connection
from orchestration.assets.ingestion import ACCEPTANCE_CHECK, SUBMISSIONS_KEY, raw_table_key
from orchestration.instance import project_instance
from orchestration.jobs import INGESTION_JOB, pipeline_run_config
from orchestration.partitions import (
    ASSOCIATION,
    PARTITION_RANGE_END_TAG,
    PARTITION_RANGE_START_TAG,
    range_tags,
    submission_partitions,
)
from orchestration.partitions import submission_partition_key as key
from orchestration.resources import PipelineSettings
from orchestration.schedules import RELANCE_TAG, monthly_schedule
from orchestration.sensors import build_after_ingestion_sensor, raw_files_sensor
from tests.integration.sample_rows import write_submission

PARIS = ZoneInfo("Europe/Paris")
PAIRS_KEY = raw_table_key(referentiel.sheet("pairs"))


@pytest.fixture
def instance():
    project = project_instance(load_settings().dagster_home)
    yield project
    project.dispose()


def _resources(settings) -> dict:
    return {
        "pipeline": PipelineSettings(
            raw_dir=str(settings.raw_dir), warehouse=str(settings.warehouse)
        )
    }


def _evaluate_files_sensor(instance, settings, cursor=None) -> dg.SensorResult:
    context = dg.build_sensor_context(
        instance=instance, resources=_resources(settings), cursor=cursor
    )
    return raw_files_sensor(context)


def _ingest(instance, settings, period, code):
    return _execute_ingestion(
        instance, settings, range_tags(dg.PartitionKeyRange(*[str(key(period, code))] * 2))
    )


def _execute_ingestion(instance, settings, tags):
    from orchestration.definitions import defs

    return defs.resolve_job_def(INGESTION_JOB).execute_in_process(
        run_config=pipeline_run_config(settings.raw_dir, settings.warehouse),
        instance=instance,
        tags=tags,
        raise_on_error=False,
    )


def _requested_range(request: dg.RunRequest) -> tuple[str, str]:
    return request.tags[PARTITION_RANGE_START_TAG], request.tags[PARTITION_RANGE_END_TAG]


def test_the_files_sensor_requests_new_and_changed_files_in_one_run(instance):
    settings = load_settings()
    write_submission(settings.raw_dir, "2026-10", "cap-avenir")
    write_submission(settings.raw_dir, "2026-10", "envol-mentorat")

    first = _evaluate_files_sensor(instance, settings)
    [both] = first.run_requests
    assert _requested_range(both) == (
        str(key("2026-10", "cap-avenir")),
        str(key("2026-10", "envol-mentorat")),
    )
    assert first.dynamic_partitions_requests[0].partition_keys == ["cap-avenir", "envol-mentorat"]
    # While that run waits in the queue, the next evaluation requests nothing again.
    assert _evaluate_files_sensor(instance, settings, first.cursor).run_requests == []

    instance.add_dynamic_partitions(ASSOCIATION, ["cap-avenir", "envol-mentorat"])
    _ingest(instance, settings, "2026-10", "cap-avenir")
    second = _evaluate_files_sensor(instance, settings)  # a sensor without a cursor
    [envol] = second.run_requests
    assert _requested_range(envol) == (str(key("2026-10", "envol-mentorat")),) * 2
    assert envol.run_key != both.run_key

    write_submission(settings.raw_dir, "2026-10", "cap-avenir", pairs=5)  # a corrected file
    third = _evaluate_files_sensor(instance, settings, first.cursor)
    [corrected] = third.run_requests
    assert _requested_range(corrected) == (str(key("2026-10", "cap-avenir")),) * 2


def test_the_files_sensor_records_the_files_that_name_no_partition(instance):
    # No run can be asked for them: on a server where only the daemon runs, the sensor is
    # what says they came (FIC-003 for a name, FIC-017 for an unregistered association).
    settings = load_settings()
    misnamed = write_submission(settings.raw_dir, "2026-11", "cap-avenir")
    misnamed.rename(misnamed.with_name("Cap Avenir.xlsx"))
    write_submission(settings.raw_dir, "2026-11", "inconnue")

    first = _evaluate_files_sensor(instance, settings)

    assert first.run_requests == []
    with connection.connect(settings.warehouse, read_only=True) as conn:
        refused = conn.execute(
            "SELECT file_name, error_code FROM quality.file_errors ORDER BY 1"
        ).fetchall()
    assert refused == [("2026-11/Cap Avenir.xlsx", "FIC-003"), ("2026-11/inconnue.xlsx", "FIC-017")]
    # Recorded once: the next evaluations leave them be.
    again = _evaluate_files_sensor(instance, settings, first.cursor)
    assert again.cursor == first.cursor
    with connection.connect(settings.warehouse, read_only=True) as conn:
        assert conn.execute("SELECT count(*) FROM quality.file_errors").fetchone()[0] == 2


def test_one_run_ingests_a_range_and_a_refused_file_fails_only_its_partition_check(instance):
    settings = load_settings()
    write_submission(settings.raw_dir, "2026-10", "cap-avenir", pairs=2)
    (settings.raw_dir / "2026-10" / "envol-mentorat.xlsx").write_bytes(b"not a workbook")
    write_submission(settings.raw_dir, "2026-10", "passerelles-jeunes", pairs=3)
    codes = ["cap-avenir", "envol-mentorat", "passerelles-jeunes"]
    instance.add_dynamic_partitions(ASSOCIATION, codes)
    partitions = [str(key("2026-10", code)) for code in codes]

    result = _execute_ingestion(
        instance, settings, range_tags(dg.PartitionKeyRange(partitions[0], partitions[-1]))
    )

    # A refused file is a data outcome: the run succeeds, the file's check fails in French.
    assert result.success
    acceptance = {
        evaluation.partition: evaluation
        for evaluation in result.get_asset_check_evaluations()
        if evaluation.check_name == ACCEPTANCE_CHECK
    }
    assert [acceptance[partition].passed for partition in partitions] == [True, False, True]
    refused = acceptance[partitions[1]]
    assert refused.severity == dg.AssetCheckSeverity.ERROR
    assert "envol-mentorat.xlsx" in refused.description
    assert refused.description == f"Fichier refusé : {refused.metadata['motif'].value}"
    # Its raw tables keep what was in force (nothing); quality.submissions records the refusal.
    status = instance.get_status_by_partition(PAIRS_KEY, partitions, submission_partitions)
    assert status == {
        partitions[0]: dg.AssetPartitionStatus.MATERIALIZED,
        partitions[1]: None,  # never loaded, and not failed: the refusal is in its check
        partitions[2]: dg.AssetPartitionStatus.MATERIALIZED,
    }
    submissions = instance.get_status_by_partition(
        SUBMISSIONS_KEY, partitions, submission_partitions
    )
    assert set(submissions.values()) == {dg.AssetPartitionStatus.MATERIALIZED}
    counts = {
        record.partition_key: record.asset_materialization.metadata["lignes_recues"].value
        for record in instance.fetch_materializations(PAIRS_KEY, limit=10).records
    }
    # Per partition, its own file's rows: 2 + 1 closed pair, 3 + 1 closed pair.
    assert counts == {partitions[0]: 3, partitions[2]: 4}
    [check] = [
        evaluation
        for evaluation in result.get_asset_check_evaluations()
        if evaluation.check_name == "contrat_pairs"
    ]
    assert check.metadata["fichiers"].value == 2
    assert check.metadata["lignes_recues"].value == 7


def test_the_build_waits_for_ingestion_and_runs_once_per_batch(instance):
    settings = load_settings()
    context = dg.build_sensor_context(instance=instance)
    assert isinstance(build_after_ingestion_sensor(context), dg.SkipReason)

    for code in ("cap-avenir", "envol-mentorat"):
        write_submission(settings.raw_dir, "2026-10", code)
    instance.add_dynamic_partitions(ASSOCIATION, ["cap-avenir", "envol-mentorat"])
    for code in ("cap-avenir", "envol-mentorat"):
        _ingest(instance, settings, "2026-10", code)

    result = build_after_ingestion_sensor(dg.build_sensor_context(instance=instance))
    assert len(result.run_requests) == 1
    again = build_after_ingestion_sensor(
        dg.build_sensor_context(instance=instance, cursor=result.cursor)
    )
    assert isinstance(again, dg.SkipReason)


def test_the_monthly_schedule_ingests_last_month_and_lists_who_must_be_chased(instance):
    settings = load_settings()
    write_submission(settings.raw_dir, "2026-10", "cap-avenir")
    write_submission(settings.raw_dir, "2026-09", "envol-mentorat")  # another month
    context = dg.build_schedule_context(
        instance=instance,
        scheduled_execution_time=datetime(2026, 11, 10, 6, 0, tzinfo=PARIS),
        resources=_resources(settings),
    )
    # The published marts say who is expected in October, and whose file is in force: the
    # schedule reads them there. deja-en-vigueur's file was accepted, then removed from raw/;
    # refusee's only file was refused (nothing in force): to send again.
    registry = [
        ("cap-avenir", True, date(2026, 1, 1), None),
        ("envol-mentorat", True, date(2026, 10, 1), None),
        ("grandir-ensemble", True, date(2026, 1, 1), None),
        ("deja-en-vigueur", True, date(2026, 1, 1), None),
        ("refusee", True, date(2026, 1, 1), None),
        ("partie-en-septembre", True, date(2026, 1, 1), date(2026, 9, 1)),
        ("arrive-en-novembre", True, date(2026, 11, 1), None),
        ("hors-registre", False, None, None),
    ]
    october = date(2026, 10, 1)
    in_force = [(october, "deja-en-vigueur", 1), (october, "refusee", None)]
    _publish_registry(settings.published_warehouse, registry, in_force)
    relance = "envol-mentorat, grandir-ensemble, refusee"

    [request] = monthly_schedule(context)
    assert _requested_range(request) == (str(key("2026-10", "cap-avenir")),) * 2
    assert request.tags[RELANCE_TAG] == relance

    _ingest(instance, settings, "2026-10", "cap-avenir")
    # Published again by the build that follows: cap-avenir's file is in force.
    _publish_registry(
        settings.published_warehouse, registry, [*in_force, (october, "cap-avenir", 1)]
    )
    skipped = monthly_schedule(context)
    assert isinstance(skipped, dg.SkipReason) and relance in skipped.skip_message


def test_without_a_published_copy_the_schedule_says_who_to_chase_is_unknown(instance):
    settings = load_settings()
    write_submission(settings.raw_dir, "2026-10", "cap-avenir")
    context = dg.build_schedule_context(
        instance=instance,
        scheduled_execution_time=datetime(2026, 11, 10, 6, 0, tzinfo=PARIS),
        resources=_resources(settings),
    )
    [request] = monthly_schedule(context)
    assert request.tags[RELANCE_TAG].startswith("inconnue")


def _publish_registry(path, associations, in_force=()):
    """A published copy holding only marts.dim_association's expected months, and the
    (period, association, version in force) of marts.mart_submissions."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(path)) as conn:
        conn.execute("create schema if not exists marts")
        conn.execute(
            "create or replace table marts.dim_association (association_code varchar, "
            "is_registered boolean, first_expected_period date, last_expected_period date)"
        )
        conn.executemany("insert into marts.dim_association values (?, ?, ?, ?)", associations)
        conn.execute(
            "create or replace table marts.mart_submissions (period date, "
            "association_code varchar, version_in_force integer)"
        )
        if in_force:
            conn.executemany("insert into marts.mart_submissions values (?, ?, ?)", in_force)


def test_the_schedule_runs_on_the_tenth_at_six_paris_time():
    assert monthly_schedule.cron_schedule == "0 6 10 * *"
    assert monthly_schedule.execution_timezone == "Europe/Paris"


def _execute_build(instance, settings):
    from orchestration.definitions import defs
    from orchestration.jobs import BUILD_JOB

    request = build_after_ingestion_sensor(dg.build_sensor_context(instance=instance))
    assert len(request.run_requests) == 1
    result = defs.resolve_job_def(BUILD_JOB).execute_in_process(
        run_config=pipeline_run_config(settings.raw_dir, settings.warehouse), instance=instance
    )
    assert result.success


def _ingest_what_the_sensor_requests(instance, settings) -> list[tuple[str, str]]:
    result = _evaluate_files_sensor(instance, settings)
    for request in result.dynamic_partitions_requests:
        instance.add_dynamic_partitions(ASSOCIATION, list(request.partition_keys))
    for request in result.run_requests:
        assert _execute_ingestion(instance, settings, request.tags).success
    return [_requested_range(request) for request in result.run_requests]


def _synthesis_figure(path, label: str):
    import openpyxl

    sheet = openpyxl.load_workbook(path, read_only=True)["Synthèse des résultats"]
    for row in sheet.iter_rows(values_only=True):
        if label in row:
            return next(v for v in row[row.index(label) + 1 :] if isinstance(v, int | float))
    raise AssertionError(f"{label} absent de la synthèse")


# October's own figure: the marts hold every grain, and every month from the first activity;
# an expected association that sent nothing has a row with no value (not 0), left out here.
OCTOBER_PAIRS_ACTIVE = (
    "indicator_code = 'pairs_active' and breakdown = 'total' and value is not null "
    "and period_grain = 'month' and period = date '2026-10-01'"
)


@pytest.mark.slow
def test_a_corrected_file_picked_up_by_the_sensor_updates_only_its_partition(instance):
    import duckdb

    settings = load_settings()
    write_submission(settings.raw_dir, "2026-10", "cap-avenir", pairs=3)
    write_submission(settings.raw_dir, "2026-10", "envol-mentorat", pairs=3)
    assert _ingest_what_the_sensor_requests(instance, settings) == [
        (str(key("2026-10", "cap-avenir")), str(key("2026-10", "envol-mentorat")))
    ]
    _execute_build(instance, settings)

    def state():
        with duckdb.connect(str(settings.published_warehouse), read_only=True) as conn:
            submissions = dict(
                conn.execute(
                    "select association_code, version from marts.mart_submissions "
                    "where status <> 'missing'"
                ).fetchall()
            )
            pairs_active = dict(
                conn.execute(
                    "select coalesce(association_code, 'departement'), value "
                    f"from marts.fct_indicators where {OCTOBER_PAIRS_ACTIVE}"
                ).fetchall()
            )
        with duckdb.connect(str(settings.warehouse), read_only=True) as conn:
            envol_rows = conn.execute(
                "select * exclude (has_alerts) from raw.pairs "
                "where association_code = 'envol-mentorat' order by excel_row"
            ).fetchall()
        workbook = settings.outputs_dir / "2026-10" / "tableau_de_pilotage_consolide.xlsx"
        return submissions, pairs_active, envol_rows, _synthesis_figure(workbook, "Binômes actifs")

    before = state()
    # 3 ongoing pairs + 1 pair closed in the month, per association.
    assert before[0] == {"cap-avenir": 1, "envol-mentorat": 1}
    assert before[1] == {"cap-avenir": 4, "envol-mentorat": 4, "departement": 8}
    assert before[3] == 8

    write_submission(settings.raw_dir, "2026-10", "cap-avenir", pairs=5)  # the correction
    # An analyst keeps the published snapshot open, read-only, while the runs write.
    with duckdb.connect(str(settings.published_warehouse), read_only=True) as analyst:
        assert _ingest_what_the_sensor_requests(instance, settings) == [
            (str(key("2026-10", "cap-avenir")),) * 2
        ]
        _execute_build(instance, settings)
        still_seen = analyst.execute(
            f"select value from marts.fct_indicators where {OCTOBER_PAIRS_ACTIVE} "
            "and scope = 'departement'"
        ).fetchone()
    assert still_seen == (8,)  # the month they opened, whole, until they reconnect

    after = state()
    assert after[0] == {"cap-avenir": 2, "envol-mentorat": 1}
    assert after[1] == {"cap-avenir": 6, "envol-mentorat": 4, "departement": 10}
    assert after[2] == before[2]  # the other partition's rows are untouched
    assert after[3] == 10


@pytest.fixture
def bug_on_cap_avenir(monkeypatch):
    """October files of cap-avenir and envol-mentorat; reading cap-avenir's meets a bug."""
    from ase_impact.intake import check

    settings = load_settings()
    for code in ("cap-avenir", "envol-mentorat"):
        write_submission(settings.raw_dir, "2026-10", code)
    validate = check.validate_workbook

    def failing_on_cap_avenir(workbook, context):
        if context.association_code == "cap-avenir":
            raise KeyError("colonne inattendue")
        return validate(workbook, context)

    monkeypatch.setattr(check, "validate_workbook", failing_on_cap_avenir)
    return settings


def test_a_bug_on_one_file_fails_its_partition_and_the_others_still_load(
    instance, bug_on_cap_avenir
):
    settings = bug_on_cap_avenir
    instance.add_dynamic_partitions(ASSOCIATION, ["cap-avenir", "envol-mentorat"])
    partitions = [str(key("2026-10", code)) for code in ("cap-avenir", "envol-mentorat")]
    result = _execute_ingestion(
        instance, settings, range_tags(dg.PartitionKeyRange(partitions[0], partitions[-1]))
    )

    assert not result.success
    failure = next(event for event in result.all_events if event.is_step_failure)
    message = failure.step_failure_data.user_failure_data.description
    assert "2026-10/cap-avenir : KeyError" in message and "envol-mentorat" not in message
    assert instance.get_status_by_partition(PAIRS_KEY, partitions, submission_partitions) == {
        partitions[0]: dg.AssetPartitionStatus.FAILED,
        partitions[1]: dg.AssetPartitionStatus.MATERIALIZED,
    }


def test_a_run_counts_the_files_it_integrated_not_those_it_planned(bug_on_cap_avenir, monkeypatch):
    # A bug on cap-avenir's file keeps it out: the run names it among its technical failures
    # and counts one file integrated, not two. (The build, beside the point, is not run.)
    from ase_impact.cli.run_summary import RunOutcome
    from orchestration import runner

    monkeypatch.setattr(runner, "_build", lambda *_: RunOutcome([], [], [], [], True))

    outcome = runner.run_pipeline(bug_on_cap_avenir, progress=lambda _: None)

    assert outcome.ingested == [("2026-10", "envol-mentorat")]
    [failure] = outcome.technical_failures
    assert "2026-10/cap-avenir : KeyError" in failure
