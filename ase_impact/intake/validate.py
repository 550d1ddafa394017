"""Apply the contracts to a read workbook: accepted rows, typed, and findings in French."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd

from ase_impact.contracts import schemas
from ase_impact.contracts.findings import (
    FINDING_COLUMNS,
    concat_findings,
    empty_findings,
    finding_message,
    received_text,
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
    """accepted: rows without "erreur", typed, with excel_row and has_alerts (an "alerte")."""

    sheet_code: str
    rows_received: int
    accepted: pd.DataFrame
    findings: pd.DataFrame


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
    failed = schemas.failures(schemas.sheet_schema(sheet_code, context.period_end), checked)
    severities = failed["rule_code"].map(lambda code: RULES[code].severity)
    rejected = checked.index.isin(failed.loc[severities.eq(ERREUR), "index"])
    alerted = checked.index.isin(failed.loc[severities.ne(ERREUR), "index"])

    fields = [spec.field for spec in referentiel.columns(sheet_code)]
    accepted = checked.loc[~rejected, ["excel_row", *fields]].copy()
    accepted["has_alerts"] = alerted[~rejected]
    return ValidatedSheet(
        sheet_code=sheet_code,
        rows_received=len(rows.frame),
        accepted=accepted.reset_index(drop=True),
        findings=concat_findings(
            [rows.header_findings, _row_findings(sheet_code, checked, failed, context)]
        ),
    )


def _row_findings(
    sheet_code: str, checked: pd.DataFrame, failed: pd.DataFrame, context: FileContext
) -> pd.DataFrame:
    """One finding per failed rule and row; only those rows are turned into text."""
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
    values = [
        ""
        if rule.column is None
        else received_text(
            checked[schemas.received(rule.column)].iat[position],
            column_spec(sheet_code, rule.column).is_pii,
        )
        for rule, position in zip(broken, positions, strict=True)
    ]
    messages = [
        finding_message(
            context.display_name,
            sheet_name,
            excel_row,
            rule.header_fr,
            rule.message_fr.format(**message_values),
        )
        for rule, excel_row in zip(broken, excel_rows, strict=True)
    ]
    return pd.DataFrame(
        {
            "sheet": sheet_name,
            "excel_row": excel_rows.astype("int64"),
            "column_header": [rule.header_fr for rule in broken],
            "value_received": pd.Series(values, dtype=object),
            "rule_code": codes,
            "severity": [rule.severity for rule in broken],
            "message_fr": pd.Series(messages, dtype=object),
            "pair_id": pd.Series(pair_ids, dtype=object),
        },
        columns=FINDING_COLUMNS,
    )
