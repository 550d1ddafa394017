"""The headless main job behind `ase-impact run`: ingest what is new, then build the marts once.

Runs go through the project's Dagster instance, so they show in the UI's run history exactly
as runs launched from the UI do. A stop signal (SIGTERM, SIGINT) stops the run at once: Dagster
stops the step it runs, and the run learns of the signal as soon as that step returns
(ase_impact.cli.interrupt), instead of going on with the next stage.
"""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import dagster as dg

from ase_impact.cli import interrupt
from ase_impact.cli.run_summary import RunOutcome
from ase_impact.core.settings import PROJECT_ROOT, Settings, settings_environment
from ase_impact.intake.discovery import pending_files
from ase_impact.intake.ingestion import ingest_file
from ase_impact.warehouse import queries
from ase_impact.warehouse.connection import INTAKE, exclusive_access, locked_connection
from ase_impact.warehouse.schema import ensure_schema
from orchestration.abandoned_runs import owner_tags, release_abandoned_runs
from orchestration.assets.ingestion import SUBMISSIONS_KEY
from orchestration.instance import prepare_dagster_home, project_instance
from orchestration.jobs import BUILD_JOB, INGESTION_JOB, pipeline_run_config
from orchestration.partitions import (
    ASSOCIATION,
    MONTH,
    PARTITION_RANGE_END_TAG,
    PARTITION_RANGE_START_TAG,
    register_associations,
    submission_partitions,
)

CLI_TAGS = {"ase_impact/source": "cli"}
# Builds after the first one that a failed gate's quarantine may call for.
MAX_QUARANTINE_BUILDS = 3
# The headless run prints its own French summary; Dagster's event stream stays in the run
# history (make ui) instead of flooding the terminal.
BUILD_LOG_SHOWN_ON_FAILURE = 6000
UI_QUIET_WARNING = "ignore:Function `dev_command` is superseded"
QUIET_LOGGERS = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}


# The stages of a run, as the French stop message names them.
STAGE_PLANNING = "la recherche des fichiers nouveaux"
STAGE_INGESTION = "l'intégration des fichiers"
STAGE_BUILD = "la construction"
STAGE_REBUILD = "la reconstruction de l'entrepôt depuis l'archive"
# The build job's steps by the stage they are (step keys start with these).
BUILD_STAGES = {
    "ase_impact_dbt_models": "la construction des marts (dbt build)",
    "publication_gate": "le contrôle de publication",
    "outputs": "l'écriture des sorties",
}


def run_pipeline(
    settings: Settings,
    period: str | None = None,
    progress: Callable[[str], None] = print,
    full_refresh: bool = False,
) -> RunOutcome:
    """Ingest every new or changed file, as the files sensor would request it (one run per
    range of partitions), then build once (with full_refresh, dbt's incremental models are
    rebuilt whole); the runs go through the project's instance."""
    interrupt.entering(STAGE_PLANNING)
    # Entered, the instance is also the one Dagster's definitions loading reads; disposed after.
    with project_instance(settings.dagster_home) as instance:
        _release_abandoned_runs(instance, progress)
        return _ingest_and_build(instance, settings, period, progress, full_refresh)


def _release_abandoned_runs(instance: dg.DagsterInstance, progress) -> None:
    """Runs killed outright would keep the warehouse's pool slot for ever: given back first."""
    if released := release_abandoned_runs(instance):
        progress(
            "Runs arrêtés de force (leur processus n'existe plus) : marqués en échec, leur "
            f"place dans l'entrepôt est libérée ({', '.join(run[:8] for run in released)})."
        )


def _run_tags() -> dict[str, str]:
    """A command's runs: from the command line, and which process of which machine runs them."""
    return CLI_TAGS | owner_tags()


def _ingest_and_build(
    instance: dg.DagsterInstance,
    settings: Settings,
    period: str | None,
    progress,
    full_refresh: bool,
) -> RunOutcome:
    # One command at a time finds and ingests the new files (another one started meanwhile
    # waits, then finds them ingested); the builds queue on the warehouse's writer lock.
    with exclusive_access(settings.warehouse, kind=INTAKE):
        pending, integrated, failures = _ingest(instance, settings, period, progress)
    outcome = _build(settings, instance, progress, full_refresh)
    outcome.ingested = integrated
    outcome.unchanged = pending.unchanged
    outcome.misnamed = pending.misnamed
    outcome.ignored = pending.ignored
    outcome.technical_failures = failures
    return outcome


def _ingest(instance: dg.DagsterInstance, settings: Settings, period: str | None, progress):
    """Ingest every new or changed file; returns what raw/ held against the warehouse, the
    partitions integrated and the technical failures."""
    from orchestration.definitions import defs
    from orchestration.sensors import new_file_requests

    with locked_connection(settings.warehouse) as conn:
        ensure_schema(conn)
        ingested = queries.latest_sha256_by_partition(conn)
        pending = pending_files(settings, ingested, period)
        # A file whose name gives no partition is still recorded, with its French message.
        for path in pending.misnamed:
            ingest_file(path, settings, conn)
    requests, new_codes = new_file_requests(instance, pending.new_or_changed, tags=_run_tags())
    register_associations(instance, new_codes)
    interrupt.stop_if_signalled()
    run_config = pipeline_run_config(settings.raw_dir, settings.warehouse) | QUIET_LOGGERS
    ingestion = defs.resolve_job_def(INGESTION_JOB)
    failures = []
    interrupt.entering(STAGE_INGESTION)
    for request in sorted(requests, key=lambda request: _range_label(request.tags)):
        progress(f"Intégration de {_range_label(request.tags)}…")
        result = ingestion.execute_in_process(
            run_config=run_config, instance=instance, raise_on_error=False, tags=request.tags
        )
        interrupt.stop_if_signalled()
        failures += [_failure_text(event) for event in result.get_step_failure_events()]
    # What the warehouse recorded, not what was planned: a file a technical failure (a bug,
    # a file removed meanwhile) kept out is not counted as integrated.
    with locked_connection(settings.warehouse, read_only=True) as conn:
        received = queries.latest_sha256_by_partition(conn)
    integrated = [
        partition
        for partition, sha256 in pending.new_or_changed.items()
        if received.get(partition) == sha256
    ]
    return pending, integrated, failures


def rebuild_pipeline(settings: Settings, progress: Callable[[str], None] = print):
    """Recreate the warehouse from archive/ and the submissions journal, then build once.

    Returns the rebuild's report and the build's outcome."""
    from ase_impact.intake.rebuild import rebuild_warehouse

    interrupt.entering(STAGE_REBUILD)
    with project_instance(settings.dagster_home) as instance:
        _release_abandoned_runs(instance, progress)
        progress("Reconstruction de l'entrepôt depuis l'archive et le journal des soumissions…")
        report = rebuild_warehouse(settings, progress)
        interrupt.stop_if_signalled()
        return report, _build(settings, instance, progress)


def _build(
    settings: Settings, instance, progress: Callable[[str], None], full_refresh: bool = False
) -> RunOutcome:
    """The build job (dbt build, publication gate, outputs); again when its gate put files in
    quarantine, so that everything else is published."""
    from orchestration.assets.transformations import ase_impact_dbt_models

    interrupt.entering(STAGE_BUILD)
    run_config = pipeline_run_config(settings.raw_dir, settings.warehouse) | QUIET_LOGGERS
    if full_refresh:
        dbt_config = {ase_impact_dbt_models.op.name: {"config": {"full_refresh": True}}}
        run_config |= {"ops": dbt_config}
        progress("Reconstruction complète des modèles incrémentaux dbt (--full-refresh)…")
    progress("Construction des marts (dbt build) et des sorties…")
    build, blocking_failed, step_errors, dbt_console = _build_once(run_config, instance)
    # A failed gate that quarantined association-months: build again without them (a
    # quarantined file stays out, so each build can only leave out more).
    for _ in range(MAX_QUARANTINE_BUILDS):
        if not blocking_failed or not _quarantined_more(instance, build.run_id):
            break
        progress("Fichiers mis en quarantaine : nouvelle construction sans eux…")
        build, blocking_failed, step_errors, dbt_console = _build_once(run_config, instance)
    if not blocking_failed and ase_impact_dbt_models.op.name in step_errors:
        progress(dbt_console.getvalue()[-BUILD_LOG_SHOWN_ON_FAILURE:])
    return RunOutcome(
        ingested=[],
        unchanged=[],
        misnamed=[],
        technical_failures=[],
        build_succeeded=build.success,
        blocking_checks_failed=blocking_failed,
        build_step_errors=step_errors,
    )


def _build_once(run_config: dict, instance: dg.DagsterInstance):
    """One build job run: the result, its failed blocking checks, its failed steps and dbt's
    console output (shown only on failure)."""
    from orchestration.assets.transformations import stop_running_dbt
    from orchestration.definitions import defs

    # dbt's own console output goes to the run's logs; it is shown only on failure.
    dbt_console = io.StringIO()
    try:
        with contextlib.redirect_stdout(dbt_console):
            build = defs.resolve_job_def(BUILD_JOB).execute_in_process(
                run_config=run_config, instance=instance, raise_on_error=False, tags=_run_tags()
            )
    finally:
        stop_running_dbt()  # none, unless a stop left one behind
    interrupt.stop_if_signalled(_interrupted_stage(build))
    failures = build.get_step_failure_events()
    step_errors = {event.step_key: _failure_text(event) for event in failures}
    if any(_dbt_errors(event) for event in failures):
        # dbt could not run nodes (a damaged warehouse, a full disk): a technical failure,
        # whatever its checks say, never a publication held back by the data.
        return build, [], step_errors, dbt_console
    blocking_failed = [
        f"{evaluation.asset_key.to_user_string()} · {evaluation.check_name}"
        for evaluation in build.get_asset_check_evaluations()
        if not evaluation.passed and evaluation.severity == dg.AssetCheckSeverity.ERROR
    ]
    return build, blocking_failed, step_errors, dbt_console


def _dbt_errors(event: dg.DagsterEvent) -> int:
    """How many nodes a failed dbt build could not run (dbt_build_failure's metadata)."""
    from orchestration.assets.transformations import DBT_ERRORS_METADATA

    failure = event.step_failure_data.user_failure_data
    value = failure.metadata.get(DBT_ERRORS_METADATA) if failure else None
    return int(value.value) if value is not None else 0


def _quarantined_more(instance: dg.DagsterInstance, run_id: str) -> bool:
    """Whether the build of run_id put files in quarantine (its gate logged them)."""
    records = instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=SUBMISSIONS_KEY), limit=1
    ).records
    return bool(records) and records[0].run_id == run_id


def _interrupted_stage(result) -> str:
    """The stage of the build step a signal stopped: the step that started last and did not
    succeed."""
    started = [
        event.step_key
        for event in result.all_events
        if event.event_type == dg.DagsterEventType.STEP_START and event.step_key
    ]
    succeeded = {
        event.step_key
        for event in result.all_events
        if event.event_type == dg.DagsterEventType.STEP_SUCCESS
    }
    unfinished = [key for key in started if key not in succeeded] or started[-1:]
    for key in reversed(unfinished):
        for prefix, stage in BUILD_STAGES.items():
            if key.startswith(prefix):
                return stage
    return STAGE_BUILD


def _range_label(tags: dict[str, str]) -> str:
    """ "2026-10/cap-avenir", or "2026-10/cap-avenir … 2026-10/envol-mentorat"."""
    first, last = (
        "/".join(
            submission_partitions.get_partition_key_from_str(tags[tag]).keys_by_dimension[name]
            for name in (MONTH, ASSOCIATION)
        )
        for tag in (PARTITION_RANGE_START_TAG, PARTITION_RANGE_END_TAG)
    )
    return first if first == last else f"{first} … {last}"


def _failure_text(event: dg.DagsterEvent) -> str:
    """What a failed step says: the French description our steps give (dagster.Failure), or
    the error itself for anything unexpected."""
    failure = event.step_failure_data
    if failure.user_failure_data and failure.user_failure_data.description:
        return failure.user_failure_data.description
    error = failure.error.cause or failure.error
    return error.message.strip()


def ui_command(settings: Settings, port: int) -> tuple[list[str], Path, dict[str, str]]:
    """`dagster dev` on the project's instance: its command line, folder and environment.

    It starts in DAGSTER_HOME, whose dagster.yaml links to the project's: started in the
    project folder, `dagster dev` would see the project's dagster.yaml beside it and warn that
    it "will not be used", which is false. The code is still loaded from the project folder
    (-d), and the settings are passed as absolute paths, as they were resolved here.
    """
    prepare_dagster_home(settings.dagster_home)
    dagster = Path(sys.executable).with_name("dagster")
    command = [
        str(dagster),
        "dev",
        "-m",
        "orchestration.definitions",
        "-d",
        str(PROJECT_ROOT),
        "-p",
        str(port),
    ]
    environment = os.environ | settings_environment(settings)
    # `dagster dev` also warns that it is "superseded" by `dg dev`, a tool this project does
    # not install: the advice is not for the person who typed `make ui`.
    environment["PYTHONWARNINGS"] = ",".join(
        filter(None, [os.environ.get("PYTHONWARNINGS"), UI_QUIET_WARNING])
    )
    return command, settings.dagster_home, environment


def open_ui(settings: Settings, port: int) -> int:
    """`dagster dev` on the project's instance, from this interpreter's own environment."""
    command, folder, environment = ui_command(settings, port)
    return subprocess.call(command, cwd=folder, env=environment)
