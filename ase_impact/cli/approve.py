"""`ase-impact approve AAAA-MM`: freeze a month's published figures and workbooks.

The month's rows of the published marts are copied into the schema `approvals` as its next
version (ase_impact/warehouse/approvals.py), the workbooks of that version are written once
in outputs/AAAA-MM/v<n>/ (with a « Révisions » sheet from version 2 on) and become the
month's shared workbooks, and the published copy is written again so that it shows the
approved figures. The approvals are copied to archive/approvals/ too, from which
`ase-impact rebuild` restores them. The next build lists the version in marts.mart_approvals and
marts.fct_indicators_approved.
"""

from __future__ import annotations

from ase_impact.core.settings import Settings
from ase_impact.publish.consolidated import (
    built_min_cell,
    is_written_version,
    pending_revisions,
    version_folder,
    version_revisions,
    workbook_builder_process,
    write_approved_version,
)
from ase_impact.publish.snapshot import publish_snapshot
from ase_impact.warehouse.approvals import (
    ApprovalError,
    approve_month,
    export_approvals,
    withdraw_version,
)
from ase_impact.warehouse.connection import Connection, is_postgres, locked_connection

__all__ = ["ApprovalError", "approve"]


def _archive(conn: Connection, settings: Settings) -> None:
    """What no archived file can give back, kept beside them for `ase-impact rebuild` (a
    DuckDB file; a PostgreSQL database is restored by its own backups)."""
    if not is_postgres(settings.warehouse):
        export_approvals(conn, settings.archive_dir)


def approve(
    settings: Settings, month: str, approved_by: str | None = None, reason: str | None = None
) -> list[str]:
    """Approve month "AAAA-MM" as `approved_by` (default: the system user) for `reason`;
    returns the French lines the command prints.

    Raises ApprovalError (message_fr) when there is nothing to approve, or when a revision of
    an approved month comes without a reason."""
    with locked_connection(settings.warehouse) as conn:
        revisions = pending_revisions(conn, month)
        approval = approve_month(conn, month, approved_by, reason)
        folder = version_folder(settings.outputs_dir, month, approval.version)
        if not approval.is_new and is_written_version(folder):
            _archive(conn, settings)  # were a stopped command's not copied
            return [
                f"{month} : aucun chiffre n'a changé depuis la version {approval.version} "
                f"approuvée le {approval.approved_at:%d/%m/%Y à %H:%M} ; rien de nouveau à "
                f"approuver. Classeurs approuvés : {folder}"
            ]
        if not approval.is_new and approval.version > 1:
            # A version a stopped command left without its workbooks: finished now, with
            # the revisions a build since has listed, if any.
            listed = version_revisions(conn, month, approval.version)
            revisions = listed if not listed.empty else revisions
        try:
            with workbook_builder_process():
                write_approved_version(
                    conn,
                    settings.outputs_dir,
                    month,
                    approval,
                    built_min_cell(conn),
                    revisions if approval.version > 1 else None,
                )
        except BaseException:
            # No new approved version without its workbooks: approving again starts afresh.
            if approval.is_new:
                withdraw_version(conn, month, approval.version)
            raise
        _archive(conn, settings)
    publish_snapshot(settings.warehouse, settings.published_warehouse)
    lines = [
        f"{month} approuvé : version {approval.version}, le "
        f"{approval.approved_at:%d/%m/%Y à %H:%M} par {approval.approved_by}"
        + (f" ; motif : {approval.reason}" if approval.reason else "")
        + ".",
        f"Classeurs approuvés (jamais réécrits) : {folder}",
        "La copie publiée et les classeurs partagés du mois montrent cette version jusqu'à "
        "la prochaine approbation.",
    ]
    if approval.version > 1:
        lines.append(
            f"Chiffres révisés depuis la version précédente : {len(revisions)} "
            "(onglet « Révisions »)."
        )
    return lines
