"""Comparing what DuckDB and PostgreSQL built from the same files, table by table, row by row.

Each cell is normalised the same way on both engines before rows are compared:
- numbers as floats rounded to 9 decimals: PostgreSQL computes some intermediate rates in
  numeric before the models cast them to double precision, DuckDB in double throughout, so the
  two may differ in the last binary digit; published figures have at most 2 decimals, and
  revisions already compare values at 9 (int_indicator_revisions);
- integers as numbers too: an engine's aggregate may type them bigint (int), the other's
  numeric (Decimal), for the same count;
- dates and times as ISO text;
- NULL stays None, text and booleans as they are.
Rows are sorted after normalisation, as neither engine promises an order without ORDER BY.
"""

from __future__ import annotations

import datetime
import decimal
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from ase_impact.core.settings import PATH_SETTINGS, PROJECT_ROOT, load_settings
from ase_impact.intake.discovery import discover_files
from ase_impact.intake.ingestion import ingest_file
from ase_impact.intake.pseudonymise import KEY_ENV_VAR
from ase_impact.warehouse import schema
from ase_impact.warehouse.connection import locked_connection
from orchestration.dbt_project import dbt_environment
from tests.conftest import isolated_environment
from tests.integration.conftest import TEST_KEY
from tests.integration.dbt_build import run_dbt_build

# The schemas both engines must build alike: the marts and what the workbooks read.
COMPARED_SCHEMAS = ("marts", "reporting")
DECIMALS = 9


def normalised(value: object) -> object:
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, (int, float, decimal.Decimal)):
        return round(float(value), DECIMALS) + 0.0  # + 0.0: -0.0 and 0.0 alike
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    raise TypeError(f"valeur de type inattendu : {type(value).__name__}")


def mart_dump(conn) -> dict[str, list[tuple]]:
    """Every row of every table of the compared schemas, normalised and sorted, by table."""
    schemas = ", ".join(f"'{schema}'" for schema in COMPARED_SCHEMAS)
    tables = conn.execute(
        "SELECT table_schema, table_name FROM information_schema.tables "
        f"WHERE table_schema IN ({schemas}) AND table_type = 'BASE TABLE' "
        "ORDER BY table_schema, table_name"
    ).fetchall()
    dump = {}
    for schema_name, table in tables:
        columns = [
            name
            for (name,) in conn.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_schema = ? "
                "AND table_name = ? ORDER BY ordinal_position",
                [schema_name, table],
            ).fetchall()
        ]
        selected = ", ".join(f'"{column}"' for column in columns)
        rows = conn.execute(f"SELECT {selected} FROM {schema_name}.{table}").fetchall()
        dump[f"{schema_name}.{table}"] = sorted(
            (tuple(normalised(value) for value in row) for row in rows), key=repr
        )
    return dump


def differing_tables(left: dict, right: dict) -> list[str]:
    """Tables missing on one side or whose rows differ."""
    return sorted(
        table for table in left.keys() | right.keys() if left.get(table) != right.get(table)
    )


# Every demo file is stamped with this reception time, so both engines hold the same rows.
DEMO_RECEIVED_AT = datetime.datetime(2026, 11, 5, 9, 0)


def build_demo_warehouse(work_dir: Path, warehouse: Path | str) -> None:
    """Ingest the demo set shipped in raw/ into a warehouse and run the real `dbt build` on it,
    under the settings of work_dir (a test's folders) with the test key."""
    variables = {KEY_ENV_VAR: TEST_KEY, PATH_SETTINGS["warehouse"][0]: str(warehouse)}
    with isolated_environment(work_dir, variables) as root:
        settings = load_settings(raw_dir=PROJECT_ROOT / "raw")
        with locked_connection(settings.warehouse) as conn:
            schema.ensure_schema(conn)
            for path in discover_files(settings.raw_dir):
                ingest_file(path, settings, conn, received_at=DEMO_RECEIVED_AT)
        with pytest.MonkeyPatch.context() as patch:
            for variable, value in dbt_environment(settings).items():
                patch.setenv(variable, value)
            result = run_dbt_build(root / "dbt")
        assert result.success, result.exception


# The pipeline's user in docs/postgresql.md: the warehouse database's owner, no superuser.
PIPELINE_ROLE = "ase_impact"


def as_role(url: str, role: str) -> str:
    """The URL of the same database for another role (the test cluster trusts loopback)."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(netloc=f"{role}@{parts.hostname}:{parts.port}"))


def documented_access_sql() -> str:
    """The access set-up of docs/postgresql.md: its first SQL block, run as the DBA would."""
    page = (PROJECT_ROOT / "docs" / "postgresql.md").read_text(encoding="utf-8")
    return page.split("```pgsql\n", 1)[1].split("```", 1)[0]
