"""Findings: one broken rule on one row, explained in French down to the Excel row and column.

severity "erreur" rejects the row, "alerte" keeps it flagged. value_received is the cell as
the association typed it, as text (cut at MAX_VALUE_SHOWN characters), masked for PII columns so
a finding never carries a name or a birth date.

A file's findings are capped: of each rule, at most MAX_FINDINGS_PER_RULE are kept (the first by
sheet and row), and at most MAX_FINDINGS_PER_FILE in all. How many each rule found is counted
exactly beside them (RULE_COUNT_COLUMNS): 49,999 rows of garbage give a few hundred findings
listed and exact counts, not 600,000 findings to store, write and read.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
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
# Findings kept per file: of each rule, then in all (the others are only counted).
MAX_FINDINGS_PER_RULE = 100
MAX_FINDINGS_PER_FILE = 1_000
# Characters of a received value a finding shows; longer values are cut.
MAX_VALUE_SHOWN = 100
# Per file, how many findings each rule of each sheet gave, and how many of them are kept.
RULE_COUNT_COLUMNS = ["sheet", "rule_code", "severity", "findings", "findings_listed"]
_COUNT_KEYS = ("sheet", "rule_code", "severity")


# Most sheets have no findings: their empty frames are copies of these, made once.
_NO_FINDINGS = pd.DataFrame(
    {
        column: np.empty(0, dtype="int64" if column == "excel_row" else object)
        for column in FINDING_COLUMNS
    }
)
_NO_RULE_COUNTS = pd.DataFrame(
    {
        column: np.empty(0, dtype="int64" if column.startswith("findings") else object)
        for column in RULE_COUNT_COLUMNS
    }
)


def empty_findings() -> pd.DataFrame:
    return _NO_FINDINGS.copy()


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
    """The cell as shown in a finding: masked when it is personal data and not empty, cut when
    it is long."""
    text = cell_text(value)
    return PII_MASK if is_pii and text else shown_text(text)


def shown_text(text: str) -> str:
    """At most MAX_VALUE_SHOWN characters of a value, saying how long it was when cut."""
    if len(text) <= MAX_VALUE_SHOWN:
        return text
    return f"{text[:MAX_VALUE_SHOWN]}… ({len(text):,} caractères)".replace(",", " ")


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


def empty_rule_counts() -> pd.DataFrame:
    return _NO_RULE_COUNTS.copy()


def count_by_rule(findings: pd.DataFrame) -> pd.DataFrame:
    """RULE_COUNT_COLUMNS of findings that are all kept (findings_listed = findings)."""
    return rule_counts(key_counts(findings, _COUNT_KEYS))


def key_counts(frame: pd.DataFrame, columns: Sequence[str]) -> dict[tuple, int]:
    """How many rows of frame hold each combination of columns' values; a combination with a
    missing part is not counted, as a groupby drops it. Counted in Python: a pandas groupby
    costs more than a sheet's few combinations."""
    keys = zip(*(frame[column].tolist() for column in columns), strict=True)
    return {key: n for key, n in Counter(keys).items() if not any(pd.isna(part) for part in key)}


def rule_counts(
    findings_per_key: Mapping[tuple[str, str, str], int], listed_at_most: int | None = None
) -> pd.DataFrame:
    """RULE_COUNT_COLUMNS of {(sheet, rule_code, severity): findings}, sorted by key;
    findings_listed: the findings, at most listed_at_most."""
    if not findings_per_key:
        return empty_rule_counts()
    keys = sorted(findings_per_key)
    findings = np.array([findings_per_key[key] for key in keys], dtype="int64")
    listed = findings.copy() if listed_at_most is None else np.minimum(findings, listed_at_most)
    columns = {
        column: pd.array([key[i] for key in keys], dtype="str")
        for i, column in enumerate(_COUNT_KEYS)
    }
    return pd.DataFrame(
        {**columns, "findings": findings, "findings_listed": listed}, columns=RULE_COUNT_COLUMNS
    )


def first_of_each_rule(order: pd.DataFrame, limit: int = MAX_FINDINGS_PER_RULE) -> pd.Index:
    """Index of the first `limit` rows of each rule_code, in the frame's order."""
    return order.groupby("rule_code", sort=False).head(limit).index


def cap_file_findings(
    findings: pd.DataFrame, rule_counts: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The first MAX_FINDINGS_PER_FILE findings of a file, and its counts with findings_listed
    recounted from what is kept."""
    kept = findings.head(MAX_FINDINGS_PER_FILE).reset_index(drop=True)
    if rule_counts.empty:
        return kept, empty_rule_counts()
    listed = key_counts(kept, ["sheet", "rule_code"])
    counts = rule_counts.copy()
    keys = zip(counts["sheet"].tolist(), counts["rule_code"].tolist(), strict=True)
    counts["findings_listed"] = np.array([listed.get(key, 0) for key in keys], dtype="int64")
    return kept, counts[RULE_COUNT_COLUMNS].reset_index(drop=True)


def concat_findings(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """All findings of a sheet, ordered as the association reads its sheet."""
    frames = [frame for frame in frames if not frame.empty]
    if not frames:
        return empty_findings()
    combined = pd.concat(frames, ignore_index=True)
    return combined.sort_values(["excel_row", "rule_code"], kind="stable", ignore_index=True)
