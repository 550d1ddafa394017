"""The gate's report as a data engineer opens it on a département's closed network.

great-expectations' Data Docs load Bootstrap, jQuery, bootstrap-table, Font Awesome and their
logo from CDNs: offline, their index lists nothing (bootstrap-table draws it in the browser)
and every page is unstyled. After each gate, therefore:
- the index is the project's own page, in French, written from the gate's results: one line
  per suite (mart, severity, result, counts, links to the GX pages) and the failed
  expectations of each failing suite; plain HTML, no script;
- every GX page has its CDN links and scripts removed and links the project's stylesheet
  (`quality.css`, copied into the site's `static/styles/`), its logo taken from the site's
  own `static/images/`. Their content is server-rendered HTML: it reads without scripts.
Nothing in the site then asks the network for anything.
"""

from __future__ import annotations

import html
import os
import re
import shutil
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from ase_impact.gate.suites import SUITES

if TYPE_CHECKING:
    from ase_impact.gate.run import GateResult, SuiteResult

STYLESHEET = Path(__file__).with_name("quality.css")
SITE_STYLESHEET = Path("static") / "styles" / "ase_impact_quality.css"
SITE_LOGO = Path("static") / "images" / "logo-long.png"
SEVERITY_FR = {"ERROR": "erreur (bloque les sorties)", "WARN": "avertissement"}

# A stylesheet or script loaded from elsewhere than the site itself.
REMOTE_LINK = re.compile(r"<link\b[^>]*\bhref=\"(?:https?:)?//[^\"]*\"[^>]*>\s*", re.IGNORECASE)
REMOTE_SCRIPT = re.compile(
    r"<script\b[^>]*\bsrc=\"(?:https?:)?//[^\"]*\"[^>]*>\s*</script>\s*", re.IGNORECASE
)
REMOTE_IMAGE = re.compile(r"(<img\b[^>]*\bsrc=\")(?:https?:)?//[^\"]*(\")", re.IGNORECASE)
REMOTE_CSS_URL = re.compile(r"url\(\s*['\"]?(?:https?:)?//[^)]*\)", re.IGNORECASE)
HEAD_END = re.compile(r"</head>", re.IGNORECASE)


def make_offline(docs_dir: Path, gate: GateResult, gate_time: datetime) -> Path:
    """Rewrite the GX pages of docs_dir to need no network, then write the project's index."""
    stylesheet = docs_dir / SITE_STYLESHEET
    stylesheet.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(STYLESHEET, stylesheet)
    for page in docs_dir.rglob("*.html"):
        page.write_text(offline_page(page.read_text(encoding="utf-8"), page, docs_dir), "utf-8")
    index = docs_dir / "index.html"
    index.write_text(index_page(gate, docs_dir, gate_time), encoding="utf-8")
    return index


def _relative(target: Path, page: Path) -> str:
    return Path(os.path.relpath(target, page.parent)).as_posix()


def offline_page(text: str, page: Path, docs_dir: Path) -> str:
    """A GX page with its remote stylesheets and scripts replaced by the site's own files."""
    text = REMOTE_LINK.sub("", text)
    text = REMOTE_SCRIPT.sub("", text)
    text = REMOTE_IMAGE.sub(rf"\g<1>{_relative(docs_dir / SITE_LOGO, page)}\g<2>", text)
    text = REMOTE_CSS_URL.sub("none", text)
    link = f'<link rel="stylesheet" href="{_relative(docs_dir / SITE_STYLESHEET, page)}">\n'
    return HEAD_END.sub(lambda _: link + "</head>", text, count=1)


def _cell(value: object) -> str:
    return f"<td>{html.escape(str(value))}</td>"


def _suite_status(suite: SuiteResult) -> tuple[str, str]:
    if suite.passed:
        return "reussie", "Réussie"
    if suite.severity == "ERROR":
        return "echec-erreur", "En échec (bloquant)"
    return "echec-avertissement", "En échec (avertissement)"


def _suite_row(suite: SuiteResult, docs_dir: Path) -> str:
    index = docs_dir / "index.html"
    spec = next(spec for spec in SUITES if spec.name == suite.name)
    css, label = _suite_status(suite)
    links = [f'<a href="{_relative(suite.data_docs_path, index)}">résultats de validation</a>']
    expectations = docs_dir / "expectations" / f"{suite.name}.html"
    if expectations.is_file():
        links.append(f'<a href="{_relative(expectations, index)}">suite d\'attentes</a>')
    return (
        f'<tr class="suite" data-suite="{html.escape(suite.name)}">'
        f"<td><code>{html.escape(suite.name)}</code>"
        f'<div class="description">{html.escape(spec.description_fr)}</div></td>'
        + _cell(".".join(suite.asset_key))
        + _cell(SEVERITY_FR[suite.severity])
        + f'<td class="statut {css}">{label}</td>'
        + _cell(suite.expectations_evaluated)
        + _cell(len(suite.failing))
        + _cell(rows_validated_fr(suite))
        + f"<td>{' · '.join(links)}</td></tr>"
    )


def rows_validated_fr(suite: SuiteResult) -> str:
    """The rows validated, and for a suite validating by period, which periods."""
    windows = suite.windows
    if windows is None or not windows.kept:
        return str(suite.rows_validated)
    return (
        f"{suite.rows_validated} ({windows.revalidated} période(s) sur {len(windows.digests)} ; "
        f"les {len(windows.kept)} autres, inchangées depuis un contrôle réussi, ne sont pas "
        "validées à nouveau)"
    )


def _failures_section(suite: SuiteResult) -> str:
    rows = "".join(
        "<tr>"
        + _cell(f"{failure.description_fr} ({failure.expectation_type})")
        + _cell(failure.column or "")
        + _cell(failure.arguments)
        + _cell("" if failure.unexpected_count is None else failure.unexpected_count)
        + _cell(failure.error or failure.observed_value or "")
        + _cell(" ; ".join(failure.examples))
        + _cell(" ; ".join(failure.rows))
        + "</tr>"
        for failure in suite.failing
    )
    return (
        f'<section class="echecs" id="{html.escape(suite.name)}">'
        f"<h2>Attentes non satisfaites : <code>{html.escape(suite.name)}</code></h2>"
        "<table><thead><tr><th>Attente</th><th>Colonne</th><th>Paramètres</th>"
        "<th>Non conformes</th><th>Valeur observée</th><th>Exemples</th><th>Lignes</th>"
        f"</tr></thead><tbody>{rows}</tbody></table></section>"
    )


def index_page(gate: GateResult, docs_dir: Path, gate_time: datetime) -> str:
    """The project's index of the gate's report: French, styled by a local file, no script."""
    blocked = [s for s in gate.suites if not s.passed and s.severity == "ERROR"]
    verdict = (
        '<p class="verdict bloquee">Publication bloquée : '
        + ", ".join(html.escape(suite.name) for suite in blocked)
        + "</p>"
        if blocked
        else '<p class="verdict autorisee">Publication autorisée</p>'
    )
    rows = "".join(_suite_row(suite, docs_dir) for suite in gate.suites)
    failures = "".join(_failures_section(suite) for suite in gate.suites if suite.failing)
    stylesheet = _relative(docs_dir / SITE_STYLESHEET, docs_dir / "index.html")
    when = gate_time.astimezone().strftime("%d/%m/%Y à %H:%M")
    return f"""<!DOCTYPE html>
<html lang="fr">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Contrôle de publication — ase-impact</title>
<link rel="stylesheet" href="{stylesheet}">
</head>
<body>
<main class="qualite">
<header>
<h1>Contrôle de publication des marts</h1>
<p class="lead">Porte de publication (great-expectations) du {when} :
les attentes de chaque suite sur les marts de l'entrepôt.</p>
</header>
{verdict}
<table class="suites">
<thead><tr><th>Suite</th><th>Mart</th><th>Gravité</th><th>Résultat</th>
<th>Attentes évaluées</th><th>En échec</th><th>Lignes validées</th><th>Détail</th></tr></thead>
<tbody>
{rows}
</tbody>
</table>
{failures}
<footer>Les pages de détail sont les Data Docs de great-expectations, lisibles sans
connexion réseau. Le même résultat est dans l'interface Dagster : contrôles
<code>gate_*</code> des marts.</footer>
</main>
</body>
</html>
"""
