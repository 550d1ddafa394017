"""Paths and settings, resolved once from environment variables with project defaults."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"
SEEDS_DIR = DBT_PROJECT_DIR / "seeds"

DEFAULT_MIN_CELL = 11


def _path_from_env(name: str, default: Path) -> Path:
    value = os.environ.get(name)
    return Path(value).expanduser().resolve() if value else default


@dataclass(frozen=True)
class Settings:
    """Where the pipeline reads and writes; every path can be moved with an env var."""

    raw_dir: Path
    warehouse: Path
    archive_dir: Path
    outputs_dir: Path
    reports_dir: Path
    secrets_dir: Path
    dagster_home: Path
    min_cell: int

    @property
    def published_warehouse(self) -> Path:
        return self.warehouse.with_name(self.warehouse.stem + "_published.duckdb")

    @property
    def key_file(self) -> Path:
        return self.secrets_dir / "pseudonymisation.key"


def load_settings(**overrides: Path | int | None) -> Settings:
    """Build settings from ASE_IMPACT_* env vars; explicit overrides (CLI options) win."""
    values = {
        "raw_dir": _path_from_env("ASE_IMPACT_RAW_DIR", PROJECT_ROOT / "raw"),
        "warehouse": _path_from_env(
            "ASE_IMPACT_WAREHOUSE", PROJECT_ROOT / "warehouse" / "ase_impact.duckdb"
        ),
        "archive_dir": _path_from_env("ASE_IMPACT_ARCHIVE_DIR", PROJECT_ROOT / "archive"),
        "outputs_dir": _path_from_env("ASE_IMPACT_OUTPUTS_DIR", PROJECT_ROOT / "outputs"),
        "reports_dir": _path_from_env("ASE_IMPACT_REPORTS_DIR", PROJECT_ROOT / "reports"),
        "secrets_dir": _path_from_env("ASE_IMPACT_SECRETS_DIR", PROJECT_ROOT / "secrets"),
        "dagster_home": _path_from_env("DAGSTER_HOME", PROJECT_ROOT / ".dagster_home"),
        "min_cell": int(os.environ.get("ASE_IMPACT_MIN_CELL", DEFAULT_MIN_CELL)),
    }
    for name, value in overrides.items():
        if value is not None:
            values[name] = Path(value).resolve() if isinstance(value, (str, Path)) else value
    return Settings(**values)
