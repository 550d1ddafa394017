"""Disclosure control on a federation's month: 30 associations of 300 pairs (the benchmarks'
generator), at the default threshold. Its masks take more rounds to settle than a département
of a few associations; the build must still publish, with no masked cell recoverable (the
singular test assert_suppressed_cells_not_recoverable runs in the build)."""

import duckdb
import pytest

from ase_impact.intake.pseudonymise import KEY_ENV_VAR
from benchmarks.workloads import Workload, generate, write_registry
from tests.conftest import isolated_environment
from tests.integration.cli_runs import run_cli
from tests.integration.conftest import TEST_KEY

pytestmark = pytest.mark.slow  # a whole `ase-impact run`: make test-e2e

FEDERATION = Workload("federation", 30, ("2026-10",), 300, 80, 80)


def test_a_federation_s_month_publishes_with_no_masked_cell_recoverable(tmp_path):
    files = generate(FEDERATION, cache_dir=tmp_path / "generated", workers=1)
    registry = write_registry(FEDERATION, tmp_path / "registre.csv")
    variables = {KEY_ENV_VAR: TEST_KEY, "ASE_IMPACT_REGISTRY": str(registry)}
    with isolated_environment(tmp_path / "state", variables) as root:
        run = run_cli("run", "--raw-dir", str(files.root / "raw"))
        warehouse = root / "warehouse" / "ase_impact.duckdb"
    assert run.exit_code == 0, run.stdout + run.stderr
    assert "Construction (marts dbt, contrôle de publication, sorties) : réussie" in run.stdout
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        secondary, primary = conn.execute(
            "SELECT count(*) FILTER (WHERE is_secondary_suppressed), "
            "count(*) FILTER (WHERE is_suppressed AND NOT is_secondary_suppressed) "
            "FROM marts.fct_indicators"
        ).fetchone()
    assert primary > 0 and secondary > 0  # small cells to protect, and cells masked for them
