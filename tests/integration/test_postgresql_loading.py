"""Ingestion into a real PostgreSQL server: partition replace in one transaction, reruns,
rollback, and the writers' lock (tests/integration/test_loading.py says the same of DuckDB)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ase_impact.cli.main import build_parser
from ase_impact.core.settings import load_settings
from ase_impact.intake.ingestion import ingest_file
from ase_impact.warehouse import connection
from tests.hostile_files import control_characters_and_invisible_digits
from tests.integration import test_loading
from tests.integration.test_definitions import check_the_referentiel_loaded_record


def test_the_warehouse_setting_picks_postgresql(settings, postgres_url, monkeypatch):
    monkeypatch.setenv("ASE_IMPACT_WAREHOUSE", postgres_url)
    assert load_settings().warehouse == postgres_url
    with connection.connect(load_settings().warehouse) as conn:
        assert conn.execute("SELECT current_database()").fetchone()[0] in postgres_url


def test_ase_impact_run_takes_a_postgresql_url_for_its_warehouse():
    url = "postgresql://ase_impact@db.example.org/ase_impact"
    args = build_parser().parse_args(["run", "--warehouse", url])
    assert load_settings(warehouse=args.warehouse).warehouse == url
    args = build_parser().parse_args(["run", "--warehouse", "entrepot/a.duckdb"])
    assert load_settings(warehouse=args.warehouse).warehouse == Path("entrepot/a.duckdb").resolve()


def test_a_corrected_file_replaces_its_partition_only(settings, pg_conn):
    test_loading.test_a_corrected_file_replaces_its_partition_only(settings, pg_conn)


def test_ingesting_the_same_file_twice_changes_nothing(settings, pg_conn):
    test_loading.test_ingesting_the_same_file_twice_changes_nothing(settings, pg_conn)


def test_a_failure_while_loading_rolls_back_to_the_previous_state(settings, pg_conn, monkeypatch):
    test_loading.test_a_failure_while_loading_rolls_back_to_the_previous_state(
        settings, pg_conn, monkeypatch
    )


def test_a_nul_in_a_text_cell_is_not_read(settings, pg_conn):
    """PostgreSQL refuses a NUL in text: the cell is read as it shows, without it."""
    path = control_characters_and_invisible_digits(settings.raw_dir, "2026-10", "cap-avenir")
    assert ingest_file(path, settings, pg_conn).status == "accepted"
    assert pg_conn.execute(
        "SELECT DISTINCT referring_structure FROM raw.pairs WHERE association_code = 'cap-avenir'"
    ).fetchall() == [("MECS Les Aubépines",)]
    assert pg_conn.execute(
        "SELECT association_name FROM quality.submissions WHERE association_code = 'cap-avenir'"
    ).fetchall() == [("Association de test",)]


def test_one_writer_at_a_time_across_sessions(postgres_url):
    """The writers' lock of a PostgreSQL warehouse is an advisory lock: another session
    (another process, another machine) asked not to wait is told it is busy."""
    with connection.exclusive_access(postgres_url):
        holder = connection.PostgresConnection(postgres_url)
        try:
            (taken,) = holder.execute(
                "SELECT pg_try_advisory_lock(?)", [connection.POSTGRES_WRITER_LOCK]
            ).fetchone()
        finally:
            holder.close()
        assert taken is False
    with connection.exclusive_access(postgres_url, wait=False):
        pass  # released when the first block ended


def test_a_busy_warehouse_refuses_a_writer_that_will_not_wait(postgres_url):
    holder = connection.PostgresConnection(postgres_url)
    holder.execute("SELECT pg_advisory_lock(?)", [connection.POSTGRES_WRITER_LOCK])
    try:
        with (
            pytest.raises(connection.WarehouseBusy),
            connection.exclusive_access(postgres_url, wait=False),
        ):
            pass
    finally:
        holder.close()


def test_messages_name_a_postgresql_warehouse_without_its_password():
    url = "postgresql://ase_impact:secret@db.example.org:5433/ase_impact"
    assert connection.label(url) == "postgresql://ase_impact@db.example.org:5433/ase_impact"


def dbt_session_setting(name: str, work_dir: Path) -> str:
    """A setting of dbt's session on the warehouse ASE_IMPACT_WAREHOUSE, as `dbt show` reads it
    with the environment the pipeline gives dbt."""
    from dbt.cli.main import dbtRunner

    from ase_impact.core.settings import DBT_PROJECT_DIR
    from orchestration.dbt_project import dbt_environment

    with pytest.MonkeyPatch.context() as patch:
        for variable, value in dbt_environment(load_settings()).items():
            patch.setenv(variable, value)
        result = dbtRunner().invoke(
            ["show", "--inline", f"select current_setting('{name}') as value"]
            + ["--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR)]
            + ["--target-path", str(work_dir / "target"), "--log-path", str(work_dir / "logs")]
            + ["--quiet"]
        )
    assert result.success, result.exception
    return result.result.results[0].agate_table.rows[0]["value"]


def test_dbt_sorts_in_memory_on_postgresql_unless_pgoptions_says_otherwise(
    postgres_url, tmp_path, monkeypatch
):
    monkeypatch.setenv("ASE_IMPACT_WAREHOUSE", postgres_url)
    monkeypatch.delenv("PGOPTIONS", raising=False)
    # The server's default is 4MB: window functions over a month's pairs spilled to disk.
    assert dbt_session_setting("work_mem", tmp_path / "default") == "256MB"
    monkeypatch.setenv("PGOPTIONS", "-c work_mem=64MB")
    assert dbt_session_setting("work_mem", tmp_path / "chosen") == "64MB"


def test_the_warehouse_records_the_project_whose_seeds_it_holds(pg_conn):
    check_the_referentiel_loaded_record(pg_conn)
