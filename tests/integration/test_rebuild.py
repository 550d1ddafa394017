"""`ase-impact rebuild`: a lost or damaged warehouse recreated from archive/ and the journal.

Two runs build a warehouse with history: files accepted, a month approved, a corrected file
(version 2), a file refused as a whole, a file refused before it named a partition. Then the
warehouse is deleted, and rebuilt; then damaged, refused by `ase-impact run` with a message
naming the command, and rebuilt again. Each rebuilt warehouse must hold the same rows as the
original: every table of marts and of quality, reception times included (they are replayed
from the journal), approvals included (restored from archive/approvals/). Nothing is left out
of the comparison.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import duckdb
import pytest

from ase_impact.core.settings import load_settings
from ase_impact.intake.journal import journal_path, read_entries
from ase_impact.intake.pseudonymise import KEY_ENV_VAR
from orchestration.assets.transformations import dbt_manifest
from orchestration.dbt_project import last_build_dir
from tests.conftest import isolated_environment
from tests.integration.cli_runs import run_cli
from tests.integration.conftest import TEST_KEY
from tests.integration.sample_rows import pair_row, write_submission

pytestmark = pytest.mark.slow  # whole `ase-impact run`s: make test-e2e

REBUILT = "Construction (marts dbt, contrôle de publication, sorties) : réussie"


def _table_hashes(warehouse: Path) -> dict[str, tuple[int, str]]:
    """marts.* and quality.* table → (row count, MD5 of its rows as text, sorted)."""
    hashes = {}
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        tables = conn.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_schema in ('marts', 'quality') and table_type = 'BASE TABLE' "
            "order by all"
        ).fetchall()
        for schema, table in tables:
            hashes[f"{schema}.{table}"] = conn.execute(
                "select count(*), md5(coalesce(string_agg(cast(t as varchar), chr(10) "
                f"order by cast(t as varchar)), '')) from {schema}.{table} as t"
            ).fetchone()
    return hashes


def _seeds_loaded_by_last_build(warehouse: Path) -> int:
    results = json.loads((last_build_dir(warehouse) / "run_results.json").read_text())
    return sum(result["unique_id"].startswith("seed.") for result in results["results"])


@pytest.fixture(scope="module")
def history(tmp_path_factory):
    root = tmp_path_factory.mktemp("rebuild")
    with isolated_environment(root, {KEY_ENV_VAR: TEST_KEY}):
        settings = load_settings()
        raw = settings.raw_dir
        write_submission(raw, "2026-10", "cap-avenir")
        write_submission(raw, "2026-10", "envol-mentorat", pairs=2)
        write_submission(raw, "2026-11", "cap-avenir", pairs=4)
        first = run_cli("run")
        # October approved (ase-impact approve): no archived file can give its versions back.
        approved = run_cli("approve", "2026-10")
        # A month later: a corrected file, a refused one, one with a row rejected, a misnamed one.
        write_submission(raw, "2026-10", "envol-mentorat", pairs=5)
        write_submission(raw, "2026-11", "envol-mentorat", period="2026-09")  # PAR-005
        bad = pair_row("B-050", "Nomerr", "Prenomerr", "hier")
        write_submission(raw, "2026-11", "les-tilleuls", extra_pairs=[bad])
        (raw / "2026-11" / "Cap Avenir.xlsx").write_bytes(b"")  # FIC-003
        second = run_cli("run")
        seeds_of_second = _seeds_loaded_by_last_build(settings.warehouse)
        original = _table_hashes(settings.warehouse)

        settings.warehouse.unlink()
        deleted = run_cli("rebuild")
        seeds_of_rebuild = _seeds_loaded_by_last_build(settings.warehouse)
        after_deletion = _table_hashes(settings.warehouse)

        data = bytearray(settings.warehouse.read_bytes())
        data[: 16 * 1024] = os.urandom(16 * 1024)
        settings.warehouse.write_bytes(bytes(data))
        refused = run_cli("run")
        damaged = run_cli("rebuild")
        after_damage = _table_hashes(settings.warehouse)
        set_aside = sorted(p.name for p in settings.warehouse.parent.glob("*.endommage-*"))
        yield {
            "settings": settings,
            "runs": (first, second),
            "approved": approved,
            "original": original,
            "deleted": deleted,
            "seeds_loaded": (seeds_of_second, seeds_of_rebuild),
            "after_deletion": after_deletion,
            "refused": refused,
            "damaged": damaged,
            "after_damage": after_damage,
            "set_aside": set_aside,
        }
    shutil.rmtree(root, ignore_errors=True)


def test_the_journal_lists_every_outcome_in_order(history):
    for run in history["runs"]:
        assert run.exit_code == 0, run.stdout + run.stderr
    entries = list(read_entries(history["settings"].archive_dir))
    statuses = [(e.file_name, e.status) for e in entries if e.period]
    assert statuses[:3] == [
        ("2026-10/cap-avenir.xlsx", "accepted"),
        ("2026-10/envol-mentorat.xlsx", "accepted"),
        ("2026-11/cap-avenir.xlsx", "accepted"),
    ]
    assert ("2026-10/envol-mentorat.xlsx", "accepted") in statuses[3:]
    assert ("2026-11/envol-mentorat.xlsx", "rejected") in statuses[3:]
    assert ("2026-11/les-tilleuls.xlsx", "accepted_with_rejections") in statuses[3:]
    refused_early = [e for e in entries if e.period is None]
    assert {e.error_code for e in refused_early} == {"FIC-003"}
    journal = journal_path(history["settings"].archive_dir).read_text(encoding="utf-8")
    assert "Nomtest" not in journal and "Prenom" not in journal  # no name ever


def test_a_deleted_warehouse_is_rebuilt_identical(history):
    rebuild = history["deleted"]
    assert rebuild.exit_code == 0, rebuild.stdout + rebuild.stderr
    assert "Reconstruction de l'entrepôt : " in rebuild.stdout
    assert REBUILT in rebuild.stdout
    original = history["original"]
    assert {"marts.fct_indicators", "marts.mart_submissions", "quality.submissions"} <= set(
        original
    )
    assert history["after_deletion"] == original
    # The second run found the référentiel's seeds in place; the new warehouse had to load them.
    seeds = sum(unique_id.startswith("seed.") for unique_id in dbt_manifest["nodes"])
    assert history["seeds_loaded"] == (0, seeds)
    # The approved version of October, restored from archive/approvals/ (its revision, the
    # corrected file, still pending approval).
    assert history["approved"].exit_code == 0, history["approved"].stderr
    assert "Versions approuvées restaurées depuis l'archive : 1" in rebuild.stdout
    assert original["marts.fct_indicators_approved"][0] > 0
    assert original["marts.mart_approvals"][0] == 1


def test_a_damaged_warehouse_is_refused_then_rebuilt_identical_and_kept_aside(history):
    refused = history["refused"]
    assert refused.exit_code == 1
    assert "est endommagé" in refused.stderr
    assert "« ase-impact rebuild »" in refused.stderr
    assert "Traceback" not in refused.stderr
    rebuild = history["damaged"]
    assert rebuild.exit_code == 0, rebuild.stdout + rebuild.stderr
    assert "Entrepôt endommagé mis de côté (à supprimer une fois vérifié) : " in rebuild.stdout
    assert [name.split(".endommage-")[0] for name in history["set_aside"]] == ["ase_impact.duckdb"]
    assert history["after_damage"] == history["original"]
