"""The monthly schedule: the 10th at 06:00, Paris time, for the previous month."""

from datetime import date

import dagster as dg

from orchestration.jobs import ingestion_job
from orchestration.partitions import ASSOCIATION
from orchestration.resources import PipelineSettings
from orchestration.sensors import new_file_requests

MONTHLY_CRON = "0 6 10 * *"
TIMEZONE = "Europe/Paris"
RELANCE_TAG = "ase_impact/relance"
PERIOD_TAG = "ase_impact/periode"


def previous_period(day: date) -> str:
    first = day.replace(day=1)
    return f"{first.year - (first.month == 1)}-{(first.month - 2) % 12 + 1:02d}"


def relance_text(settings, period: str, waiting_codes: set[str]) -> str:
    """Who the project lead must chase, "a, b", or "aucune": expected for the period (as the
    published marts state it), with no version in force and no new file waiting in raw/
    (waiting_codes): a refused file is to send again, a file removed from raw/ stays in force."""
    from ase_impact.warehouse import queries
    from ase_impact.warehouse.connection import connect
    from ase_impact.warehouse.connection import exists as warehouse_exists

    if not warehouse_exists(settings.published_warehouse):
        return "inconnue (aucune copie publiée : lancez « ase-impact run »)"
    with connect(settings.published_warehouse, read_only=True) as conn:
        expected = queries.expected_association_codes(conn, period)
        in_force = queries.association_codes_in_force(conn, period)
    return ", ".join(sorted(expected - in_force - waiting_codes)) or "aucune"


@dg.schedule(
    cron_schedule=MONTHLY_CRON,
    execution_timezone=TIMEZONE,
    job=ingestion_job,
    description=(
        "Le 10 du mois à 6 h (heure de Paris) : intègre les fichiers nouveaux ou corrigés du "
        "mois précédent (la construction suit, une fois, par le capteur de construction) et "
        "inscrit dans chaque run les associations à relancer."
    ),
)
def monthly_schedule(context: dg.ScheduleEvaluationContext, pipeline: PipelineSettings):
    from ase_impact.intake.discovery import pending_against_warehouse, submission_files
    from ase_impact.warehouse.connection import WarehouseBusy

    period = previous_period(context.scheduled_execution_time.date())
    settings = pipeline.resolve()
    try:
        pending = pending_against_warehouse(settings, period, wait=False)
    except WarehouseBusy:
        # Every file of raw/ counts as waiting: the sensor integrates them once it is free.
        in_raw = {code for month, code, _ in submission_files(settings) if month == period}
        return dg.SkipReason(
            f"L'entrepôt est en cours d'écriture : les fichiers de {period} sont intégrés par le "
            "capteur de fichiers dès qu'il est libre. Associations à relancer : "
            f"{relance_text(settings, period, in_raw)}."
        )
    relance = relance_text(settings, period, {code for _, code in pending.new_or_changed})
    run_requests, new_codes = new_file_requests(
        context.instance,
        pending.new_or_changed,
        tags={PERIOD_TAG: period, RELANCE_TAG: relance},
    )
    if not run_requests:
        return dg.SkipReason(
            f"Aucun fichier nouveau ou corrigé pour {period}. Associations à relancer : {relance}."
        )
    # Schedules cannot return partition requests: new association codes are added here.
    if new_codes:
        context.instance.add_dynamic_partitions(ASSOCIATION, sorted(new_codes))
    return run_requests
