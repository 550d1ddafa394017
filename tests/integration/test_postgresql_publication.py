"""The published marts of a PostgreSQL warehouse (schema `published`): what readers see changes
only when a passed gate publishes, whole, and never under a reader's open transaction."""

from datetime import date
from decimal import Decimal

import psycopg2
import pytest

from ase_impact.publish import snapshot
from ase_impact.publish.snapshot import SnapshotError, publish_snapshot
from ase_impact.warehouse.access import ASSOCIATION_ROLE, READER_ROLE
from ase_impact.warehouse.connection import connect
from tests.integration.engines import as_role, documented_access_sql

ACCOUNT = "compte_publication"


def _rows(conn, table: str) -> list[tuple]:
    return conn.execute(f"SELECT * FROM {table} ORDER BY 1").fetchall()


def _seen(url: str) -> list[tuple]:
    """The value chain as the account of association « a » reads it."""
    with connect(as_role(url, ACCOUNT), read_only=True) as reader:
        return reader.execute(
            "SELECT association_code, value FROM published.mart_value_chain "
            "ORDER BY association_code NULLS FIRST, value"
        ).fetchall()


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
        conn.execute("ALTER TABLE marts.fct_indicators ALTER COLUMN value TYPE numeric(6, 1)")
        conn.execute("DROP TABLE marts.dim_period")
        counts = publish_snapshot(built, built)
        assert counts == {"published.fct_indicators": 2}
        assert _rows(conn, "published.fct_indicators") == [
            (date(2026, 9, 1), Decimal("4.0"), "total"),
            (date(2026, 10, 1), Decimal("7.0"), "total"),
        ]
        assert conn.execute("SELECT to_regclass('published.dim_period')").fetchone() == (None,)


@pytest.fixture
def viewed(built):
    """Published once, with a reader's own view on a published table (in the reader's schema)."""
    publish_snapshot(built, built)
    with connect(built) as conn:
        conn.execute("CREATE SCHEMA analyste")
        conn.execute(
            "CREATE VIEW analyste.octobre AS SELECT value FROM published.fct_indicators "
            "WHERE period = DATE '2026-10-01'"
        )
    return built


def test_a_reader_view_outlives_a_release_that_adds_a_column(viewed):
    with connect(viewed) as conn:
        conn.execute("ALTER TABLE marts.fct_indicators ADD COLUMN breakdown varchar")
        conn.execute("UPDATE marts.fct_indicators SET value = value * 10, breakdown = 'total'")
        publish_snapshot(viewed, viewed)
        assert conn.execute("SELECT value FROM analyste.octobre").fetchall() == [(70,)]
        assert conn.execute("SELECT breakdown FROM published.fct_indicators").fetchall() == [
            ("total",),
            ("total",),
        ]


def test_a_release_removing_a_column_a_reader_view_reads_says_which_view(viewed):
    with connect(viewed) as conn:
        conn.execute("ALTER TABLE marts.fct_indicators RENAME COLUMN value TO amount")
        conn.execute("UPDATE marts.fct_indicators SET amount = 0")
        with pytest.raises(SnapshotError) as refused:
            publish_snapshot(viewed, viewed)
        # Readers keep the last publication, their view with it.
        assert conn.execute("SELECT value FROM analyste.octobre").fetchall() == [(7,)]
    message = refused.value.message_fr
    assert "dont dépendent des objets créés par un lecteur" in message
    assert "analyste.octobre" in message
    assert "publiés précédemment, inchangés" in message


@pytest.fixture
def secured(built):
    """`built` with the access of docs/postgresql.md and one account of association « a »,
    the cluster's roles (which other tests share) left as they were found."""
    documented = documented_access_sql().split("-- The pipeline's user", 1)[0]
    with connect(built) as conn:
        groups_exist = conn.execute(
            "SELECT count(*) = 2 FROM pg_roles WHERE rolname IN (?, ?)",
            [READER_ROLE, ASSOCIATION_ROLE],
        ).fetchone()[0]
        if groups_exist:  # the documented set-up less the group roles
            documented = documented[documented.index("CREATE SCHEMA access") :]
        conn.execute(documented)
        conn.execute(f"CREATE ROLE {ACCOUNT} LOGIN IN ROLE {ASSOCIATION_ROLE}")
        conn.execute("INSERT INTO access.association_roles VALUES (?, 'a')", [ACCOUNT])
    yield built
    made = [ACCOUNT] if groups_exist else [ACCOUNT, READER_ROLE, ASSOCIATION_ROLE]
    with connect(built) as conn:
        conn.execute(f"DROP OWNED BY {', '.join(made)}")
        conn.execute(f"DROP ROLE {', '.join(made)}")


def test_an_association_row_policy_follows_a_new_suppression_flag(secured):
    """A release adding an is_…suppressed flag: the association's policy hides what it masks."""
    with connect(secured) as conn:
        conn.execute(
            "CREATE TABLE marts.mart_value_chain AS SELECT * FROM (VALUES "
            "('departement', NULL, 12, false), ('departement', NULL, 3, false), "
            "('association', 'a', 2, false), ('association', 'b', 1, false)) "
            "AS cells (scope, association_code, value, is_value_suppressed)"
        )
        publish_snapshot(secured, secured)
        assert _seen(secured) == [(None, 3), (None, 12), ("a", 2)]
        conn.execute("ALTER TABLE marts.mart_value_chain ADD COLUMN is_rate_suppressed bool")
        conn.execute("UPDATE marts.mart_value_chain SET is_rate_suppressed = (value = 3)")
        publish_snapshot(secured, secured)
        assert _seen(secured) == [(None, 12), ("a", 2)]


def test_a_release_changing_the_association_policy_reaches_tables_already_secured(secured):
    """Policies made by an earlier release, laxer than this one's (every département row, the
    masked one too), are made again by the next publication, once."""
    with connect(secured) as conn:
        conn.execute(
            "CREATE TABLE marts.mart_value_chain AS SELECT * FROM (VALUES "
            "('departement', NULL, 12, false), ('departement', NULL, 3, true), "
            "('association', 'a', 2, false), ('association', 'b', 1, false)) "
            "AS cells (scope, association_code, value, is_value_suppressed)"
        )
        publish_snapshot(secured, secured)
        conn.execute("DROP POLICY association_reads_its_own ON published.mart_value_chain")
        conn.execute(
            f"CREATE POLICY association_reads_its_own ON published.mart_value_chain FOR SELECT "
            f"TO {ASSOCIATION_ROLE} USING (scope = 'departement' OR association_code = 'a')"
        )
        assert _seen(secured) == [(None, 3), (None, 12), ("a", 2)]
        publish_snapshot(secured, secured)
        assert _seen(secured) == [(None, 12), ("a", 2)]
        policy_version = "SELECT xmin FROM pg_policy WHERE polname = 'association_reads_its_own'"
        made = conn.execute(policy_version).fetchall()
        publish_snapshot(secured, secured)
        assert conn.execute(policy_version).fetchall() == made  # kept, once this release's


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
