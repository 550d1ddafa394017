"""At reception, the plausibility queries that compare a file with the association's previous
file in force (contracts/history.py): their findings join the file's, and the rows they fire
on are kept and flagged, like any alert."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

import duckdb
import pandas as pd

from ase_impact.contracts.findings import cap_file_findings, concat_findings, count_by_rule
from ase_impact.contracts.history import PREVIOUS_COLUMNS, PreviousFile, history_findings
from ase_impact.core import referentiel
from ase_impact.intake.check import SheetCounts, rows_message
from ase_impact.warehouse import queries

if TYPE_CHECKING:
    from ase_impact.intake.ingestion import PreparedFile

# Pairs are compared with the previous file whatever its year (a pair lasts across years);
# resources, declared for the calendar year to date, with the previous file of the same year.
SAME_YEAR_ONLY = {"pairs": False, "resources": True}


def with_history_queries(
    conn: duckdb.DuckDBPyConnection, prepared: PreparedFile, display_name: str
) -> PreparedFile:
    """The prepared file with the findings of its history rules, their rows flagged."""
    if prepared.error is not None:
        return prepared
    tables = dict(prepared.tables)
    counts = dict(prepared.sheet_counts)
    found = []
    for sheet_code, columns in PREVIOUS_COLUMNS.items():
        table = referentiel.sheet(sheet_code).raw_table
        current = tables.get(table)
        if current is None or current.empty:
            continue
        previous = queries.previous_file_rows(
            conn,
            table,
            prepared.period,
            prepared.association_code,
            columns,
            same_year=SAME_YEAR_ONLY[sheet_code],
        )
        if previous is None:
            continue
        findings = history_findings(
            sheet_code,
            current,
            PreviousFile(*previous),
            display_name,
            rows_rejected=counts[sheet_code].rejected,
        )
        if findings.empty:
            continue
        found.append(findings)
        flagged = current["excel_row"].isin(findings["excel_row"])
        newly_flagged = int((flagged & ~current["has_alerts"].astype(bool)).sum())
        tables[table] = current.assign(has_alerts=current["has_alerts"].astype(bool) | flagged)
        received, accepted, rejected, alerts = counts[sheet_code]
        counts[sheet_code] = SheetCounts(received, accepted, rejected, alerts + newly_flagged)
    if not found:
        return prepared
    totals = SheetCounts(*(sum(column) for column in zip(*counts.values(), strict=True)))
    submission = {
        **prepared.submission,
        "rows_with_alerts": totals.alerts,
        "message_fr": rows_message(totals.received, totals.rejected, totals.alerts),
    }
    # Counted by rule like the contract's findings (every one counted, the file's first listed).
    rule_counts = pd.concat(
        [prepared.rule_counts, *(count_by_rule(frame) for frame in found)], ignore_index=True
    )
    findings, rule_counts = cap_file_findings(
        concat_findings([prepared.findings, *found]), rule_counts
    )
    return replace(
        prepared,
        tables=tables,
        sheet_counts=counts,
        submission=submission,
        findings=findings,
        rule_counts=rule_counts,
    )
