"""Every test runs with its own folders: nothing a test does touches the project's runtime state."""

from collections.abc import Mapping
from contextlib import contextmanager
from pathlib import Path

import pytest

from ase_impact.core.secret_files import DEPLOYMENT_ENV_VAR
from ase_impact.core.settings import MIN_CELL_VARIABLE, PATH_SETTINGS, PROJECT_ROOT
from ase_impact.intake.pseudonymise import KEY_ENV_VAR

# The registry tests read: the demo's (a test that needs another writes its own).
DEMO_REGISTRY = PROJECT_ROOT / PATH_SETTINGS["registry"][1]
# Each path setting's folder under a test's root (Dagster's home is not hidden there); the
# registry is read, never written: every test starts from the demo's.
TEST_PATHS = {
    field: default for field, (_, default) in PATH_SETTINGS.items() if field != "registry"
} | {"dagster_home": "dagster_home"}
UNSET_VARIABLES = (KEY_ENV_VAR, DEPLOYMENT_ENV_VAR, MIN_CELL_VARIABLE)


@contextmanager
def isolated_environment(root: Path, variables: Mapping[str, str] | None = None):
    """Point every path setting under root and clear the key and deployment settings.

    variables: then set these (a key, a disclosure threshold…). A subprocess started inside
    inherits the whole environment.
    """
    with pytest.MonkeyPatch.context() as patch:
        for field, relative in TEST_PATHS.items():
            patch.setenv(PATH_SETTINGS[field][0], str(root / relative))
        patch.setenv(PATH_SETTINGS["registry"][0], str(DEMO_REGISTRY))
        for variable in UNSET_VARIABLES:
            patch.delenv(variable, raising=False)
        for variable, value in (variables or {}).items():
            patch.setenv(variable, value)
        yield root


@pytest.fixture(autouse=True)
def isolated_paths(tmp_path_factory):
    with isolated_environment(tmp_path_factory.mktemp("ase_impact_state")) as root:
        yield root
