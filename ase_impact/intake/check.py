"""One workbook checked against every file and row rule, without archive, key or warehouse.

What the pipeline's ingestion, `ase-impact check` and the portal share: the file checks and
the reading (file_checks, workbook), the identity against the (period, association) the file
is meant for, then the contracts of every read sheet. The result says whether the file would
be refused (and why, in French), each sheet's counts, and the findings with every value of a
personal column masked: a CheckedFile never carries a name or a birth date outside its
accepted frames, which only ingestion reads (to pseudonymise them).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd

from ase_impact.contracts.errors import FileLevelError
from ase_impact.contracts.findings import (
    FINDING_COLUMNS,
    cap_file_findings,
    cell_text,
    empty_rule_counts,
    received_text,
)
from ase_impact.core import referentiel, vocabulary
from ase_impact.core.dates import parse_date_cell
from ase_impact.core.registry import load_registry
from ase_impact.intake.validate import FileContext, ValidatedSheet, validate_workbook
from ase_impact.intake.workbook import Workbook, check_identity, check_partition, read_workbook


class SheetCounts(NamedTuple):
    received: int
    accepted: int
    rejected: int
    alerts: int


@contextmanager
def timed(seconds_by_phase: dict[str, float], phase: str) -> Iterator[None]:
    """Add the time spent in the block to the phase's seconds, even when the block raises."""
    start = time.perf_counter()
    try:
        yield
    finally:
        elapsed = time.perf_counter() - start
        seconds_by_phase[phase] = seconds_by_phase.get(phase, 0.0) + elapsed


def _plural(count: int, singular: str, plural: str) -> str:
    return f"{count} {singular if count <= 1 else plural}"


def rows_message(received: int, rejected: int, alerts: int) -> str:
    """The French one-line outcome of an accepted file's rows."""
    if received == 0:
        return "Aucune ligne reçue."
    if rejected == 0:
        message = f"{_plural(received, 'ligne reçue', 'lignes reçues')}, aucune rejetée"
    else:
        rejected_rows = _plural(rejected, "ligne rejetée", "lignes rejetées")
        message = f"{rejected_rows} sur {received} {'reçue' if received <= 1 else 'reçues'}"
    if alerts:
        message += (
            f" ; {_plural(alerts, 'ligne acceptée avec alerte', 'lignes acceptées avec alerte')}"
        )
    return message + "."


def _pii_headers() -> frozenset[str]:
    return frozenset(
        column.header_fr
        for sheet in referentiel.sheets()
        for column in referentiel.columns(sheet.sheet_code)
        if column.is_pii
    )


def _identity_forms(value: object) -> set[str]:
    """How a name or a birth date is recognised when typed in another cell: its text
    case-folded, spaces collapsed, and the date it reads as."""
    text = " ".join(cell_text(value).casefold().split())
    if not text:
        return set()
    with suppress(ValueError):
        day = parse_date_cell(value)
        return {text, day.isoformat()}
    return {text}


def personal_values(workbook: Workbook) -> frozenset[str]:
    """The identity forms of every name, first name and birth date the workbook holds."""
    forms: set[str] = set()
    for rows in workbook.sheets.values():
        for field_name in sorted(referentiel.pii_fields() & set(rows.frame.columns)):
            for value in rows.frame[field_name].dropna().unique():
                forms |= _identity_forms(value)
    return frozenset(forms)


def _masked(findings: pd.DataFrame, personal: frozenset[str] = frozenset()) -> pd.DataFrame:
    """Mask values of PII columns again, and any value that is one of the workbook's names or
    birth dates typed in another column (a paste shifted by a column): a finding must never
    carry a name or a birth date.

    As when the finding was made, an empty cell stays empty: "***" says a value was typed.
    """
    masked = findings.copy()
    typed_elsewhere = [
        bool(_identity_forms(value) & personal) for value in masked["value_received"]
    ]
    is_pii = masked["column_header"].isin(_pii_headers()) | np.array(typed_elsewhere, dtype=bool)
    masked.loc[is_pii, "value_received"] = [
        received_text(value, is_pii=True) for value in masked.loc[is_pii, "value_received"]
    ]
    return masked


def sheet_counts(sheet: ValidatedSheet) -> SheetCounts:
    accepted = len(sheet.accepted)
    return SheetCounts(
        received=sheet.rows_received,
        accepted=accepted,
        rejected=sheet.rows_received - accepted,
        alerts=int(sheet.accepted["has_alerts"].sum()),
    )


def file_findings(
    validated: dict[str, ValidatedSheet], personal: frozenset[str] = frozenset()
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every sheet's findings (header findings included), in sheet order, PII masked (values
    among personal too), at most MAX_FINDINGS_PER_FILE of them; and how many each rule gave
    (RULE_COUNT_COLUMNS)."""
    parts = [sheet.findings for sheet in validated.values() if not sheet.findings.empty]
    counts = [sheet.rule_counts for sheet in validated.values() if not sheet.rule_counts.empty]
    findings = (
        _masked(pd.concat(parts, ignore_index=True)[FINDING_COLUMNS], personal)
        if parts
        else pd.DataFrame(columns=FINDING_COLUMNS)
    )
    rule_counts = pd.concat(counts, ignore_index=True) if counts else empty_rule_counts()
    return cap_file_findings(findings, rule_counts)


@dataclass(frozen=True, eq=False)
class CheckedFile:
    """A workbook checked for one (period, association): refused with error, or validated.

    identity is what « Paramètres figés » says (as far as it was read), for the record of a
    refusal; sheets hold the validated sheets (accepted rows still carry names: only
    ingestion reads them); findings and counts are safe to show.
    """

    display_name: str
    period: str | None
    association_code: str | None
    identity: dict[str, str | None]
    error: FileLevelError | None = None
    sheets: dict[str, ValidatedSheet] = field(default_factory=dict)
    findings: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=FINDING_COLUMNS))
    sheet_counts: dict[str, SheetCounts] = field(default_factory=dict)
    # How many findings each rule gave; findings lists the first ones (MAX_FINDINGS_PER_FILE).
    rule_counts: pd.DataFrame = field(default_factory=empty_rule_counts)

    @property
    def is_refused(self) -> bool:
        return self.error is not None

    @property
    def totals(self) -> SheetCounts | None:
        """Rows received, accepted, rejected and with alerts over every read sheet."""
        if self.is_refused:
            return None
        columns = zip(*self.sheet_counts.values(), strict=True)
        return SheetCounts(*(sum(column) for column in columns))

    @property
    def status(self) -> str:
        if self.is_refused:
            return vocabulary.REJECTED
        if self.totals.rejected == 0:
            return vocabulary.ACCEPTED
        return vocabulary.ACCEPTED_WITH_REJECTIONS

    @property
    def message_fr(self) -> str:
        if self.is_refused:
            return self.error.message_fr
        totals = self.totals
        return rows_message(totals.received, totals.rejected, totals.alerts)


def check_file(
    path: Path,
    display_name: str,
    period: str | None,
    association_code: str | None,
    seconds_by_phase: dict[str, float] | None = None,
    registry: Path | None = None,
    populations: frozenset[str] | None = None,
) -> CheckedFile:
    """Read, check and validate one workbook meant for (period "AAAA-MM", association).

    A None period or association is taken from the file's own « Paramètres figés » (what
    `ase-impact check` does for a file whose destination it is not told). With a registry, the
    month and the association are then checked as a run checks a dropped file's
    (check_partition), and the sheets against the association's populations of indicators
    (REG-001), which populations otherwise gives. Phases "read" (file checks, reading, identity)
    and "validate" are timed into seconds_by_phase when given.
    """
    seconds = {} if seconds_by_phase is None else seconds_by_phase
    identity: dict[str, str | None] = {}
    try:
        with timed(seconds, "read"):
            workbook = read_workbook(path, display_name)
            identity = workbook.identity
            period = period or identity.get("period")
            association_code = association_code or identity.get("association_code")
            check_identity(identity, period or "", association_code or "", display_name)
            if registry is not None:
                check_partition(registry, period, association_code, display_name)
                populations = load_registry(registry).populations_of(association_code)
        with timed(seconds, "validate"):
            context = FileContext(display_name, period, association_code, populations)
            validated = validate_workbook(workbook, context)
            findings, rule_counts = file_findings(validated, personal_values(workbook))
            counts = {code: sheet_counts(sheet) for code, sheet in validated.items()}
    except FileLevelError as error:
        return CheckedFile(display_name, period, association_code, identity, error=error)
    return CheckedFile(
        display_name,
        period,
        association_code,
        identity,
        sheets=validated,
        findings=findings,
        sheet_counts=counts,
        rule_counts=rule_counts,
    )
