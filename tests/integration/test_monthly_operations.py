"""Sensor, build sensor and monthly schedule, evaluated against the project's real instance."""

from datetime import datetime
from zoneinfo import ZoneInfo

import dagster as dg
import pytest

from orchestration.instance import project_instance
from orchestration.jobs import INGESTION_JOB, pipeline_run_config
from orchestration.partitions import ASSOCIATION, submission_partition_key
from orchestration.resources import PipelineSettings
from orchestration.schedules import RELANCE_TAG, expected_associations, monthly_schedule
from orchestration.sensors import build_after_ingestion_sensor, raw_files_sensor
from orchestration.settings import load_settings
from tests.integration.sample_rows import write_submission

PARIS = ZoneInfo("Europe/Paris")


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


def _evaluate_files_sensor(instance, settings) -> dg.SensorResult:
    context = dg.build_sensor_context(instance=instance, resources=_resources(settings))
    return raw_files_sensor(context)


def _ingest(instance, settings, period, code):
    from orchestration.definitions import defs

    return defs.resolve_job_def(INGESTION_JOB).execute_in_process(
        run_config=pipeline_run_config(settings.raw_dir, settings.warehouse),
        instance=instance,
        partition_key=submission_partition_key(period, code),
    )


def test_the_files_sensor_requests_new_and_changed_files_only(instance):
    settings = load_settings()
    write_submission(settings.raw_dir, "2026-10", "cap-avenir")
    write_submission(settings.raw_dir, "2026-10", "envol-mentorat")

    first = _evaluate_files_sensor(instance, settings)
    assert [request.partition_key for request in first.run_requests] == [
        submission_partition_key("2026-10", "cap-avenir"),
        submission_partition_key("2026-10", "envol-mentorat"),
    ]
    assert first.dynamic_partitions_requests[0].partition_keys == ["cap-avenir", "envol-mentorat"]

    instance.add_dynamic_partitions(ASSOCIATION, ["cap-avenir", "envol-mentorat"])
    _ingest(instance, settings, "2026-10", "cap-avenir")
    second = _evaluate_files_sensor(instance, settings)
    assert [request.partition_key for request in second.run_requests] == [
        submission_partition_key("2026-10", "envol-mentorat")
    ]
    assert second.run_requests[0].run_key == first.run_requests[1].run_key

    write_submission(settings.raw_dir, "2026-10", "cap-avenir", pairs=5)  # a corrected file
    third = _evaluate_files_sensor(instance, settings)
    corrected = [r for r in third.run_requests if "cap-avenir" in r.partition_key]
    assert len(corrected) == 1 and corrected[0].run_key != first.run_requests[0].run_key


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


def test_the_monthly_schedule_lists_who_must_be_chased(instance):
    settings = load_settings()
    write_submission(settings.raw_dir, "2026-10", "cap-avenir")
    write_submission(settings.raw_dir, "2026-09", "envol-mentorat")  # another month
    context = dg.build_schedule_context(
        instance=instance,
        scheduled_execution_time=datetime(2026, 11, 10, 6, 0, tzinfo=PARIS),
        resources=_resources(settings),
    )
    request = monthly_schedule(context)
    expected = expected_associations("2026-10")
    assert "cap-avenir" in expected and "envol-mentorat" in expected
    assert request.tags[RELANCE_TAG] == ", ".join(sorted(expected - {"cap-avenir"}))
    assert request.run_key == "mensuel-2026-10"


def test_the_schedule_runs_on_the_tenth_at_six_paris_time():
    assert monthly_schedule.cron_schedule == "0 6 10 * *"
    assert monthly_schedule.execution_timezone == "Europe/Paris"
