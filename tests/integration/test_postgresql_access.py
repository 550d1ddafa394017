"""Analysts' and associations' access to a PostgreSQL warehouse, set up by the SQL of
docs/postgresql.md: the published marts only (schema `published`), read only, and an
association's own rows only."""

import dataclasses
import re
import threading

import psycopg2
import psycopg2.errors
import pytest

from ase_impact.publish.snapshot import publish_snapshot
from ase_impact.warehouse.connection import connect
from tests.integration.engines import PIPELINE_ROLE, as_role
from tests.integration.portal_fixtures import make_portal

ANALYST = "analyste"
# A publication of the demo's marts takes a second or two.
PUBLICATION_SECONDS = 60
ASSOCIATION_ACCOUNT, ASSOCIATION = "cap_avenir", "cap-avenir"
# Marts whose rows belong to an association; the others (calendar, catalogue) are for all.
ASSOCIATION_MARTS = (
    "fct_indicators",
    "mart_value_chain",
    "mart_impact_dimensions",
    "mart_submissions",
    "dim_association",
)


def rows_by_association(url: str, table: str) -> dict[str | None, int]:
    with connect(url, read_only=True) as conn:
        rows = conn.execute(
            f"SELECT association_code, count(*) FROM published.{table} GROUP BY association_code"
        ).fetchall()
    return dict(rows)


@pytest.mark.parametrize("table", ASSOCIATION_MARTS)
def test_the_departement_analyst_reads_every_row_of_the_marts(postgres_demo, table):
    everything = rows_by_association(postgres_demo, table)
    assert len(everything) > 1
    assert rows_by_association(as_role(postgres_demo, ANALYST), table) == everything


@pytest.mark.parametrize(
    "statement",
    [
        "INSERT INTO published.dim_period SELECT * FROM published.dim_period LIMIT 1",
        "DELETE FROM published.fct_indicators",
        "UPDATE published.mart_submissions SET status = 'missing'",
        "CREATE TABLE published.notes (note text)",
        "DROP TABLE published.fct_indicators",
        # The marts as dbt built them, before the gate passed them: the pipeline's only.
        "SELECT count(*) FROM marts.fct_indicators",
        "SELECT count(*) FROM marts.dim_period",
        "SELECT count(*) FROM raw.pairs",
        "SELECT count(*) FROM quality.submissions",
        "SELECT count(*) FROM quality.rejected_rows",
        "SELECT count(*) FROM reporting.rpt_consolidated_pairs",
    ],
)
@pytest.mark.parametrize("role", [ANALYST, ASSOCIATION_ACCOUNT])
def test_readers_cannot_write_nor_read_beyond_the_published_marts(postgres_demo, role, statement):
    reader = psycopg2.connect(as_role(postgres_demo, role))
    try:
        with pytest.raises(psycopg2.errors.InsufficientPrivilege), reader.cursor() as cursor:
            cursor.execute(statement)
    finally:
        reader.close()
    with connect(postgres_demo, read_only=True) as owner:
        assert owner.execute("SELECT count(*) FROM raw.pairs").fetchone()[0] > 0


@pytest.mark.parametrize("table", ASSOCIATION_MARTS)
def test_an_association_reads_its_own_rows_and_the_departement_only(postgres_demo, table):
    everything = rows_by_association(postgres_demo, table)
    assert any(code not in (None, ASSOCIATION) for code in everything)
    seen = rows_by_association(as_role(postgres_demo, ASSOCIATION_ACCOUNT), table)
    with connect(postgres_demo, read_only=True) as owner:
        has_scope = owner.execute(
            "SELECT count(*) FROM information_schema.columns WHERE table_schema = 'published' "
            "AND table_name = ? AND column_name = 'scope'",
            [table],
        ).fetchone()[0]
    expected = {ASSOCIATION: everything[ASSOCIATION]}
    if has_scope:  # the département's rows that disclosure control masks nothing of
        expected[None] = unmasked_departement_rows(postgres_demo, table)
    assert seen == expected


def unmasked_departement_rows(url: str, table: str) -> int:
    with connect(url, read_only=True) as owner:
        flags = [
            name
            for (name,) in owner.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_schema = "
                "'published' AND table_name = ? AND column_name LIKE 'is\\_%suppressed'",
                [table],
            ).fetchall()
        ]
        masked = " OR ".join(flags)
        return owner.execute(
            f"SELECT count(*) FROM published.{table} WHERE scope = 'departement' AND NOT ({masked})"
        ).fetchone()[0]


@pytest.mark.parametrize("table", ["fct_indicators", "mart_value_chain", "mart_impact_dimensions"])
def test_an_association_reads_no_masked_departement_figure(postgres_demo, table):
    # A masked département count, less the association's own, is another's small count.
    with connect(postgres_demo, read_only=True) as owner:
        masked = owner.execute(
            f"SELECT count(*) FROM published.{table} WHERE scope = 'departement' AND is_suppressed"
        ).fetchone()[0]
    assert masked > 0  # the demo has masked département figures to hide
    with connect(as_role(postgres_demo, ASSOCIATION_ACCOUNT), read_only=True) as account:
        seen = account.execute(
            f"SELECT count(*) FROM published.{table} WHERE scope = 'departement' AND is_suppressed"
        ).fetchone()[0]
    assert seen == 0


def test_an_account_of_no_association_reads_no_association_row(postgres_demo):
    with connect(postgres_demo) as owner:
        owner.execute("CREATE ROLE sans_association LOGIN IN ROLE ase_impact_association")
    try:
        seen = rows_by_association(as_role(postgres_demo, "sans_association"), "fct_indicators")
        assert list(seen) == [None]
    finally:
        with connect(postgres_demo) as owner:
            owner.execute("DROP ROLE sans_association")


def test_the_portal_reads_the_files_received_from_a_postgresql_warehouse(postgres_demo, settings):
    portal = make_portal(dataclasses.replace(settings, warehouse=postgres_demo))
    with connect(postgres_demo, read_only=True) as conn:
        expected = conn.execute(
            "SELECT to_char(period, 'YYYY-MM'), rows_accepted FROM marts.mart_submissions "
            "WHERE association_code = ? AND received ORDER BY period",
            [ASSOCIATION],
        ).fetchall()
    assert len(expected) == 3  # the demo's three months

    history = portal.signed_in("agent-cap").client.get("/espace")

    assert history.status_code == 200
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", history.text))
    for period, rows_accepted in expected:
        assert re.search(rf"{period} 1 \S+ à \S+ (oui|non) Accepté[^0-9]* {rows_accepted} ", text)
    overview = portal.signed_in("chef-projet").client.get("/admin?periode=2026-10")
    assert overview.status_code == 200 and "Refusé" in overview.text  # horizons-partages


def test_the_portal_refuses_a_blank_template_over_a_month_in_force(postgres_demo, settings):
    portal = make_portal(dataclasses.replace(settings, warehouse=postgres_demo))
    cap = portal.signed_in("agent-cap")
    results = {}
    for period in ("2026-10", "2026-11"):  # the demo has pairs in force for October only
        blank = cap.client.get(f"/espace/modele?periode={period}").content
        upload_id = cap.upload_id(blank, period=period)
        results[period] = portal.app.state.portal.store.upload(upload_id, ASSOCIATION).result

    assert (results["2026-10"]["status"], results["2026-10"]["error_code"]) == (
        "rejected",
        "FIC-019",
    )
    assert (
        "ne contient aucune ligne alors que la version en vigueur (version 1"
        in (results["2026-10"]["message_fr"])
    )
    assert results["2026-11"]["status"] == "accepted"  # nothing in force: a month without pairs


def test_a_publication_does_not_wait_for_a_reader_open_transaction(postgres_demo):
    # A BI tool keeps its transaction open: the next publication replaces the rows under it
    # without waiting for it (the tables, their grants and policies are kept), and the tool
    # goes on reading the rows it began with.
    reader = psycopg2.connect(as_role(postgres_demo, ANALYST))
    reader.set_session(isolation_level="REPEATABLE READ")
    published = threading.Thread(
        target=publish_snapshot, args=(as_role(postgres_demo, PIPELINE_ROLE),) * 2
    )
    try:
        with reader.cursor() as cursor:
            cursor.execute("SELECT count(*), sum(value) FROM published.fct_indicators")
            before = cursor.fetchone()
            published.start()
            published.join(timeout=PUBLICATION_SECONDS)
            waited = published.is_alive()
            cursor.execute("SELECT count(*), sum(value) FROM published.fct_indicators")
            during = cursor.fetchone()
    finally:
        reader.close()  # ends its transaction: a publication that waited for it ends too
        published.join()
    assert not waited
    assert during == before
