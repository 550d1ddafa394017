"""Approved months never change silently (DHIS2's data approval), through the real pipeline:
`ase-impact run` (Dagster, dbt build, gate, workbooks), `ase-impact approve AAAA-MM`, a
corrected file, another run, approval again.

Hand counts: each association's October file holds one subsidy of 12 000 € (sample rows), so
October's subsidies are 12 000 € for cap-avenir and for envol-mentorat, 24 000 € for the
département. envol-mentorat's correction declares 15 000 €: 27 000 € for the département.
"""

from __future__ import annotations

import getpass
from datetime import datetime

import duckdb
import pytest
from openpyxl import load_workbook

from ase_impact.cli.approve import approve
from ase_impact.cli.main import main as cli_main
from ase_impact.cli.run_summary import revision_lines
from ase_impact.core.settings import load_settings
from ase_impact.publish.consolidated import (
    ABSENT_BEFORE_TEXT,
    NO_FILE_CAUSE_TEXT,
    consolidated_paths,
    is_written_version,
    version_folder,
    workbook_paths,
)
from ase_impact.warehouse.approvals import approval_windows
from ase_impact.warehouse.connection import connect
from tests.conftest import DEMO_REGISTRY, isolated_environment
from tests.integration.conftest import TEST_KEY
from tests.integration.sample_rows import resource_row, write_submission

pytestmark = pytest.mark.slow

CAP, ENVOL = "cap-avenir", "envol-mentorat"
OCTOBER = "2026-10"
SUBSIDIES = (
    "SELECT coalesce(association_code, 'departement'), value FROM marts.fct_indicators "
    "WHERE period_grain = 'month' AND period = DATE '2026-10-01' "
    "AND indicator_code = 'subsidies_eur' AND breakdown = 'total' AND value IS NOT NULL"
)


def _write(settings, association_code: str, amount: float) -> None:
    write_submission(
        settings.raw_dir,
        OCTOBER,
        association_code,
        rows={"resources": [resource_row(amount=amount)]},
    )


def _published_subsidies(settings) -> dict[str, float]:
    with duckdb.connect(str(settings.published_warehouse), read_only=True) as published:
        return dict(published.execute(SUBSIDIES).fetchall())


def _current_subsidies(settings) -> dict[str, float]:
    with connect(settings.warehouse, read_only=True) as conn:
        return dict(conn.execute(SUBSIDIES).fetchall())


def _bytes(paths) -> list[bytes]:
    return [path.read_bytes() for path in paths]


def _run(settings) -> None:
    from orchestration.runner import run_pipeline

    outcome = run_pipeline(settings, progress=lambda _: None)
    assert outcome.build_succeeded and not outcome.blocking_checks_failed, outcome


REASON = "Subvention corrigée par Envol Mentorat"


def _approve(capsys, *options: str) -> str:
    assert cli_main(["approve", OCTOBER, *options], orchestrator=None) == 0
    return capsys.readouterr().out


def _revisions(path) -> list[tuple]:
    sheet = load_workbook(path)["Révisions"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == (
        "Périmètre",
        "Période",
        "Indicateur",
        "Dimension MIS PE",
        "Ventilation",
        "Valeur approuvée",
        "Nouvelle valeur",
        "Fichier(s) à l'origine",
    )
    return rows[1:]


def test_approve_then_a_correction_makes_a_revision_shown_once_approved(tmp_path, capsys):
    with isolated_environment(tmp_path, {"ASE_IMPACT_PSEUDONYMISATION_KEY": TEST_KEY}):
        settings = load_settings()
        _write(settings, CAP, 12000.0)
        _write(settings, ENVOL, 12000.0)
        _run(settings)
        before = {CAP: 12000.0, ENVOL: 12000.0, "departement": 24000.0}
        assert _published_subsidies(settings) == before
        # A month without files has nothing to approve.
        assert cli_main(["approve", "2026-09"], orchestrator=None) == 1
        assert "Aucun fichier reçu pour 2026-09" in capsys.readouterr().err

        # Approval 1, by the project lead named: the month's workbooks frozen in v1, shared
        # workbooks identical to them.
        output = _approve(capsys, "--par", "Claire Martin")
        assert f"{OCTOBER} approuvé : version 1" in output
        assert "par Claire Martin." in output
        v1 = workbook_paths(version_folder(settings.outputs_dir, OCTOBER, 1))
        shared = consolidated_paths(settings.outputs_dir, OCTOBER)
        v1_bytes = _bytes(v1)
        assert _bytes(shared) == v1_bytes
        assert all(not path.stat().st_mode & 0o222 for path in v1)  # read-only
        book = load_workbook(v1[0])
        assert "Révisions" not in book.sheetnames
        assert "Version 1 approuvée le" in book["Synthèse des résultats"]["A2"].value
        assert "par Claire Martin (ase-impact" in book["Synthèse des résultats"]["A2"].value
        # Approving again with nothing changed keeps version 1.
        assert "rien de nouveau à approuver" in _approve(capsys)

        # A correction: envol-mentorat's subsidy 12 000 → 15 000 €.
        _write(settings, ENVOL, 15000.0)
        _run(settings)
        # The marts hold the current figures; the published copy the approved ones.
        assert _current_subsidies(settings) == {
            CAP: 12000.0,
            ENVOL: 15000.0,
            "departement": 27000.0,
        }
        assert _published_subsidies(settings) == before
        assert _bytes(v1) == v1_bytes  # never written again
        assert _bytes(shared) == v1_bytes  # the shared workbooks stay the approved version
        # The revision waits for approval in v2, its « Révisions » sheet saying what changed.
        v2 = workbook_paths(version_folder(settings.outputs_dir, OCTOBER, 2))
        # The totals (the « detail » breakdown, Fondation Lumière, moves alike).
        pending = [
            row for row in _revisions(v2[0]) if row[2] == "Subventions (EUR)" and row[4] == "Total"
        ]
        caused_by = "2026-10/envol-mentorat.xlsx (version 1 → 2)"
        with connect(settings.warehouse, read_only=True) as conn:
            month, ytd = (
                conn.execute(
                    "SELECT label_fr FROM marts.dim_period WHERE period = DATE '2026-10-01' "
                    "AND period_grain = ?",
                    [grain],
                ).fetchone()[0]
                for grain in ("month", "year_to_date")
            )
        assert ytd == "janvier à octobre 2026"
        month, ytd = f"Mois · {month}", f"Cumul de l'année · {ytd}"
        assert sorted(row[:2] + row[5:] for row in pending) == sorted(
            [
                ("Département", month, 24000, 27000, caused_by),
                ("Département", ytd, 24000, 27000, caused_by),
                ("Envol Mentorat", month, 12000, 15000, caused_by),
                ("Envol Mentorat", ytd, 12000, 15000, caused_by),
            ]
        )
        proposal_note = load_workbook(v2[0])["Synthèse des résultats"]["A2"].value
        assert proposal_note.startswith("Révision proposée (version 2), en attente d'approbation")
        with connect(settings.warehouse, read_only=True) as conn:
            approvals = conn.execute(
                "SELECT approval_version, is_latest, figures_changed_since > 0 "
                "FROM marts.mart_approvals"
            ).fetchall()
            frozen = conn.execute(
                "SELECT DISTINCT approval_version, period_grain FROM "
                "marts.fct_indicators_approved ORDER BY ALL"
            ).fetchall()
            approved_envol = conn.execute(
                "SELECT value, approved_at IS NOT NULL FROM marts.fct_indicators_approved "
                "WHERE approval_version = 1 AND period_grain = 'month' "
                "AND association_code = ? AND indicator_code = 'subsidies_eur' "
                "AND breakdown = 'total'",
                [ENVOL],
            ).fetchall()
        assert approvals == [(1, True, True)]
        # The run's summary says so, and what to do.
        with connect(settings.warehouse, read_only=True) as conn:
            [line] = revision_lines(conn)
            pending_count = conn.execute(
                "SELECT count(*) FROM reporting.rpt_revisions WHERE is_pending"
            ).fetchone()[0]
        assert line == (
            f"- {OCTOBER} : mois approuvé, {pending_count} chiffre(s) révisé(s) en attente "
            f"d'approbation (onglet « Révisions » de outputs/{OCTOBER}/v2/) ; « ase-impact "
            f'approve {OCTOBER} --motif "…" » pour les diffuser'
        )
        assert pending_count >= len(pending)
        # October freezes its month and its year to date (not a quarter's or a year's end).
        assert [grain for grain, _ in approval_windows(datetime(2026, 10, 1).date())] == [
            "month",
            "year_to_date",
        ]
        assert frozen == [(1, "month"), (1, "year_to_date")]
        assert approved_envol == [(12000.0, True)]

        # Figures already shared are not replaced without a reason: nothing is approved.
        assert cli_main(["approve", OCTOBER], orchestrator=None) == 1
        refusal = capsys.readouterr().err
        assert "indiquez le motif de la révision" in refusal
        assert f'ase-impact approve {OCTOBER} --motif "…"' in refusal
        with connect(settings.warehouse, read_only=True) as conn:
            assert conn.execute("SELECT count(*) FROM approvals.approvals").fetchone() == (1,)
        assert _bytes(shared) == v1_bytes

        # Approval 2: the revision becomes the approved version, everywhere, with its reason.
        output = _approve(capsys, "--motif", REASON)
        assert f"{OCTOBER} approuvé : version 2" in output
        assert f"; motif : {REASON}." in output
        assert _published_subsidies(settings) == {
            CAP: 12000.0,
            ENVOL: 15000.0,
            "departement": 27000.0,
        }
        v2_bytes = _bytes(v2)
        assert _bytes(shared) == v2_bytes
        assert _bytes(v1) == v1_bytes
        approved_revisions = [
            row for row in _revisions(v2[0]) if row[2] == "Subventions (EUR)" and row[4] == "Total"
        ]
        assert sorted(row[:2] + row[5:] for row in approved_revisions) == sorted(
            row[:2] + row[5:] for row in pending
        )
        approved_note = load_workbook(v2[1])["Synthèse des résultats"]["A2"].value
        assert "Version 2 approuvée le" in approved_note
        # Approved without --par: by the system user that ran the command.
        user = getpass.getuser()
        assert f"par {user} (ase-impact approve {OCTOBER}) ; motif : {REASON}." in approved_note

        # A build with nothing new leaves both versions as they are.
        _run(settings)
        assert _bytes(v1) == v1_bytes and _bytes(v2) == v2_bytes
        assert _bytes(shared) == v2_bytes
        assert not version_folder(settings.outputs_dir, OCTOBER, 3).exists()
        with connect(settings.warehouse, read_only=True) as conn:
            assert conn.execute(
                "SELECT approval_version, is_latest, approved_by, reason "
                "FROM marts.mart_approvals ORDER BY 1"
            ).fetchall() == [(1, False, "Claire Martin", None), (2, True, user, REASON)]
        assert _published_subsidies(settings)[ENVOL] == 15000.0


def test_a_registry_change_after_approval_is_a_revision_and_a_failed_approval_leaves_none(
    tmp_path, capsys, monkeypatch
):
    registry = tmp_path / "registre.csv"
    registry.write_text(DEMO_REGISTRY.read_text(encoding="utf-8"), encoding="utf-8")
    variables = {"ASE_IMPACT_PSEUDONYMISATION_KEY": TEST_KEY, "ASE_IMPACT_REGISTRY": str(registry)}
    with isolated_environment(tmp_path, variables):
        settings = load_settings()
        _write(settings, CAP, 12000.0)
        _write(settings, ENVOL, 12000.0)
        _run(settings)
        assert f"{OCTOBER} approuvé : version 1" in _approve(capsys)

        # The département registers an association expected since January: figures of the
        # approved October change (files expected, files received), with no file changed.
        with registry.open("a", encoding="utf-8") as lines:
            lines.write("nouvelle-asso,Nouvelle Association,nord,2026-01-01,,true,false\n")
        _run(settings)  # before: every later run failed writing the pending revision
        v2 = workbook_paths(version_folder(settings.outputs_dir, OCTOBER, 2))
        revised = _revisions(v2[0])
        new_association = [row for row in revised if row[0] == "Nouvelle Association"]
        assert new_association
        assert {row[5] for row in new_association} == {ABSENT_BEFORE_TEXT}
        assert {row[7] for row in revised} == {NO_FILE_CAUSE_TEXT}  # no file changed
        # One more file expected, none more received: of the demo registry's seven
        # associations two sent October's file (2 of 7), now 2 of 8.
        received = [
            row[5:7]
            for row in revised
            if row[0] == "Département"
            and row[1].startswith("Mois")
            and row[2] == "Taux de fichiers reçus"
        ]
        assert received == [(pytest.approx(200 / 7), 25)]

        # The workbooks of a new version cannot be written: the approval is withdrawn, the
        # archive's copy of the approvals is left as it was.
        archived = sorted((settings.archive_dir / "approvals").glob("*.parquet"))
        archived_bytes = _bytes(archived)

        def fail(*_args, **_kwargs):
            raise OSError(28, "No space left on device")

        monkeypatch.setattr("ase_impact.cli.approve.write_approved_version", fail)
        with pytest.raises(OSError):
            approve(settings, OCTOBER, reason="Registre")
        with connect(settings.warehouse, read_only=True) as conn:
            versions = conn.execute("SELECT approval_version FROM approvals.approvals").fetchall()
        assert versions == [(1,)]
        assert _bytes(archived) == archived_bytes
        monkeypatch.undo()
        # Approved from a shell with another threshold: the workbooks state the one the marts
        # were masked with (the default, 11), not the command's.
        monkeypatch.setenv("ASE_IMPACT_MIN_CELL", "3")
        assert f"{OCTOBER} approuvé : version 2" in _approve(capsys, "--motif", "Registre")
        shared_note = " ".join(
            str(cell)
            for row in load_workbook(v2[1])["Synthèse des résultats"].iter_rows(values_only=True)
            for cell in row
            if cell
        )
        assert "toute valeur portant sur 1 à 10 " in shared_note

        # An approval killed outright after its commit (no withdrawal): the same command,
        # run again, writes the version's workbooks and shares them.
        with registry.open("a", encoding="utf-8") as lines:
            lines.write("autre-asso,Autre Association,sud,2026-01-01,,true,false\n")
        _run(settings)
        monkeypatch.setattr("ase_impact.cli.approve.write_approved_version", fail)
        monkeypatch.setattr("ase_impact.cli.approve.withdraw_version", lambda *_: None)
        with pytest.raises(OSError):
            approve(settings, OCTOBER, reason="Registre")
        monkeypatch.undo()
        v3_folder = version_folder(settings.outputs_dir, OCTOBER, 3)
        v3 = workbook_paths(v3_folder)
        assert not is_written_version(v3_folder)  # the revision proposed, never approved
        assert f"{OCTOBER} approuvé : version 3" in _approve(capsys)
        assert is_written_version(v3_folder)
        assert _bytes(consolidated_paths(settings.outputs_dir, OCTOBER)) == _bytes(v3)
        assert "rien de nouveau à approuver" in _approve(capsys)
