"""The layout's promises, read from the imports of every module (lazy ones included).

ase_impact is the product library: no Dagster in it, never the orchestration layer above it,
and within it imports run one way: core ← contracts ← warehouse ← intake ← publish, gate ← cli,
portal.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from ase_impact.core.settings import PROJECT_ROOT

LIBRARY = PROJECT_ROOT / "ase_impact"
# Each package of the library and its layer: a module may import its own package and lower
# layers only (publish and gate are peers and do not import each other).
LAYERS = {
    "core": 0,
    "contracts": 1,
    "warehouse": 2,
    "intake": 3,
    "publish": 4,
    "gate": 4,
    "cli": 5,
    "portal": 5,
}
FORBIDDEN_IN_LIBRARY = ("dagster", "dagster_dbt", "dagster_webserver", "orchestration", "devtools")


def imported_modules(path: Path) -> list[tuple[int, str]]:
    """(line, module) of every import of a file, top-level or inside functions."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found += [(node.lineno, node.module)]
            # "from ase_impact.core import referentiel" imports the module core.referentiel
            found += [(node.lineno, f"{node.module}.{alias.name}") for alias in node.names]
    return found


def library_modules() -> list[Path]:
    return sorted(LIBRARY.rglob("*.py"))


def _package(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if parts[0] == "ase_impact" and len(parts) > 1 else None


def test_the_library_has_modules_in_every_layer():
    packages = {path.relative_to(LIBRARY).parts[0] for path in library_modules()}
    assert set(LAYERS) <= packages


@pytest.mark.parametrize("path", library_modules(), ids=lambda p: str(p.relative_to(LIBRARY)))
def test_no_dagster_orchestration_or_devtools_import_in_the_library(path):
    offending = [
        f"{path.relative_to(PROJECT_ROOT)}:{line} imports {module}"
        for line, module in imported_modules(path)
        if module.split(".")[0] in FORBIDDEN_IN_LIBRARY
    ]
    assert not offending


@pytest.mark.parametrize("path", library_modules(), ids=lambda p: str(p.relative_to(LIBRARY)))
def test_imports_within_the_library_run_down_the_layers(path):
    own = path.relative_to(LIBRARY).parts[0]
    if own not in LAYERS:
        return  # ase_impact/__init__.py
    upward = [
        f"{path.relative_to(PROJECT_ROOT)}:{line} ({own}) imports {module}"
        for line, module in imported_modules(path)
        if (other := _package(module)) in LAYERS and other != own and LAYERS[other] >= LAYERS[own]
    ]
    assert not upward


def test_the_checker_sees_a_violation(tmp_path):
    """The checks above would catch an upward or a Dagster import (they read lazy ones too)."""
    module = tmp_path / "bad.py"
    module.write_text("def f():\n    import dagster\n    from ase_impact.cli import main\n")
    assert [name for _, name in imported_modules(module)] == [
        "dagster",
        "ase_impact.cli",
        "ase_impact.cli.main",
    ]


def test_the_dagster_layer_does_not_import_the_developer_tools():
    offending = [
        f"{path.relative_to(PROJECT_ROOT)}:{line}"
        for path in sorted((PROJECT_ROOT / "orchestration").rglob("*.py"))
        for line, module in imported_modules(path)
        if module.split(".")[0] == "devtools"
    ]
    assert not offending
