"""Apply the contracts to a read workbook: accepted rows, typed, and findings in French.

The cells the reading flagged (CEL rules: an Excel error, a logical value, a percentage, a text
too long) reject their rows like any "erreur"; the other rules' findings on such a cell are
dropped, so that each cell is explained once, by what is wrong with it. Findings are capped
per rule (contracts.findings); how many each rule gave is counted exactly.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from ase_impact.contracts import schemas
from ase_impact.contracts.findings import (
    FINDING_COLUMNS,
    MAX_FINDINGS_PER_RULE,
    concat_findings,
    count_by_rule,
    empty_findings,
    finding_message,
    first_of_each_rule,
    key_counts,
    received_text,
    rule_counts,
    rule_findings,
)
from ase_impact.contracts.rules import ERREUR, RULES, column_spec
from ase_impact.core import keys, referentiel
from ase_impact.intake.workbook import SheetRows, Workbook


@dataclass(frozen=True)
class FileContext:
    """Where a file comes from: its name as shown to people, its month and its association."""

    display_name: str
    period: str  # "YYYY-MM"
    association_code: str
    # The populations of indicators the registry puts the association in (REG-001); None when
    # not known (a file checked without the registry, an association it does not list).
    populations: frozenset[str] | None = None

    @property
    def period_start(self) -> date:
        return keys.period_start(self.period)

    @property
    def period_end(self) -> date:
        return keys.period_end(self.period)

    def message_values(self) -> dict[str, str]:
        return {"period": self.period, "period_end": self.period_end.strftime("%d/%m/%Y")}


@dataclass(frozen=True)
class ValidatedSheet:
    """accepted: rows without "erreur", typed, with excel_row and has_alerts (an "alerte").

    findings: at most MAX_FINDINGS_PER_RULE of each rule; rule_counts (RULE_COUNT_COLUMNS): how
    many each rule gave, and how many of them findings lists.
    """

    sheet_code: str
    rows_received: int
    accepted: pd.DataFrame
    findings: pd.DataFrame
    rule_counts: pd.DataFrame


def validate_workbook(workbook: Workbook, context: FileContext) -> dict[str, ValidatedSheet]:
    """Every read sheet, Données first: end questionnaires refer to its accepted pairs."""
    pairs = validate_sheet(workbook.sheets["pairs"], context)
    validated = {
        sheet_code: pairs
        if sheet_code == "pairs"
        else validate_sheet(rows, context, accepted_pairs=pairs.accepted)
        for sheet_code, rows in workbook.sheets.items()
    }
    return validated


def validate_sheet(
    rows: SheetRows, context: FileContext, accepted_pairs: pd.DataFrame | None = None
) -> ValidatedSheet:
    sheet_code = rows.sheet_code
    checked = schemas.check_frame(sheet_code, rows.frame, context.period_end, accepted_pairs)
    failed = _with_cell_flags(
        schemas.failures(schemas.sheet_schema(sheet_code, context.period_end), checked),
        rows.cell_flags,
    )
    # Rule by rule, not failure by failure: a sheet of garbage fails thousands of times.
    failures_per_rule = key_counts(failed, ["rule_code"])
    error_codes = [code for (code,) in failures_per_rule if RULES[code].severity == ERREUR]
    is_error = failed["rule_code"].isin(error_codes).to_numpy()
    failed_rows = failed["index"].to_numpy()
    rejected = checked.index.isin(failed_rows[is_error])
    alerted = checked.index.isin(failed_rows[~is_error])

    fields = [spec.field for spec in referentiel.columns(sheet_code)]
    # A new frame already (copy on write): no copy needed before adding has_alerts.
    accepted = checked.loc[~rejected, ["excel_row", *fields]]
    accepted["has_alerts"] = alerted[~rejected]
    row_findings = _row_findings(sheet_code, checked, _listed(checked, failed), context)
    sheet_findings = concat_findings([rows.header_findings, _population_finding(rows, context)])
    sheet_name = referentiel.sheet(sheet_code).name_fr
    # As _listed keeps them: the first MAX_FINDINGS_PER_RULE of each rule (headers: all).
    counts = rule_counts(
        {
            (sheet_name, code, RULES[code].severity): failures
            for (code,), failures in failures_per_rule.items()
        },
        listed_at_most=MAX_FINDINGS_PER_RULE,
    )
    return ValidatedSheet(
        sheet_code=sheet_code,
        rows_received=len(rows.frame),
        accepted=accepted.reset_index(drop=True),
        findings=concat_findings([sheet_findings, row_findings]),
        rule_counts=pd.concat([count_by_rule(sheet_findings), counts], ignore_index=True),
    )


def _population_finding(rows: SheetRows, context: FileContext) -> pd.DataFrame:
    """REG-001 on the sheet's first row when it has rows and the registry leaves the association
    out of the population its rows count in: rows kept, counted in no indicator."""
    sheet = referentiel.sheet(rows.sheet_code)
    if context.populations is None or rows.frame.empty:
        return empty_findings()
    if sheet.population_code is None or sheet.population_code in context.populations:
        return empty_findings()
    population = next(
        p for p in referentiel.populations() if p.population_code == sheet.population_code
    )
    count = len(rows.frame)
    received = f"{count} ligne reçue" if count == 1 else f"{count} lignes reçues"
    population_rule = RULES["REG-001"]
    return rule_findings(
        population_rule,
        display_name=context.display_name,
        sheet_name=sheet.name_fr,
        excel_rows=pd.Series([rows.frame["excel_row"].iloc[0]]),
        values_received=pd.Series([""]),
        pair_ids=pd.Series([None], dtype=object),
        message_tails=population_rule.message_fr.format(
            rows=received, population=population.label_fr
        ),
        column_header=referentiel.columns(rows.sheet_code)[0].header_fr,
    )


def _with_cell_flags(failed: pd.DataFrame, flags: pd.DataFrame) -> pd.DataFrame:
    """The contract's failures and the cells flagged at reading (CEL rules), as one frame of
    (index, rule_code, field, detail); a failure of another rule on a flagged cell is dropped."""
    failed = failed.assign(field=None, detail=None)
    if flags.empty:
        return failed
    flagged = pd.MultiIndex.from_frame(flags[["index", "field"]])
    columns = failed["rule_code"].map(lambda code: RULES[code].column)
    on_flagged = pd.MultiIndex.from_arrays([failed["index"], columns]).isin(flagged)
    return pd.concat([failed[~on_flagged], flags[failed.columns]], ignore_index=True)


def _listed(checked: pd.DataFrame, failed: pd.DataFrame) -> pd.DataFrame:
    """The failures findings list: the first MAX_FINDINGS_PER_RULE of each rule by Excel row."""
    if failed.empty:
        return failed
    excel_rows = checked["excel_row"].to_numpy()[checked.index.get_indexer(failed["index"])]
    ordered = failed.take(np.argsort(excel_rows, kind="stable"))
    if len(failed) <= MAX_FINDINGS_PER_RULE:  # no rule can have more: all are listed
        return ordered
    return ordered.loc[first_of_each_rule(ordered)]


def _row_findings(
    sheet_code: str, checked: pd.DataFrame, failed: pd.DataFrame, context: FileContext
) -> pd.DataFrame:
    """One finding per failed rule and row; only those rows are turned into text.

    failed: (index, rule_code, field, detail); field and detail are set for the cells flagged
    at reading (CEL rules), whose column is the cell's own.
    """
    if failed.empty:
        return empty_findings()
    sheet_name = referentiel.sheet(sheet_code).name_fr
    message_values = context.message_values()
    positions = checked.index.get_indexer(failed["index"])
    excel_rows = checked["excel_row"].to_numpy()[positions]
    if "pair_id" in checked:
        pair_ids = [None if pd.isna(pair) else pair for pair in checked["pair_id"].iloc[positions]]
    else:
        pair_ids = [None] * len(positions)
    codes = failed["rule_code"].tolist()
    broken = [RULES[code] for code in codes]
    columns = [
        cell_field if isinstance(cell_field, str) else rule.column
        for rule, cell_field in zip(broken, failed["field"], strict=True)
    ]
    headers = [
        rule.header_fr
        if column is None or rule.column
        else column_spec(sheet_code, column).header_fr
        for rule, column in zip(broken, columns, strict=True)
    ]
    values = [
        ""
        if column is None
        else received_text(
            checked[schemas.received(column)].iat[position],
            column_spec(sheet_code, column).is_pii,
        )
        for column, position in zip(columns, positions, strict=True)
    ]
    messages = [
        finding_message(
            context.display_name,
            sheet_name,
            excel_row,
            header,
            rule.message_fr.format(**message_values, detail=detail),
        )
        for rule, excel_row, header, detail in zip(
            broken, excel_rows, headers, failed["detail"], strict=True
        )
    ]
    return pd.DataFrame(
        {
            "sheet": sheet_name,
            "excel_row": excel_rows.astype("int64"),
            "column_header": headers,
            "value_received": pd.Series(values, dtype=object),
            "rule_code": codes,
            "severity": [rule.severity for rule in broken],
            "message_fr": pd.Series(messages, dtype=object),
            "pair_id": pd.Series(pair_ids, dtype=object),
        },
        columns=FINDING_COLUMNS,
    )
