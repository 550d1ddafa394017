"""Every test runs with its own folders: nothing a test does touches the project's runtime state."""

import csv
import signal
from collections.abc import Callable, Mapping
from contextlib import contextmanager
from pathlib import Path

import pytest

from ase_impact.core.secret_files import DEPLOYMENT_ENV_VAR
from ase_impact.core.settings import MIN_CELL_VARIABLE, PATH_SETTINGS, PROJECT_ROOT
from ase_impact.intake.pseudonymise import KEY_ENV_VAR

# Started in the background by a shell without job control, the tests' process ignores SIGINT;
# Dagster's execute_in_process then gives SIGTERM SIGINT's handler, SIG_IGN, and every child a
# test stops with SIGTERM would inherit it and never stop. Python's own handler instead.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)

# The registry tests read: the demo's (a test that needs another writes its own).
DEMO_REGISTRY = PROJECT_ROOT / PATH_SETTINGS["registry"][1]
# Each path setting's folder under a test's root (Dagster's home is not hidden there); the
# registry is read, never written: every test starts from the demo's.
TEST_PATHS = {
    field: default for field, (_, default) in PATH_SETTINGS.items() if field != "registry"
} | {"dagster_home": "dagster_home"}
UNSET_VARIABLES = (KEY_ENV_VAR, DEPLOYMENT_ENV_VAR, MIN_CELL_VARIABLE)


def edited_demo_registry(path: Path, edit: Callable[[list[dict]], list[dict]]) -> Path:
    """The demo registry written at path with the rows edit returns (from its rows, as dicts
    by column name): a registry of the same columns."""
    with DEMO_REGISTRY.open(encoding="utf-8", newline="") as demo:
        reader = csv.DictReader(demo)
        rows = edit(list(reader))
    with path.open("w", encoding="utf-8", newline="") as registry:
        writer = csv.DictWriter(registry, fieldnames=reader.fieldnames)
        writer.writeheader()
        writer.writerows(rows)
    return path


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
