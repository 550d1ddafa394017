"""`python -m benchmarks.run --workloads M,incremental`: measure the pipeline, write RESULTS.md.

Each workload runs from an empty warehouse, Dagster instance, archive and outputs under
benchmarks/work/<workload>/. Three kinds of figures, each measured where it is reliable:

- end to end: `ase-impact run` as a subprocess (wall clock; peak memory from os.wait4's
  ru_maxrss, the figure /usr/bin/time reports, plus the process tree's summed RSS sampled
  every 0.2 s, because dbt runs as a second process next to Dagster);
- stages of that run: the runs, steps and events Dagster recorded in the run's instance (one
  ingestion run per file, then the build run's steps: dbt build, gate, outputs), and dbt's
  own run_results.json and log for the build;
- ingest phases: the same files through `ingest_partition` in this process, with the
  functions it calls (archive, read, validate, pseudonymise, load) wrapped in timers, then the
  feedback workbook as the ingestion asset writes it; and the floor: python-calamine alone
  reading the same sheets of the same files, in one process.

When M runs and L does not, a probe measures what M cannot tell about L (L-sized files
in-process, raw/ holding L's 2,400 names) so that RESULTS.md can extrapolate L, labelled so.
Every workload's figures are kept in benchmarks/results.json, so `make bench-large` adds L to
the M figures of `make bench`; RESULTS.md is rendered from it.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from unittest import mock

from ase_impact.core.settings import (
    DEFAULT_MIN_CELL,
    MIN_CELL_VARIABLE,
    PROJECT_ROOT,
    Settings,
    settings_environment,
)
from ase_impact.intake.pseudonymise import DEPLOYMENT_ENV_VAR, KEY_ENV_VAR
from benchmarks.report import render_results
from benchmarks.workloads import (
    DEFAULT_SEED,
    INCREMENTAL_ASSOCIATION,
    INCREMENTAL_BASE,
    WORKLOADS,
    GeneratedWorkload,
    corrected_file,
    generate,
)
from orchestration.dbt_project import last_build_dir

BENCHMARKS_DIR = Path(__file__).resolve().parent
WORK_DIR = BENCHMARKS_DIR / "work"
RESULTS_JSON = BENCHMARKS_DIR / "results.json"
RESULTS_MD = BENCHMARKS_DIR / "RESULTS.md"
CLI = PROJECT_ROOT / ".venv" / "bin" / "ase-impact"
WORKLOAD_CHOICES = (*WORKLOADS, "incremental")
HELP_RUNS = 5
# L-sized files ingested in-process when L itself is not run, to extrapolate it.
LARGE_SAMPLE_FILES = 20
RSS_SAMPLE_SECONDS = 0.2
# Marks M's folders as M's finished run left them: the incremental workload continues there.
STATE_MARKER = "state.json"
# A key or deployment setting of the caller's shell must not reach the benchmark's runs.
UNSET_VARIABLES = (KEY_ENV_VAR, DEPLOYMENT_ENV_VAR, MIN_CELL_VARIABLE)
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
# dbt's log events saying it parses the whole project (no usable saved state).
FULL_PARSE_EVENTS = ("UnableToPartialParse", "PartialParsingNotEnabled", "ParsedFileLoadFailed")
INGEST_PHASES = ("archive", "find file", "read", "validate", "pseudonymise", "load")


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


def workload_settings(work: Path) -> Settings:
    return Settings(
        raw_dir=work / "raw",
        warehouse=work / "warehouse" / "ase_impact.duckdb",
        archive_dir=work / "archive",
        outputs_dir=work / "outputs",
        reports_dir=work / "reports",
        secrets_dir=work / "secrets",
        dagster_home=work / "dagster_home",
        min_cell=DEFAULT_MIN_CELL,
    )


def subprocess_env(settings: Settings) -> dict[str, str]:
    """The environment of `ase-impact run`: every path under the workload's folder."""
    env = {name: value for name, value in os.environ.items() if name not in UNSET_VARIABLES}
    return env | settings_environment(settings)


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
    """Parse the dbt project for these settings, as an installation's first command does.

    Measured runs then start as a département's monthly run does: dbt's manifest and parse
    state ready for its warehouse, whatever benchmark or test ran before.
    """
    script = "from orchestration.dbt_project import dbt_project; "
    script += "dbt_project.preparer.prepare(dbt_project)"
    subprocess.run(
        [str(PROJECT_ROOT / ".venv" / "bin" / "python"), "-c", script],
        env=subprocess_env(settings),
        cwd=PROJECT_ROOT,
        check=True,
        capture_output=True,
    )


def run_cli(settings: Settings, log_stem: Path) -> dict:
    command = [str(CLI), "run", "--raw-dir", str(settings.raw_dir)]
    command += ["--warehouse", str(settings.warehouse)]
    return measure_command(command, subprocess_env(settings), log_stem)


# --- reading back what the run did -------------------------------------------------------------


def _epoch(iso_text: str) -> float:
    return datetime.fromisoformat(iso_text.replace("Z", "+00:00")).timestamp()


def dbt_breakdown(warehouse: Path, build_started_at: float) -> dict | None:
    """dbt's own figures for the build run: elapsed time, time by node type, first and last node.

    The build keeps dbt's run_results.json and log beside the warehouse (last_build_dir); a
    file older than this build's start is an earlier build's, so nothing is reported.
    """
    kept = last_build_dir(warehouse)
    results_file = kept / "run_results.json"
    if not results_file.exists():
        return None
    run_results = json.loads(results_file.read_text())
    if _epoch(run_results["metadata"]["generated_at"]) < build_started_at:
        return None
    by_type: Counter[str] = Counter()
    for result in run_results["results"]:
        by_type[result["unique_id"].split(".")[0]] += result["execution_time"]
    timings = [
        timing
        for result in run_results["results"]
        for timing in result["timing"]
        if timing.get("started_at") and timing.get("completed_at")
    ]
    return {
        "elapsed_seconds": run_results["elapsed_time"],
        "execution_seconds": dict(by_type),
        "first_node_started_at": min(_epoch(timing["started_at"]) for timing in timings),
        "last_node_completed_at": max(_epoch(timing["completed_at"]) for timing in timings),
        **_dbt_log_milestones(kept / "dbt.log"),
    }


def _dbt_log_milestones(log: Path) -> dict:
    """When dbt logged its first line and finished parsing, and why it parsed in full."""
    milestones: dict = {}
    if not log.exists():
        return milestones
    for line in log.read_text().splitlines():
        info = json.loads(line)["info"]
        milestones.setdefault("first_log_at", _epoch(info["ts"]))
        if info["name"] == "FoundStats":
            milestones["parsed_at"] = _epoch(info["ts"])
            break
        if info["name"] in FULL_PARSE_EVENTS:
            milestones["full_parse_reason"] = info["msg"]
    return milestones


def git_state() -> dict:
    """The commit measured, and whether the pipeline's code had uncommitted changes."""

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", *args], cwd=PROJECT_ROOT, capture_output=True, text=True, check=False
        ).stdout.strip()

    changed = git("status", "--porcelain", "--", "orchestration", "dbt_project", "dagster.yaml")
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


def dagster_stages(settings: Settings, since: float, cli_end: float) -> dict:
    """Stages of the CLI run from the runs, steps and events Dagster recorded after `since`."""
    import dagster as dg

    with dg.DagsterInstance.from_config(str(settings.dagster_home)) as instance:
        records = [
            record
            for record in instance.get_run_records(ascending=True)
            if record.start_time and record.start_time >= since
        ]
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


def submission_counts(warehouse: Path) -> dict:
    """Rows of the latest version of every partition, as the quality tables hold them."""
    import duckdb

    with duckdb.connect(str(warehouse), read_only=True) as conn:
        row = conn.execute(
            """
            with latest as (
                select * from quality.submissions
                qualify version = max(version) over (partition by period, association_code)
            )
            select count(*), sum(rows_received), sum(rows_accepted), sum(rows_rejected),
                   count(*) filter (where status = 'rejected')
            from latest
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


# --- ingest phases in-process, and the floor ----------------------------------------------------


class PhaseTimer:
    """Accumulates the time spent in wrapped functions, by phase."""

    def __init__(self) -> None:
        self.seconds: Counter[str] = Counter()

    def wrap(self, phase: str, function: Callable) -> Callable:
        def timed(*args, **kwargs):
            start = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                self.seconds[phase] += time.perf_counter() - start

        return timed

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] += time.perf_counter() - start


def measure_ingest_phases(submissions: list[tuple[str, str]], settings: Settings) -> dict:
    """Ingest the files as the ingestion asset does (one connection for the batch), timing
    each function ingest_file calls."""
    from ase_impact.intake import ingestion, workbook
    from ase_impact.publish.feedback import write_feedback_workbook
    from ase_impact.warehouse import connection, loader, schema

    timer = PhaseTimer()
    wrapped = {
        (ingestion, "archive_file"): "archive",
        (ingestion, "month_files"): "find file",
        (ingestion, "read_workbook"): "read",
        (ingestion, "check_identity"): "read",
        (ingestion, "validate_workbook"): "validate",
        (ingestion, "load_key"): "pseudonymise",
        (ingestion, "pseudonymise_frame"): "pseudonymise",
        (loader, "replace_partition"): "load",
        # Part of "read": the XML pass of the file checks.
        (workbook, "check_sheet_cells"): "read: file checks",
    }
    with ExitStack() as patches:
        for (module, name), phase in wrapped.items():
            # A function the pipeline no longer has simply leaves its phase out.
            if hasattr(module, name):
                timed = timer.wrap(phase, getattr(module, name))
                patches.enter_context(mock.patch.object(module, name, timed))
        with connection.locked_connection(settings.warehouse) as conn:
            with timer.phase("ingest total"):
                schema.ensure_schema(conn)
            outcomes = ingestion.ingest_partitions(conn, settings, submissions)
            for _ in submissions:
                with timer.phase("ingest total"):
                    (period, code), _outcome = next(outcomes)
                with timer.phase("feedback workbook"):
                    write_feedback_workbook(conn, period, code, settings.outputs_dir)
    seconds = dict(timer.seconds)
    seconds["other"] = seconds["ingest total"] - sum(seconds.get(p, 0.0) for p in INGEST_PHASES)
    return seconds


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


def _fresh(work: Path) -> Settings:
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    return workload_settings(work)


def _in_process(submissions: list[tuple[str, str]], raw_dir: Path, paths: list[Path], work: Path):
    scratch = _fresh(work / "in_process")
    phases = measure_ingest_phases(submissions, dataclasses.replace(scratch, raw_dir=raw_dir))
    return {"ingest_phases": phases, "floor_seconds": measure_floor(paths)}


def _measured_run(name: str, generated: GeneratedWorkload, work: Path) -> dict:
    """One `ase-impact run` of the workload from empty folders, with its stages and counts."""
    settings = _fresh(work)
    place_raw_files(generated, settings.raw_dir)
    prepare_dbt_project(settings)
    print(f"[{name}] {len(generated.files)} files; ase-impact run…", flush=True)
    cli = run_cli(settings, work / "logs" / "run")
    cli_end = cli["started_at"] + cli["wall_seconds"]
    print(f"[{name}] run took {cli['wall_seconds']:.1f} s", flush=True)
    return {
        "cli": cli,
        "stages": dagster_stages(settings, cli["started_at"], cli_end),
        "counts": submission_counts(settings.warehouse),
    }


def run_workload(name: str, seed: int, runs: int = 1) -> dict:
    """The workload run `runs` times from empty folders; the run of median wall time is kept
    (the machine's speed varies by several seconds from one run to the next)."""
    from ase_impact.intake.ingestion import preparing_workers

    workload = WORKLOADS[name]
    started = time.perf_counter()
    generated = generate(workload, seed)
    generation_seconds = time.perf_counter() - started
    work = WORK_DIR / name
    measured = sorted(
        (_measured_run(name, generated, work) for _ in range(runs)),
        key=lambda run: run["cli"]["wall_seconds"],
    )
    # The folders hold the last run's state, the same as any run's.
    kept = measured[len(measured) // 2]
    if kept["cli"]["exit_code"] == 0 and kept["stages"]["build_status"] == "SUCCESS":
        (work / STATE_MARKER).write_text(json.dumps({"seed": seed, "files": len(generated.files)}))
    print(f"[{name}] ingest phases in-process…", flush=True)
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
        "wall_seconds_of_runs": [run["cli"]["wall_seconds"] for run in measured],
        # Processes that prepared the files in the runs (the pipeline's own choice).
        "workers": preparing_workers(len(generated.files)),
        **kept,
        **_in_process(workload.submissions(), generated.raw_dir, paths, work),
    }


def run_incremental(seed: int) -> dict:
    """M loaded, then one association drops its corrected file over the first one.

    It runs in M's own folders, as a département's next run does: the warehouse keeps its
    path, so dbt's saved parse state applies (a copy elsewhere would change dbt's profile).
    """
    work = WORK_DIR / INCREMENTAL_BASE
    generated = generate(WORKLOADS[INCREMENTAL_BASE], seed)
    marker = work / STATE_MARKER
    setup_seconds = None
    if marker.exists() and json.loads(marker.read_text())["seed"] == seed:
        settings = workload_settings(work)
    else:
        print(f"[incremental] loading {INCREMENTAL_BASE} first (not measured)…", flush=True)
        settings = _fresh(work)
        place_raw_files(generated, settings.raw_dir)
        setup_seconds = run_cli(settings, work / "logs" / "setup")["wall_seconds"]
    # From here on, the folders no longer hold M's state as M's run left it.
    marker.unlink(missing_ok=True)
    period = WORKLOADS[INCREMENTAL_BASE].periods[-1]
    corrected = corrected_file(generated, period, INCREMENTAL_ASSOCIATION)
    target = settings.raw_dir / period / f"{INCREMENTAL_ASSOCIATION}.xlsx"
    target.unlink()
    shutil.copy2(corrected, target)
    print("[incremental] ase-impact run with one corrected file…", flush=True)
    cli = run_cli(settings, work / "logs" / "incremental")
    cli_end = cli["started_at"] + cli["wall_seconds"]
    stages = dagster_stages(settings, cli["started_at"], cli_end)
    counts = submission_counts(settings.warehouse)
    return {
        "workload": "incremental",
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "code": git_state(),
        "seed": seed,
        "setup_seconds": setup_seconds,
        "files": 1,
        "rows_generated": sum(
            generated_file.row_count
            for generated_file in generated.files
            if generated_file.file_name == f"{period}/{INCREMENTAL_ASSOCIATION}.xlsx"
        ),
        "rows_planted_rejected": 0,
        "cli": cli,
        "stages": stages,
        "counts": counts,
        **_in_process(
            [(period, INCREMENTAL_ASSOCIATION)],
            settings.raw_dir,
            [target],
            WORK_DIR / "incremental",
        ),
    }


def _best_of(times: int, function: Callable) -> float:
    durations = []
    for _ in range(times):
        start = time.perf_counter()
        function()
        durations.append(time.perf_counter() - start)
    return min(durations)


def probe_large(seed: int) -> dict:
    """What M cannot tell about L, measured cheaply, for L's extrapolation.

    L's files are half the size of M's: a sample of them goes through the in-process ingest
    phases. Planning lists raw/ once per run, and ingestion lists each month's folder once to
    find its files: both are timed over a raw/ holding L's 2,400 file names (empty files).
    """
    large = WORKLOADS["L"]
    sample = dataclasses.replace(
        large, name="L-sample", association_count=LARGE_SAMPLE_FILES, periods=large.periods[-1:]
    )
    generated = generate(sample, seed)
    work = WORK_DIR / "L-probe"
    _fresh(work)
    names_dir = work / "raw_names"
    for period, code in large.submissions():
        (names_dir / period).mkdir(parents=True, exist_ok=True)
        (names_dir / period / f"{code}.xlsx").touch()
    from ase_impact.intake.discovery import month_files, submission_files

    scan_seconds = _best_of(3, lambda: submission_files(names_dir))
    month_seconds = _best_of(3, lambda: month_files(names_dir, large.periods[0]))
    paths = [generated.path(generated_file) for generated_file in generated.files]
    return {
        "sample_files": len(generated.files),
        "sample_rows": generated.row_count,
        "files": len(large.submissions()),
        "raw_scan_seconds": scan_seconds,
        "month_listing_seconds": month_seconds,
        **_in_process(sample.submissions(), generated.raw_dir, paths, work),
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.run", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--workloads", type=_workloads, default=["M", "incremental"])
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument(
        "--runs", type=int, default=1, help="runs of M (the median one is reported)"
    )
    args = parser.parse_args(argv)
    for name in UNSET_VARIABLES:
        os.environ.pop(name, None)
    if not CLI.exists():
        parser.error(f"{CLI} is missing: run `make install` first")

    results = json.loads(RESULTS_JSON.read_text()) if RESULTS_JSON.exists() else {"workloads": {}}
    results["machine"] = describe_machine()
    results["help"] = measure_help()
    for name in args.workloads:
        measured = (
            run_incremental(args.seed)
            if name == "incremental"
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
