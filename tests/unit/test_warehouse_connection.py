"""How dbt is told to reach a PostgreSQL warehouse (dbt_project/profiles.yml reads these)."""

import subprocess
import sys

import duckdb
import pytest

from ase_impact.warehouse.connection import dbt_target_environment, label, storage_failure_fr


def test_dbt_reaches_postgresql_with_the_password_of_pgpassword(monkeypatch):
    # docs/postgresql.md keeps the password out of the URL, in PGPASSWORD or ~/.pgpass.
    monkeypatch.setenv("PGPASSWORD", "depuis-pgpassword")
    environment = dbt_target_environment("postgresql://pipeline@db.example.org:6432/entrepot")
    assert environment["ASE_IMPACT_PG_PASSWORD"] == "depuis-pgpassword"
    assert (environment["ASE_IMPACT_PG_HOST"], environment["ASE_IMPACT_PG_PORT"]) == (
        "db.example.org",
        "6432",
    )
    # A password in the URL, percent-encoded, wins; messages never show it.
    url = "postgresql://pipeline:p%40ss%2Fw@db.example.org/entrepot"
    assert dbt_target_environment(url)["ASE_IMPACT_PG_PASSWORD"] == "p@ss/w"
    assert label(url) == "postgresql://pipeline@db.example.org/entrepot"


def test_without_any_password_libpq_is_left_to_its_password_file(monkeypatch):
    monkeypatch.delenv("PGPASSWORD", raising=False)
    environment = dbt_target_environment("postgresql://pipeline@localhost/entrepot")
    assert environment["ASE_IMPACT_PG_PASSWORD"] == ""
    assert dbt_target_environment("warehouse/ase_impact.duckdb") == {
        "ASE_IMPACT_DBT_TARGET": "duckdb"
    }


def test_a_warehouse_another_process_holds_names_that_process(tmp_path):
    # A dbt left running by a run killed outright holds DuckDB's own lock, not the pipeline's.
    path = tmp_path / "entrepot.duckdb"
    duckdb.connect(str(path)).close()
    holder = subprocess.Popen(
        [sys.executable, "-c", f"import duckdb, time; c = duckdb.connect({str(path)!r}); "
         "print('ouvert', flush=True); time.sleep(60)"],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout.readline().strip() == "ouvert"
        with pytest.raises(duckdb.IOException) as opened:
            duckdb.connect(str(path))
        message = storage_failure_fr(opened.value)
    finally:
        holder.kill()
        holder.wait()
    assert message.startswith(
        f"l'entrepôt est ouvert par un autre processus (PID {holder.pid}), hors du verrou du "
        "pipeline"
    )
    assert f"(kill {holder.pid})" in message
