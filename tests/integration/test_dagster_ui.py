"""The Dagster UI as the data engineer reviews a month's quality in it, in a real browser.

One real `ase-impact run` of the shipped demo set in a temporary folder (7 associations, three
months; horizons-partages' October file is refused for its period, boussole-ase sent nothing
for September), then `dagster-webserver` on that instance, on the loopback, driven by
Debian's Chromium through Playwright (no browser is ever downloaded). Screenshots are kept
under the test's folder and, when CI is set, in test-artifacts/dagster-ui/. Then dbt's
documentation and the gate's report as `make docs` serves them, with the network blocked.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from ase_impact.core.settings import PROJECT_ROOT, load_settings
from orchestration.partitions import month_partitions
from tests.conftest import isolated_environment
from tests.integration.browser import Screens, keep_artifacts, launch, needs_chromium
from tests.integration.cli_runs import CLI_COMMAND, run_cli
from tests.integration.portal_fixtures import free_port
from tests.integration.processes import stop_process_group

pytestmark = [pytest.mark.slow, needs_chromium]

REFUSED = ("2026-10", "horizons-partages")
REFUSAL = "le fichier indique la période 2026-09 mais a été déposé dans 2026-10"
MISSING = ("2026-09", "boussole-ase", "La Boussole ASE")
ASSOCIATIONS = 7
# Data can take a while to show on a loaded machine: the UI polls its server.
SHOWN_WITHIN_MS = 90_000


def _wait_for_http(url: str, process: subprocess.Popen, log: Path, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url}: stopped\n" + log.read_text(errors="replace")[-4000:])
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(1)
    raise RuntimeError(f"{url}: not up after {seconds} s\n" + log.read_text()[-4000:])


def _start(command: list[str], log: Path, probe: str, seconds: float) -> subprocess.Popen:
    with open(log, "wb") as output:
        process = subprocess.Popen(
            command,
            cwd=PROJECT_ROOT,
            stdout=output,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    try:
        _wait_for_http(probe, process, log, seconds)
    except BaseException:
        stop_process_group(process)
        raise
    return process


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """The demo set run once by `ase-impact run`, in the module's own folders."""
    root = tmp_path_factory.mktemp("ui_demo")
    with isolated_environment(root):
        shutil.copytree(PROJECT_ROOT / "raw", root / "raw")
        run = run_cli("run")
        assert run.exit_code == 0, run.stdout + run.stderr
        yield {"root": root, "settings": load_settings()}


@pytest.fixture(scope="module")
def webserver(demo):
    """dagster-webserver on the demo's instance, on the loopback."""
    port = free_port()
    log = demo["root"] / "webserver.log"
    command = [sys.executable, "-m", "dagster_webserver", "-h", "127.0.0.1", "-p", str(port)]
    command += ["-m", "orchestration.definitions"]
    with isolated_environment(demo["root"]):
        process = _start(command, log, f"http://127.0.0.1:{port}/server_info", 300)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        stop_process_group(process)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = launch(playwright)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def ui(webserver, browser, tmp_path_factory):
    """A page on the UI, the community pop-up dismissed; screenshots kept."""
    folder = tmp_path_factory.mktemp("ui_screens")
    page = browser.new_page(viewport={"width": 1600, "height": 1000}, locale="fr-FR")
    page.set_default_timeout(SHOWN_WITHIN_MS)
    screens = Screens(page, folder)
    page.goto(f"{webserver}/runs")
    page.wait_for_selector("text=build_job")
    _dismiss_popup(page)
    yield page, screens, webserver
    keep_artifacts(folder, "dagster-ui")


def _dismiss_popup(page) -> None:
    """Dagster's "Join the community" dialog, shown once per browser profile."""
    skip = page.locator("button:has-text('Skip')")
    for _ in range(10):
        if skip.count():
            skip.first.click()
            return
        page.wait_for_timeout(300)


def _partition(month: str, association: str) -> str:
    # The UI names a (month, association) partition by its dimensions in alphabetical order.
    return f"{association}|{month}"


def test_every_run_succeeds_the_one_that_refused_a_file_included(ui, demo):
    page, screens, base = ui
    page.goto(f"{base}/runs")
    # The demo's three months are three ingestion runs (one refused October's file), then one
    # build: all succeeded.
    page.wait_for_function("() => (document.body.innerText.match(/Success/g) || []).length >= 4")
    runs = page.inner_text("body")
    assert runs.count("ingestion_job") == 3 and runs.count("build_job") == 1
    assert runs.count("Success") == 4 and "Failure" not in runs
    screens.take("runs")


def test_the_refused_partition_shows_its_french_reason(ui):
    page, screens, base = ui
    partition = _partition(*REFUSED)
    page.goto(f"{base}/assets/quality/submissions?view=partitions&partition={partition}")
    page.wait_for_selector(f"text={REFUSAL}")
    _dismiss_popup(page)
    details = page.inner_text("body")
    assert partition in details
    assert "Refusé (erreur bloquante, rien n'a été intégré)" in details
    assert "Traceback" not in details and "did not materialize" not in details
    # Partitions: the months a file can exist for (first template month to this month),
    # times the associations; no future month.
    months = month_partitions.get_partition_keys()
    assert f"{len(months) * ASSOCIATIONS} Partitions" in details
    screens.take("partition-refusee")


def test_the_acceptance_check_fails_on_the_refused_and_the_missing_partitions(ui):
    page, screens, base = ui
    page.goto(f"{base}/assets/quality/submissions?view=checks&checkDetail=fichier_accepte")
    page.wait_for_selector("text=Execution history")
    page.locator("text=Partitions").last.click()
    page.wait_for_selector("text=Failed (2)")
    screens.take("fichier-accepte-partitions")
    page.locator("text=Execution history").first.click()
    page.wait_for_selector(f"text=Fichier refusé : Fichier {REFUSED[0]}/{REFUSED[1]}.xlsx")
    history = page.inner_text("body")
    assert REFUSAL in history
    assert f"Aucun fichier reçu de {MISSING[2]} pour {MISSING[0]}" in history
    screens.take("fichier-accepte-historique")


def test_the_contract_check_names_the_month_its_files_and_the_first_anomalies(ui):
    page, screens, base = ui
    page.goto(f"{base}/assets/raw/pairs?view=checks&checkDetail=contrat_pairs")
    # The latest result is the last month ingested (months go in calendar order); its first
    # anomalies are listed, each naming its file.
    page.wait_for_selector("text=premieres_anomalies")
    overview = page.inner_text("body")
    assert "2026-10 · 6 fichiers (" in overview
    assert re.search(r"2026-10/[a-z-]+\.xlsx", overview) and "DON-0" in overview
    screens.take("contrat-pairs")
    page.locator("text=Execution history").first.click()
    # One line per run, each naming its month and files, readable without opening it.
    for month, files in (("2026-08", 7), ("2026-09", 6), ("2026-10", 6)):
        page.wait_for_selector(f"text={month} · {files} fichiers")
    history = page.inner_text("body")
    assert "DON-0" in history
    assert "horizons-partages" not in history.split("2026-10 · ")[1].split("\n")[0]
    screens.take("contrat-pairs-historique")


def test_the_missing_expected_file_is_named(ui):
    page, screens, base = ui
    page.goto(f"{base}/assets/marts/mart_submissions?view=checks&checkDetail=depots_complets")
    month, code, name = MISSING
    page.wait_for_selector(f"text=Fichiers attendus non reçus — {month} : {name}")
    overview = page.inner_text("body")
    assert f"{name} ({code})" in overview  # the month's line of the metadata table
    assert "Toutes les associations attendues ont déposé" in overview  # the description
    screens.take("depots-complets")


def test_descriptions_render_on_assets_and_automations(ui):
    page, screens, base = ui
    page.goto(f"{base}/assets/reporting/workbook")
    page.wait_for_selector("text=raw/AAAA-MM/code.xlsx")
    assert "raw//.xlsx" not in page.inner_text("body")
    screens.take("workbook-description")
    page.goto(f"{base}/automation")
    page.wait_for_selector("text=raw_files_sensor")
    page.locator("text=raw_files_sensor").first.click()
    page.wait_for_selector("text=deviennent des runs d'intégration")
    screens.take("capteur")


def test_dbt_docs_and_the_gate_report_are_served_offline(demo, browser, tmp_path):
    """`ase-impact docs` (what `make docs` runs) on the demo's reports; every request that
    is not to that server is aborted and counted."""
    settings = demo["settings"]
    assert (settings.dbt_docs_dir / "index.html").is_file()
    port = free_port()
    command = [*CLI_COMMAND, "docs", "--port", str(port)]
    base = f"http://127.0.0.1:{port}"
    with isolated_environment(demo["root"]):
        server = _start(command, tmp_path / "docs.log", f"{base}/dbt_docs/", 60)
    attempted = []

    def local_only(route):
        if route.request.url.startswith(base):
            route.continue_()
        else:
            attempted.append(route.request.url)
            route.abort()

    page = browser.new_page(viewport={"width": 1600, "height": 1000})
    page.set_default_timeout(SHOWN_WITHIN_MS)
    page.route("**/*", local_only)
    screens = Screens(page, tmp_path / "screens")
    try:
        page.goto(f"{base}/")
        assert page.url.startswith(f"{base}/dbt_docs/")
        page.goto(f"{base}/dbt_docs/#!/model/model.ase_impact.mart_submissions")
        page.wait_for_selector("text=mart_submissions")
        page.wait_for_selector("text=association_code")
        body = page.inner_text("body")
        assert "missing" in body  # the status column's description
        screens.take("dbt-docs-mart-submissions")
        page.goto(f"{base}/dbt_docs/#!/exposure/exposure.ase_impact.consolidated_workbook")
        page.wait_for_selector("text=consolidated_workbook")
        screens.take("dbt-docs-exposure")
        page.goto(f"{base}/quality/")
        page.wait_for_selector("table.suites tbody tr.suite")
        assert page.locator("table.suites tbody tr.suite").count() == 4
        screens.take("quality")
    finally:
        page.close()
        stop_process_group(server)
    assert attempted == []
    keep_artifacts(tmp_path / "screens", "docs")
