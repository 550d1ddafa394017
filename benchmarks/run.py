"""`python -m benchmarks.run --workloads M,incremental`: measure the pipeline, write RESULTS.md.

Each workload runs from an empty warehouse, Dagster instance, archive and outputs under
benchmarks/work/<workload>/. The pipeline is only reached through its public entry points: the
console script, the Dagster instance it records its runs in, and what it keeps beside the
warehouse. Three kinds of figures, each measured where it is reliable:

- end to end: `ase-impact run` as a subprocess (wall clock; peak memory from os.wait4's
  ru_maxrss, the figure /usr/bin/time reports, plus the process tree's summed RSS sampled
  every 0.2 s, because dbt runs as a second process next to Dagster);
- stages of that run: the runs, steps and events Dagster recorded in the run's instance (the
  ingestion runs, then the build run's steps: dbt build, gate, outputs), and dbt's own
  run_results.json and log of the build, kept beside the warehouse;
- ingest phases: what the pipeline timed itself for each file of the run (archive, read,
  validate, pseudonymise, load, then the feedback workbook) and wrote on the partition's
  quality/submissions materialization, with the number of processes that prepared the files;
  and the floor: python-calamine alone reading the same sheets of the same files, in one
  process.

When M runs and L does not, a probe runs a sample of L-sized files through `ase-impact run`
and reads their phases, so that RESULTS.md can extrapolate L, labelled so. Every workload's
figures are kept in benchmarks/results.json, so `make bench-large` adds L to the M figures of
`make bench`; RESULTS.md is rendered from it.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

from ase_impact.core.settings import (
    DBT_PROJECT_DIR,
    DEFAULT_MIN_CELL,
    PROJECT_ROOT,
    Settings,
    settings_environment,
)
from ase_impact.warehouse.connection import connect
from benchmarks.dbt_log import log_milestones, node_statements, replay
from benchmarks.report import DEFAULT_ENGINE, ENGINE_DESCRIPTIONS, render_results
from benchmarks.workloads import (
    CORRECTIONS,
    DEFAULT_SEED,
    WORKLOADS,
    GeneratedWorkload,
    corrected_file,
    generate,
    write_registry,
)
from devtools.postgres_server import remove_server, start_server
from orchestration.dbt_project import last_build_dir
from orchestration.instance import DAGSTER_STORAGE_VARIABLE

BENCHMARKS_DIR = Path(__file__).resolve().parent
WORK_DIR = BENCHMARKS_DIR / "work"
RESULTS_JSON = BENCHMARKS_DIR / "results.json"
RESULTS_MD = BENCHMARKS_DIR / "RESULTS.md"
CLI = PROJECT_ROOT / ".venv" / "bin" / "ase-impact"
DBT = PROJECT_ROOT / ".venv" / "bin" / "dbt"
WORKLOAD_CHOICES = (*WORKLOADS, *CORRECTIONS)
HELP_RUNS = 5
# L-sized files run through the pipeline when L itself is not run, to extrapolate it.
LARGE_SAMPLE_FILES = 20
RSS_SAMPLE_SECONDS = 0.2
# Marks a workload's folders as its finished run left them: its correction continues there.
STATE_MARKER = "state.json"
# The pipeline's settings (paths, key, deployment, threshold) all start with this: none of
# the caller's shell reaches the benchmark's runs, which get the workload's own.
SETTINGS_PREFIX = "ASE_IMPACT_"
CLI_OUTCOME_PREFIXES = ("Construction", "Publication bloquée", "Échecs techniques")
PACKAGES = (
    "dagster",
    "dagster-dbt",
    "dbt-core",
    "dbt-duckdb",
    "duckdb",
    "pandas",
    "pandera",
    "python-calamine",
    "openpyxl",
    "great-expectations",
)
# Build steps of the build job, grouped into the phases the issue names.
BUILD_PHASES = {
    "ase_impact_dbt_models": "dbt build",
    "publication_gate": "gate",
    "outputs__published_snapshot": "outputs",
    "outputs__consolidated_workbooks": "outputs",
}
# A dbt target the profile lacks: dbt given it stops before running any SQL, once the run has
# ingested its files (see measure_sql_replay).
MISSING_DBT_TARGET = "benchmark_stops_dbt_before_sql"
# What the ingestion asset records on each partition's quality/submissions materialization:
# seconds of each phase of the file (metadata key → the benchmark's phase), then the number of
# processes that prepared the batch's files.
SUBMISSIONS_ASSET = ("quality", "submissions")
PHASE_METADATA = {
    "duree_archivage_s": "archive",
    "duree_lecture_s": "read",
    "duree_validation_s": "validate",
    "duree_pseudonymisation_s": "pseudonymise",
    "duree_chargement_s": "load",
}
FEEDBACK_METADATA = "duree_retour_association_s"
WORKERS_METADATA = "processus_de_preparation"
INGEST_PHASES = tuple(PHASE_METADATA.values())
MATERIALIZATIONS_PAGE = 1000


# --- the machine -------------------------------------------------------------------------------


def describe_machine() -> dict:
    cpuinfo = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
    model = next(
        (line.split(":", 1)[1].strip() for line in cpuinfo.splitlines() if "model name" in line),
        platform.processor() or "unknown",
    )
    meminfo = Path("/proc/meminfo").read_text() if Path("/proc/meminfo").exists() else ""
    mem_kib = next(
        (int(line.split()[1]) for line in meminfo.splitlines() if line.startswith("MemTotal")), 0
    )
    return {
        "cpu": model,
        "cores": os.cpu_count(),
        "ram_gib": round(mem_kib / 2**20, 1),
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "packages": {name: metadata.version(name) for name in PACKAGES},
    }


# --- a measured subprocess --------------------------------------------------------------------


def _tree_rss_bytes(root_pid: int) -> int:
    """Summed resident memory of a process and all its descendants, from /proc."""
    children: dict[int, list[int]] = {}
    rss_pages: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            statm = (entry / "statm").read_text()
        except OSError:
            continue
        pid, ppid = int(entry.name), int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(pid)
        rss_pages[pid] = int(statm.split()[1])
    total, stack = 0, [root_pid]
    while stack:
        pid = stack.pop()
        total += rss_pages.get(pid, 0)
        stack += children.get(pid, [])
    return total * os.sysconf("SC_PAGE_SIZE")


def measure_command(command: list[str], env: dict[str, str], log_stem: Path) -> dict:
    """Run a command; wall time, exit code, peak RSS (largest process and whole tree)."""
    log_stem.parent.mkdir(parents=True, exist_ok=True)
    peak_tree = 0
    stop = threading.Event()
    with open(f"{log_stem}.stdout", "w") as stdout, open(f"{log_stem}.stderr", "w") as stderr:
        started_at = time.time()
        start = time.perf_counter()
        process = subprocess.Popen(command, env=env, cwd=PROJECT_ROOT, stdout=stdout, stderr=stderr)

        def sample() -> None:
            nonlocal peak_tree
            while not stop.wait(RSS_SAMPLE_SECONDS):
                peak_tree = max(peak_tree, _tree_rss_bytes(process.pid))

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)
        stop.set()
        sampler.join()
    output = Path(f"{log_stem}.stdout").read_text()
    return {
        "started_at": started_at,
        "wall_seconds": wall,
        "exit_code": process.returncode,
        "peak_rss_largest_process_mib": usage.ru_maxrss / 1024,
        "peak_rss_tree_mib": peak_tree / 2**20,
        "outcome_lines": [
            line for line in output.splitlines() if line.startswith(CLI_OUTCOME_PREFIXES)
        ],
        "log": str(log_stem.relative_to(PROJECT_ROOT)),
    }


def measure_help() -> dict:
    """`ase-impact --help` as a user runs it: a new process each time, first run reported."""
    seconds = []
    for _ in range(HELP_RUNS):
        start = time.perf_counter()
        subprocess.run([str(CLI), "--help"], check=True, capture_output=True, cwd=PROJECT_ROOT)
        seconds.append(time.perf_counter() - start)
    return {"first_seconds": seconds[0], "median_seconds": statistics.median(seconds)}


# --- one workload's folders -------------------------------------------------------------------


@dataclasses.dataclass
class Engine:
    """Where the workloads' warehouses and Dagster's storage live: DuckDB files and SQLite in
    each workload's folder, or databases of a throwaway PostgreSQL cluster (the warehouse and
    Dagster's storage there, or Dagster's storage only)."""

    name: str = DEFAULT_ENGINE
    server: object = None  # devtools.postgres_server.PostgresServer when one is used

    @property
    def warehouse_on_server(self) -> bool:
        return self.name == "postgresql"

    def _database(self, work: Path, suffix: str = "") -> str:
        return self.server.url(re.sub(r"[^a-z0-9_]", "_", f"bench_{work.name}{suffix}".lower()))

    def warehouse(self, work: Path) -> Path | str:
        if not self.warehouse_on_server:
            return work / "warehouse" / "ase_impact.duckdb"
        return self._database(work)

    def dagster_storage(self, work: Path) -> str | None:
        return None if self.server is None else self._database(work, "_dagster")

    def state_owner(self) -> str:
        """Whose state a workload's folder holds: its own files, or also one throwaway
        cluster's databases (they do not outlive the invocation that started the cluster)."""
        return self.name if self.server is None else str(self.server.root)

    def recreate(self, work: Path) -> None:
        """Empty databases for a workload's run from nothing."""
        if self.server is not None:
            urls = [self.dagster_storage(work)]
            if self.warehouse_on_server:
                urls.append(self.warehouse(work))
            for url in urls:
                self.server.recreate_database(url.rsplit("/", 1)[1])


# The engine of this invocation (--engines runs each in turn).
ENGINE = Engine()


def workload_settings(work: Path) -> Settings:
    return Settings(
        raw_dir=work / "raw",
        warehouse=ENGINE.warehouse(work),
        archive_dir=work / "archive",
        outputs_dir=work / "outputs",
        reports_dir=work / "reports",
        secrets_dir=work / "secrets",
        portal_dir=work / "portal",
        dagster_home=work / "dagster_home",
        registry=work / "registry.csv",
        min_cell=DEFAULT_MIN_CELL,
    )


def subprocess_env(settings: Settings) -> dict[str, str]:
    """The environment of `ase-impact run`: every path under the workload's folder."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(SETTINGS_PREFIX) and name != "DAGSTER_HOME"
    }
    storage = ENGINE.dagster_storage(settings.raw_dir.parent)
    return (
        env
        | settings_environment(settings)
        | ({DAGSTER_STORAGE_VARIABLE: storage} if storage else {})
    )


def place_raw_files(generated: GeneratedWorkload, raw_dir: Path) -> None:
    """Put the workload's files in raw/ (hard links: the pipeline never writes to raw/)."""
    for generated_file in generated.files:
        target = raw_dir / generated_file.file_name
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(generated.path(generated_file), target)
        except OSError:
            shutil.copy2(generated.path(generated_file), target)


def prepare_dbt_project(settings: Settings) -> None:
    """Parse the dbt project for these settings (`dbt parse`), as an installation's first
    command does.

    Measured runs then start as a département's monthly run does: dbt's manifest ready for its
    warehouse, whatever benchmark or test ran before.
    """
    subprocess.run(
        [str(DBT), "--quiet", "parse"]
        + ["--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR)],
        env=subprocess_env(settings),
        cwd=DBT_PROJECT_DIR,
        check=True,
        capture_output=True,
    )


def run_cli(settings: Settings, log_stem: Path, more_env: dict[str, str] | None = None) -> dict:
    command = [str(CLI), "run", "--raw-dir", str(settings.raw_dir)]
    command += ["--warehouse", str(settings.warehouse)]
    return measure_command(command, subprocess_env(settings) | (more_env or {}), log_stem)


# --- reading back what the run did -------------------------------------------------------------


def _epoch(iso_text: str) -> float:
    return datetime.fromisoformat(iso_text.replace("Z", "+00:00")).timestamp()


def dbt_breakdown(warehouse: Path | str, build_started_at: float) -> dict | None:
    """dbt's own figures for the build run: elapsed time, time by node type, first and last node.

    The build keeps dbt's run_results.json and log beside the warehouse; a file older than
    this build's start is an earlier build's, so nothing is reported.
    """
    kept = last_build_dir(warehouse)
    results_file = kept / "run_results.json"
    if not results_file.exists():
        return None
    run_results = json.loads(results_file.read_text())
    if _epoch(run_results["metadata"]["generated_at"]) < build_started_at:
        return None
    by_type: Counter[str] = Counter()
    nodes: Counter[str] = Counter()
    for result in run_results["results"]:
        kind = result["unique_id"].split(".")[0]
        by_type[kind] += result["execution_time"]
        nodes[kind] += 1
    timings = [
        timing
        for result in run_results["results"]
        for timing in result["timing"]
        if timing.get("started_at") and timing.get("completed_at")
    ]
    return {
        "elapsed_seconds": run_results["elapsed_time"],
        "execution_seconds": dict(by_type),
        "nodes": dict(nodes),
        "first_node_started_at": min(_epoch(timing["started_at"]) for timing in timings),
        "last_node_completed_at": max(_epoch(timing["completed_at"]) for timing in timings),
        **log_milestones(kept / "dbt.log", build_started_at),
    }


def git_state() -> dict:
    """The commit measured, and whether the pipeline's code had uncommitted changes."""

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", *args], cwd=PROJECT_ROOT, capture_output=True, text=True, check=False
        ).stdout.strip()

    changed = git(
        "status", "--porcelain", "--", "ase_impact", "orchestration", "dbt_project", "dagster.yaml"
    )
    return {"commit": git("rev-parse", "--short", "HEAD"), "uncommitted_changes": bool(changed)}


def _created(record) -> float:
    """When a run was created: its planned-materialization events are written then."""
    return record.create_timestamp.timestamp()


def _count_events(events, event_type) -> int:
    return sum(
        1
        for event in events
        if event.dagster_event and event.dagster_event.event_type == event_type
    )


@contextmanager
def dagster_instance(settings: Settings) -> Iterator:
    """The run's Dagster instance, opened as Dagster opens it: DagsterInstance.get() under the
    run's DAGSTER_HOME (set for the call, then restored)."""
    import dagster as dg

    previous = os.environ.get("DAGSTER_HOME")
    os.environ["DAGSTER_HOME"] = str(settings.dagster_home)
    try:
        with dg.DagsterInstance.get() as instance:
            yield instance
    finally:
        if previous is None:
            os.environ.pop("DAGSTER_HOME", None)
        else:
            os.environ["DAGSTER_HOME"] = previous


def _run_records(instance, since: float) -> list:
    return [
        record
        for record in instance.get_run_records(ascending=True)
        if record.start_time and record.start_time >= since
    ]


def dagster_stages(settings: Settings, since: float, cli_end: float) -> dict:
    """Stages of the CLI run from the runs, steps and events Dagster recorded after `since`.

    Runs come from get_run_records (Dagster's public instance API); step times and the runs'
    events from get_run_step_stats and all_logs, the instance's methods for them (Dagster
    marks no public equivalent).
    """
    import dagster as dg

    with dagster_instance(settings) as instance:
        records = _run_records(instance, since)
        steps = {
            record.dagster_run.run_id: instance.get_run_step_stats(record.dagster_run.run_id)
            for record in records
        }
        events = {
            record.dagster_run.run_id: instance.all_logs(record.dagster_run.run_id)
            for record in records
        }
    ingestion = [record for record in records if record.dagster_run.job_name == "ingestion_job"]
    builds = [record for record in records if record.dagster_run.job_name == "build_job"]
    ingestion_logs = [event for record in ingestion for event in events[record.dagster_run.run_id]]
    stages = {
        "startup_seconds": (_created(records[0]) if records else cli_end) - since,
        "ingestion_runs": len(ingestion),
        "ingestion_failed_runs": sum(
            record.dagster_run.status != dg.DagsterRunStatus.SUCCESS for record in ingestion
        ),
        "ingestion_creation_seconds": sum(
            record.start_time - _created(record) for record in ingestion
        ),
        "ingestion_window_seconds": (
            ingestion[-1].end_time - ingestion[0].start_time if ingestion else 0.0
        ),
        "ingestion_events": len(ingestion_logs),
        "ingestion_planned_events": _count_events(
            ingestion_logs, dg.DagsterEventType.ASSET_MATERIALIZATION_PLANNED
        ),
        "ingestion_materializations": _count_events(
            ingestion_logs, dg.DagsterEventType.ASSET_MATERIALIZATION
        ),
        "between_ingestion_and_build_seconds": 0.0,
        "build_status": "absent",
        "build_run_seconds": 0.0,
        "build_creation_seconds": 0.0,
        "build_phases": {},
        "build_events": 0,
        "dbt": None,
        "gate_periods": None,
        "workbook_months": None,
        "after_build_seconds": 0.0,
    }
    if builds:
        build = builds[-1]
        run_id = build.dagster_run.run_id
        phases: Counter[str] = Counter()
        for step in steps[run_id]:
            if step.start_time and step.end_time:
                phases[BUILD_PHASES.get(step.step_key, step.step_key)] += (
                    step.end_time - step.start_time
                )
        dbt = dbt_breakdown(settings.warehouse, build.start_time)
        dbt_step = next(
            (step for step in steps[run_id] if BUILD_PHASES.get(step.step_key) == "dbt build"),
            None,
        )
        if dbt and dbt_step:
            dbt["before_first_node_seconds"] = dbt["first_node_started_at"] - dbt_step.start_time
            if "parsed_at" in dbt:
                dbt["before_dbt_logs_seconds"] = dbt["first_log_at"] - dbt_step.start_time
                dbt["parse_seconds"] = dbt["parsed_at"] - dbt["first_log_at"]
            dbt["after_last_node_seconds"] = dbt_step.end_time - dbt["last_node_completed_at"]
        stages |= {
            "gate_periods": gate_periods(events[run_id]),
            "workbook_months": workbook_months(events[run_id]),
            "build_status": build.dagster_run.status.value,
            "build_run_seconds": build.end_time - build.start_time,
            "build_creation_seconds": build.start_time - _created(build),
            "build_phases": dict(phases),
            "build_events": len(events[run_id]),
            "dbt": dbt,
            "after_build_seconds": cli_end - build.end_time,
        }
        if ingestion:
            stages["between_ingestion_and_build_seconds"] = _created(build) - ingestion[-1].end_time
    return stages


def _events_data(build_events: list, event_type) -> Iterator:
    """What each event of that type in the build run holds (its event_specific_data)."""
    for event in build_events:
        dagster_event = event.dagster_event
        if dagster_event and dagster_event.event_type == event_type:
            yield dagster_event.event_specific_data


def gate_periods(build_events: list) -> dict | None:
    """The periods the gate's range suites validated, and those they left as a passed gate
    validated them, summed over the suites, from their asset checks' metadata."""
    import dagster as dg

    from orchestration.assets.publication_gate import (
        UNCHANGED_PERIODS_METADATA,
        VALIDATED_PERIODS_METADATA,
    )

    counts: Counter[str] = Counter()
    for evaluation in _events_data(build_events, dg.DagsterEventType.ASSET_CHECK_EVALUATION):
        values = evaluation.metadata
        if VALIDATED_PERIODS_METADATA in values:
            counts["validated"] += values[VALIDATED_PERIODS_METADATA].value
            counts["unchanged"] += values[UNCHANGED_PERIODS_METADATA].value
            counts["suites"] += 1
    return dict(counts) if counts else None


def workbook_months(build_events: list) -> dict | None:
    """The months whose consolidated workbooks the build wrote, and those left unchanged, from
    the outputs/consolidated_workbooks materialization's metadata."""
    import dagster as dg

    from orchestration.assets.publication import (
        UNCHANGED_MONTHS_METADATA,
        WRITTEN_MONTHS_METADATA,
    )

    for data in _events_data(build_events, dg.DagsterEventType.ASSET_MATERIALIZATION):
        materialization = data.materialization
        if materialization.asset_key == dg.AssetKey(["outputs", "consolidated_workbooks"]):
            values = materialization.metadata
            return {
                "written": _listed(values[WRITTEN_MONTHS_METADATA].value),
                "unchanged": _listed(values[UNCHANGED_MONTHS_METADATA].value),
            }
    return None


def _listed(text: str) -> list[str]:
    return [item for item in text.split(", ") if item]


def recorded_ingestion(settings: Settings, since: float, until: float) -> dict:
    """The phases the pipeline timed for each file ingested between since and until, summed
    over the files, as the ingestion runs wrote them on the quality/submissions
    materializations; and the processes that prepared the files (the most any batch had).

    A refused file has no materialization: its phases are not in the sums (timed_files).
    """
    import dagster as dg

    seconds: Counter[str] = Counter()
    timed_files = workers = 0
    with dagster_instance(settings) as instance:
        ingestion_runs = {
            record.dagster_run.run_id
            for record in _run_records(instance, since)
            if record.dagster_run.job_name == "ingestion_job"
        }
        records_filter = dg.AssetRecordsFilter(
            asset_key=dg.AssetKey(list(SUBMISSIONS_ASSET)),
            after_timestamp=since,
            before_timestamp=until,
        )
        cursor = None
        while True:
            page = instance.fetch_materializations(
                records_filter, limit=MATERIALIZATIONS_PAGE, cursor=cursor, ascending=True
            )
            for record in page.records:
                if record.run_id not in ingestion_runs:
                    continue
                metadata = record.asset_materialization.metadata
                if WORKERS_METADATA not in metadata:
                    continue  # written by a pipeline that did not time its files
                timed_files += 1
                workers = max(workers, metadata[WORKERS_METADATA].value)
                for key, phase in PHASE_METADATA.items():
                    seconds[phase] += metadata[key].value if key in metadata else 0.0
                seconds["feedback workbook"] += metadata[FEEDBACK_METADATA].value
            if not page.has_more:
                break
            cursor = page.cursor
    phases = {phase: seconds[phase] for phase in INGEST_PHASES}
    phases["ingest total"] = sum(phases.values())
    phases["feedback workbook"] = seconds["feedback workbook"]
    return {"ingest_phases": phases, "timed_files": timed_files, "workers": workers}


def submission_counts(warehouse: Path | str) -> dict:
    """Rows of the latest version of every partition, as the quality tables hold them."""
    with connect(warehouse, read_only=True) as conn:
        row = conn.execute(
            """
            select count(*), sum(rows_received), sum(rows_accepted), sum(rows_rejected),
                   count(*) filter (where status = 'rejected')
            from quality.latest_submissions
            """
        ).fetchone()
    files, received, accepted, rejected, refused = row
    return {
        "files": files,
        "rows_received": int(received or 0),
        "rows_accepted": int(accepted or 0),
        "rows_rejected": int(rejected or 0),
        "files_refused": refused,
    }


# --- the floor -----------------------------------------------------------------------------------


def measure_floor(paths: list[Path]) -> float:
    """python-calamine alone reading the sheets the pipeline reads, file after file."""
    import python_calamine

    from ase_impact.core import referentiel

    names = [spec.name_fr for spec in referentiel.sheets() if spec.is_read]
    start = time.perf_counter()
    for path in paths:
        book = python_calamine.CalamineWorkbook.from_path(str(path))
        for name in names:
            book.get_sheet_by_name(name).to_python(skip_empty_area=False)
        book.close()
    return time.perf_counter() - start


# --- workloads ----------------------------------------------------------------------------------


def _work_dir(name: str) -> Path:
    """A workload's folder; on PostgreSQL one of its own, so DuckDB's state stays."""
    return WORK_DIR / (name if ENGINE.name == DEFAULT_ENGINE else f"{name}-{ENGINE.name}")


def _fresh(work: Path) -> Settings:
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    ENGINE.recreate(work)
    return workload_settings(work)


def _recorded_run(settings: Settings, log_stem: Path) -> dict:
    """`ase-impact run` on these settings, then what Dagster and the pipeline recorded of it:
    stages, the files' phases, and the warehouse's counts."""
    cli = run_cli(settings, log_stem)
    cli_end = cli["started_at"] + cli["wall_seconds"]
    return {
        "cli": cli,
        "stages": dagster_stages(settings, cli["started_at"], cli_end),
        **recorded_ingestion(settings, cli["started_at"], cli_end),
        "counts": submission_counts(settings.warehouse),
    }


def _measured_run(name: str, generated: GeneratedWorkload, work: Path) -> dict:
    """One `ase-impact run` of the workload from empty folders, with what it recorded."""
    settings = _fresh(work)
    place_raw_files(generated, settings.raw_dir)
    write_registry(generated.workload, settings.registry)
    prepare_dbt_project(settings)
    print(f"[{name}] {len(generated.files)} files; ase-impact run…", flush=True)
    measured = _recorded_run(settings, work / "logs" / "run")
    print(f"[{name}] run took {measured['cli']['wall_seconds']:.1f} s", flush=True)
    return measured


def _walls(runs: list[dict]) -> list[float]:
    """The runs' wall times, in the order they ran."""
    return [run["cli"]["wall_seconds"] for run in runs]


def _median_run(runs: list[dict]) -> dict:
    """The run of median wall time: the machine's speed varies by seconds between runs."""
    return sorted(runs, key=lambda run: run["cli"]["wall_seconds"])[len(runs) // 2]


def run_workload(name: str, seed: int, runs: int = 1) -> dict:
    """The workload run `runs` times from empty folders; the run of median wall time is kept."""
    workload = WORKLOADS[name]
    started = time.perf_counter()
    generated = generate(workload, seed)
    generation_seconds = time.perf_counter() - started
    work = _work_dir(name)
    measured = [_measured_run(name, generated, work) for _ in range(runs)]
    # The folders hold the last run's state, the same as any run's.
    kept = _median_run(measured)
    if kept["cli"]["exit_code"] == 0 and kept["stages"]["build_status"] == "SUCCESS":
        state = {"seed": seed, "files": len(generated.files), "owner": ENGINE.state_owner()}
        (work / STATE_MARKER).write_text(json.dumps(state))
    print(f"[{name}] floor: python-calamine alone…", flush=True)
    paths = [generated.path(generated_file) for generated_file in generated.files]
    return {
        "workload": name,
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "code": git_state(),
        "seed": seed,
        "generation_seconds": generation_seconds,
        "files": len(generated.files),
        "rows_generated": generated.row_count,
        "rows_planted_rejected": generated.rejected_rows,
        "wall_seconds_of_runs": _walls(measured),
        # With the run's ingest phases and the processes that prepared its files, as recorded.
        **kept,
        "floor_seconds": measure_floor(paths),
    }


def run_incremental(name: str, seed: int, runs: int = 1) -> dict:
    """The correction's base workload loaded, then one association drops its corrected file
    over the first one; each further run, the other version of its file over the one in place
    (the first, then the corrected one again…): one file changed each time, as a run after a
    resubmission. The run of median wall time is kept.

    It runs in the base workload's own folders, as a département's next run does: the
    warehouse keeps its path, so dbt's saved parse state applies (a copy elsewhere would
    change dbt's profile).
    """
    correction = CORRECTIONS[name]
    work = _work_dir(correction.base)
    generated = generate(WORKLOADS[correction.base], seed)
    marker = work / STATE_MARKER
    setup_seconds = None
    state = json.loads(marker.read_text()) if marker.exists() else {}
    if state.get("seed") == seed and state.get("owner") == ENGINE.state_owner():
        settings = workload_settings(work)
    else:
        print(f"[{name}] loading {correction.base} first (not measured)…", flush=True)
        settings = _fresh(work)
        place_raw_files(generated, settings.raw_dir)
        write_registry(generated.workload, settings.registry)
        setup_seconds = run_cli(settings, work / "logs" / "setup")["wall_seconds"]
    # From here on, the folders no longer hold the base workload's state as its run left it.
    marker.unlink(missing_ok=True)
    file_name = f"{correction.period}/{correction.association_code}.xlsx"
    target = settings.raw_dir / file_name
    first = next(f for f in generated.files if f.file_name == file_name)
    versions = (
        corrected_file(generated, correction.period, correction.association_code),
        generated.path(first),
    )
    measured_runs = []
    for run in range(runs):
        _drop_in(versions[run % 2], target)
        version = "corrected" if run % 2 == 0 else "first version again"
        print(
            f"[{name}] ase-impact run with one file changed ({file_name}, {version})…", flush=True
        )
        measured_runs.append(_recorded_run(settings, work / "logs" / f"{name}-{run + 1}"))
    return {
        "workload": name,
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "code": git_state(),
        "seed": seed,
        "setup_seconds": setup_seconds,
        "corrected_file": file_name,
        "files": 1,
        "rows_generated": first.row_count,
        "rows_planted_rejected": 0,
        "wall_seconds_of_runs": _walls(measured_runs),
        **_median_run(measured_runs),
        "floor_seconds": measure_floor([versions[0]]),
        **(
            {"sql_replay": measure_sql_replay(settings, work, versions[runs % 2], target, name)}
            if correction.replay_sql and ENGINE.name == DEFAULT_ENGINE
            else {}
        ),
    }


def _drop_in(version: Path, target: Path) -> None:
    """An association's file dropped over the one in place in raw/."""
    target.unlink()
    shutil.copy2(version, target)


def measure_sql_replay(
    settings: Settings, work: Path, version: Path, target: Path, name: str
) -> dict:
    """The correction built once more, then its SQL replayed without dbt (benchmarks.dbt_log):
    what dbt's own cost per node adds to the SQL of the same build.

    The replay needs the warehouse as the build found it: a first run ingests the file and
    starts dbt on a target its profile lacks, so that dbt stops before any SQL; the warehouse
    is copied, then a second run builds it as any run does."""
    _drop_in(version, target)
    print(f"[{name}] the correction again, its SQL then replayed without dbt…", flush=True)
    stopped = run_cli(
        settings, work / "logs" / f"{name}-ingested", {"DBT_TARGET": MISSING_DBT_TARGET}
    )
    if dbt_breakdown(settings.warehouse, stopped["started_at"]) is not None:
        raise RuntimeError("dbt ran its build on a missing target: no state to replay on")
    copy = work / "sql-replay" / settings.warehouse.name
    copy.parent.mkdir(exist_ok=True)
    for path in (settings.warehouse, settings.warehouse.with_name(f"{copy.name}.wal")):
        if path.exists():  # DuckDB's write-ahead log, when the last writer left one
            shutil.copyfile(path, copy.with_name(path.name))
    built = run_cli(settings, work / "logs" / f"{name}-built")
    dbt = dbt_breakdown(settings.warehouse, built["started_at"])
    if built["exit_code"] != 0 or dbt is None:
        raise RuntimeError(f"the build to replay failed (exit code {built['exit_code']})")
    replayed = replay(node_statements(last_build_dir(settings.warehouse) / "dbt.log"), copy)
    shutil.rmtree(copy.parent)
    return {
        "dbt_elapsed_seconds": dbt["elapsed_seconds"],
        "dbt_execution_seconds": dbt["execution_seconds"],
        **replayed,
    }


def probe_large(seed: int) -> dict:
    """What M cannot tell about L, measured cheaply, for L's extrapolation.

    L's files are half the size of M's: a sample of them goes through `ase-impact run`, and
    their phases come back as the pipeline timed them (with as many preparing processes as
    L's batches get on this machine).
    """
    large = WORKLOADS["L"]
    sample = dataclasses.replace(
        large, name="L-sample", association_count=LARGE_SAMPLE_FILES, periods=large.periods[-1:]
    )
    generated = generate(sample, seed)
    measured = _measured_run("L-probe", generated, WORK_DIR / "L-probe")
    paths = [generated.path(generated_file) for generated_file in generated.files]
    return {
        "sample_files": len(generated.files),
        "sample_rows": generated.row_count,
        "files": len(large.submissions()),
        "exit_code": measured["cli"]["exit_code"],
        "ingest_phases": measured["ingest_phases"],
        "timed_files": measured["timed_files"],
        "workers": measured["workers"],
        "floor_seconds": measure_floor(paths),
    }


# --- command line -------------------------------------------------------------------------------


def _workloads(value: str) -> list[str]:
    names = [name.strip() for name in value.split(",") if name.strip()]
    unknown = [name for name in names if name not in WORKLOAD_CHOICES]
    if unknown or not names:
        raise argparse.ArgumentTypeError(
            f"unknown workloads {unknown}; choose among {', '.join(WORKLOAD_CHOICES)}"
        )
    return names


def _engines(value: str) -> list[str]:
    names = [name.strip() for name in value.split(",") if name.strip()]
    if not names or set(names) - set(ENGINE_CHOICES):
        raise argparse.ArgumentTypeError(f"choose among {', '.join(ENGINE_CHOICES)}")
    return names


ENGINE_CHOICES = tuple(ENGINE_DESCRIPTIONS)


def compare_engines(engines: list[str], workloads: list[str], seed: int) -> int:
    """Each workload once on each engine, into results.json's "engines" (the other figures
    stay as they were), on PostgreSQL with Dagster's storage there too."""
    global ENGINE
    results = json.loads(RESULTS_JSON.read_text())
    results["machine"] = describe_machine()
    results["help"] = measure_help()
    compared = results.setdefault("engines", {})
    for engine in engines:
        server = start_server() if "postgresql" in engine else None
        ENGINE = Engine(engine, server)
        try:
            for name in workloads:
                measured = (
                    run_incremental(name, seed) if name in CORRECTIONS else run_workload(name, seed)
                )
                compared.setdefault(engine, {})[name] = measured
                # The default engine's figures are the page's own (stages, phases, targets);
                # measured on another engine only, they stay, each with its code and time.
                if engine == DEFAULT_ENGINE:
                    results["workloads"][name] = measured
        finally:
            ENGINE = Engine()
            if server is not None:
                remove_server(server)
        RESULTS_JSON.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    if "L" in results["workloads"]:
        results.pop("large_probe", None)
    results["generated_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    RESULTS_JSON.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    RESULTS_MD.write_text(render_results(results), encoding="utf-8")
    print(f"Results: {RESULTS_MD.relative_to(PROJECT_ROOT)}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.run", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--workloads", type=_workloads, default=["M", "incremental"])
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument(
        "--runs",
        type=int,
        default=1,
        help="runs of M and of the corrections (the median one is reported)",
    )
    parser.add_argument(
        "--engines",
        type=_engines,
        help="measure the workloads on each engine in turn, side by side: "
        + ", ".join(ENGINE_CHOICES),
    )
    args = parser.parse_args(argv)
    if not CLI.exists():
        parser.error(f"{CLI} is missing: run `make install` first")
    if args.engines:
        return compare_engines(args.engines, args.workloads, args.seed)

    results = json.loads(RESULTS_JSON.read_text()) if RESULTS_JSON.exists() else {"workloads": {}}
    results["machine"] = describe_machine()
    results["help"] = measure_help()
    for name in args.workloads:
        measured = (
            run_incremental(name, args.seed, args.runs)
            if name in CORRECTIONS
            else run_workload(name, args.seed, args.runs if name == "M" else 1)
        )
        results["workloads"][name] = measured
        RESULTS_JSON.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    if "L" in results["workloads"]:
        results.pop("large_probe", None)
    elif "M" in args.workloads:
        print("[L] not run: probing L-sized files for its extrapolation…", flush=True)
        results["large_probe"] = probe_large(args.seed)
    results["generated_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    RESULTS_JSON.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    RESULTS_MD.write_text(render_results(results), encoding="utf-8")
    print(f"Results: {RESULTS_MD.relative_to(PROJECT_ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
