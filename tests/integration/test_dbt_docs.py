"""dbt's documentation as analysts read it (`make docs`): every mart and every table of the
published copy described, column by column; the workbooks declared as exposures."""

import duckdb
import pytest

from ase_impact.warehouse.schema import ensure_schema
from orchestration.dbt_project import load_manifest

PUBLISHED_SOURCES = (
    "submissions",
    "rejected_rows",
    "row_alerts",
    "file_errors",
    "quarantined_files",
)


@pytest.fixture(scope="module")
def manifest():
    return load_manifest()


def _undescribed(node) -> list[str]:
    return [name for name, column in node["columns"].items() if not column["description"]]


def test_every_mart_and_its_columns_are_described(manifest):
    marts = [n for n in manifest["nodes"].values() if n["resource_type"] == "model"]
    marts = [n for n in marts if n["fqn"][1] == "marts"]
    assert len(marts) >= 7
    for mart in marts:
        assert mart["description"], mart["name"]
        assert mart["config"]["contract"]["enforced"], mart["name"]  # columns declared = built
        assert mart["columns"] and not _undescribed(mart), mart["name"]


def test_every_quality_table_and_its_columns_are_described(manifest):
    """The quality tables are in the published copy: their columns, as the warehouse creates
    them, are all declared and described."""
    with duckdb.connect() as conn:
        ensure_schema(conn)
        created = dict(
            conn.execute(
                "SELECT table_name, list(column_name ORDER BY ordinal_position) "
                "FROM information_schema.columns WHERE table_schema = 'quality' GROUP BY 1"
            ).fetchall()
        )
    sources = {n["name"]: n for n in manifest["sources"].values() if n["source_name"] == "quality"}
    for table in (*PUBLISHED_SOURCES, "latest_submissions"):
        source = sources[table]
        assert source["description"], table
        assert list(source["columns"]) == created[table], table
        assert not _undescribed(source), table


def test_the_workbooks_and_the_published_copy_are_exposures(manifest):
    exposures = {n["name"]: n for n in manifest["exposures"].values()}
    assert {
        "consolidated_workbook",
        "consolidated_diffusion_workbook",
        "association_feedback_workbook",
        "published_warehouse",
    } <= set(exposures)
    for exposure in exposures.values():
        assert exposure["description"] and exposure["depends_on"]["nodes"], exposure["name"]
