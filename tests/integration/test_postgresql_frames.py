"""Whole marts read as frames from PostgreSQL page by page (connection.read_frame): the same
frame as the rows fetched at once, whatever the pages."""

from __future__ import annotations

import pandas as pd
import pytest

from ase_impact.warehouse import postgres
from ase_impact.warehouse.connection import connect, read_frame

# Seven rows read three at a time: the late column is NULL on the whole first page.
ROWS = (
    "SELECT i AS row_number, DATE '2026-01-01' + i AS period, i % 2 = 0 AS is_even, "
    "CASE WHEN i > 4 THEN 'code-' || i END AS late, "
    "CASE WHEN i > 4 THEN CAST(i AS numeric(6, 2)) / 3 END AS ratio "
    "FROM generate_series(1, 7) AS i WHERE i >= ? ORDER BY i"
)


@pytest.fixture
def small_pages(monkeypatch):
    monkeypatch.setattr(postgres, "FRAME_PAGE_ROWS", 3)


def test_a_frame_read_page_by_page_is_the_frame_read_at_once(postgres_url, small_pages):
    with connect(postgres_url, read_only=True) as conn:
        at_once = conn.execute(ROWS, [1]).df()
        paged = read_frame(conn, ROWS, [1])
    assert len(paged) == 7
    assert paged["late"].isna().tolist() == [True] * 4 + [False] * 3
    pd.testing.assert_frame_equal(paged, at_once)


def test_an_empty_frame_keeps_its_columns(postgres_url, small_pages):
    with connect(postgres_url, read_only=True) as conn:
        empty = read_frame(conn, ROWS, [8])
    assert empty.empty
    assert list(empty.columns) == ["row_number", "period", "is_even", "late", "ratio"]


def test_a_frame_read_inside_a_transaction_sees_its_rows(postgres_url, small_pages):
    with connect(postgres_url) as conn:
        conn.execute("CREATE TABLE counts (n integer)")
        conn.execute("BEGIN TRANSACTION")
        conn.execute("INSERT INTO counts SELECT generate_series(1, 5)")
        assert read_frame(conn, "SELECT n FROM counts ORDER BY n")["n"].tolist() == [1, 2, 3, 4, 5]
        conn.execute("ROLLBACK")
        assert read_frame(conn, "SELECT n FROM counts").empty
