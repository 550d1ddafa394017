"""Debian's Chromium driven by Playwright, as the browser tests use it: no browser is ever
downloaded. Screenshots (and each page's HTML) are kept under the test's folder and, when CI is
set, copied to test-artifacts/<name>/ (git-ignored)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from ase_impact.core.settings import PROJECT_ROOT

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
needs_chromium = pytest.mark.skipif(
    not Path(CHROMIUM).exists(), reason="Debian's chromium: make system-deps"
)


def launch(playwright):
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


class Screens:
    def __init__(self, page, folder: Path):
        self.page, self.folder, self.count = page, folder, 0
        folder.mkdir(parents=True, exist_ok=True)
        self.html: list[Path] = []

    def take(self, name: str, full_page: bool = True) -> Path:
        self.count += 1
        stem = f"{self.count:02d}-{name}"
        picture = self.folder / f"{stem}.png"
        self.page.screenshot(path=str(picture), full_page=full_page)
        html = self.folder / f"{stem}.html"
        html.write_text(self.page.content(), encoding="utf-8")
        self.html.append(html)
        return picture


def keep_artifacts(screens_dir: Path, name: str) -> None:
    """Under CI, the screenshots go to test-artifacts/<name>/."""
    if os.environ.get("CI"):
        shutil.copytree(screens_dir, PROJECT_ROOT / "test-artifacts" / name, dirs_exist_ok=True)
