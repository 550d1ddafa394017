"""Every test runs with its own folders: nothing a test does touches the project's runtime state."""

from collections.abc import Mapping
from contextlib import contextmanager
from pathlib import Path

import pytest

PATH_VARIABLES = {
    "ASE_IMPACT_RAW_DIR": "raw",
    "ASE_IMPACT_WAREHOUSE": "warehouse/ase_impact.duckdb",
    "ASE_IMPACT_ARCHIVE_DIR": "archive",
    "ASE_IMPACT_OUTPUTS_DIR": "outputs",
    "ASE_IMPACT_REPORTS_DIR": "reports",
    "ASE_IMPACT_SECRETS_DIR": "secrets",
    "DAGSTER_HOME": "dagster_home",
}
UNSET_VARIABLES = ("ASE_IMPACT_PSEUDONYMISATION_KEY", "ASE_IMPACT_ENV", "ASE_IMPACT_MIN_CELL")


@contextmanager
def isolated_environment(root: Path, variables: Mapping[str, str] | None = None):
    """Point every path setting under root and clear the key and deployment settings.

    variables: then set these (a key, a disclosure threshold…). A subprocess started inside
    inherits the whole environment.
    """
    with pytest.MonkeyPatch.context() as patch:
        for variable, relative in PATH_VARIABLES.items():
            patch.setenv(variable, str(root / relative))
        for variable in UNSET_VARIABLES:
            patch.delenv(variable, raising=False)
        for variable, value in (variables or {}).items():
            patch.setenv(variable, value)
        yield root


@pytest.fixture(autouse=True)
def isolated_paths(tmp_path_factory):
    with isolated_environment(tmp_path_factory.mktemp("ase_impact_state")) as root:
        yield root
