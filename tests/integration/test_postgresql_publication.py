"""The published marts of a PostgreSQL warehouse (schema `published`): what readers see changes
only when a passed gate publishes, whole, and never under a reader's open transaction."""

import psycopg2
import pytest

from ase_impact.publish import snapshot
from ase_impact.publish.snapshot import SnapshotError, publish_snapshot
from ase_impact.warehouse.connection import connect


def _rows(conn, table: str) -> list[tuple]:
    return conn.execute(f"SELECT * FROM {table} ORDER BY 1").fetchall()


@pytest.fixture
def built(postgres_url):
    """A warehouse whose marts dbt has just built: two small marts, nothing published yet."""
    with connect(postgres_url) as conn:
        conn.execute("CREATE SCHEMA marts")
        conn.execute("CREATE TABLE marts.fct_indicators (period date, value integer)")
        conn.execute(
            "INSERT INTO marts.fct_indicators VALUES (DATE '2026-09-01', 4), (DATE '2026-10-01', 7)"
        )
        conn.execute("CREATE TABLE marts.dim_period (period date)")
    return postgres_url


def test_readers_see_the_marts_only_once_published(built):
    with connect(built) as conn:
        assert conn.execute("SELECT to_regclass('published.fct_indicators')").fetchone() == (None,)
        counts = publish_snapshot(built, built)
        assert counts == {"published.fct_indicators": 2, "published.dim_period": 0}
        assert _rows(conn, "published.fct_indicators") == _rows(conn, "marts.fct_indicators")
        # The next build changes the marts; until its gate passes, readers see the last one.
        conn.execute("UPDATE marts.fct_indicators SET value = value + 100")
        assert [value for _, value in _rows(conn, "published.fct_indicators")] == [4, 7]
        publish_snapshot(built, built)
        assert [value for _, value in _rows(conn, "published.fct_indicators")] == [104, 107]


def test_a_reader_transaction_keeps_its_rows_while_a_publication_replaces_them(built):
    publish_snapshot(built, built)
    reader = psycopg2.connect(built)
    try:
        reader.set_session(isolation_level="REPEATABLE READ")
        with reader.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM published.fct_indicators")
            assert cursor.fetchone() == (2,)
            with connect(built) as conn:
                conn.execute("INSERT INTO marts.fct_indicators VALUES (DATE '2026-11-01', 9)")
                publish_snapshot(built, built)
            # The publication committed meanwhile: the reader's snapshot still has its rows,
            # not an emptied table.
            cursor.execute("SELECT count(*) FROM published.fct_indicators")
            assert cursor.fetchone() == (2,)
        reader.commit()
        with reader.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM published.fct_indicators")
            assert cursor.fetchone() == (3,)
    finally:
        reader.close()


def test_a_mart_that_changed_its_columns_or_went_away_is_published_as_it_now_is(built):
    publish_snapshot(built, built)
    with connect(built) as conn:
        conn.execute("ALTER TABLE marts.fct_indicators ADD COLUMN breakdown varchar")
        conn.execute("UPDATE marts.fct_indicators SET breakdown = 'total'")
        conn.execute("DROP TABLE marts.dim_period")
        counts = publish_snapshot(built, built)
        assert counts == {"published.fct_indicators": 2}
        assert [row[2] for row in _rows(conn, "published.fct_indicators")] == ["total", "total"]
        assert conn.execute("SELECT to_regclass('published.dim_period')").fetchone() == (None,)


def test_a_publication_that_fails_halfway_leaves_what_readers_see_whole(built, monkeypatch):
    publish_snapshot(built, built)

    def fails(conn, published, source=None):
        conn.execute("SELECT 1 / 0")  # after every mart was copied

    monkeypatch.setattr(snapshot, "apply_to_published", fails)
    with connect(built) as conn:
        conn.execute("UPDATE marts.fct_indicators SET value = 0")
        with pytest.raises(SnapshotError) as refused:
            publish_snapshot(built, built)
        assert [value for _, value in _rows(conn, "published.fct_indicators")] == [4, 7]
    assert "Le schéma published de l'entrepôt" in refused.value.message_fr
    assert "publiés précédemment, inchangés" in refused.value.message_fr
