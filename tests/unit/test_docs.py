"""The README and docs/ stay true to the repository: links resolve, paths exist, rules are listed.

The README is the front door and must stay short; the detail lives in docs/.
"""

import re
from pathlib import Path

import pytest

from ase_impact.contracts.rules import RULES
from ase_impact.core.settings import PROJECT_ROOT
from tests.unit.test_rules_registry import PREFIX_BY_SHEET

README = PROJECT_ROOT / "README.md"
DOCS = sorted((PROJECT_ROOT / "docs").glob("*.md"))
PAGES = [README, *DOCS]
README_MAX_LINES = 120

# [text](target) outside code; images too. Absolute URLs are not checked.
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")
FENCE = re.compile(r"^```.*?^```", re.MULTILINE | re.DOTALL)
HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$", re.MULTILINE)
# A path of the repository named in backquotes, a file with its extension or a folder with its
# slash: `ase_impact/contracts/rules.py`, `dbt_project/seeds/` (not a tag: `ase_impact/relance`).
SOURCE_PATH = re.compile(
    r"`((?:ase_impact|orchestration|dbt_project|devtools|benchmarks|tests|docs)/"
    r"[^`\s]*(?:/|\.\w+))`"
)
# Folders the docs name that exist only once the pipeline or the benchmarks ran (git-ignored).
RUNTIME_PATHS = {"dbt_project/target/", "benchmarks/.cache/"}
RULE_CODE = re.compile(
    rf"\b(?:{'|'.join(p for prefixes in PREFIX_BY_SHEET.values() for p in prefixes)})-\d{{3}}\b"
)


def _prose(page: Path) -> str:
    return FENCE.sub("", page.read_text(encoding="utf-8"))


def _anchor(heading: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces as hyphens."""
    text = re.sub(r"[`*_]", "", heading).strip().lower()
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def _anchors(page: Path) -> set[str]:
    return {_anchor(heading) for heading in HEADING.findall(_prose(page))}


def _links(page: Path) -> list[str]:
    return [
        target
        for target in LINK.findall(_prose(page))
        if not re.match(r"^[a-z][a-z0-9+.-]*:", target)  # http:, https:, mailto:
    ]


def test_there_are_docs_pages():
    names = {page.name for page in DOCS}
    assert {
        "operations.md",
        "rules.md",
        "marts.md",
        "privacy.md",
        "performance.md",
        "architecture.md",
    } <= names


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.name)
def test_every_relative_link_points_to_an_existing_file(page):
    broken = []
    for target in _links(page):
        path_part, _, anchor = target.partition("#")
        linked = (page.parent / path_part).resolve() if path_part else page
        if not linked.exists():
            broken.append(f"{target}: no file {linked}")
        elif anchor and linked.suffix == ".md" and anchor not in _anchors(linked):
            broken.append(f"{target}: no heading #{anchor} in {linked.name}")
    assert not broken, f"{page.name}: " + "; ".join(broken)


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.name)
def test_every_repository_path_named_exists(page):
    text = page.read_text(encoding="utf-8")
    missing = [
        path
        for path in SOURCE_PATH.findall(text)
        if not any(char in path for char in "<*…")
        and path not in RUNTIME_PATHS
        and not (PROJECT_ROOT / path).exists()
    ]
    assert not missing, f"{page.name} names paths that do not exist: {missing}"


def test_the_readme_stays_short():
    lines = README.read_text(encoding="utf-8").splitlines()
    assert len(lines) < README_MAX_LINES, (
        f"README.md has {len(lines)} lines: move the detail into docs/"
    )


def test_the_readme_links_every_docs_page():
    linked = {Path(target.partition("#")[0]).name for target in _links(README)}
    assert {page.name for page in DOCS} <= linked


def test_rules_page_lists_exactly_the_registered_rules():
    listed = set(RULE_CODE.findall((PROJECT_ROOT / "docs" / "rules.md").read_text("utf-8")))
    assert sorted(set(RULES) - listed) == [], "rules missing from docs/rules.md"
    assert sorted(listed - set(RULES)) == [], "docs/rules.md names rules the registry lacks"


def test_rules_page_quotes_each_rules_message_as_the_registry_states_it():
    lines = (PROJECT_ROOT / "docs" / "rules.md").read_text("utf-8").splitlines()
    stale = [
        code
        for code, rule in RULES.items()
        if not any(
            line.startswith(f"| `{code}` |") and line.endswith(f"| {rule.message_fr} |")
            for line in lines
        )
    ]
    assert stale == []


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.name)
def test_commands_use_what_a_fresh_clone_has(page):
    """uv is not on the PATH of a fresh clone (the Makefile installs it in .tools/bin)."""
    text = page.read_text(encoding="utf-8")
    assert "uv run" not in text, f"{page.name}: write `make …` or `.venv/bin/…`, not `uv run`"


# Variables the pipeline sets itself for dbt's process (its profile's target and connection),
# never the operator.
SET_FOR_DBT = re.compile(r"ASE_IMPACT_(?:DBT|PG)_")
VARIABLE = re.compile(r"\"(ASE_IMPACT_[A-Z_]+)\"")


def test_every_setting_the_code_reads_is_documented():
    configuration = (PROJECT_ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
    configuration += (PROJECT_ROOT / "docs" / "portal.md").read_text(encoding="utf-8")
    read = {
        name
        for folder in ("ase_impact", "orchestration")
        for source in (PROJECT_ROOT / folder).rglob("*.py")
        for name in VARIABLE.findall(source.read_text(encoding="utf-8"))
        if not SET_FOR_DBT.match(name)
    }
    assert len(read) > 10
    assert sorted(name for name in read if f"| `{name}` |" not in configuration) == []


SQL_EXAMPLE = re.compile(r"^```sql\n(.*?)^```", re.MULTILINE | re.DOTALL)
# Marts holding every period grain: a month, its quarter and its year to date share a period.
BY_GRAIN = re.compile(r"marts\.(?:fct_indicators|mart_value_chain|mart_impact_dimensions)\b")


def marts_examples() -> list[str]:
    """The example queries of docs/marts.md (its ```sql blocks)."""
    return SQL_EXAMPLE.findall((PROJECT_ROOT / "docs" / "marts.md").read_text(encoding="utf-8"))


def test_every_example_on_a_mart_of_every_grain_picks_its_grain():
    examples = [sql for sql in marts_examples() if BY_GRAIN.search(sql)]
    assert len(examples) >= 3
    for sql in examples:
        assert "period_grain =" in sql, sql
