"""Findings: one broken rule on one row, explained in French down to the Excel row and column.

severity "erreur" rejects the row, "alerte" keeps it flagged. value_received is the cell as
the association typed it, as text, masked for PII columns so a finding never carries a name
or a birth date.
"""

from __future__ import annotations

from datetime import date, datetime

import numpy as np
import pandas as pd

from ase_impact.contracts.rules import Rule
from ase_impact.core.dates import is_blank

FINDING_COLUMNS = [
    "sheet",
    "excel_row",
    "column_header",
    "value_received",
    "rule_code",
    "severity",
    "message_fr",
    "pair_id",
]
PII_MASK = "***"


def empty_findings() -> pd.DataFrame:
    return pd.DataFrame(
        {
            column: np.empty(0, dtype="int64" if column == "excel_row" else object)
            for column in FINDING_COLUMNS
        }
    )


def cell_text(value: object) -> str:
    """A cell as the association sees it in Excel: dates JJ/MM/AAAA, 3.0 as 3, empty as ""."""
    if is_blank(value):
        return ""
    if isinstance(value, bool):
        return "VRAI" if value else "FAUX"
    if isinstance(value, datetime):
        has_time = (value.hour, value.minute, value.second) != (0, 0, 0)
        return value.strftime("%d/%m/%Y %H:%M" if has_time else "%d/%m/%Y")
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def received_text(value: object, is_pii: bool) -> str:
    """The cell as shown in a finding: masked when it is personal data and not empty."""
    text = cell_text(value)
    return PII_MASK if is_pii and text else text


def finding_message(
    display_name: str, sheet_name: str, excel_row: object, column_header: str | None, tail: str
) -> str:
    return (
        f"Fichier {display_name}, onglet « {sheet_name} », ligne {excel_row}, "
        f"colonne « {column_header} » : {tail}"
    )


def rule_findings(
    rule: Rule,
    *,
    display_name: str,
    sheet_name: str,
    excel_rows: pd.Series,
    values_received: pd.Series,
    pair_ids: pd.Series,
    message_tails: pd.Series | str,
    column_header: str,
) -> pd.DataFrame:
    """Findings of one rule on several rows; the Series share the rows' index."""
    tails = (
        message_tails if isinstance(message_tails, pd.Series) else [message_tails] * len(excel_rows)
    )
    messages = pd.Series(
        [
            finding_message(display_name, sheet_name, excel_row, column_header, tail)
            for excel_row, tail in zip(excel_rows.astype(str), tails, strict=True)
        ],
        index=excel_rows.index,
        dtype=object,
    )
    return pd.DataFrame(
        {
            "sheet": sheet_name,
            "excel_row": excel_rows.astype("int64"),
            "column_header": column_header,
            "value_received": values_received.astype(object),
            "rule_code": rule.code,
            "severity": rule.severity,
            "message_fr": messages.astype(object),
            "pair_id": pair_ids.astype(object).where(pair_ids.notna(), None),
        },
        columns=FINDING_COLUMNS,
    )


def concat_findings(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """All findings of a sheet, ordered as the association reads its sheet."""
    frames = [frame for frame in frames if not frame.empty]
    if not frames:
        return empty_findings()
    combined = pd.concat(frames, ignore_index=True)
    return combined.sort_values(["excel_row", "rule_code"], kind="stable", ignore_index=True)
