"""`ase-impact check FILE.xlsx`: every file and row rule on one workbook, before it is sent.

Nothing is archived, no key is needed and the warehouse is never opened: the only thing
written is the feedback workbook, the same one the pipeline would write for this file.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from ase_impact.core import vocabulary
from ase_impact.core.keys import ASSOCIATION_CODE, PERIOD
from ase_impact.core.settings import Settings
from ase_impact.intake.check import CheckedFile, check_file
from ase_impact.intake.workbook import shown_name
from ase_impact.publish.feedback import checked_file_facts, next_step, render_feedback_workbook

# Anomalies printed in full; the feedback workbook lists every one.
PRINTED_FINDINGS = 20
FEEDBACK_SUFFIX = "_retour.xlsx"
CHECKS_FOLDER = "verifications"


def destination(path: Path, period: str | None, association_code: str | None):
    """(period, association_code) the file is meant for: the options, else its place when it
    sits as <AAAA-MM>/<code>.xlsx, else None (then « Paramètres figés » says)."""
    folder, stem = path.parent.name, path.stem
    from_place = PERIOD.fullmatch(folder) and ASSOCIATION_CODE.fullmatch(stem)
    if period is None and from_place:
        period = folder
    if association_code is None and from_place:
        association_code = stem
    return period, association_code


def display_name(path: Path, period: str | None, association_code: str | None) -> str:
    """The name the pipeline would give the file once dropped where it belongs."""
    if period and association_code:
        return f"{period}/{association_code}.xlsx"
    return shown_name(path.name)


def feedback_destination(path: Path, settings: Settings, output: Path | None) -> Path:
    """Beside the file, unless it sits in raw/ (a file there would be taken for a submission):
    then in outputs/verifications/."""
    if output is not None:
        return output
    name = path.stem + FEEDBACK_SUFFIX
    if path.resolve().is_relative_to(settings.raw_dir.resolve()):
        return settings.outputs_dir / CHECKS_FOLDER / path.parent.name / name
    return path.with_name(name)


def summary_lines(checked: CheckedFile, feedback: Path) -> list[str]:
    lines = [
        f"Fichier vérifié : {checked.display_name} (association "
        f"{checked.association_code or 'inconnue'}, période {checked.period or 'inconnue'})",
        f"Résultat : {vocabulary.status_label(checked.status).lower()}",
    ]
    if checked.is_refused:
        lines += [f"    {checked.message_fr}", "Ce fichier serait refusé en entier."]
    else:
        totals = checked.totals
        lines[-1] += (
            f" ; lignes reçues {totals.received}, acceptées {totals.accepted}, "
            f"rejetées {totals.rejected}, en alerte {totals.alerts}"
        )
        messages = list(checked.findings["message_fr"])
        lines += [f"    · {message}" for message in messages[:PRINTED_FINDINGS]]
        if len(messages) > PRINTED_FINDINGS:
            lines.append(f"    · … {len(messages)} anomalies en tout, voir le classeur de retour")
    totals = checked.totals
    advice = next_step(
        checked.error.code if checked.error else None,
        checked.is_refused,
        totals.rejected if totals else 0,
        totals.alerts if totals else 0,
        before_sending=True,
    )
    lines += [advice] if advice else []
    lines.append(f"Classeur de retour : {shown_name(str(feedback))}")
    lines.append("Rien n'a été envoyé au Département : ce n'était qu'une vérification.")
    return lines


def run_check(
    path: Path,
    settings: Settings,
    period: str | None = None,
    association_code: str | None = None,
    output: Path | None = None,
    now: datetime | None = None,
) -> tuple[CheckedFile, Path]:
    """Check one workbook and write its feedback workbook; returns both."""
    period, association_code = destination(path, period, association_code)
    name = display_name(path, period, association_code)
    checked = check_file(path, name, period, association_code, registry=settings.registry)
    facts = checked_file_facts(checked, now or datetime.now().replace(microsecond=0))
    feedback = render_feedback_workbook(
        facts, checked.findings, checked.rule_counts, feedback_destination(path, settings, output)
    )
    return checked, feedback
