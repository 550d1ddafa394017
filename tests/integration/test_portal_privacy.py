"""No name or birth date of a youth in anything the portal shows or keeps, but the pre-filled
template it serves to the association that sent them.

The workbooks carry the distinctive identities of tests/integration/test_pii.py, on accepted
and on rejected rows; every page the officers and the project lead see, every feedback
workbook, the SQLite database (with its write-ahead log) and the audit log are scanned with the
same helpers. Only an uploaded workbook waiting to be sent holds names, as raw/ does: it is
the association's own file, deleted once it or a later upload of the month is sent (as here),
or after a day.
"""

from __future__ import annotations

from datetime import date

from ase_impact.intake.ingestion import ingest_file
from ase_impact.publish.snapshot import publish_snapshot
from ase_impact.warehouse import connection, schema
from tests.integration.portal_fixtures import CAP, PERIOD
from tests.integration.sample_rows import mispe_row, pair_row, write_submission
from tests.integration.test_pii import SECRETS, assert_no_pii, find_pii


def identifying_workbook(folder, period: str = PERIOD) -> bytes:
    pairs = [
        pair_row("B-101", "Zorglubienne", "Quetzalix", date(2011, 7, 23)),
        pair_row("B-102", "Kastafiore-Pélagie", "Ombrelune", "14/11/2009"),
        # Rejected: the findings name their cells, never their names or birth dates.
        pair_row("B-104", "Quetzalix", "Vrillançonne", date(1990, 3, 15)),
        pair_row("B-105", "Ombrelune", "Quetzalix", "23 juillet 2011"),
        pair_row("B-106", "Zorglubienne", "Ombrelune", date(2011, 7, 23), Sexe="Martien"),
    ]
    mispe = [mispe_row("Vrillançonne", "Zorglubienne", date(1990, 3, 15), date(2026, 10, 7))]
    return write_submission(
        folder, period, CAP, extra_pairs=pairs, rows={"mispe_questionnaires": mispe}
    ).read_bytes()


def test_nothing_the_portal_shows_or_keeps_names_a_youth(portal, settings, tmp_path):
    # September's file, accepted and published: the pre-filled template copies its pairs.
    september = settings.raw_dir / "2026-09" / f"{CAP}.xlsx"
    september.parent.mkdir(parents=True)
    september.write_bytes(identifying_workbook(tmp_path / "septembre", "2026-09"))
    with connection.connect(settings.warehouse) as conn:
        schema.ensure_schema(conn)
        assert ingest_file(september, settings, conn).status == "accepted_with_rejections"
    publish_snapshot(settings.warehouse, settings.published_warehouse)

    cap = portal.signed_in("agent-cap")
    pages = {}
    first = cap.upload_id(identifying_workbook(tmp_path / "v1"))
    second = cap.upload_id(identifying_workbook(tmp_path / "v2"))
    pages["resultat"] = cap.client.get(f"/espace/depots/{first}")
    assert "lignes rejetées" in pages["resultat"].text and "***" in pages["resultat"].text
    pages["retour"] = cap.client.get(f"/espace/depots/{first}/retour")
    cap.send(second)
    pages["envoye"] = cap.client.get(f"/espace/depots/{second}")
    pages["espace"] = cap.client.get(f"/espace?periode={PERIOD}")
    pages["modele"] = cap.client.get(f"/espace/modele?periode={PERIOD}")
    admin = portal.signed_in("chef-projet")
    pages["admin"] = admin.client.get(f"/admin?periode={PERIOD}")
    pages["admin_septembre"] = admin.client.get("/admin?periode=2026-09")
    pages["journal"] = admin.client.get("/admin/journal")
    assert all(page.status_code == 200 for page in pages.values())
    assert "Accepté, avec des lignes rejetées" in pages["espace"].text  # September, published

    # The pre-filled template holds the names, for this association only.
    prefilled = cap.client.get(f"/espace/modele-prerempli?periode={PERIOD}")
    assert prefilled.status_code == 200
    assert prefilled.headers["cache-control"] == "no-store"
    downloaded = tmp_path / "prerempli.xlsx"
    downloaded.write_bytes(prefilled.content)
    assert "Zorglubienne" in " ".join(find_pii([downloaded], SECRETS))
    assert (
        portal.signed_in("agent-envol")
        .client.get(f"/espace/modele-prerempli?periode={PERIOD}")
        .status_code
        == 404
    )

    saved = []
    for name, page in pages.items():
        path = tmp_path / "pages" / (name + (".xlsx" if name in ("retour", "modele") else ".html"))
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(page.content)
        saved.append(path)
    kept = [path for path in portal.config.portal_dir.rglob("*") if path.is_file()]
    pending = sorted(p.name for p in portal.config.pending_dir.iterdir())
    assert pending == sorted([f"{first}.retour.xlsx", f"{second}.retour.xlsx"])
    assert {p.name for p in kept} >= {"portal.sqlite3", f"{first}.retour.xlsx"}
    assert_no_pii(saved + kept, SECRETS)
    audit = [line["action"] for line in portal.app.state.portal.store.audit_lines()]
    assert {"connexion", "depot", "envoi", "telechargement_modele_prerempli"} <= set(audit)
