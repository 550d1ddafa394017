"""The approvals no archived file can give back: copied to archive/approvals/ after each
approval, restored into a rebuilt warehouse (`ase-impact rebuild`)."""

from datetime import date, datetime

import duckdb

from ase_impact.warehouse.approvals import (
    ensure_approvals_schema,
    export_approvals,
    restore_approvals,
)

ROWS = {
    "approvals": [
        (date(2026, 10, 1), 1, datetime(2026, 11, 20, 14, 0), "chef.projet", "COPIL du 19/11")
    ],
    "approved_windows": [
        (date(2026, 10, 1), 1, "month", date(2026, 10, 1)),
        (date(2026, 10, 1), 1, "year_to_date", date(2026, 10, 1)),
    ],
}


def _tables(conn) -> dict[str, list[tuple]]:
    return {
        table: conn.execute(f"SELECT * FROM approvals.{table} ORDER BY ALL").fetchall()
        for table in ("approvals", "approved_windows", "files_in_force")
    }


def test_approvals_are_exported_then_restored_as_they_were(tmp_path):
    with duckdb.connect(str(tmp_path / "before.duckdb")) as conn:
        ensure_approvals_schema(conn)
        for table, rows in ROWS.items():
            marks = ", ".join("?" * len(rows[0]))
            conn.executemany(f"INSERT INTO approvals.{table} VALUES ({marks})", rows)
        folder = export_approvals(conn, tmp_path / "archive")
        before = _tables(conn)
    assert sorted(path.name for path in folder.iterdir()) == [
        "approvals.parquet",
        "approved_windows.parquet",
        "files_in_force.parquet",
    ]
    with duckdb.connect(str(tmp_path / "rebuilt.duckdb")) as conn:
        assert restore_approvals(conn, tmp_path / "archive") == 1
        assert _tables(conn) == before


def test_an_archive_without_reasons_is_restored_with_an_empty_reason(tmp_path):
    """Approvals archived before they recorded a reason: restored, their reason NULL, and the
    next approval can record one."""
    folder = tmp_path / "archive" / "approvals"
    folder.mkdir(parents=True)
    with duckdb.connect() as conn:
        conn.execute(
            "COPY (SELECT DATE '2026-10-01' AS approved_month, 1 AS approval_version, "
            "TIMESTAMP '2026-11-20 14:00' AS approved_at, 'chef.projet' AS approved_by) "
            f"TO '{folder / 'approvals.parquet'}' (FORMAT PARQUET)"
        )
    with duckdb.connect(str(tmp_path / "rebuilt.duckdb")) as conn:
        assert restore_approvals(conn, tmp_path / "archive") == 1
        assert conn.execute("SELECT approved_by, reason FROM approvals.approvals").fetchall() == [
            ("chef.projet", None)
        ]


def test_nothing_to_restore_when_nothing_was_approved(tmp_path):
    with duckdb.connect() as conn:
        assert restore_approvals(conn, tmp_path / "archive") == 0
        assert not conn.execute(
            "SELECT count(*) FROM information_schema.schemata WHERE schema_name = 'approvals'"
        ).fetchone()[0]
