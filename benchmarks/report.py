"""RESULTS.md from the figures the harness measured: tables, targets, and where the time goes.

Every number in the page comes from results.json; the sentences that explain a missed target
are built from the measured breakdown, so they stay true when the figures change. An L that
was not measured is extrapolated from M, and labelled as such everywhere it appears.
"""

from __future__ import annotations

from dataclasses import dataclass

from ase_impact.warehouse.connection import DBT_POSTGRES_OPTIONS
from benchmarks.workloads import CORRECTIONS, WORKLOADS

GIB_MIB = 1024
ORDER = ("M", "incremental", "S", "incremental-S", "L", "incremental-L")
TITLES = {
    "M": "M (50 associations × 1 month × 1,000 pairs)",
    "incremental": "incremental (M loaded, 1 corrected file)",
    "S": "S (2 associations × 1 month × 200 pairs)",
    "incremental-S": "incremental-S (S loaded, 1 corrected file)",
    "L": "L (200 associations × 12 months × 500 pairs)",
    "incremental-L": (
        f"incremental-L (L loaded, 1 corrected file of {CORRECTIONS['incremental-L'].period})"
    ),
}
TARGET_M_SECONDS = 45
TARGET_FLOOR_RATIO = 3
# Fewer planned events than this, and a run's creation time says nothing of an event's cost.
MIN_PLANNED_EVENTS_TIMED = 100
TARGET_INCREMENTAL_SECONDS = 10
TARGET_L_SECONDS = 10 * 60
TARGET_L_MEMORY_MIB = 3 * GIB_MIB
TARGET_COST_RATIO = 1.5
TARGET_HELP_SECONDS = 1


def _s(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    if seconds >= 120:
        return f"{seconds:,.0f} s ({seconds / 60:.1f} min)"
    return f"{seconds:,.1f} s" if seconds >= 1 else f"{seconds:.2f} s"


def _mib(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value / GIB_MIB:.2f} GiB" if value >= GIB_MIB else f"{value:,.0f} MiB"


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return lines + ["| " + " | ".join(row) + " |" for row in rows]


# --- derived figures ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Figures:
    """One workload's measured figures, with the sums the page needs."""

    data: dict

    @property
    def wall(self) -> float:
        return self.data["cli"]["wall_seconds"]

    @property
    def rows(self) -> int:
        return self.data["rows_generated"]

    @property
    def stages(self) -> dict:
        return self.data["stages"]

    @property
    def files(self) -> int:
        return self.data["files"]

    @property
    def failure(self) -> str | None:
        """Why the run measures nothing (a failed command or build), None when it succeeded."""
        exit_code, build = self.data["cli"]["exit_code"], self.stages["build_status"]
        if exit_code == 0 and build == "SUCCESS":
            return None
        return f"the run failed (exit code {exit_code}, build {build}): no measure"

    def build(self, phase: str) -> float:
        return self.stages["build_phases"].get(phase, 0.0)

    @property
    def sql_replay(self) -> dict | None:
        """The correction's SQL replayed without dbt, when the harness measured it."""
        return self.data.get("sql_replay")

    @property
    def gate_periods(self) -> str:
        """The periods the gate's range suites validated, of all they hold."""
        periods = self.stages.get("gate_periods")
        if not periods:
            return "not recorded"
        total = periods["validated"] + periods["unchanged"]
        return f"{periods['validated']:,} of {total:,} ({periods['suites']} suites)"

    @property
    def workbook_months(self) -> str:
        """The months whose consolidated workbooks the build wrote, of all it holds."""
        months = self.stages.get("workbook_months")
        if not months:
            return "not recorded"
        written = months["written"]
        total = len(written) + len(months["unchanged"])
        return f"{len(written)} of {total}" + (f" ({', '.join(written)})" if written else "")

    @property
    def build_overhead(self) -> float:
        return self.stages["build_run_seconds"] - sum(self.stages["build_phases"].values())

    @property
    def ingest_work(self) -> float:
        """The files' own work in the ingestion runs, as the pipeline timed it: ingest phases
        + feedback workbooks, summed over the files."""
        return self.ingest_total + self.phases.get("feedback workbook", 0.0)

    @property
    def workers(self) -> int:
        """Processes that prepared the files in the measured runs, as the pipeline recorded."""
        return self.data.get("workers") or 1

    @property
    def timed_files(self) -> int:
        """Files whose phases the pipeline recorded (a refused file has none)."""
        return self.data.get("timed_files") or self.files

    @property
    def event_seconds(self) -> float:
        """What writing one event costs: the ingestion runs' creation writes only planned ones
        (with enough of them to outweigh the run record itself)."""
        planned = self.stages.get("ingestion_planned_events", 0)
        if planned < MIN_PLANNED_EVENTS_TIMED:
            return 0.0
        return self.stages["ingestion_creation_seconds"] / planned

    @property
    def ingestion_events_seconds(self) -> float:
        """The ingestion runs' events at that cost: an estimate, not a measurement."""
        return self.stages["ingestion_events"] * self.event_seconds

    def dbt_milestone(self, name: str) -> float | None:
        dbt = self.stages.get("dbt") or {}
        return dbt.get(name)

    def dbt_execution(self, kind: str) -> str:
        """dbt's execution time of one kind of node (model, test…), summed over threads, and
        how many ran when recorded."""
        dbt = self.stages.get("dbt")
        if not dbt:
            return "–"
        nodes = self.dbt_nodes(kind)
        seconds = _s(dbt["execution_seconds"].get(kind, 0.0))
        return seconds + (f" ({nodes:,} nodes)" if nodes else "")

    @property
    def rows_received(self) -> int:
        """Rows in the warehouse after the run (latest versions)."""
        return self.data["counts"]["rows_received"]

    def dbt_nodes(self, kind: str) -> int | None:
        """How many nodes of one kind the build ran (None in figures measured before the
        harness counted them)."""
        return ((self.stages.get("dbt") or {}).get("nodes") or {}).get(kind)

    @property
    def dbt_own(self) -> float | None:
        dbt = self.stages.get("dbt")
        return dbt["elapsed_seconds"] if dbt else None

    @property
    def phases(self) -> dict:
        return self.data["ingest_phases"]

    @property
    def ingest_total(self) -> float:
        """The ingest phases of the timed files, summed."""
        return self.phases["ingest total"]

    @property
    def floor(self) -> float:
        """python-calamine alone reading the sheets of every file of the workload."""
        return self.data["floor_seconds"]

    @property
    def timed_floor(self) -> float:
        """The floor of the timed files alone (the files are of one size)."""
        return self.floor * self.timed_files / self.files

    @property
    def floor_ratio(self) -> float:
        return self.ingest_total / self.timed_floor

    @property
    def cost_per_1000_rows(self) -> float:
        return self.wall / self.rows * 1000


@dataclass(frozen=True)
class LargeEstimate:
    """L extrapolated from M: not a measurement."""

    wall: float
    rows: int
    parts: dict[str, float]

    @property
    def cost_per_1000_rows(self) -> float:
        return self.wall / self.rows * 1000


def extrapolate_large(m: Figures, probe: dict) -> LargeEstimate:
    """Scale each part of M by what drives it in L, with L's own per-file costs where measured.

    The ingestion runs (creation, events, the work spread on the cores) scale with the files,
    each costing what an M file does times the ratio of their work per file as the pipeline
    timed it (the probe runs L-sized files through `ase-impact run`); dbt's execution and the
    gate scale with rows; the consolidated workbooks with months × pairs per month; start-up
    and planning (listing and hashing raw/) and dbt's start-up stay as in M.
    """
    large = WORKLOADS["L"]
    files = probe["files"]
    rows = round(probe["sample_rows"] / probe["sample_files"] * files)
    row_scale = rows / m.rows
    sample = probe["ingest_phases"]
    sample_timed = probe.get("timed_files") or probe["sample_files"]
    work_per_file = (sample["ingest total"] + sample["feedback workbook"]) / sample_timed
    m_ingestion = m.stages["ingestion_creation_seconds"] + m.stages["ingestion_window_seconds"]
    ingestion_per_file = m_ingestion / m.files * work_per_file / (m.ingest_work / m.timed_files)
    pairs_per_month = large.association_count * large.pairs_per_file
    m_pairs_per_month = WORKLOADS["M"].association_count * WORKLOADS["M"].pairs_per_file
    dbt_own = m.dbt_own or m.build("dbt build")
    parts = {
        "start-up and planning (as M)": m.stages["startup_seconds"],
        "ingestion runs (M's per file × L's work per file / M's)": ingestion_per_file * files,
        "dbt start-up and parse (as M)": m.build("dbt build") - dbt_own,
        "dbt execution (M's, per row)": dbt_own * row_scale,
        "gate (M's, per row)": m.build("gate") * row_scale,
        "outputs (M's, × months × pairs per month)": m.build("outputs")
        * len(large.periods)
        * pairs_per_month
        / m_pairs_per_month,
        "build run overhead and summary (as M)": m.build_overhead
        + m.stages["after_build_seconds"]
        + m.stages["between_ingestion_and_build_seconds"],
    }
    return LargeEstimate(wall=sum(parts.values()), rows=rows, parts=parts)


# --- sections -------------------------------------------------------------------------------------


def _machine(results: dict) -> list[str]:
    machine = results["machine"]
    packages = ", ".join(f"{name} {version}" for name, version in machine["packages"].items())
    return [
        "## Machine",
        "",
        f"- CPU: {machine['cpu']}, {machine['cores']} logical cores; RAM {machine['ram_gib']} GiB;"
        f" {machine['os']}",
        f"- Python {machine['python']}; {packages}",
        "",
    ]


def _workloads(measured: dict[str, Figures]) -> list[str]:
    rows = []
    for name, figures in measured.items():
        data = figures.data
        counts = data["counts"]
        code = data.get("code", {})
        state = code.get("commit", "?") + (
            " + uncommitted changes" if code.get("uncommitted_changes") else ""
        )
        rows.append(
            [
                TITLES[name],
                f"{figures.files:,}",
                f"{figures.rows:,}",
                f"{data['rows_planted_rejected']:,}",
                f"{counts['files']:,} files, {counts['rows_received']:,} received, "
                f"{counts['rows_rejected']:,} rejected, {counts['files_refused']} refused",
                data["measured_at"],
                state,
            ]
        )
    return [
        "## Workloads",
        "",
        *_table(
            [
                "workload",
                "files run",
                "rows in those files",
                "rows planted to be rejected",
                "warehouse after the run (latest versions)",
                "measured at (UTC)",
                "code",
            ],
            rows,
        ),
        "",
        "Rows are the non-blank data rows of the five read sheets (Données, Questionnaire fin de "
        "mentorat, Questionnaire MIS PE, Ressources, Activités). About 1 % of the rows carry one "
        "planted defect of one of eight kinds (value outside a list, closed pair without end "
        "date, unreadable date, duplicated pair id, questionnaire answer outside its list, MIS PE "
        "score 5, negative amount, activity of another month). The associations `bench-001`… "
        "are listed in the workload's own registry (ASE_IMPACT_REGISTRY), written beside its "
        "folders.",
        "",
    ]


def _end_to_end(measured: dict[str, Figures], large: LargeEstimate | None) -> list[str]:
    names = list(measured)
    header = ["`ase-impact run`", *names] + (["L (extrapolated, not measured)"] if large else [])
    estimate = [_s(large.wall)] if large else []
    rows = [
        ["wall time", *(_s(f.wall) for f in measured.values()), *estimate],
        [
            "wall times of the runs (the median one is reported)",
            *(
                ", ".join(_s(wall) for wall in f.data.get("wall_seconds_of_runs", [f.wall]))
                for f in measured.values()
            ),
            *(["–"] if large else []),
        ],
        [
            "peak RSS, largest process",
            *(_mib(f.data["cli"]["peak_rss_largest_process_mib"]) for f in measured.values()),
            *(["not extrapolated"] if large else []),
        ],
        [
            "peak RSS, whole process tree (sampled)",
            *(_mib(f.data["cli"]["peak_rss_tree_mib"]) for f in measured.values()),
            *(["–"] if large else []),
        ],
        [
            "rows per second",
            *(f"{f.rows / f.wall:,.0f}" for f in measured.values()),
            *([f"{large.rows / large.wall:,.0f}"] if large else []),
        ],
        [
            "seconds per 1,000 rows",
            *(f"{f.cost_per_1000_rows:.2f}" for f in measured.values()),
            *([f"{large.cost_per_1000_rows:.2f}"] if large else []),
        ],
        [
            "exit code",
            *(str(f.data["cli"]["exit_code"]) for f in measured.values()),
            *(["–"] if large else []),
        ],
    ]
    outcome = [
        f"- {name}: " + " / ".join(f.data["cli"]["outcome_lines"] or ["(no outcome line)"])
        for name, f in measured.items()
    ]
    return [
        "## End to end",
        "",
        *_table(header, rows),
        "",
        "What the CLI printed:",
        *outcome,
        "",
    ] + (
        [
            f"L was not run: M took {_s(measured['M'].wall)}, L has "
            f"{large.rows / measured['M'].rows:.0f}× M's rows and the extrapolation below puts "
            f"it at {_s(large.wall)}. `make bench-large` runs it and adds it to this page.",
            "",
        ]
        if large
        else []
    )


def _stages(measured: dict[str, Figures]) -> list[str]:
    def row(label: str, value) -> list[str]:
        return [label, *(value(f) for f in measured.values())]

    rows = [
        row(
            "start-up, definitions, planning (before the first run is created)",
            lambda f: _s(f.stages["startup_seconds"]),
        ),
        row(
            "ingestion runs' creation (their planned-materialization events)",
            lambda f: (
                f"{_s(f.stages['ingestion_creation_seconds'])}: "
                f"{f.stages.get('ingestion_planned_events', 0):,} events"
            ),
        ),
        row(
            "ingestion runs: start → end",
            lambda f: (
                f"{_s(f.stages['ingestion_window_seconds'])} ({f.files} file(s), "
                f"{f.stages['ingestion_runs']} run(s))"
            ),
        ),
        row(
            "  · the files' own work as the pipeline timed it (phases + feedback workbooks)",
            lambda f: _s(f.ingest_work),
        ),
        row(
            "  · their events, at the cost of a planned one (estimate)",
            lambda f: (
                f"{_s(f.ingestion_events_seconds)}: {f.stages['ingestion_events']:,} events, "
                f"{f.stages.get('ingestion_materializations', 0):,} of them materializations, "
                f"{f.event_seconds * 1000:.0f} ms each"
                if f.event_seconds
                else f"{f.stages['ingestion_events']:,} events (too few planned ones to time)"
            ),
        ),
        row(
            "between the last ingestion and the build's creation",
            lambda f: _s(f.stages["between_ingestion_and_build_seconds"]),
        ),
        row(
            "build run's creation (planned materializations and checks)",
            lambda f: _s(f.stages.get("build_creation_seconds")),
        ),
        row("build run", lambda f: _s(f.stages["build_run_seconds"])),
        row("  · dbt build step", lambda f: _s(f.build("dbt build"))),
        row(
            "      step start → dbt's first log line (dagster-dbt, dbt process start)",
            lambda f: _s(f.dbt_milestone("before_dbt_logs_seconds")),
        ),
        row(
            "      dbt parse",
            lambda f: (
                _s(f.dbt_milestone("parse_seconds"))
                + (" (full parse)" if f.dbt_milestone("full_parse_reason") else "")
            ),
        ),
        row("      dbt's own elapsed time (run_results.json)", lambda f: _s(f.dbt_own)),
        row("        models", lambda f: f.dbt_execution("model")),
        row("        data tests", lambda f: f.dbt_execution("test")),
        row(
            "        seeds and unit tests",
            lambda f: _s(
                sum(
                    (f.stages.get("dbt") or {}).get("execution_seconds", {}).get(k, 0.0)
                    for k in ("seed", "unit_test")
                )
            ),
        ),
        row(
            "      last node → end of step",
            lambda f: _s(f.dbt_milestone("after_last_node_seconds")),
        ),
        row("  · gate (great-expectations)", lambda f: _s(f.build("gate"))),
        row(
            "  · outputs (published snapshot + consolidated workbooks)",
            lambda f: _s(f.build("outputs")),
        ),
        row(
            "  · build run outside its steps",
            lambda f: f"{_s(f.build_overhead)} ({f.stages['build_events']:,} events in the run)",
        ),
        row("after the build (summary, exit)", lambda f: _s(f.stages["after_build_seconds"])),
    ]
    return [
        "## Where the time of `ase-impact run` goes",
        "",
        "From the run and step start/end times Dagster recorded in the run's own instance "
        "(`benchmarks/work/<workload>/dagster_home`), and dbt's `run_results.json` of the build.",
        "",
        *_table(["stage", *measured], rows),
        "",
    ]


def _phases(measured: dict[str, Figures]) -> list[str]:
    labels = {
        "archive": "archive (SHA-256 + copy)",
        "read": "read (file checks, calamine, frames, identity)",
        "validate": "validate (pandera contracts, findings, masking, counts)",
        "pseudonymise": "pseudonymise (key, HMAC, ages)",
        "load": "load (DuckDB partition replace)",
        "ingest total": "**ingest phase total**",
    }
    rows = []
    for phase, label in labels.items():
        cells = []
        for f in measured.values():
            seconds = f.phases.get(phase, 0.0)
            cells.append(
                f"{_s(seconds)} · {seconds / f.timed_files * 1000:,.0f} ms/file · "
                f"{seconds / f.timed_floor:.1f}× floor"
            )
        rows.append([label, *cells])
    rows.append(
        [
            "feedback workbook (an output, written per file)",
            *(
                f"{_s(seconds)} · {seconds / f.timed_files * 1000:,.0f} ms/file"
                for f in measured.values()
                for seconds in [f.phases.get("feedback workbook", 0.0)]
            ),
        ]
    )
    rows.append(
        [
            "files timed · processes that prepared them",
            *(f"{f.timed_files:,} of {f.files:,} · {f.workers}" for f in measured.values()),
        ]
    )
    rows.append(
        [
            "**floor**: python-calamine alone, same sheets",
            *(
                f"{_s(f.floor)} · {f.floor / f.files * 1000:,.0f} ms/file"
                for f in measured.values()
            ),
        ]
    )
    rows.append(
        ["**ingest phase / floor**", *(f"**{f.floor_ratio:.1f}**" for f in measured.values())]
    )
    rows.append(
        [
            "CLI ingestion stage / floor (with Dagster)",
            *(f"{f.stages['ingestion_window_seconds'] / f.floor:.1f}" for f in measured.values()),
        ]
    )
    return [
        "## Ingest phases, as the pipeline timed them, and the floor",
        "",
        "The intake times each phase of every file it ingests, where the phase runs (a worker "
        "process prepares the file: archive, read, validate, pseudonymise; the writer loads "
        "it), and the ingestion asset writes the seconds, with its feedback workbook's, on the "
        "partition's `quality/submissions` materialization (`duree_*_s`, beside "
        "`processus_de_preparation`). The harness reads them back from the measured run's "
        "Dagster instance (`fetch_materializations`) and sums them over the files: time spent "
        "in the process that ran each phase, while the other processes worked too, not wall "
        "time. A refused file has no materialization, so no phases. The floor reads the six "
        "read sheets of each file with `python_calamine` (`to_python`), file after file, in "
        "the harness's process; it is compared with the timed files' share of it.",
        "",
        *_table(["phase", *measured], rows),
        "",
    ]


@dataclass(frozen=True)
class Target:
    label: str
    measured: str
    met: bool | None  # None: not measured
    margin: str


def _checked(verdict: tuple[bool, str], *runs: Figures) -> tuple[bool, str]:
    """A verdict on runs of which one failed is no verdict: a failed build is fast and small."""
    failure = next((run.failure for run in runs if run.failure is not None), None)
    return verdict if failure is None else (False, failure)


def _verdict(value: float, limit: float, unit: str = "s") -> tuple[bool, str]:
    if value <= limit:
        return True, f"{(limit - value) / limit:.0%} under"
    over = value - limit
    amount = f"{over:,.1f} {unit}" if unit else f"{over:.1f}"
    return False, f"over by {amount} (×{value / limit:.1f} the target)"


def targets(
    results: dict, measured: dict[str, Figures], large: LargeEstimate | None
) -> list[Target]:
    found: list[Target] = []
    if "M" in measured:
        m = measured["M"]
        met, margin = _checked(_verdict(m.wall, TARGET_M_SECONDS), m)
        found.append(Target(f"M end-to-end ≤ {TARGET_M_SECONDS} s", _s(m.wall), met, margin))
        met, margin = _checked(_verdict(m.floor_ratio, TARGET_FLOOR_RATIO, unit=""), m)
        found.append(
            Target(
                f"M ingest phase / floor ≤ {TARGET_FLOOR_RATIO}",
                f"{m.floor_ratio:.1f}",
                met,
                margin,
            )
        )
    if "incremental" in measured:
        incremental = measured["incremental"]
        wall = incremental.wall
        met, margin = _checked(_verdict(wall, TARGET_INCREMENTAL_SECONDS), incremental)
        found.append(Target(f"incremental ≤ {TARGET_INCREMENTAL_SECONDS} s", _s(wall), met, margin))
    if "L" in measured:
        big = measured["L"]
        met, margin = _checked(_verdict(big.wall, TARGET_L_SECONDS), big)
        found.append(Target(f"L end-to-end ≤ {_s(TARGET_L_SECONDS)}", _s(big.wall), met, margin))
        peak = big.data["cli"]["peak_rss_tree_mib"]
        met, margin = _checked(_verdict(peak, TARGET_L_MEMORY_MIB, unit="MiB"), big)
        found.append(Target("L peak memory ≤ 3 GiB (process tree)", _mib(peak), met, margin))
        if "M" in measured:
            ratio = big.cost_per_1000_rows / measured["M"].cost_per_1000_rows
            verdict = _verdict(ratio, TARGET_COST_RATIO, unit="")
            met, margin = _checked(verdict, big, measured["M"])
            found.append(Target("L cost per row ≤ 1.5 × M's", f"×{ratio:.2f}", met, margin))
    elif large is not None:
        _, margin = _verdict(large.wall, TARGET_L_SECONDS)
        found.append(
            Target(
                f"L end-to-end ≤ {_s(TARGET_L_SECONDS)}",
                f"not measured; extrapolated {_s(large.wall)}",
                None,
                f"extrapolation: {margin}",
            )
        )
        found.append(Target("L peak memory ≤ 3 GiB", "not measured", None, "–"))
        ratio = large.cost_per_1000_rows / measured["M"].cost_per_1000_rows
        _, margin = _verdict(ratio, TARGET_COST_RATIO, unit="")
        found.append(
            Target(
                "L cost per row ≤ 1.5 × M's",
                f"not measured; extrapolated ×{ratio:.2f}",
                None,
                f"extrapolation: {margin}",
            )
        )
    else:
        found.append(Target(f"L end-to-end ≤ {_s(TARGET_L_SECONDS)}", "not measured", None, "–"))
        found.append(Target("L peak memory ≤ 3 GiB (process tree)", "not measured", None, "–"))
    help_seconds = results["help"]["first_seconds"]
    met, margin = _verdict(help_seconds, TARGET_HELP_SECONDS)
    found.append(
        Target(
            "`ase-impact --help` < 1 s",
            f"{help_seconds:.2f} s first run, {results['help']['median_seconds']:.2f} s median",
            met,
            margin,
        )
    )
    return found


def _targets_section(found: list[Target]) -> list[str]:
    status = {True: "met", False: "**missed**", None: "not measured"}
    return [
        "## Targets (issue 5; issue 14 for M, incremental and L's time)",
        "",
        *_table(
            ["target", "measured", "status", "margin"],
            [[t.label, t.measured, status[t.met], t.margin] for t in found],
        ),
        "",
    ]


def _dagster_seconds(f: Figures) -> float:
    """Dagster's own share of a run (estimate): the runs' creation, the events of the runs."""
    events = f.stages["ingestion_events"] + f.stages["build_events"]
    creation = f.stages["ingestion_creation_seconds"] + f.stages.get("build_creation_seconds", 0.0)
    return creation + events * f.event_seconds


def _dbt_sentence(f: Figures) -> str:
    full_parse = f.dbt_milestone("full_parse_reason")
    parse = _s(f.dbt_milestone("parse_seconds"))
    return (
        f"dbt build step {_s(f.build('dbt build'))}: dbt's own execution {_s(f.dbt_own)}, "
        f"{_s(f.dbt_milestone('before_dbt_logs_seconds'))} from the step's start to dbt's first "
        "log line (dagster-dbt preparing the invocation, then a new dbt process importing "
        "dbt), then "
        + (
            f"a full parse of {parse} (dbt: « {full_parse} »)"
            if full_parse
            else f"{parse} of parse"
        )
        + "; the step also writes an event per model and per dbt test (asset checks)"
    )


def _m_analysis(m: Figures) -> list[str]:
    stages = m.stages
    dagster = _dagster_seconds(m)
    savings = {
        "Dagster's events written in batches, where its storages commit each on its own "
        "(it batches only the materializations of one partitioned output): most of "
        "Dagster's share": 0.7 * dagster,
        f"ingest phases at 3× the floor, on the {m.workers} worker process(es)": max(
            0.0, m.ingest_total - TARGET_FLOOR_RATIO * m.timed_floor
        )
        / m.workers,
        "dbt started once and kept warm, or run in-process, instead of a new process per "
        "build (its imports and dagster-dbt's preparation)": m.dbt_milestone(
            "before_dbt_logs_seconds"
        )
        or 0.0,
    }
    projected = m.wall - sum(savings.values())
    return [
        f"### M end to end: {_s(m.wall)} for a {TARGET_M_SECONDS} s target",
        "",
        "Where the time goes (measured, see the tables below):",
        "",
        f"- **Dagster's share**: about {_s(dagster)}. Each file is a partition of one run over "
        f"a range of partitions ({stages['ingestion_runs']} run(s) here), and each partition "
        f"gets a planned and an actual materialization of each of its "
        f"{m.stages.get('ingestion_materializations', 0) // max(m.files, 1)} assets; the "
        "instance's event log commits every event on its own (in the run's database, and "
        "asset and check events in the index database too): about "
        f"{m.event_seconds * 1000:.0f} ms per event (the runs' "
        "creation, which writes only planned events, measures it). The build run holds another "
        f"{m.stages['build_events']:,} events (dbt models, dbt tests as asset checks); part of "
        "the runs' events are written while worker processes or dbt use the other core.",
        f"- **Start-up**: {_s(stages['startup_seconds'])} before the first run is created: "
        "importing Dagster, dagster-dbt and pandas, loading the dbt manifest, opening the "
        "instance (a new DAGSTER_HOME also creates its storage), hashing raw/ to plan.",
        f"- **The ingest work**: {_s(m.ingest_work)} as the pipeline timed each file "
        f"({m.floor_ratio:.1f}× the floor for the ingest phases; the feedback workbooks are an "
        "output written per file), spread over the processes that prepare and load the files.",
        f"- **{_dbt_sentence(m)}.**",
        f"- Gate {_s(m.build('gate'))}; outputs {_s(m.build('outputs'))}; after the build "
        f"(summary, exit) {_s(stages['after_build_seconds'])}.",
        "",
        "What would close it (rough estimates from the measured parts, not measurements):",
        "",
        *(f"- {remedy}: about {_s(saved)}" for remedy, saved in savings.items()),
        "",
        f"Together about {_s(m.wall - projected)}, leaving about {_s(max(projected, 0.0))} — "
        + (
            "under the target."
            if projected <= TARGET_M_SECONDS
            else "still over: start-up, dbt and the gate are then most of what remains."
        ),
        "",
    ]


def _floor_analysis(m: Figures) -> list[str]:
    ranked = sorted(
        (
            (phase, m.phases.get(phase, 0.0))
            for phase in ("read", "validate", "pseudonymise", "load", "archive")
        ),
        key=lambda item: -item[1],
    )
    return [
        f"### M ingest phase / floor: {m.floor_ratio:.1f} for a target of {TARGET_FLOOR_RATIO}",
        "",
        f"The floor reads the {m.timed_files} timed files in {_s(m.timed_floor)}; their ingest "
        f"phases take {_s(m.ingest_total)}, i.e. {_s(TARGET_FLOOR_RATIO * m.timed_floor)} would "
        "be the target. By phase, in multiples of the floor: "
        + ", ".join(f"{phase} {seconds / m.timed_floor:.1f}×" for phase, seconds in ranked)
        + ".",
        "",
        "The floor only parses the sheets. Beyond it, reading checks each file as a whole "
        "(structure, formulas without a value, identity) and builds typed frames; validation "
        "evaluates every rule of the référentiel as vectorised masks and writes a French "
        "message per finding; loading replaces the partition in DuckDB in one transaction, "
        "through Arrow. Each is a small multiple of the floor; they add up. The phases are "
        f"timed in the measured run, where {m.workers} worker process(es) prepare files (read, "
        "validate, pseudonymise) while one writer loads them and records the runs' events: "
        "the processes share the machine's cores, the floor had them to itself.",
        "",
    ]


def _incremental_analysis(inc: Figures, small: Figures | None) -> list[str]:
    stages = inc.stages
    return [
        f"### Incremental: {_s(inc.wall)} for a {TARGET_INCREMENTAL_SECONDS} s target",
        "",
        f"One file changed: start-up and planning {_s(stages['startup_seconds'])} (raw/ is "
        f"hashed to find the changed file), ingestion {_s(stages['ingestion_window_seconds'])}, "
        f"then the build {_s(stages['build_run_seconds'])}: {_dbt_sentence(inc)}; gate "
        f"{_s(inc.build('gate'))}, outputs {_s(inc.build('outputs'))} (only the month whose "
        "inputs changed is written again). The pair and end-of-mentoring models are "
        "incremental by window (the pairs' snapshots by window and association), the MIS PE "
        "cells by youth and disclosure control by window of cells "
        "(docs/performance.md#incremental-builds), but M holds one month: its month, "
        "quarter, year to date and year all cover the corrected file's month, so every window "
        "is rebuilt, as on a first build; the other models are tables rebuilt whole, and the "
        f"gate validates the periods whose rows changed: {inc.gate_periods}.",
        "",
        *(
            _fixed_cost(inc, small)
            if small
            else [
                "`make bench` also measures incremental-S: the same correction on a warehouse of "
                "2 associations × 200 pairs, what a build costs whatever the data.",
            ]
        ),
        "",
        *_without_dbt(inc),
    ]


def _without_dbt(inc: Figures) -> list[str]:
    """The correction's SQL replayed without dbt, and the run it would leave."""
    replay = inc.sql_replay
    if not replay:
        return []
    dbt_elapsed = replay["dbt_elapsed_seconds"]
    nodes, seconds = replay["nodes"], replay["execution_seconds"]
    run_without_dbt = inc.wall - inc.build("dbt build") + replay["seconds"]
    met = run_without_dbt <= TARGET_INCREMENTAL_SECONDS
    return [
        "Without dbt: the same correction built once more, dbt's execution took "
        f"{_s(dbt_elapsed)}; the SQL of that build, replayed statement by statement from dbt's "
        "log on a copy of the warehouse as the build found it (one DuckDB connection, each "
        "node in one transaction, nothing compiled, logged or scheduled around it), took "
        f"{_s(replay['seconds'])}: {nodes['model']:,} models {_s(seconds['model'])}, "
        f"{nodes['test']:,} data tests {_s(seconds['test'])} ({replay['statements']:,} "
        f"statements). dbt's own work per node is the rest, {_s(dbt_elapsed - replay['seconds'])}. "
        f"With the build's SQL alone in place of the dbt build step, the run above would take "
        f"about {_s(run_without_dbt)}: "
        + (
            "under the target, which a build without dbt's cost per node would meet."
            if met
            else "still over the target. No change to dbt's share alone can meet it; the "
            "command's start-up, the gate and the workbooks would have to shrink as well."
        ),
        "",
    ]


def _fixed_cost(inc: Figures, small: Figures) -> list[str]:
    """What the correction costs on S beside M: the build's cost whatever the data."""
    stages = small.stages
    data_share = inc.wall - small.wall
    nodes = small.dbt_nodes("model"), small.dbt_nodes("test")
    counted = f" for {nodes[0]:,} models and {nodes[1]:,} data tests" if all(nodes) else ""
    if small.wall < TARGET_INCREMENTAL_SECONDS:
        verdict = (
            "That fixed cost is under the target: M's data is what exceeds it, and models "
            "that compute less per build (the pairs' scopes and cells incremental by "
            "association and window, as the snapshots are) would close it."
        )
    else:
        verdict = (
            f"The target is below that fixed cost: no model computing less could bring the "
            f"run under {_s(small.wall)}. What would close it is a build with fewer costs of "
            "its own: dbt's cost per node (each model and data test compiled, run and "
            "committed by dbt on its own, even when it computes almost nothing, in Python "
            "that dbt's threads take in turns: running the longest chain first gained no "
            "more than this machine's swings, docs/performance.md), a new dbt "
            "process and parse per build, the command's start-up (importing Dagster, "
            "dagster-dbt and pandas), the gate's and the workbooks' own."
        )
    return [
        f"What a build costs whatever the data: the same correction on S ({small.rows:,} rows "
        f"in the corrected file against {inc.rows:,}; {small.rows_received:,} rows in S's "
        f"warehouse against {inc.rows_received:,} in M's) "
        f"takes {_s(small.wall)}: start-up and planning {_s(stages['startup_seconds'])}, "
        f"ingestion {_s(stages['ingestion_window_seconds'])}, dbt build step "
        f"{_s(small.build('dbt build'))} (dbt's own execution {_s(small.dbt_own)}{counted}), "
        f"gate {_s(small.build('gate'))}, outputs {_s(small.build('outputs'))}. M's data adds "
        f"{_s(data_share)} to it ({data_share / inc.wall:.0%} of M's incremental run)"
        + _apart(inc, small)
        + ". "
        + verdict,
    ]


def _apart(*runs: Figures) -> str:
    """Said when figures set side by side come from runs of different code."""
    commits = {run.data.get("code", {}).get("commit") for run in runs}
    return "" if len(commits) == 1 else " (runs of different commits: see the Workloads table)"


def _large_correction(correction: Figures, big: Figures | None) -> list[str]:
    """A corrected file in L's year beside the year's first build: what an incremental
    build saves where it matters, a federation's warehouse."""
    period = correction.data.get("corrected_file", "?").split("/")[0]

    figures = [correction, *([big] if big else [])]
    rows = [
        ["wall time", *(_s(f.wall) for f in figures)],
        ["files run", *(f"{f.files:,}" for f in figures)],
        ["start-up and planning", *(_s(f.stages["startup_seconds"]) for f in figures)],
        [
            "ingestion runs: start → end",
            *(_s(f.stages["ingestion_window_seconds"]) for f in figures),
        ],
        *(
            [phase, *(_s(f.build(phase)) for f in figures)]
            for phase in ("dbt build", "gate", "outputs")
        ),
        ["gate: periods validated", *(f.gate_periods for f in figures)],
        ["consolidated workbooks: months written", *(f.workbook_months for f in figures)],
        ["dbt models (summed over threads)", *(f.dbt_execution("model") for f in figures)],
        ["dbt data tests (summed over threads)", *(f.dbt_execution("test") for f in figures)],
        [
            "code, measured at",
            *(f"{f.data['code']['commit']}, {f.data['measured_at']}" for f in figures),
        ],
    ]
    return [
        f"## A corrected file in a federation's year (incremental-L: {period})",
        "",
        f"L's warehouse loaded, one association resubmits its file of {period}, corrected. "
        "dbt rebuilds the windows covering that month (the month, its quarter, the years to "
        "date from it on, the year; their pairs' snapshots for that association only) and the "
        "youth whose MIS PE answers changed, and masks "
        "again the windows whose indicator cells changed; the other models are rebuilt whole. "
        "The gate's range suites validate the periods whose rows "
        "changed, the others as a passed gate left them. The consolidated workbooks are "
        "written again for the months whose figures changed, the others left as they were.",
        "",
        *_table(
            ["figure", "incremental-L", *(["L (every file, first build)"] if big else [])], rows
        ),
        "",
    ]


def _events_per_partition(f: Figures) -> int:
    """Planned events and materializations per partition of the ingestion runs."""
    per_run = f.stages.get("ingestion_planned_events", 0) + f.stages.get(
        "ingestion_materializations", 0
    )
    return round(per_run / max(f.files, 1))


def _large_analysis(large: LargeEstimate, m: Figures, probe: dict) -> list[str]:
    ranked = sorted(large.parts.items(), key=lambda item: -item[1])
    sample = probe["ingest_phases"]
    sample_timed = probe.get("timed_files") or probe["sample_files"]
    sample_rows = probe["sample_rows"] * sample_timed / probe["sample_files"]
    sample_per_row = sample["ingest total"] / sample_rows
    m_per_row = m.ingest_total / (m.rows * m.timed_files / m.files)
    return [
        "### L: extrapolated (not measured)",
        "",
        f"L has about {large.rows:,} rows ({large.rows / m.rows:.1f}× M) in {probe['files']:,} "
        f"files ({probe['files'] / m.files:.0f}× M's files, each half the size). Measured for "
        f"it: {probe['sample_files']} of its files run through `ase-impact run`, their phases "
        f"as the pipeline timed them ({sample['ingest total'] / sample_timed:.2f} s per file, "
        f"{sample_per_row / m_per_row:.2f}× M's ingest cost per row: the per-file costs do not "
        "halve with the rows). The rest scales M's parts. Estimated total "
        f"{_s(large.wall)}, {large.cost_per_1000_rows / m.cost_per_1000_rows:.1f}× M's cost "
        "per row:",
        "",
        *_table(["part (how it is scaled)", "estimated"], [[p, _s(v)] for p, v in ranked]),
        "",
        "What makes L grow faster than its rows: the costs per partition (Dagster's events, "
        "the fixed cost of reading and validating a file), and the consolidated workbooks of "
        "all twelve months, each with "
        f"{WORKLOADS['L'].association_count * WORKLOADS['L'].pairs_per_file:,} pairs in its "
        "`Données` sheet, written by the first build. Memory was not extrapolated; "
        "`make bench-large` measures it.",
        "",
        "What would close it (estimates): the ingestion runs' events — "
        f"{_events_per_partition(m)} per partition, about "
        f"{_events_per_partition(m) * m.event_seconds * probe['files']:,.0f} s for L at M's "
        "cost per event — written in batches rather than committed one by one, and more "
        "cores for the worker processes that prepare the files (their share of the ingestion "
        "runs halves with each doubling); dbt and the gate grow with the rows and stay.",
        "",
    ]


def _large_measured_analysis(big: Figures, m: Figures | None) -> list[str]:
    stages = big.stages
    ratio = f", {big.cost_per_1000_rows / m.cost_per_1000_rows:.2f}× M's cost per row" if m else ""
    events = stages.get("ingestion_planned_events", 0) + stages["ingestion_events"]
    return [
        f"### L: {_s(big.wall)}{ratio}",
        "",
        f"- Ingestion: the runs' creation {_s(stages['ingestion_creation_seconds'])} (one planned "
        f"event per asset and partition), then {_s(stages['ingestion_window_seconds'])} in which "
        f"{big.workers} worker process(es) prepare the {big.files:,} files "
        f"({_s(big.ingest_work)} of work, as the pipeline timed each file) while the writer "
        "loads them and records their events: "
        f"{events:,} events at about {big.event_seconds * 1000:.0f} ms each, "
        f"{_s(events * big.event_seconds)} in all.",
        f"- Build {_s(stages['build_run_seconds'])}: dbt {_s(big.build('dbt build'))} (DuckDB "
        "capped at 2 GB in dbt's process, spilling to disk beyond), gate "
        f"{_s(big.build('gate'))}, outputs {_s(big.build('outputs'))}: the consolidated "
        "workbooks of twelve months at once, as only a first load writes them (later builds "
        "rewrite the months whose inputs changed).",
        f"- Peak memory: {_mib(big.data['cli']['peak_rss_largest_process_mib'])} for the largest "
        f"process, {_mib(big.data['cli']['peak_rss_tree_mib'])} for the process tree (sampled).",
        "",
        "What would close it (estimates): more cores for the worker processes, which bind "
        "the ingestion window (their share of it halves with each doubling); Dagster's events "
        "written in batches rather than committed one by one; a higher DuckDB cap in dbt's "
        "profile on a machine with memory to spare (on the models "
        "of 2026-11-23, since rewritten to need less, dbt's build of L took 159 s uncapped "
        "against 210 s capped, and 19 GiB; not measured since).",
        "",
    ]


# The configurations `--engines` measures: the warehouse's engine and Dagster's storage.
# The engine of a plain run (no --engines): its figures are the page's own.
DEFAULT_ENGINE = "duckdb"
ENGINE_DESCRIPTIONS = {
    DEFAULT_ENGINE: "warehouse in a DuckDB file, Dagster's storage in SQLite files (the default)",
    "postgresql": "warehouse and Dagster's storage on PostgreSQL",
    "duckdb+dagster-postgresql": "warehouse in a DuckDB file, Dagster's storage on PostgreSQL",
}


def _engine_rows(name: str, figures: list[Figures | None]) -> list[list[str]]:
    def cells(figure_of) -> list[str]:
        return [figure_of(f) if f is not None else "not measured" for f in figures]

    return [
        [f"**{name}**: wall time", *cells(lambda f: f"**{_s(f.wall)}**")],
        [f"{name}: start-up and planning", *cells(lambda f: _s(f.stages["startup_seconds"]))],
        [
            f"{name}: ingestion runs' creation + window",
            *cells(
                lambda f: (
                    f"{_s(f.stages['ingestion_creation_seconds'])} + "
                    f"{_s(f.stages['ingestion_window_seconds'])}"
                )
            ),
        ],
        *(
            [f"{name}: {phase}", *cells(lambda f, phase=phase: _s(f.build(phase)))]
            for phase in ("dbt build", "gate", "outputs")
        ),
        [
            f"{name}: dbt models / data tests (summed over threads)",
            *cells(lambda f: f"{f.dbt_execution('model')} / {f.dbt_execution('test')}"),
        ],
        [
            f"{name}: peak RSS, whole tree",
            *cells(lambda f: _mib(f.data["cli"]["peak_rss_tree_mib"])),
        ],
        [
            f"{name}: code, measured at",
            *cells(lambda f: f"{f.data['code']['commit']}, {f.data['measured_at']}"),
        ],
    ]


def _engines(results: dict) -> list[str]:
    """The workloads measured on each engine by `--engines` invocations, side by side."""
    compared = {
        engine: {name: Figures(data) for name, data in workloads.items()}
        for engine, workloads in results.get("engines", {}).items()
    }
    names = [name for name in ORDER if any(name in measured for measured in compared.values())]
    if not compared or not names:
        return []
    engines = list(compared)
    rows = [
        row
        for name in names
        for row in _engine_rows(name, [compared[engine].get(name) for engine in engines])
    ]
    return [
        "## Engines side by side",
        "",
        "Each workload run once per engine by `python -m benchmarks.run --engines …`, one after "
        "the other on this machine; PostgreSQL is a throwaway cluster on loopback started by "
        "the harness (PostgreSQL 15, the server's defaults but fsync off; dbt's sessions with "
        f"`{DBT_POSTGRES_OPTIONS}`, as the pipeline sets it).",
        "",
        *(f"- {engine}: {ENGINE_DESCRIPTIONS.get(engine, engine)}" for engine in engines),
        "",
        *_table(["figure", *engines], rows),
        "",
        *_fastest(compared, names),
    ]


def _fastest(compared: dict[str, dict[str, Figures]], names: list[str]) -> list[str]:
    """Each workload's fastest engine among its successful runs, the others' times beside."""
    found = []
    for name in names:
        walls = {
            engine: measured[name].wall
            for engine, measured in compared.items()
            if name in measured and not measured[name].failure
        }
        if len(walls) < 2:
            continue
        best = min(walls, key=walls.get)
        others = ", ".join(
            f"{engine} {_s(wall)}" for engine, wall in walls.items() if engine != best
        )
        found.append(f"- {name}: {best}, {_s(walls[best])} (against {others})")
    return ["Fastest engine of each workload measured on several:", "", *found, ""] if found else []


REPLAY_METHOD = (
    "- Without dbt (M's correction, DuckDB): after the measured runs, one more run ingests the "
    "other version of the file with dbt given a target its profile lacks, so dbt stops before "
    "any SQL; the warehouse is copied; a second run builds it. The SQL statements of that "
    "build's dbt log (`benchmarks/dbt_log.py`) then run again on the copy, node after node in "
    "the order dbt began them, each node in one transaction, in one DuckDB connection with the "
    "profile's settings."
)


def _method(replayed: bool) -> list[str]:
    """How the page's figures were measured; the replay without dbt when the page has it."""
    return [
        "## Method",
        "",
        "- Each workload starts from empty folders under `benchmarks/work/<workload>/` (raw, "
        "warehouse, archive, outputs, reports, secrets, DAGSTER_HOME), passed to the subprocess "
        "through the `ASE_IMPACT_*` variables and `DAGSTER_HOME`. Before the measured run, the "
        "dbt project is parsed for the workload's settings (not measured), as an installation's "
        "first command does: the run starts as a monthly run does, dbt ready, warehouse empty. "
        "The incremental workloads continue in the folders of the workload they correct, after "
        "it (or load it there first when it was not run): the warehouse keeps its path, as a "
        "département's does. Run several times (`--runs`), a correction drops the other "
        "version of its file over the one in place each time (the corrected one, then the "
        "first again…), one file changed each run; M starts from empty folders each run. The "
        "run of median wall time is reported.",
        "- Wall time: `.venv/bin/ase-impact run --raw-dir … --warehouse …` as a subprocess, from "
        "spawn to exit. Peak RSS: `ru_maxrss` from `os.wait4` (what `/usr/bin/time -v` reports: "
        "the largest single process, dbt's subprocess included) and the summed RSS of the "
        "process tree sampled every 0.2 s.",
        "- Stages: run and step start/end times from the run's Dagster instance "
        "(`get_run_records`, `get_run_step_stats`); dbt's own times from the build's "
        "`run_results.json`, kept beside the warehouse. The CLI's progress lines were not used "
        "(stdout is buffered). The cost of one event is the ingestion runs' creation time "
        "over their planned events; Dagster's share applies it to every event of the runs: an "
        "estimate.",
        "- Ingest phases: what the pipeline timed for each file of the measured run and wrote "
        "on the partition's `quality/submissions` materialization, read back with "
        "`fetch_materializations`, with the number of processes that prepared the files. "
        "Floor: in the harness's process after the CLI run, same files, imports excluded. "
        "`--help`: five new processes, the first and the median reported.",
        *([REPLAY_METHOD] if replayed else []),
        "- Workloads are drawn by `benchmarks/workloads.py` (seeded, one generator per file) and "
        "cached under `benchmarks/.cache/<workload>-<seed>/`.",
        "",
    ]


def _borrowed_from_engines(results: dict) -> dict[str, str]:
    """Workloads measured only by `--engines` runs: the page shows them, the default engine's
    when it is one of them, and says so. Their engine by workload."""
    borrowed = {}
    for engine, workloads in results.get("engines", {}).items():
        for name in workloads:
            if name not in results["workloads"] and (
                engine == DEFAULT_ENGINE or name not in borrowed
            ):
                borrowed[name] = engine
    return borrowed


def render_results(results: dict) -> str:
    borrowed = _borrowed_from_engines(results)
    figures = results["workloads"] | {
        name: results["engines"][engine][name] for name, engine in borrowed.items()
    }
    measured = {name: Figures(figures[name]) for name in ORDER if name in figures}
    probe = results.get("large_probe")
    large = (
        extrapolate_large(measured["M"], probe)
        if probe and "M" in measured and "L" not in measured
        else None
    )
    found = targets(results, measured, large)
    lines = [
        "# Benchmark results",
        "",
        f"Written by `python -m benchmarks.run` (`make bench`: M, incremental and "
        f"incremental-S; `make "
        f"bench-large`: L and incremental-L; `make bench-engines`: the engines side by side) on "
        f"{results['generated_at']}. Do not edit: rerun.",
        "",
        *(
            f"{name}'s figures below are those of its `--engines {engine}` run: "
            f"{ENGINE_DESCRIPTIONS.get(engine, engine)}."
            for name, engine in borrowed.items()
        ),
        *([""] if borrowed else []),
        *_machine(results),
        *_workloads(measured),
        *_end_to_end(measured, large),
        *_targets_section(found),
        "## Why targets are missed, and what would close them",
        "",
        "Causes come from the measured breakdown (tables below) and from profiling the code at "
        "the commit of the Workloads table; savings are estimates from the measured parts, not "
        "measurements.",
        "",
    ]
    missed = {target.label for target in found if target.met is False}
    if "M" in measured and any(label.startswith("M end-to-end") for label in missed):
        lines += _m_analysis(measured["M"])
    if "M" in measured and any(label.startswith("M ingest") for label in missed):
        lines += _floor_analysis(measured["M"])
    # The method tells how the replay without dbt is taken on a page that shows one.
    replayed = False
    if "incremental" in measured and any(label.startswith("incremental") for label in missed):
        lines += _incremental_analysis(measured["incremental"], measured.get("incremental-S"))
        replayed = measured["incremental"].sql_replay is not None
    if large is not None:
        lines += _large_analysis(large, measured["M"], probe)
    elif "L" in measured and any(label.startswith("L ") for label in missed):
        lines += _large_measured_analysis(measured["L"], measured.get("M"))
    if not missed and large is None:
        lines += ["Every measured target is met.", ""]
    if "incremental-L" in measured:
        lines += _large_correction(measured["incremental-L"], measured.get("L"))
    lines += [*_engines(results), *_stages(measured), *_phases(measured), *_method(replayed)]
    return "\n".join(lines)
