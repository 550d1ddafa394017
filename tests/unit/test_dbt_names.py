"""dbt's relation names fit PostgreSQL's identifiers (63 bytes): DuckDB takes longer ones, so a
name too long would only fail on the PostgreSQL target (dbt makes a relation per model, seed and
unit test)."""

from pathlib import Path

import yaml

from ase_impact.core.settings import DBT_PROJECT_DIR

POSTGRES_MAX_IDENTIFIER_BYTES = 63


def relation_names(project: Path) -> list[str]:
    names = [path.stem for path in (project / "models").rglob("*.sql")]
    names += [path.stem for path in (project / "seeds").rglob("*.csv")]
    for properties in (project / "models").rglob("*.yml"):
        document = yaml.safe_load(properties.read_text(encoding="utf-8")) or {}
        names += [unit_test["name"] for unit_test in document.get("unit_tests", [])]
    return names


def test_every_model_seed_and_unit_test_name_fits_a_postgresql_identifier():
    names = relation_names(DBT_PROJECT_DIR)
    assert len(names) > 80  # models, seeds and unit tests were all found
    too_long = [name for name in names if len(name.encode()) > POSTGRES_MAX_IDENTIFIER_BYTES]
    assert too_long == []


def test_a_name_too_long_is_found(tmp_path):
    (tmp_path / "models").mkdir()
    (tmp_path / "seeds").mkdir()
    (tmp_path / "models" / "_x__models.yml").write_text(
        "unit_tests:\n  - name: " + "a" * 64 + "\n", encoding="utf-8"
    )
    assert relation_names(tmp_path) == ["a" * 64]
