"""An officer's month in a real browser (Debian's Chromium driven by Playwright; no browser is
ever downloaded): sign in, download the template, upload it filled with two bad rows, read the
anomalies, upload the corrected file, send it; `ase-impact run` ingests it as any dropped file;
the history then shows it accepted. Screenshots are kept under the test's folder and, when CI is
set, copied to test-artifacts/portal/ (git-ignored). The server's log, the portal's database
and every page seen are then scanned for the youth's names and birth dates.
"""

from __future__ import annotations

import subprocess
from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook

from ase_impact.publish.template import append_data_row
from tests.integration.browser import Screens, keep_artifacts, launch, needs_chromium
from tests.integration.cli_runs import CLI_COMMAND
from tests.integration.portal_fixtures import CAP, PASSWORD, PERIOD, make_portal, served
from tests.integration.sample_rows import pair_row
from tests.integration.test_pii import SECRETS, assert_no_pii
from tests.workbook_factory import headers_of

GOOD_PAIRS = [
    pair_row("B-001", "Zorglubienne", "Quetzalix", date(2011, 7, 23)),
    pair_row("B-002", "Kastafiore-Pélagie", "Ombrelune", date(2009, 11, 14)),
    pair_row("B-003", "Vrillançonne", "Zorglubienne", date(2013, 2, 27)),
]
BAD_PAIRS = [
    pair_row("B-004", "Quetzalix", "Ombrelune", date(2012, 4, 2), Sexe="Martien"),
    pair_row("B-005", "Ombrelune", "Vrillançonne", date(1990, 3, 15)),  # 36 years old
]


def filled(template: Path, pairs: list[dict], destination: Path) -> Path:
    """The downloaded template with pairs typed into « Données », as an officer would."""
    book = load_workbook(template)
    sheet = book["Données"]
    headers = headers_of("pairs")
    for pair in pairs:
        append_data_row(sheet, [pair.get(header) for header in headers])
    book.save(destination)
    return destination


@pytest.mark.slow
@needs_chromium
def test_an_officer_checks_corrects_and_sends_the_months_file(settings, tmp_path):
    from playwright.sync_api import sync_playwright

    portal = make_portal(settings)
    log_file = tmp_path / "portal.log"
    screens_dir = tmp_path / "screens"
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    with (
        served(portal.app, log_file) as url,
        sync_playwright() as playwright,
    ):
        browser = launch(playwright)
        page = browser.new_context(accept_downloads=True, locale="fr-FR").new_page()
        screens = Screens(page, screens_dir)

        page.goto(f"{url}/espace")
        assert page.url == f"{url}/connexion"
        page.fill("#identifiant", "agent-cap")
        page.fill("#mot_de_passe", PASSWORD)
        screens.take("connexion")
        page.click("text=Se connecter")
        page.wait_for_url(f"{url}/espace")
        screens.take("espace")

        with page.expect_download() as download:
            page.click(f"text=Modèle vierge de {PERIOD}")
        template = downloads / download.value.suggested_filename
        download.value.save_as(template)
        assert template.name == f"{PERIOD}_{CAP}.xlsx"

        with_errors = filled(template, GOOD_PAIRS + BAD_PAIRS, downloads / "avec-erreurs.xlsx")
        page.select_option("#periode-depot", PERIOD)
        page.set_input_files("#fichier", str(with_errors))
        page.click("text=Vérifier le fichier")
        page.wait_for_selector("table.anomalies")
        rows = page.locator("table.anomalies tbody tr.erreur")
        assert rows.count() == 2
        assert "2 lignes rejetées sur 5 reçues." in page.inner_text("main")
        assert "ligne 5, colonne « Sexe »" in rows.nth(0).inner_text()
        assert "ligne 6, colonne « Date de naissance »" in rows.nth(1).inner_text()
        screens.take("anomalies")

        page.goto(f"{url}/espace?periode={PERIOD}")
        corrected = filled(template, GOOD_PAIRS, downloads / "corrige.xlsx")
        page.set_input_files("#fichier", str(corrected))
        page.click("text=Vérifier le fichier")
        page.wait_for_selector("text=Aucune anomalie.")
        screens.take("corrige")
        page.click("button:has-text('Envoyer')")
        page.wait_for_selector("text=Fichier envoyé")
        screens.take("envoye")
        assert (settings.raw_dir / PERIOD / f"{CAP}.xlsx").read_bytes() == corrected.read_bytes()

        run = subprocess.run(
            [*CLI_COMMAND, "run"], capture_output=True, text=True, timeout=900, check=False
        )
        assert run.returncode == 0, run.stdout + run.stderr
        assert f"{PERIOD} · {CAP}" in run.stdout

        page.goto(f"{url}/espace?periode={PERIOD}")
        history = page.locator("table tbody tr").first.inner_text()
        assert PERIOD in history and "Accepté" in history and "0" in history
        screens.take("historique")

        page.click("text=Se déconnecter")
        page.fill("#identifiant", "chef-projet")
        page.fill("#mot_de_passe", PASSWORD)
        page.click("text=Se connecter")
        page.wait_for_url(f"{url}/admin")
        line = page.locator("tr", has_text=CAP).inner_text()
        # Sent on the machine's real day: "dans les délais" depends on it, not asserted here.
        assert "Accepté" in line and "3 lignes reçues, aucune rejetée." in line
        with page.expect_download() as feedback:
            page.locator("tr", has_text=CAP).locator("text=Classeur de retour").click()
        feedback.value.save_as(downloads / "retour-officiel.xlsx")
        screens.take("admin")
        browser.close()

    kept = [p for p in portal.config.portal_dir.rglob("*") if p.is_file()]
    assert_no_pii([log_file, *kept, *screens.html, downloads / "retour-officiel.xlsx"], SECRETS)
    keep_artifacts(screens_dir, "portal")
