"""What the benchmark reads off dbt's log file (dbt's text format, DBT_LOG_FORMAT_FILE=debug):
when dbt started and finished parsing, and the SQL statements a build ran, which it replays
without dbt to weigh dbt's own cost per node against the SQL's."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import yaml

from ase_impact.core.settings import DBT_PROJECT_DIR

# A line of dbt's log file in its debug format: UTC time of day, level, thread, message.
DBT_LOG_LINE = re.compile(r"^(\d\d:\d\d:\d\d\.\d{6}) \[\w+\s*\] \[[^\]]*\]: (.*)$")
# dbt's log messages saying it parses the whole project (no usable saved state).
FULL_PARSE_MESSAGES = (
    "Unable to do partial parsing",
    "Partial parsing not enabled",
    "Failed to load parsed file from disk",
)
# What a node's connection ran, logged as the first line of a message (the SQL may go on over
# the next lines): "On model.ase_impact.fct_indicators: create table …".
NODE_STATEMENT = re.compile(r"^On ((?:model|test)\.[\w.]+): (.*)$", re.S)
# dbt's transaction statements, which the replay issues itself once per node, and the message
# dbt logs on the same pattern when it closes a node's connection.
NOT_REPLAYED = frozenset({"BEGIN", "COMMIT", "ROLLBACK", "Close"})


def log_milestones(log: Path, build_started_at: float) -> dict:
    """When dbt logged its first line and finished parsing, and why it parsed in full."""
    milestones: dict = {}
    if not log.exists():
        return milestones
    for line in log.read_text().splitlines():
        match = DBT_LOG_LINE.match(line)
        if not match:
            continue
        logged_at = _epoch_of_clock(match[1], build_started_at)
        message = match[2]
        milestones.setdefault("first_log_at", logged_at)
        if message.startswith("Found ") and " models" in message:
            milestones["parsed_at"] = logged_at
            break
        if message.startswith(FULL_PARSE_MESSAGES):
            milestones["full_parse_reason"] = message
    return milestones


def _epoch_of_clock(utc_time: str, after: float) -> float:
    """The moment a UTC time of day names, the first one from a minute before `after` on (dbt's
    log gives no date; the build may cross midnight)."""
    day = datetime.fromtimestamp(after - 60, UTC).date()
    clock = datetime.strptime(utc_time, "%H:%M:%S.%f").time()
    moment = datetime.combine(day, clock, UTC).timestamp()
    return moment if moment >= after - 60 else moment + 86400


def node_statements(log: Path) -> dict[str, list[str]]:
    """Each model's and data test's SQL statements, in the order dbt ran them, the nodes in
    the order they began: a node begins only once the nodes it reads have committed, so
    this order runs every node after those it depends on."""
    statements: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in log.read_text(encoding="utf8").splitlines():
        match = DBT_LOG_LINE.match(line)
        if not match:
            if current is not None:
                current.append(line)
            continue
        if current is not None:
            _add_statement(statements, current)
        statement = NODE_STATEMENT.match(match[2])
        current = [statement[1], statement[2]] if statement else None
    if current is not None:
        _add_statement(statements, current)
    return statements


def _add_statement(statements: dict[str, list[str]], node_and_lines: list[str]) -> None:
    node, *lines = node_and_lines
    sql = "\n".join(lines).strip()
    if sql not in NOT_REPLAYED:
        statements.setdefault(node, []).append(sql)


def duckdb_settings() -> dict[str, str]:
    """The DuckDB settings of the project's dbt profile, which the replay runs under too."""
    profiles = yaml.safe_load((DBT_PROJECT_DIR / "profiles.yml").read_text())
    return profiles["ase_impact"]["outputs"]["duckdb"].get("settings", {})


def replay(statements: dict[str, list[str]], copy: Path) -> dict:
    """Run a build's statements again on a copy of the warehouse as it was before the build:
    one DuckDB connection, each node in one transaction, without dbt. What its SQL takes when
    nothing is compiled, logged or scheduled around it.

    The copy must keep the warehouse's file name: it names the database the SQL qualifies its
    tables with."""
    seconds = {"model": 0.0, "test": 0.0}
    with duckdb.connect(str(copy), config=duckdb_settings()) as conn:
        for node, sqls in statements.items():
            started = time.perf_counter()
            conn.execute("BEGIN")
            for sql in sqls:
                conn.execute(sql).fetchall()
            conn.execute("COMMIT")
            seconds[node.split(".")[0]] += time.perf_counter() - started
    return {
        "seconds": sum(seconds.values()),
        "execution_seconds": seconds,
        "nodes": {
            kind: sum(node.startswith(f"{kind}.") for node in statements) for kind in seconds
        },
        "statements": sum(len(sqls) for sqls in statements.values()),
    }
