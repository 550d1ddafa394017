"""`ase-impact` command line. Heavy imports stay inside the subcommands so --help is instant."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

from orchestration.submission_keys import PERIOD


def _period(value: str) -> str:
    if not PERIOD.fullmatch(value):
        raise argparse.ArgumentTypeError(f"période invalide « {value} » : format attendu AAAA-MM")
    return value


def _run(args: argparse.Namespace) -> int:
    from orchestration.ingest import warehouse
    from orchestration.settings import load_settings

    settings = load_settings(raw_dir=args.raw_dir, warehouse=args.warehouse)
    try:
        return _run_and_summarise(settings, args)
    except warehouse.STORAGE_ERRORS as error:
        # Storage failures (read-only folder, full disk) are the operator's to fix: say so in
        # French, without a traceback. Every write is transactional, so nothing is half done.
        print(
            f"Échec technique : {warehouse.storage_failure_fr(error)}. Rien n'est resté écrit "
            f"à moitié dans l'entrepôt {settings.warehouse} ni dans sa copie publiée ; "
            "corrigez la cause puis relancez « ase-impact run ».",
            file=sys.stderr,
        )
        return 1


def _run_and_summarise(settings, args: argparse.Namespace) -> int:
    from orchestration.ingest import warehouse
    from orchestration.run_summary import summary_lines
    from orchestration.runner import run_pipeline

    outcome = run_pipeline(settings, period=args.period)
    with warehouse.locked_connection(settings.warehouse, read_only=True) as conn:
        print("\n".join(summary_lines(conn, outcome, settings.raw_dir)))
        refused = args.strict and (outcome.misnamed or _any_refused(conn, outcome))
    print(f"Entrepôt : {settings.warehouse}")
    print(f"Copie publiée (lecture seule) : {settings.published_warehouse}")
    print(f"Classeurs consolidés et retours aux associations : {settings.outputs_dir}/<AAAA-MM>/")
    print(f"Rapport du contrôle de publication : {settings.reports_dir / 'quality' / 'index.html'}")
    if outcome.technical_failures or not (
        outcome.build_succeeded or outcome.blocking_checks_failed
    ):
        return 1
    return 2 if refused else 0


def _any_refused(conn, outcome) -> bool:
    return any(
        conn.execute(
            "select status from quality.submissions where strftime(period, '%Y-%m') = ? "
            "and association_code = ? order by version desc limit 1",
            [period, code],
        ).fetchone()
        == ("rejected",)
        for period, code in outcome.ingested
    )


def _template(args: argparse.Namespace) -> int:
    from orchestration.template import write_template

    path = write_template(args.output, args.association, args.period)
    print(f"Modèle écrit : {path}")
    return 0


def _demo_data(args: argparse.Namespace) -> int:
    from orchestration.demo_data import generate_demo_data
    from orchestration.settings import load_settings

    raw_dir = load_settings(raw_dir=args.raw_dir).raw_dir
    manifest = generate_demo_data(raw_dir)
    print(f"Jeu de démonstration écrit dans {raw_dir} ({len(manifest.files)} fichiers)")
    return 0


def _pdf(args: argparse.Namespace) -> int:
    from orchestration.outputs.consolidated import render_pdf

    for workbook in args.workbooks:
        print(f"PDF écrit : {render_pdf(workbook, args.output_dir or workbook.parent)}")
    return 0


def _ui(args: argparse.Namespace) -> int:
    from orchestration.instance import prepare_dagster_home
    from orchestration.settings import PROJECT_ROOT, load_settings

    prepare_dagster_home(load_settings().dagster_home)
    command = ["dagster", "dev", "-m", "orchestration.definitions", "-p", str(args.port)]
    return subprocess.call(command, cwd=PROJECT_ROOT, env=os.environ.copy())


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ase-impact",
        description="Pipeline mensuel des tableaux de pilotage des associations (ASE).",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser("run", help="intègre les fichiers de raw/ puis construit les marts")
    run.add_argument("--raw-dir", type=Path, default=None, help="dossier des fichiers déposés")
    run.add_argument("--warehouse", type=Path, default=None, help="fichier DuckDB de l'entrepôt")
    run.add_argument(
        "--period", type=_period, default=None, help="ne traiter que ce mois (AAAA-MM)"
    )
    run.add_argument(
        "--strict", action="store_true", help="code de sortie non nul si un fichier est refusé"
    )
    run.set_defaults(handler=_run)

    template = commands.add_parser("template", help="écrit le classeur vierge d'une association")
    template.add_argument("--association", required=True, help="code de l'association")
    template.add_argument("--period", required=True, type=_period, help="mois (AAAA-MM)")
    template.add_argument("-o", "--output", type=Path, required=True, help="fichier .xlsx à écrire")
    template.set_defaults(handler=_template)

    demo = commands.add_parser("demo-data", help="génère le jeu de démonstration dans raw/")
    demo.add_argument("--raw-dir", type=Path, default=None)
    demo.set_defaults(handler=_demo_data)

    pdf = commands.add_parser(
        "pdf", help="convertit des classeurs en PDF avec LibreOffice (vérification visuelle)"
    )
    pdf.add_argument("workbooks", type=Path, nargs="+", help="classeurs .xlsx à convertir")
    pdf.add_argument("-o", "--output-dir", type=Path, default=None, help="dossier des PDF")
    pdf.set_defaults(handler=_pdf)

    ui = commands.add_parser("ui", help="ouvre l'interface Dagster")
    ui.add_argument("--port", type=int, default=3000)
    ui.set_defaults(handler=_ui)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.handler(args)


if __name__ == "__main__":
    sys.exit(main())
