"""Plausibility queries across months: a row compared with the same pair, or the same
resource, in the association's previous file in force.

The rules are in the registry (kind HISTORY, category query: « À vérifier »); their checks
are here, on pseudonymised frames as the raw tables hold them: the current file's accepted
rows and the previous file's. Ingestion runs them at reception, where the warehouse holds the
previous file (intake/history.py); `ase-impact check` and the portal, which check a file
without the warehouse, do not.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ase_impact.contracts.findings import (
    PII_MASK,
    cell_text,
    concat_findings,
    empty_findings,
    rule_findings,
)
from ase_impact.contracts.rules import (
    AMOUNT_MOVE_FACTOR,
    HISTORY,
    VOLUME_FLOOR,
    VOLUME_RATIO_BOUNDS,
    Rule,
    column_spec,
    rules_of,
)
from ase_impact.core import referentiel


@dataclass(frozen=True)
class PreviousFile:
    """The association's previous file in force: its month ("AAAA-MM") and its raw rows."""

    period: str
    rows: pd.DataFrame


# Per sheet: the raw columns a history check reads from the previous file.
PREVIOUS_COLUMNS: dict[str, tuple[str, ...]] = {
    "pairs": ("pair_id", "sex", "match_date", "youth_key"),
    "resources": ("category", "detail", "amount"),
}


def _text(value: object) -> str:
    return cell_text(value.date() if isinstance(value, pd.Timestamp) else value)


@dataclass(frozen=True)
class _Fired:
    """Rows of the current frame a rule fires on, the values shown and the previous values."""

    mask: np.ndarray
    received: pd.Series
    previous: pd.Series


def _pair_checks(
    current: pd.DataFrame, previous: pd.DataFrame, rows_rejected: int
) -> dict[str, _Fired]:
    before = previous.drop_duplicates("pair_id").set_index("pair_id")
    matched = before.reindex(current["pair_id"].to_numpy())

    def differs(field: str) -> np.ndarray:
        now = current[field].to_numpy(dtype=object)
        then = matched[field].to_numpy(dtype=object)
        known = ~(pd.isna(now) | pd.isna(then))
        if field == "match_date":
            now, then = pd.to_datetime(now), pd.to_datetime(then)
        # Compared where both are known: a pair new in this file has no previous value (NA,
        # which has no truth value).
        found = np.zeros(len(known), dtype=bool)
        found[known] = np.asarray(now[known] != then[known], dtype=bool)
        return found

    def fired(field: str, shown: pd.Series) -> _Fired:
        previous_values = pd.Series(matched[field].to_numpy(dtype=object), index=current.index)
        return _Fired(differs(field), shown, previous_values)

    return {
        "DON-058": _pair_count_move(current, previous, rows_rejected),
        "DON-055": fired("sex", current["sex"]),
        "DON-056": fired("match_date", current["match_date"]),
        # The key hashes the name and the birth date: the row's received value is personal.
        "DON-057": fired("youth_key", pd.Series(PII_MASK, index=current.index)),
    }


def _pair_count_move(current: pd.DataFrame, previous: pd.DataFrame, rows_rejected: int) -> _Fired:
    """The file's pairs against the previous file's, said once, on the file's first pair: the
    tab lists every pair the association knows, so a large move is more often rows lost or
    pasted twice than pairs gained or ended. Not while rows of the tab are rejected: the
    count would leave them out, and the corrected file is compared again."""
    now, then = current["pair_id"].nunique(), previous["pair_id"].nunique()
    low, high = VOLUME_RATIO_BOUNDS
    moved = (
        rows_rejected == 0
        and max(now, then) >= VOLUME_FLOOR
        and not low * then <= now <= high * then
    )
    mask = np.zeros(len(current), dtype=bool)
    mask[:1] = moved
    return _Fired(
        mask,
        pd.Series(str(now), index=current.index),
        pd.Series(str(then), index=current.index),
    )


def _resource_key(frame: pd.DataFrame) -> pd.Series:
    return (
        frame["category"].astype(str) + "\0" + frame["detail"].astype(str).str.strip().str.lower()
    )


def _resource_checks(current: pd.DataFrame, previous: pd.DataFrame, _: int) -> dict[str, _Fired]:
    before = previous.assign(key=_resource_key(previous)).groupby("key")["amount"].sum()
    keys = _resource_key(current)
    now = current.assign(key=keys).groupby("key")["amount"].transform("sum").astype(float)
    then = keys.map(before).astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = (now / then).to_numpy()
    moved = (then.to_numpy() > 0) & (now.to_numpy() > 0)
    mask = moved & ((ratio > AMOUNT_MOVE_FACTOR) | (ratio < 1 / AMOUNT_MOVE_FACTOR))
    return {"RES-010": _Fired(np.asarray(mask, dtype=bool), current["amount"], then)}


# Per sheet: its checks, given the current rows, the previous file's and how many of the
# sheet's rows the contract rejected.
_CHECKS: dict[str, Callable[[pd.DataFrame, pd.DataFrame, int], dict[str, _Fired]]] = {
    "pairs": _pair_checks,
    "resources": _resource_checks,
}


def history_rules(sheet_code: str) -> tuple[Rule, ...]:
    return tuple(rule for rule in rules_of(sheet_code) if rule.kind == HISTORY)


def history_findings(
    sheet_code: str,
    current: pd.DataFrame,
    previous: PreviousFile,
    display_name: str,
    rows_rejected: int = 0,
) -> pd.DataFrame:
    """Findings of the sheet's HISTORY rules on current (raw rows with excel_row: the sheet's
    accepted rows; rows_rejected: how many the contract rejected)."""
    rules = history_rules(sheet_code)
    if not rules or current.empty or previous.rows.empty:
        return empty_findings()
    checks = _CHECKS[sheet_code](current.reset_index(drop=True), previous.rows, rows_rejected)
    if set(checks) != {rule.code for rule in rules}:
        raise RuntimeError(f"history checks of {sheet_code!r} and the registry disagree")
    frame = current.reset_index(drop=True)
    sheet_name = referentiel.sheet(sheet_code).name_fr
    pair_ids = frame["pair_id"] if "pair_id" in frame else pd.Series(None, index=frame.index)
    found = []
    for rule in rules:
        fired = checks[rule.code]
        rows = np.flatnonzero(fired.mask)
        if not len(rows):
            continue
        tails = pd.Series(
            [
                rule.message_fr.format(
                    previous=previous.period, previous_value=_text(fired.previous.iat[row])
                )
                for row in rows
            ],
            index=frame.index[rows],
        )
        found.append(
            rule_findings(
                rule,
                display_name=display_name,
                sheet_name=sheet_name,
                excel_rows=frame["excel_row"].iloc[rows],
                values_received=fired.received.iloc[rows].map(_text),
                pair_ids=pair_ids.iloc[rows],
                message_tails=tails,
                column_header=column_spec(sheet_code, rule.column).header_fr,
            )
        )
    return concat_findings(found)
