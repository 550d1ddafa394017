"""Paths and settings, resolved once from environment variables with project defaults."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from ase_impact.core.errors import ConfigurationError

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"
SEEDS_DIR = DBT_PROJECT_DIR / "seeds"

DEFAULT_MIN_CELL = 11
# The disclosure threshold may not go below this: no published figure may describe fewer than
# 3 people (the statistical secrecy rule). 11 (the default) is INSEE's rule for individuals'
# tax data, 5 a weaker but common choice.
MIN_CELL_FLOOR = 3
MIN_CELL_VARIABLE = "ASE_IMPACT_MIN_CELL"
# Each path setting: the environment variable that moves it, and its place in the project.
PATH_SETTINGS = {
    "raw_dir": ("ASE_IMPACT_RAW_DIR", "raw"),
    "warehouse": ("ASE_IMPACT_WAREHOUSE", "warehouse/ase_impact.duckdb"),
    "archive_dir": ("ASE_IMPACT_ARCHIVE_DIR", "archive"),
    "outputs_dir": ("ASE_IMPACT_OUTPUTS_DIR", "outputs"),
    "reports_dir": ("ASE_IMPACT_REPORTS_DIR", "reports"),
    "secrets_dir": ("ASE_IMPACT_SECRETS_DIR", "secrets"),
    # The portal's own state: accounts, sessions, pending uploads, receipts, audit log.
    "portal_dir": ("ASE_IMPACT_PORTAL_DIR", "portal"),
    "dagster_home": ("DAGSTER_HOME", ".dagster_home"),
    # The département's registry of associations (its own CSV; the demo's by default).
    "registry": ("ASE_IMPACT_REGISTRY", "dbt_project/seeds/associations.csv"),
}


class SettingsError(ConfigurationError):
    """An environment variable holds a value the pipeline refuses."""


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
    portal_dir: Path
    dagster_home: Path
    registry: Path
    min_cell: int

    @property
    def published_warehouse(self) -> Path:
        return self.warehouse.with_name(self.warehouse.stem + "_published.duckdb")

    @property
    def key_file(self) -> Path:
        return self.secrets_dir / "pseudonymisation.key"


def load_settings(**overrides: Path | int | None) -> Settings:
    """Build settings from ASE_IMPACT_* env vars; explicit overrides (CLI options) win."""
    values: dict[str, Path | int] = {
        field: _path_from_env(variable, PROJECT_ROOT / default)
        for field, (variable, default) in PATH_SETTINGS.items()
    }
    values["min_cell"] = _min_cell(os.environ.get(MIN_CELL_VARIABLE))
    for name, value in overrides.items():
        if value is not None:
            values[name] = Path(value).resolve() if isinstance(value, (str, Path)) else value
    _check_min_cell(values["min_cell"], f"le seuil de diffusion ({MIN_CELL_VARIABLE})")
    return Settings(**values)


def _min_cell(text: str | None) -> int:
    """The disclosure threshold set in the environment, as a whole number."""
    if text is None or not text.strip():
        return DEFAULT_MIN_CELL
    try:
        return int(text.strip())
    except ValueError:
        raise SettingsError(
            f"La variable {MIN_CELL_VARIABLE} vaut « {text} » : le seuil de diffusion doit être "
            f"un nombre entier (par exemple {DEFAULT_MIN_CELL}, la valeur par défaut). "
            f"Corrigez-la ou retirez-la, puis relancez."
        ) from None


def _check_min_cell(min_cell: object, source: str) -> None:
    if isinstance(min_cell, bool) or not isinstance(min_cell, int) or min_cell < MIN_CELL_FLOOR:
        raise SettingsError(
            f"{source[:1].upper()}{source[1:]} vaut {min_cell} : il doit être un nombre entier "
            f"d'au moins {MIN_CELL_FLOOR}, sinon des effectifs de moins de {MIN_CELL_FLOOR} "
            f"personnes seraient publiés sans masquage (valeur par défaut "
            f"{DEFAULT_MIN_CELL}, la règle de l'INSEE ; 5 est un choix plus faible). Corrigez-le "
            "puis relancez."
        )


def settings_environment(settings: Settings) -> dict[str, str]:
    """The environment variables under which another process loads these same settings."""
    paths = {
        variable: str(getattr(settings, field)) for field, (variable, _) in PATH_SETTINGS.items()
    }
    return paths | {MIN_CELL_VARIABLE: str(settings.min_cell)}
