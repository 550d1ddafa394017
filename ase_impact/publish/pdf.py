"""Workbooks rendered to PDF by LibreOffice headless: how a committee sees them printed."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path


def render_pdf(xlsx_path: Path, out_dir: Path, timeout_seconds: int = 180) -> Path:
    """Convert a workbook to PDF with LibreOffice headless; returns the PDF's path.

    A throw-away LibreOffice profile lets the conversion run beside an open LibreOffice and
    beside another conversion.
    """
    executable = shutil.which("soffice") or shutil.which("libreoffice")
    if executable is None:
        raise RuntimeError(
            "LibreOffice est introuvable (commande « soffice » ou « libreoffice ») : "
            "installez-le (paquet libreoffice-calc) pour produire la version PDF."
        )
    out_dir.mkdir(parents=True, exist_ok=True)
    pdf = out_dir / f"{xlsx_path.stem}.pdf"
    pdf.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory(prefix="ase-impact-libreoffice-") as profile:
        command = [
            executable,
            f"-env:UserInstallation={Path(profile).as_uri()}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(out_dir),
            str(xlsx_path),
        ]
        try:
            completed = subprocess.run(
                command, capture_output=True, text=True, timeout=timeout_seconds, check=False
            )
        except subprocess.TimeoutExpired as error:
            raise RuntimeError(
                f"LibreOffice n'a pas converti {xlsx_path.name} en PDF en {timeout_seconds} s."
            ) from error
    if completed.returncode != 0 or not pdf.exists():
        raise RuntimeError(
            f"La conversion de {xlsx_path.name} en PDF par LibreOffice a échoué "
            f"(code {completed.returncode}) : {(completed.stderr or completed.stdout).strip()}"
        )
    return pdf
