"""Every test runs with its own folders: nothing a test does touches the project's runtime state."""

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


@pytest.fixture(autouse=True)
def isolated_paths(tmp_path_factory, monkeypatch):
    root = tmp_path_factory.mktemp("ase_impact_state")
    for variable, relative in PATH_VARIABLES.items():
        monkeypatch.setenv(variable, str(root / relative))
    for variable in ("ASE_IMPACT_PSEUDONYMISATION_KEY", "ASE_IMPACT_ENV", "ASE_IMPACT_MIN_CELL"):
        monkeypatch.delenv(variable, raising=False)
    return root
