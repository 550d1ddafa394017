"""The benchmark reaches the pipeline only through its public entry points.

No underscore-prefixed name of the pipeline (or of Dagster) is imported or used, nothing is
patched, and the timings it reads are the ones the ingestion asset writes.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from ase_impact.intake.ingestion import PHASES
from benchmarks import run
from orchestration.assets import ingestion as ingestion_asset

BENCHMARKS_DIR = Path(run.__file__).resolve().parent
BENCHMARK_MODULES = sorted(BENCHMARKS_DIR.glob("*.py"))
# Packages whose private names the benchmark must not reach.
GUARDED_PACKAGES = frozenset({"ase_impact", "orchestration", "dagster", "dagster_dbt"})
PATCHING_MODULES = frozenset({"mock", "unittest.mock"})


def _is_private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _guarded(module: str) -> bool:
    return module.split(".")[0] in GUARDED_PACKAGES


def _root_name(node: ast.AST) -> str | None:
    while isinstance(node, ast.Attribute):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def _offences(source: str) -> list[str]:
    """Private names of the guarded packages imported or used, and any patching."""
    tree = ast.parse(source)
    offences, guarded_names = [], set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name in PATCHING_MODULES:
                    offences.append(f"import {alias.name}")
                if _guarded(alias.name):
                    if any(_is_private(part) for part in alias.name.split(".")):
                        offences.append(f"import {alias.name}")
                    guarded_names.add(alias.asname or alias.name.split(".")[0])
        elif isinstance(node, ast.ImportFrom) and node.module:
            if node.module in PATCHING_MODULES or (
                node.module == "unittest" and any(a.name == "mock" for a in node.names)
            ):
                offences.append(f"from {node.module} import …")
            if _guarded(node.module):
                for alias in node.names:
                    dotted = [*node.module.split("."), alias.name]
                    if any(_is_private(part) for part in dotted):
                        offences.append(f"from {node.module} import {alias.name}")
                    guarded_names.add(alias.asname or alias.name)
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute):
            if node.attr == "patch" and _root_name(node) == "mock":
                offences.append("mock.patch")
            if _is_private(node.attr) and _root_name(node) in guarded_names:
                offences.append(f"{_root_name(node)}….{node.attr}")
        elif isinstance(node, ast.Call) and getattr(node.func, "id", None) == "setattr":
            offences.append("setattr(…)")
    return offences


@pytest.mark.parametrize("module", BENCHMARK_MODULES, ids=lambda path: path.name)
def test_no_benchmark_module_reaches_a_private_name_or_patches(module):
    assert _offences(module.read_text(encoding="utf-8")) == []


@pytest.mark.parametrize(
    "source",
    [
        "from ase_impact.intake.ingestion import _file_preparer",
        "from ase_impact.intake import _private",
        "import orchestration._hidden",
        "from dagster._core.instance import DagsterInstance",
        "from unittest import mock",
        "from unittest.mock import patch",
        "from ase_impact.intake import ingestion\ningestion._timed",
        "import dagster as dg\ndg._core",
        "mock.patch.object(x, 'y', z)",
        "setattr(module, 'read_workbook', timed)",
    ],
)
def test_the_check_catches_private_names_and_patching(source):
    assert _offences(source)


def test_the_benchmark_reads_the_timings_the_ingestion_asset_writes():
    read = {phase: key for key, phase in run.PHASE_METADATA.items()}

    assert read == ingestion_asset.PHASE_METADATA_KEYS
    assert set(run.INGEST_PHASES) == set(PHASES)
    assert run.FEEDBACK_METADATA == ingestion_asset.FEEDBACK_METADATA_KEY
    assert run.WORKERS_METADATA == ingestion_asset.WORKERS_METADATA_KEY
    assert tuple(ingestion_asset.SUBMISSIONS_KEY.path) == run.SUBMISSIONS_ASSET
