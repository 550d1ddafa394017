"""`ase-impact` command line. Heavy imports stay inside the subcommands so --help is instant.

The commands that run the pipeline (run, rebuild) or open its UI need an orchestrator: the
console script (orchestration/cli.py) passes the Dagster one in, so this library never imports
Dagster. Before a run reads any file, its configuration is checked once (settings, registry,
pseudonymisation key, then the orchestrator's storage): a problem is one French message and
exit code 1, never a traceback nor one message per file. A stop signal is a French message and
exit code 128 + its number (cli.interrupt).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from ase_impact.core import keys
from ase_impact.core.keys import ASSOCIATION_CODE, PERIOD

# argparse's own exit status for a usage error, used for the ones found after parsing too.
USAGE_ERROR = 2

if TYPE_CHECKING:
    from ase_impact.cli.run_summary import RunOutcome
    from ase_impact.core.settings import Settings
    from ase_impact.intake.rebuild import RebuildReport


class Orchestrator(Protocol):
    """What runs the pipeline: ingest what is new in raw/, then build, gate and publish; or
    recreate the warehouse from the archive, then build."""

    def run(self, settings: Settings, period: str | None, full_refresh: bool) -> RunOutcome: ...

    def rebuild(self, settings: Settings) -> tuple[RebuildReport, RunOutcome]: ...

    def ui(self, settings: Settings, port: int) -> int: ...


def _period(value: str) -> str:
    if not PERIOD.fullmatch(value):
        raise argparse.ArgumentTypeError(f"période invalide « {value} » : format attendu AAAA-MM")
    return value


def _association_code(value: str) -> str:
    if not ASSOCIATION_CODE.fullmatch(value):
        raise argparse.ArgumentTypeError(
            f"code d'association invalide « {value} » : lettres minuscules, chiffres et tirets "
            "(2 à 41 caractères), comme dans le registre des associations"
        )
    return value


def _run_period(value: str) -> str:
    """A month a submission may have (keys.supported_period_range)."""
    _period(value)
    if not keys.is_supported_period(value):
        first, last = keys.supported_period_range()
        raise argparse.ArgumentTypeError(
            f"période « {value} » hors de la période prise en charge ({first} à {last})"
        )
    return value


def _checked_settings(args: argparse.Namespace) -> Settings:
    """Settings, registry and pseudonymisation key, checked once before anything is read
    (ConfigurationError in French otherwise). A first run creates the key here, once."""
    from ase_impact.core.deadlines import deadline_day
    from ase_impact.core.registry import load_registry
    from ase_impact.core.settings import PATH_SETTINGS, load_settings
    from ase_impact.intake.pseudonymise import load_key

    if warehouse := getattr(args, "warehouse", None):
        # The command's warehouse is its process's: its runs then read it from there, and
        # Dagster's stored run config never holds a PostgreSQL URL's password.
        os.environ[PATH_SETTINGS["warehouse"][0]] = str(warehouse)
    settings = load_settings(raw_dir=getattr(args, "raw_dir", None))
    load_registry(settings.registry)
    deadline_day()
    load_key(settings)
    return settings


def _storage_failure(settings: Settings, error: BaseException, command: str) -> int:
    """A failed read or write of the warehouse, in French, with what to do; exit code 1."""
    from ase_impact.warehouse.connection import (
        is_corrupted,
        is_postgres,
        label,
        storage_failure_fr,
    )

    warehouse = label(settings.warehouse)  # a PostgreSQL URL without its password
    if is_corrupted(error):
        print(
            f"Échec technique : l'entrepôt {warehouse} est endommagé (détail "
            f"technique : {error}). Recréez-le depuis l'archive avec « ase-impact rebuild » : "
            "l'entrepôt endommagé est mis de côté à côté de lui, jamais effacé, et chaque "
            "version reçue est rejouée avec sa date de réception (docs/reliability.md).",
            file=sys.stderr,
        )
        return 1
    # Storage failures (read-only folder, full disk) are the operator's to fix: say so in
    # French, without a traceback. Every write is transactional, so nothing is half done.
    published = "" if is_postgres(settings.warehouse) else " ni dans sa copie publiée"
    print(
        f"Échec technique : {storage_failure_fr(error)}. Rien n'est resté écrit "
        f"à moitié dans l'entrepôt {warehouse}{published} ; "
        f"corrigez la cause puis relancez « {command} ».",
        file=sys.stderr,
    )
    return 1


def _run(args: argparse.Namespace, orchestrator: Orchestrator) -> int:
    from ase_impact.core.settings import SettingsError
    from ase_impact.warehouse.connection import WAREHOUSE_ERRORS

    settings = _checked_settings(args)
    if not settings.raw_dir.is_dir():  # a mistyped path in a cron line must not pass for quiet
        raise SettingsError(
            f"le dossier des dépôts {settings.raw_dir} n'existe pas ; créez-le ou corrigez "
            "--raw-dir (ou ASE_IMPACT_RAW_DIR). Rien n'a été lu."
        )
    try:
        _check_warehouse_key(settings)
        return _run_and_summarise(settings, args, orchestrator)
    except WAREHOUSE_ERRORS as error:
        return _storage_failure(settings, error, "ase-impact run")


def _check_warehouse_key(settings) -> None:
    """Before a run reads anything: the key is the one the warehouse's youth keys were made
    with (each load checks it too, for runs the daemon or the UI launch)."""
    from ase_impact.intake.pseudonymise import check_warehouse_key, key_check, load_key
    from ase_impact.warehouse.connection import exists, locked_connection

    if exists(settings.warehouse):
        with locked_connection(settings.warehouse, read_only=True) as conn:
            check_warehouse_key(conn, key_check(load_key(settings)), record=False)


def _run_and_summarise(settings, args: argparse.Namespace, orchestrator: Orchestrator) -> int:
    from ase_impact.cli import interrupt
    from ase_impact.cli.run_summary import exit_code, summary_lines
    from ase_impact.warehouse.connection import locked_connection

    outcome = orchestrator.run(settings, args.period, args.full_refresh)
    interrupt.entering("l'écriture du bilan")
    with locked_connection(settings.warehouse, read_only=True) as conn:
        print("\n".join(summary_lines(conn, outcome, settings)))
        return exit_code(conn, outcome, strict=args.strict)


def _rebuild(args: argparse.Namespace, orchestrator: Orchestrator) -> int:
    from ase_impact.cli.run_summary import build_lines
    from ase_impact.warehouse.connection import WAREHOUSE_ERRORS

    settings = _checked_settings(args)
    try:
        report, outcome = orchestrator.rebuild(settings)
    except WAREHOUSE_ERRORS as error:
        return _storage_failure(settings, error, "ase-impact rebuild")
    print("\n".join(report.lines() + build_lines(outcome, settings)))
    return 0 if outcome.build_succeeded or outcome.blocking_checks_failed else 1


def _template(args: argparse.Namespace, _: Orchestrator) -> int:
    from ase_impact.publish.template import write_template

    path = write_template(args.output, args.association, args.period)
    print(f"Modèle écrit : {path}")
    return 0


def _check(args: argparse.Namespace, _: Orchestrator) -> int:
    from ase_impact.cli.check import run_check, summary_lines
    from ase_impact.core.settings import load_settings
    from ase_impact.intake.workbook import shown_name
    from ase_impact.warehouse.connection import storage_failure_fr

    if not args.file.is_file():
        print(f"Fichier introuvable : {shown_name(str(args.file))}", file=sys.stderr)
        return USAGE_ERROR
    if args.output is not None and args.output.is_dir():
        print(f"-o doit nommer un fichier .xlsx, pas un dossier : {args.output}", file=sys.stderr)
        return USAGE_ERROR
    try:
        checked, feedback = run_check(
            args.file, load_settings(), args.period, args.association, args.output
        )
    except OSError as error:  # only the feedback workbook is written: where -o points
        print(
            f"Classeur de retour impossible à écrire : {storage_failure_fr(error)}",
            file=sys.stderr,
        )
        return USAGE_ERROR
    print("\n".join(summary_lines(checked, feedback)))
    return 1 if checked.is_refused or (args.strict and checked.totals.rejected) else 0


def _pdf(args: argparse.Namespace, _: Orchestrator) -> int:
    from ase_impact.publish.pdf import render_pdf

    for workbook in args.workbooks:
        print(f"PDF écrit : {render_pdf(workbook, args.output_dir or workbook.parent)}")
    return 0


def _approve(args: argparse.Namespace, _: Orchestrator) -> int:
    from ase_impact.cli.approve import ApprovalError, approve
    from ase_impact.core.settings import load_settings

    try:
        settings = load_settings(warehouse=args.warehouse)
        print("\n".join(approve(settings, args.month, args.approved_by, args.reason)))
    except ApprovalError as error:
        print(error.message_fr, file=sys.stderr)
        return 1
    return 0


def _ui(args: argparse.Namespace, orchestrator: Orchestrator) -> int:
    from ase_impact.core.settings import load_settings

    return orchestrator.ui(load_settings(), args.port)


def _docs(args: argparse.Namespace, _: Orchestrator) -> int:
    from ase_impact.cli.docs_server import serve_docs
    from ase_impact.core.settings import load_settings

    return serve_docs(load_settings(), args.host, args.port)


def build_parser(extensions: Sequence[Callable] = ()) -> argparse.ArgumentParser:
    """The `ase-impact` parser; each extension adds its own subcommands (the console script
    passes the portal's, a peer of this package)."""
    parser = argparse.ArgumentParser(
        prog="ase-impact",
        description="Pipeline mensuel des tableaux de pilotage des associations (ASE).",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser("run", help="intègre les fichiers de raw/ puis construit les marts")
    run.add_argument("--raw-dir", type=Path, default=None, help="dossier des fichiers déposés")
    # A string: a postgresql:// URL stays one (load_settings resolves a path).
    run.add_argument(
        "--warehouse", default=None, help="fichier DuckDB de l'entrepôt, ou URL postgresql://"
    )
    run.add_argument(
        "--period", type=_run_period, default=None, help="ne traiter que ce mois (AAAA-MM)"
    )
    run.add_argument(
        "--strict", action="store_true", help="code de sortie non nul si un fichier est refusé"
    )
    run.add_argument(
        "--full-refresh",
        action="store_true",
        help="recalcule tous les mois et toutes les périodes, pas seulement ceux qui ont changé",
    )
    run.set_defaults(handler=_run)

    rebuild = commands.add_parser(
        "rebuild",
        help="recrée l'entrepôt perdu ou endommagé depuis archive/ et le journal des soumissions",
    )
    rebuild.add_argument("--warehouse", type=Path, default=None, help="fichier DuckDB à recréer")
    rebuild.set_defaults(handler=_rebuild)

    template = commands.add_parser("template", help="écrit le classeur vierge d'une association")
    template.add_argument(
        "--association", required=True, type=_association_code, help="code de l'association"
    )
    template.add_argument("--period", required=True, type=_period, help="mois (AAAA-MM)")
    template.add_argument("-o", "--output", type=Path, required=True, help="fichier .xlsx à écrire")
    template.set_defaults(handler=_template)

    check = commands.add_parser(
        "check",
        help="vérifie un classeur avant envoi (aucune donnée enregistrée, aucune clé requise)",
        description=(
            "Applique toutes les règles du pipeline à un classeur et écrit le classeur de "
            "retour à côté de lui. Code de sortie 0 si le fichier serait accepté, 1 s'il serait "
            "refusé, 2 en cas d'erreur d'utilisation."
        ),
    )
    check.add_argument("file", type=Path, help="classeur .xlsx à vérifier")
    check.add_argument(
        "--association",
        default=None,
        type=_association_code,
        help="code de l'association (par défaut : celui du nom du fichier ou de son onglet "
        "« Paramètres figés »)",
    )
    check.add_argument(
        "--period", type=_period, default=None, help="mois du fichier (AAAA-MM), de même"
    )
    check.add_argument(
        "-o", "--output", type=Path, default=None, help="classeur de retour à écrire"
    )
    check.add_argument(
        "--strict", action="store_true", help="code de sortie 1 aussi si des lignes sont rejetées"
    )
    check.set_defaults(handler=_check)

    pdf = commands.add_parser(
        "pdf", help="convertit des classeurs en PDF avec LibreOffice (vérification visuelle)"
    )
    pdf.add_argument("workbooks", type=Path, nargs="+", help="classeurs .xlsx à convertir")
    pdf.add_argument("-o", "--output-dir", type=Path, default=None, help="dossier des PDF")
    pdf.set_defaults(handler=_pdf)

    approve = commands.add_parser(
        "approve",
        help="approuve les chiffres publiés d'un mois (classeurs figés dans outputs/AAAA-MM/vN/)",
        description=(
            "Fige les chiffres publiés du mois et ses classeurs comme sa prochaine version "
            "approuvée. Un changement ultérieur d'un chiffre approuvé produit une révision "
            "(version suivante, onglet « Révisions ») que la copie publiée et les classeurs "
            "partagés ne montrent qu'une fois le mois approuvé à nouveau."
        ),
    )
    approve.add_argument("month", type=_period, help="mois à approuver (AAAA-MM)")
    approve.add_argument(
        "--par",
        dest="approved_by",
        metavar="NOM",
        default=None,
        help="qui approuve, tel qu'il figurera dans les classeurs (par défaut : l'utilisateur "
        "du système)",
    )
    approve.add_argument(
        "--motif",
        dest="reason",
        metavar="TEXTE",
        default=None,
        help="pourquoi le mois est approuvé (figure dans les classeurs : aucun nom de jeune) ; "
        "obligatoire pour approuver à nouveau un mois dont des chiffres déjà diffusés ont changé",
    )
    approve.add_argument(
        "--warehouse", default=None, help="fichier DuckDB de l'entrepôt, ou URL postgresql://"
    )
    approve.set_defaults(handler=_approve)

    ui = commands.add_parser("ui", help="ouvre l'interface Dagster")
    ui.add_argument("--port", type=int, default=3000)
    ui.set_defaults(handler=_ui)

    docs = commands.add_parser(
        "docs",
        help="sert la documentation des marts (dbt) et le contrôle de publication, hors ligne",
    )
    docs.add_argument("--host", default="127.0.0.1", help="adresse d'écoute (127.0.0.1)")
    docs.add_argument("--port", type=int, default=8080)
    docs.set_defaults(handler=_docs)
    for extension in extensions:
        extension(commands)
    return parser


def main(
    argv: list[str] | None, orchestrator: Orchestrator, extensions: Sequence[Callable] = ()
) -> int:
    from ase_impact.cli.interrupt import RunInterrupted
    from ase_impact.core.errors import ConfigurationError

    args = build_parser(extensions).parse_args(argv)
    try:
        return args.handler(args, orchestrator)
    except ConfigurationError as error:
        print(f"Configuration à corriger : {error.message_fr}", file=sys.stderr)
        return 1
    except RunInterrupted as stop:
        print(stop.message_fr, file=sys.stderr)
        return stop.exit_code
