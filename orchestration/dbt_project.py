"""The one DbtProject of ase-impact, with a manifest that is ready outside `dagster dev` too."""

from __future__ import annotations

from pathlib import Path

from dagster_dbt import DbtProject

from orchestration.settings import DBT_PROJECT_DIR

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)

_DBT_SOURCES = ("dbt_project.yml", "models", "macros", "seeds", "tests", "profiles.yml")


def _newest_source_mtime(project_dir: Path) -> float:
    paths = [project_dir / name for name in _DBT_SOURCES]
    files = [
        p
        for path in paths
        if path.exists()
        for p in ([path] if path.is_file() else path.rglob("*"))
    ]
    return max(p.stat().st_mtime for p in files if p.is_file())


def prepare_manifest() -> Path:
    """Parse the project when the manifest is missing or older than a dbt file.

    `prepare_if_dev()` only acts under `dagster dev`; headless runs, tests and CI load the
    definitions without it, so the manifest is prepared here whenever it is stale.
    """
    manifest = dbt_project.manifest_path
    if not manifest.exists() or manifest.stat().st_mtime < _newest_source_mtime(
        dbt_project.project_dir
    ):
        dbt_project.preparer.prepare(dbt_project)
    return manifest
