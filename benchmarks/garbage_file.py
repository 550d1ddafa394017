"""Time and memory of one hostile file: 49,999 rows of one-column garbage in « Données ».

Each row breaks a dozen rules: before findings were capped (issue 15, item 13), the file gave
about 600,000 findings, all formatted, stored and written to the feedback workbook. Run

    python -m benchmarks.garbage_file --write <folder>     # the file, once
    /usr/bin/time -v python -m benchmarks.garbage_file --ingest <folder>

The second command ingests the file into a fresh warehouse under <folder> (its own paths,
its own key) and writes the association's feedback workbook, then prints what it measured;
/usr/bin/time gives the peak memory. It uses only entry points that existed before the cap,
so the same command measures an older checkout (PYTHONPATH=<checkout>). The results are in
benchmarks/GARBAGE_FILE.md.
"""

from __future__ import annotations

import argparse
import os
import shutil
import time
from pathlib import Path

PERIOD, CODE = "2026-10", "cap-avenir"
KEY = "cle-de-mesure-0123456789abcdef0123456789abcdef"


def _environment(folder: Path) -> None:
    names = {
        "ASE_IMPACT_RAW_DIR": "raw",
        "ASE_IMPACT_WAREHOUSE": "warehouse/ase_impact.duckdb",
        "ASE_IMPACT_ARCHIVE_DIR": "archive",
        "ASE_IMPACT_OUTPUTS_DIR": "outputs",
        "ASE_IMPACT_REPORTS_DIR": "reports",
        "ASE_IMPACT_SECRETS_DIR": "secrets",
        "DAGSTER_HOME": "dagster_home",
    }
    for variable, relative in names.items():
        os.environ[variable] = str(folder / relative)
    os.environ["ASE_IMPACT_PSEUDONYMISATION_KEY"] = KEY


def write(folder: Path) -> Path:
    from tests.hostile_files import garbage_rows

    return garbage_rows(folder / "raw", PERIOD, CODE)


def ingest(folder: Path) -> None:
    _environment(folder)
    for state in ("warehouse", "archive", "outputs"):
        shutil.rmtree(folder / state, ignore_errors=True)
    from ase_impact.core.settings import load_settings
    from ase_impact.intake.ingestion import ingest_file
    from ase_impact.publish.feedback import write_feedback_workbook
    from ase_impact.warehouse import connection, schema

    settings = load_settings()
    path = settings.raw_dir / PERIOD / f"{CODE}.xlsx"
    started = time.perf_counter()
    with connection.connect(settings.warehouse) as conn:
        schema.ensure_schema(conn)
        report = ingest_file(path, settings, conn)
        ingested = time.perf_counter()
        feedback = write_feedback_workbook(conn, PERIOD, CODE, settings.outputs_dir)
        stored = sum(
            conn.execute(f"select count(*) from quality.{table}").fetchone()[0]
            for table in ("rejected_rows", "row_alerts")
        )
    finished = time.perf_counter()
    print(f"file: {path.stat().st_size / 1024:.0f} KB, {report.rows_received} rows received")
    print(f"status: {report.status}, rows rejected: {report.rows_rejected}")
    print(f"findings in the report: {len(report.findings)}; stored in quality: {stored}")
    print(f"ingestion: {ingested - started:.1f} s; feedback workbook: {finished - ingested:.1f} s")
    print(f"feedback workbook: {feedback.stat().st_size / 1024:.0f} KB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    action = parser.add_mutually_exclusive_group(required=True)
    action.add_argument("--write", type=Path, help="write the garbage file under this folder")
    action.add_argument("--ingest", type=Path, help="ingest the file written under this folder")
    args = parser.parse_args()
    if args.write:
        print(write(args.write.resolve()))
    else:
        ingest(args.ingest.resolve())


if __name__ == "__main__":
    main()
