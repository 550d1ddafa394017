"""A run killed outright keeps its claim on the warehouse's pool slot: the next command gives it
back, and leaves alone the runs whose process still lives (orchestration/abandoned_runs.py)."""

from __future__ import annotations

import subprocess
import uuid

import dagster as dg

from orchestration.abandoned_runs import HOST_TAG, PID_TAG, owner_tags, release_abandoned_runs
from orchestration.instance import project_instance
from orchestration.resources import WAREHOUSE_POOL, PipelineSettings

DBT_STEP = "ase_impact_dbt_models"


def _dead_pid() -> int:
    finished = subprocess.Popen(["true"])
    finished.wait()
    return finished.pid


def _started_run(instance: dg.DagsterInstance, tags: dict[str, str]) -> str:
    run_id = str(uuid.uuid4())
    instance.add_run(
        dg.DagsterRun(
            job_name="build_job", run_id=run_id, status=dg.DagsterRunStatus.STARTED, tags=tags
        )
    )
    return run_id


def test_a_killed_commands_run_gives_the_warehouse_slot_back(settings):
    with project_instance(settings.dagster_home) as instance:
        storage = instance.event_log_storage
        storage.initialize_concurrency_limit_to_default(WAREHOUSE_POOL)  # dagster.yaml: 1
        killed = _started_run(instance, owner_tags() | {PID_TAG: str(_dead_pid())})
        live = _started_run(instance, owner_tags())  # this very process
        daemons = _started_run(instance, {})  # no owner: Dagster's run monitoring's
        elsewhere = _started_run(instance, {PID_TAG: "1", HOST_TAG: "autre-machine"})
        for run_id in (killed, live, daemons, elsewhere):
            storage.claim_concurrency_slot(WAREHOUSE_POOL, run_id, DBT_STEP)
        claimed = storage.get_concurrency_info(WAREHOUSE_POOL)
        assert [slot.run_id for slot in claimed.claimed_slots] == [killed]  # one slot

        assert release_abandoned_runs(instance) == [killed]

        assert instance.get_run_by_id(killed).status == dg.DagsterRunStatus.FAILURE
        info = storage.get_concurrency_info(WAREHOUSE_POOL)
        assert killed not in {slot.run_id for slot in info.claimed_slots}
        assert killed not in {step.run_id for step in info.pending_steps}
        for kept in (live, daemons, elsewhere):
            assert instance.get_run_by_id(kept).status == dg.DagsterRunStatus.STARTED
        assert release_abandoned_runs(instance) == []  # nothing more to give back


def test_a_finished_run_that_kept_its_claim_gives_it_back(settings):
    with project_instance(settings.dagster_home) as instance:
        instance.event_log_storage.initialize_concurrency_limit_to_default(WAREHOUSE_POOL)
        cancelled = _started_run(instance, {})
        instance.event_log_storage.claim_concurrency_slot(WAREHOUSE_POOL, cancelled, DBT_STEP)
        instance.report_run_canceled(instance.get_run_by_id(cancelled))
        assert release_abandoned_runs(instance) == [cancelled]
        assert not instance.event_log_storage.get_concurrency_info(WAREHOUSE_POOL).claimed_slots


def test_a_run_the_daemon_or_the_ui_launched_is_owned_by_its_run_worker(settings):
    # Its first step names the process running it: once that process is gone (killed with
    # the UI), the next command frees the run's slot as for a killed command.
    @dg.asset
    def step(pipeline: PipelineSettings) -> None:
        pipeline.resolve()

    with project_instance(settings.dagster_home) as instance:
        launched = dg.materialize(
            [step], instance=instance, resources={"pipeline": PipelineSettings()}
        )
        owned = dg.materialize(
            [step],
            instance=instance,
            resources={"pipeline": PipelineSettings()},
            tags={PID_TAG: "4242", HOST_TAG: "poste-du-chef-de-projet"},
        )
        tags = instance.get_run_by_id(launched.run_id).tags
        kept = instance.get_run_by_id(owned.run_id).tags
    assert {tag: tags[tag] for tag in (PID_TAG, HOST_TAG)} == owner_tags()
    assert (kept[PID_TAG], kept[HOST_TAG]) == ("4242", "poste-du-chef-de-projet")
