"""The one DbtProject of ase-impact, with a manifest that is ready outside `dagster dev` too."""

from __future__ import annotations

import functools
import hashlib
import importlib.metadata
import json
import os
import shutil
import sys
import uuid
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any
from unittest import mock

from dagster_dbt import DbtProject

from ase_impact.core.deadlines import DEADLINE_DAY_VARIABLE, deadline_day
from ase_impact.core.settings import (
    DBT_PROJECT_DIR,
    MIN_CELL_VARIABLE,
    PATH_SETTINGS,
    Settings,
    load_settings,
)
from ase_impact.warehouse import queries
from ase_impact.warehouse.connection import Connection, dbt_target_environment, is_postgres

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)

DBT_SOURCES = ("dbt_project.yml", "models", "macros", "seeds", "tests", "profiles.yml")
PARTIAL_PARSE_FILE = "partial_parse.msgpack"
LAST_BUILD_FILES = (PARTIAL_PARSE_FILE, "run_results.json", "dbt.log")
# In the warehouse itself: the sources fingerprint of the project whose seeds it holds, checked.
REFERENTIEL_LOADED_TABLE = ("referentiel", "release_loaded")
# The dbt var sources_fingerprint (dbt_project.yml): what the incremental models' SQL is made of.
SOURCES_FINGERPRINT_VARIABLE = "ASE_IMPACT_DBT_SOURCES_FINGERPRINT"


def dbt_environment(settings: Settings) -> dict[str, str]:
    """What profiles.yml and dbt_project.yml read from the environment of a dbt process."""
    return {
        PATH_SETTINGS["warehouse"][0]: str(settings.warehouse),
        **dbt_target_environment(settings.warehouse),
        MIN_CELL_VARIABLE: str(settings.min_cell),
        SOURCES_FINGERPRINT_VARIABLE: sources_fingerprint(),
        # The reporting deadline, as ase_impact/core/deadlines.py reads it (dbt var deadline_day).
        DEADLINE_DAY_VARIABLE: str(deadline_day()),
        # One log per build, never rolled over at 10 MB: the build kept beside the warehouse
        # (keep_last_build) keeps all of it, its parse included.
        "DBT_LOG_FILE_MAX_BYTES": "0",
        # The log file in dbt's own text format (time, level, thread, message), not in JSON,
        # the format dagster-dbt asks of dbt's output and the file otherwise takes too: dbt
        # formats every event for the file, each SQL statement included, and as JSON that cost
        # an incremental build's dbt about 0.6 s (docs/performance.md).
        "DBT_LOG_FORMAT_FILE": "debug",
        # No terminal colour codes in the file nor in the messages Dagster shows.
        "DBT_USE_COLORS": "false",
    }


def _source_files(project_dir: Path) -> list[Path]:
    paths = [project_dir / name for name in DBT_SOURCES]
    return sorted(
        p
        for path in paths
        if path.exists()
        for p in ([path] if path.is_file() else path.rglob("*"))
        if p.is_file()
    )


def _newest_source_mtime(project_dir: Path) -> float:
    return max(p.stat().st_mtime for p in _source_files(project_dir))


def sources_fingerprint() -> str:
    """The dbt project's files and dbt's version: equal fingerprints, the same SQL.

    Incremental models rebuild every window when it changes (macros/incremental.sql).
    """
    digest = hashlib.sha256(importlib.metadata.version("dbt-core").encode())
    project = dbt_project.project_dir
    for path in _source_files(project):
        digest.update(path.relative_to(project).as_posix().encode())
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def prepare_manifest() -> Path:
    """Parse the project when the manifest is missing or older than a dbt file.

    `prepare_if_dev()` only acts under `dagster dev`; headless runs, tests and CI load the
    definitions without it, so the manifest is prepared here whenever it is stale. The parse
    sees the environment a build on the current settings gives dbt, so that build's parse
    can be partial.
    """
    manifest = dbt_project.manifest_path
    if not manifest.exists() or manifest.stat().st_mtime < _newest_source_mtime(
        dbt_project.project_dir
    ):
        # patch.dict restores os.environ as it was once the parse is done. The preparer runs
        # `dbt` from PATH: the one installed beside this interpreter comes first.
        path = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
        with mock.patch.dict(os.environ, {**dbt_environment(load_settings()), "PATH": path}):
            dbt_project.preparer.prepare(dbt_project)
    return manifest


def load_manifest() -> dict[str, Any]:
    """The project's manifest, prepared first if stale (prepare_manifest)."""
    return json.loads(prepare_manifest().read_text(encoding="utf-8"))


def last_build_dir(warehouse: Path | str) -> Path:
    """What dbt left from the last successful build on this warehouse, kept beside it.

    The partial-parse state: dbt parses the whole project again (seconds) when the profile
    differs from the one its state was saved with, and the profile holds the warehouse's path,
    so the project's own state in target/ serves one warehouse at best, this one serves each
    (a PostgreSQL warehouse's is kept in target/, named after its URL).
    With it, run_results.json and dbt.log: what ran and how long, for whoever looks into a
    build (and for the benchmark) after its own target folder is gone.
    """
    if is_postgres(warehouse):
        database = hashlib.sha256(str(warehouse).encode()).hexdigest()[:16]
        return dbt_project.project_dir / dbt_project.target_path / f"last_build-{database}"
    return warehouse.with_name(f".{warehouse.stem}.dbt_last_build")


def build_target_path(warehouse: Path | str, prefix: str) -> Path:
    """A target folder of its own for one dbt invocation, holding the warehouse's state.

    prefix: "<op>-<run id's first 7 characters>", as dagster-dbt names the folders it makes.
    """
    target = dbt_project.project_dir / dbt_project.target_path / f"{prefix}-{uuid.uuid4().hex}"
    target.mkdir(parents=True)
    state = last_build_dir(warehouse) / PARTIAL_PARSE_FILE
    if state.exists():
        shutil.copyfile(state, target / PARTIAL_PARSE_FILE)
    return target


def keep_last_build(target: Path, warehouse: Path | str) -> None:
    """Keep an invocation's parse state, results and log beside the warehouse (see above)."""
    kept = last_build_dir(warehouse)
    kept.mkdir(exist_ok=True)
    for name in LAST_BUILD_FILES:
        if (target / name).exists():
            _replace_whole(kept / name, functools.partial(shutil.copyfile, target / name))


def _replace_whole(path: Path, write: Callable[[Path], object]) -> None:
    """Write path through a partial file replacing it at once: a reader never sees it half
    written."""
    partial = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    write(partial)
    os.replace(partial, path)


def is_referentiel_test(manifest: Mapping[str, Any], unique_id: str) -> bool:
    """A test of the référentiel alone (every parent a seed): it checks the lists the release
    ships (seeds/), whatever the month's data."""
    parents = manifest["parent_map"].get(unique_id, [])
    return bool(parents) and all(parent.startswith("seed.") for parent in parents)


def referentiel_tests(manifest: Mapping[str, Any]) -> list[str]:
    """The names of the référentiel's tests, as dbt selects them."""
    return sorted(
        node["name"]
        for unique_id, node in manifest["nodes"].items()
        if node["resource_type"] == "test" and is_referentiel_test(manifest, unique_id)
    )


def referentiel_loaded(conn: Connection, fingerprint: str) -> bool:
    """Whether a build of this very project (fingerprint: sources_fingerprint) loaded every one
    of its seeds into this warehouse and passed the référentiel's tests on them: the
    référentiel's tables then hold its lists as they are, and would pass again.

    Recorded in the warehouse, not beside it: a warehouse rebuilt from the archive, or restored
    from a backup, tells by itself whether it holds them."""
    schema, name = REFERENTIEL_LOADED_TABLE
    if not queries.table_exists(conn, schema, name):
        return False
    recorded = conn.execute(f"SELECT sources_fingerprint FROM {schema}.{name}").fetchall()
    return recorded == [(fingerprint,)]


def forget_referentiel_loaded(conn: Connection) -> None:
    """Before a build that loads the seeds: one stopped midway leaves them to load again."""
    conn.execute(f"DROP TABLE IF EXISTS {'.'.join(REFERENTIEL_LOADED_TABLE)}")


def record_referentiel_loaded(conn: Connection, fingerprint: str) -> None:
    """Record that a build of the project `fingerprint` loaded every seed and passed the
    référentiel's tests (referentiel_loaded)."""
    table = ".".join(REFERENTIEL_LOADED_TABLE)
    conn.execute("BEGIN TRANSACTION")
    try:
        conn.execute(f"CREATE TABLE IF NOT EXISTS {table} (sources_fingerprint VARCHAR NOT NULL)")
        conn.execute(f"DELETE FROM {table}")
        conn.execute(f"INSERT INTO {table} VALUES (?)", [fingerprint])
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


def loaded_and_checked_referentiel(
    manifest: Mapping[str, Any], run_results: Mapping[str, Any]
) -> bool:
    """Whether a dbt invocation (its run_results.json) loaded every seed of the project and
    passed every test of the référentiel (a subset built from the UI may have done neither)."""
    expected = {
        unique_id: "pass" if node["resource_type"] == "test" else "success"
        for unique_id, node in manifest["nodes"].items()
        if node["config"]["enabled"]
        and (
            node["resource_type"] == "seed"
            or (node["resource_type"] == "test" and is_referentiel_test(manifest, unique_id))
        )
    }
    done = {
        result["unique_id"]
        for result in run_results["results"]
        if expected.get(result["unique_id"]) == result["status"]
    }
    return done == set(expected)
