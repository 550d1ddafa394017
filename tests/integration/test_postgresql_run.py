"""`ase-impact run` on the demo set with both the warehouse and Dagster's storage on PostgreSQL."""

import shutil

import pytest

from ase_impact.core.settings import PROJECT_ROOT
from ase_impact.intake.pseudonymise import KEY_ENV_VAR
from ase_impact.publish.consolidated import consolidated_paths, version_folder, workbook_paths
from ase_impact.publish.snapshot import publish_snapshot
from ase_impact.warehouse.connection import connect
from orchestration.instance import DAGSTER_STORAGE_VARIABLE
from tests.conftest import isolated_environment
from tests.integration.cli_runs import run_cli
from tests.integration.conftest import TEST_KEY

pytestmark = pytest.mark.slow  # a whole `ase-impact run`: make test-e2e
PASSWORD = "mot-de-passe-ignore"
# One figure of an approved month: October's subsidies, département total.
SUBSIDIES = (
    "period_grain = 'month' AND period = DATE '2026-10-01' AND scope = 'departement' "
    "AND indicator_code = 'subsidies_eur' AND breakdown = 'total'"
)


def subsidies(warehouse: str, schema: str) -> float:
    with connect(warehouse, read_only=True) as conn:
        (value,) = conn.execute(
            f"SELECT value FROM {schema}.fct_indicators WHERE {SUBSIDIES}"
        ).fetchone()
    return value


def test_a_run_on_postgresql_builds_the_marts_the_gate_and_the_outputs(postgres_server, tmp_path):
    warehouse = postgres_server.create_database("run_warehouse")
    dagster_storage = postgres_server.create_database("run_dagster")
    variables = {KEY_ENV_VAR: TEST_KEY, DAGSTER_STORAGE_VARIABLE: dagster_storage}
    # Given on the command line with a password (the test cluster trusts loopback and ignores
    # it): Dagster, which keeps every run's config and events, must not keep the password.
    with_password = postgres_server.url("run_warehouse", password=PASSWORD)
    with isolated_environment(tmp_path, variables):
        shutil.copytree(PROJECT_ROOT / "raw", tmp_path / "raw")
        result = run_cli("run", "--raw-dir", str(tmp_path / "raw"), "--warehouse", with_password)

    assert result.exit_code == 0, result.stdout + result.stderr
    assert "Construction (marts dbt, contrôle de publication, sorties) : réussie" in result.stdout
    assert "schéma published de l'entrepôt" in result.stdout
    with connect(warehouse, read_only=True) as conn:
        assert conn.execute("SELECT count(*) FROM quality.submissions").fetchone()[0] == 20
        assert conn.execute("SELECT count(*) FROM marts.fct_indicators").fetchone()[0] > 10_000
    with connect(dagster_storage, read_only=True) as conn:
        statuses = dict(
            conn.execute("SELECT status, count(*) FROM runs GROUP BY status").fetchall()
        )
        kept = [
            conn.execute(
                f"SELECT count(*) FROM {table} WHERE {column} LIKE ?", [f"%{PASSWORD}%"]
            ).fetchone()[0]
            for table, column in (("runs", "run_body"), ("event_logs", "event"))
        ]
    assert statuses.get("SUCCESS", 0) >= 1 and "FAILURE" not in statuses
    assert kept == [0, 0]
    assert PASSWORD not in result.stdout + result.stderr
    for period in ("2026-08", "2026-09", "2026-10"):
        internal, shared = consolidated_paths(tmp_path / "outputs", period)
        assert internal.exists() and shared.exists()
    assert (tmp_path / "reports" / "quality" / "index.html").exists()

    # A month approved on PostgreSQL, then a figure that changed since: a revision, which
    # needs its reason.
    with isolated_environment(tmp_path, variables):
        approved = run_cli("approve", "2026-10", "--par", "Claire Martin", "--warehouse", warehouse)
        assert approved.exit_code == 0, approved.stdout + approved.stderr
        assert "2026-10 approuvé : version 1" in approved.stdout
        assert "rien de nouveau" in run_cli("approve", "2026-10", "--warehouse", warehouse).stdout
        approved_value = subsidies(warehouse, "published")
        with connect(warehouse) as conn:
            conn.execute(f"UPDATE marts.fct_indicators SET value = value + 1 WHERE {SUBSIDIES}")
        # A later build, its gate passed: readers still see the approved figure.
        publish_snapshot(warehouse, warehouse)
        assert subsidies(warehouse, "published") == approved_value
        assert subsidies(warehouse, "marts") == approved_value + 1
        refused = run_cli("approve", "2026-10", "--warehouse", warehouse)
        assert refused.exit_code == 1 and "indiquez le motif" in refused.stderr
        revised = run_cli("approve", "2026-10", "--motif", "Subvention", "--warehouse", warehouse)
        assert revised.exit_code == 0, revised.stdout + revised.stderr
    assert "2026-10 approuvé : version 2" in revised.stdout
    assert subsidies(warehouse, "published") == approved_value + 1
    with connect(warehouse, read_only=True) as conn:
        approvals = conn.execute(
            "SELECT approval_version, approved_by, reason FROM approvals.approvals ORDER BY 1"
        ).fetchall()
        frozen = conn.execute(
            "SELECT approval_version, count(*) FROM approvals.fct_indicators GROUP BY 1 ORDER BY 1"
        ).fetchall()
        in_marts = conn.execute(
            "SELECT count(*) FROM marts.fct_indicators WHERE period_grain IN ('month', "
            "'year_to_date') AND period = DATE '2026-10-01'"
        ).fetchone()[0]
    assert [row[::2] for row in approvals] == [(1, None), (2, "Subvention")]
    assert approvals[0][1] == "Claire Martin"
    assert frozen == [(1, in_marts), (2, in_marts)]
    for version in (1, 2):
        assert all(
            path.exists()
            for path in workbook_paths(version_folder(tmp_path / "outputs", "2026-10", version))
        )
