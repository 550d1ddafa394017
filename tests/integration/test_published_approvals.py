"""What the published marts show of an approved month, on both engines: its approved version,
even once a release has given the marts a column its approval did not have.

Hand-made warehouse: October's subsidies were 100 when approved (version 1), the marts now say
130; September, never approved, says 80. A release added the column `note` to the marts.
"""

from datetime import date, datetime

import duckdb
import pytest

from ase_impact.publish.snapshot import publish_snapshot
from ase_impact.warehouse.approvals import ensure_approvals_schema
from ase_impact.warehouse.connection import connect

OCTOBER, SEPTEMBER = date(2026, 10, 1), date(2026, 9, 1)


@pytest.fixture(params=["duckdb", "postgresql"])
def warehouse(request, tmp_path):
    if request.param == "duckdb":
        return tmp_path / "warehouse.duckdb"
    return request.getfixturevalue("postgres_url")


def _approved_october(warehouse) -> None:
    with connect(warehouse) as conn:
        conn.execute("CREATE SCHEMA marts")
        conn.execute(
            "CREATE TABLE marts.fct_indicators (period_grain varchar, period date, "
            "value double precision, note varchar)"
        )
        conn.execute(
            "INSERT INTO marts.fct_indicators VALUES ('month', ?, 130, 'nouveau'), "
            "('month', ?, 80, 'nouveau')",
            [OCTOBER, SEPTEMBER],
        )
        ensure_approvals_schema(conn)
        conn.execute(
            "INSERT INTO approvals.approvals VALUES (?, 1, ?, 'Claire Martin', NULL)",
            [OCTOBER, datetime(2026, 11, 12, 9, 30)],
        )
        conn.execute(
            "INSERT INTO approvals.approved_windows VALUES (?, 1, 'month', ?)", [OCTOBER, OCTOBER]
        )
        # The frozen copy, as approved before the release: no column `note`.
        conn.execute(
            "CREATE TABLE approvals.fct_indicators (approved_month date, approval_version "
            "integer, approved_at timestamp, period_grain varchar, period date, "
            "value double precision)"
        )
        conn.execute(
            "INSERT INTO approvals.fct_indicators VALUES (?, 1, ?, 'month', ?, 100)",
            [OCTOBER, datetime(2026, 11, 12, 9, 30), OCTOBER],
        )


def _published_rows(warehouse, published) -> list[tuple]:
    query = "SELECT period, value, note FROM {}.fct_indicators ORDER BY period"
    if isinstance(warehouse, str):
        with connect(warehouse, read_only=True) as conn:
            return conn.execute(query.format("published")).fetchall()
    with duckdb.connect(str(published), read_only=True) as conn:
        return conn.execute(query.format("marts")).fetchall()


def test_an_approved_month_is_published_as_approved_whatever_columns_came_since(
    warehouse, tmp_path
):
    _approved_october(warehouse)
    published = tmp_path / "published.duckdb"

    publish_snapshot(warehouse, published)

    assert _published_rows(warehouse, published) == [
        (SEPTEMBER, 80.0, "nouveau"),
        (OCTOBER, 100.0, None),
    ]
