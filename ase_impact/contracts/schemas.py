"""One pandera schema per read sheet, plus the identity of « Paramètres figés ».

A sheet is validated as a "check frame" that holds, for every field, the cells as received
(column "<field>__received") and the typed values (column "<field>"), plus a few derived columns
(ages, the pair's status for end questionnaires, whether each MIS PE item is unanswered…),
computed once for every check that reads them. Every pandera check is named by its rule
code, so a failed check maps straight back to the registry. Checks are vectorised: each
returns a boolean Series, True where the row passes; NA (a comparison with a missing value)
passes, because the missing value is reported by its own rule. Generic checks read the typed
column next to the received one, so a column is converted once.

`failures` runs the schema's columns, types and checks, one boolean mask per check, and only
the rows that fail become findings: pandera's validate builds error reports for every check,
which cost more than the checks themselves on sheets of a thousand rows.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from functools import cache

import numpy as np
import pandas as pd
import pandera.pandas as pa
from pandera.engines import pandas_engine

from ase_impact.contracts import cells
from ase_impact.contracts.rules import (
    DATE,
    END_QUESTIONNAIRE_LEAD_DAYS,
    ENDED_STATUSES,
    HISTORY,
    IN_LIST,
    INTEGER_AT_MOST,
    LONGEST_MATCHING_DELAY_DAYS,
    MAX_AMOUNT,
    MAX_INTEGER,
    MINIMUM_APPLICATION_AGE,
    MISPE_AGES,
    MISPE_ITEM_FIELDS,
    MISPE_SCOPE_AGES,
    NON_NEGATIVE_INTEGER,
    NUMBER,
    PAIR_AGES,
    REQUIRED,
    RESOURCE_TOOL,
    ROW,
    RULES,
    SCORE,
    STATUS_CLOSED,
    STATUS_WAITING,
    UNIT_BY_RESOURCE_CATEGORY,
    Rule,
    column_spec,
    rules_of,
)
from ase_impact.core import referentiel, vocabulary
from ase_impact.core.dates import age_at
from ase_impact.core.keys import PERIOD

RECEIVED = "__received"
UNANSWERED = "__unanswered"
END_QUESTIONNAIRE_LEAD = timedelta(days=END_QUESTIONNAIRE_LEAD_DAYS)
LONGEST_MATCHING_DELAY = timedelta(days=LONGEST_MATCHING_DELAY_DAYS)

CheckFunction = Callable[[pd.Series | pd.DataFrame], pd.Series]
# A row rule's check: the check-frame column it reads alone, or None for the whole frame.
RowCheck = tuple[str | None, CheckFunction]


def received(field: str) -> str:
    return field + RECEIVED


def unanswered(field: str) -> str:
    """The derived column saying whether an MIS PE item was left without answer."""
    return field + UNANSWERED


def _passes(check: CheckFunction) -> CheckFunction:
    def run(data: pd.Series | pd.DataFrame) -> pd.Series:
        result = check(data)
        if not isinstance(result, pd.Series):
            result = pd.Series(result)
        if result.dtype == bool:
            return result
        if result.dtype == "boolean":  # most nullable masks: NA → True in one step
            return pd.Series(
                result.to_numpy(dtype=bool, na_value=True), index=result.index, name=result.name
            )
        return result.astype("boolean").fillna(True).astype(bool)

    return run


# ---------------------------------------------------------------------------------------------
# Check frame: typed values next to the cells as received.


def _typed(spec: referentiel.ColumnSpec, values: pd.Series) -> pd.Series:
    if spec.data_type == "date":
        return cells.to_dates(values)
    if spec.data_type == "integer":
        return cells.to_integers(values)
    if spec.data_type == "number":
        return cells.to_numbers(values)
    if spec.data_type == "score":
        return cells.to_scores(values)
    if spec.data_type == "list":
        return cells.to_labels(values, spec.list_code)
    if spec.field == "unit":
        return _units(values)
    return cells.to_text(values)


def _units(values: pd.Series) -> pd.Series:
    """Resource units: "eur" reads as the canonical "EUR"; other text is kept as typed."""
    canonical = {
        referentiel.match_key(unit): unit for unit in UNIT_BY_RESOURCE_CATEGORY.values() if unit
    }
    texts = cells.to_text(values)
    # Cell by cell in Python: two Series.map cost more than a sheet of resources holds.
    units = [
        text if pd.isna(text) else canonical.get(referentiel.match_key(text), text)
        for text in texts.tolist()
    ]
    return pd.Series(pd.array(units, dtype="str"), index=texts.index)


def check_frame(
    sheet_code: str,
    frame: pd.DataFrame,
    period_end: date,
    accepted_pairs: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The frame a sheet's schema validates.

    accepted_pairs: the same file's accepted Données rows (pair_id, status, end_date, typed),
    needed for Questionnaire fin de mentorat.
    """
    columns: dict[str, pd.Series] = {"excel_row": frame["excel_row"]}
    for spec in referentiel.columns(sheet_code):
        as_read = frame[spec.field].to_numpy(dtype=object, copy=True)
        as_read[pd.isna(as_read)] = None
        values = pd.Series(as_read, index=frame.index, dtype=object)
        columns[spec.field] = _typed(spec, values)
        columns[received(spec.field)] = values
    checked = pd.DataFrame(columns, index=frame.index)
    if sheet_code == "pairs":
        checked["age_at_period_end"] = age_at(checked["birth_date"], period_end)
    elif sheet_code == "end_questionnaires":
        if accepted_pairs is None:
            raise ValueError("end questionnaires are checked against the accepted Données rows")
        checked = _with_pair_facts(checked, accepted_pairs)
    elif sheet_code == "mispe_questionnaires":
        checked["age_at_answer"] = age_at(checked["birth_date"], checked["answered_on"])
        # Computed once per item: answer_count and each item's SCORE rule read it.
        no_answers = pd.DataFrame(
            {
                unanswered(field): cells.is_no_answer(checked[received(field)])
                for field in MISPE_ITEM_FIELDS
            },
            index=checked.index,
        )
        checked["answer_count"] = (~no_answers).sum(axis=1).astype("int64")
        checked = pd.concat([checked, no_answers], axis=1)
    elif sheet_code == "resources":
        checked["expected_unit"] = checked["category"].map(UNIT_BY_RESOURCE_CATEGORY)
    return checked


def _with_pair_facts(checked: pd.DataFrame, accepted_pairs: pd.DataFrame) -> pd.DataFrame:
    """Status and end date, from the same file's accepted Données rows, of each pair answered.

    pair_found is NA where the questionnaire has no pair id (QFM-001 reports it). A pair on
    several rows takes the facts of its first row.
    """
    pair_ids = checked["pair_id"]
    # Compared as Python objects: pyarrow's lookups convert each value of a large set one by one.
    known = pd.Index(accepted_pairs["pair_id"].to_numpy(dtype=object), dtype=object)
    first_rows = np.flatnonzero(~known.duplicated())
    positions = known[first_rows].get_indexer(pair_ids.to_numpy(dtype=object))
    rows = np.append(first_rows, -1)[positions]  # -1 (not found) stays -1: filled with NA
    checked["pair_found"] = pd.Series(positions >= 0, index=checked.index, dtype="boolean").where(
        pair_ids.notna()
    )
    checked["pair_status"] = pd.Series(
        accepted_pairs["status"].array.take(rows, allow_fill=True), index=checked.index, dtype="str"
    )
    checked["pair_end_date"] = pd.Series(
        accepted_pairs["end_date"].array.take(rows, allow_fill=True),
        index=checked.index,
        dtype="datetime64[ns]",
    )
    return checked


# ---------------------------------------------------------------------------------------------
# Generic checks: one per kind of rule, on the column of cells as received.


# The data type whose typed column (see _typed) each generic kind of rule reads.
_TYPE_OF_KIND = {
    IN_LIST: "list",
    DATE: "date",
    NON_NEGATIVE_INTEGER: "integer",
    INTEGER_AT_MOST: "integer",
    NUMBER: "number",
    SCORE: "score",
}


def _generic_check(rule: Rule) -> RowCheck:
    """Required: the cell is not empty. Other kinds: an empty cell, or one that converted."""
    field, column = rule.column, received(rule.column)
    if rule.kind == REQUIRED:
        return column, lambda values: values.notna()
    if column_spec(rule.sheet_code, field).data_type != _TYPE_OF_KIND[rule.kind]:
        raise RuntimeError(f"rule {rule.code} does not match the type of column {field!r}")

    def empty_or_converted(frame: pd.DataFrame) -> pd.Series:
        empty = pd.isna(frame[column].to_numpy())
        return pd.Series(empty | frame[field].notna().to_numpy(), index=frame.index)

    def empty_or_non_negative(frame: pd.DataFrame) -> pd.Series:
        empty = pd.isna(frame[column].to_numpy())
        integers = frame[field].to_numpy(dtype=float, na_value=np.nan)
        return pd.Series(empty | (integers >= 0), index=frame.index)

    def empty_or_at_most(frame: pd.DataFrame) -> pd.Series:
        integers = frame[field].to_numpy(dtype=float, na_value=np.nan)
        return pd.Series(~(integers > MAX_INTEGER), index=frame.index)

    def no_answer_or_score(frame: pd.DataFrame) -> pd.Series:
        return frame[unanswered(field)] | frame[field].notna()

    if rule.kind == NON_NEGATIVE_INTEGER:
        return None, empty_or_non_negative
    if rule.kind == INTEGER_AT_MOST:
        return None, empty_or_at_most
    return None, no_answer_or_score if rule.kind == SCORE else empty_or_converted


# ---------------------------------------------------------------------------------------------
# Row rules, sheet by sheet.


def _not_after(period_end: date) -> CheckFunction:
    limit = pd.Timestamp(period_end)
    return lambda dates: ~(dates > limit)


def _unique(values: pd.Series) -> pd.Series:
    """Identifiers that no other row repeats, under their canonical key (case, spaces and
    invisible characters do not make two ids different: "CA-003" and "ca-003" are one)."""
    keys = cells.identifier_keys(values)
    return keys.isna() | ~keys.duplicated(keep=False)


def _has_a_letter(names: pd.Series) -> pd.Series:
    return cells.names_with_a_letter(names)


def _required_unless_waiting(field: str) -> RowCheck:
    def check(frame: pd.DataFrame) -> pd.Series:
        not_waiting = frame["status"].notna() & frame["status"].ne(STATUS_WAITING)
        return ~(not_waiting & frame[received(field)].isna())

    return None, check


def _required_if_ended(field: str) -> RowCheck:
    return None, lambda f: ~(f["status"].isin(ENDED_STATUSES) & f[received(field)].isna())


def _pairs_checks(period_end: date) -> dict[str, RowCheck]:
    def end_date_only_if_ended(frame: pd.DataFrame) -> pd.Series:
        still_open = frame["status"].notna() & ~frame["status"].isin(ENDED_STATUSES)
        return ~(still_open & frame[received("end_date")].notna())

    school_ages = referentiel.school_level_ages()
    lowest = {level: ages[0] for level, ages in school_ages.items()}
    highest = {level: ages[1] for level, ages in school_ages.items()}

    # A query adds nothing to a value another rule rejects: an age outside 6–25 (DON-009), a
    # negative number of sessions (DON-042), an application before birth (DON-052).
    def age_is_valid(frame: pd.DataFrame) -> pd.Series:
        return frame["age_at_period_end"].between(*PAIR_AGES)

    def held_within_planned(frame: pd.DataFrame) -> pd.Series:
        planned, held = frame["sessions_planned"], frame["sessions_held"]
        # A number above MAX_INTEGER is an error already (DON-048, DON-049): not queried too.
        return ~((planned >= 0) & (held > planned) & (held <= MAX_INTEGER))

    def applied_before_birth(frame: pd.DataFrame) -> pd.Series:
        return frame["application_date"] < frame["birth_date"]

    def applied_from_six(frame: pd.DataFrame) -> pd.Series:
        age = age_at(frame["birth_date"], frame["application_date"])
        too_young = (age < MINIMUM_APPLICATION_AGE) & ~applied_before_birth(frame)
        return ~(too_young & age_is_valid(frame))

    def matched_within_a_year(frame: pd.DataFrame) -> pd.Series:
        return ~(frame["match_date"] - frame["application_date"] > LONGEST_MATCHING_DELAY)

    def school_level_fits_age(frame: pd.DataFrame) -> pd.Series:
        age = frame["age_at_period_end"]
        levels = frame["school_level"]
        unusual = (age < levels.map(lowest)) | (age > levels.map(highest))
        return ~(unusual & age_is_valid(frame))

    return {
        "DON-002": ("pair_id", _unique),
        "DON-009": ("age_at_period_end", lambda ages: ages.between(*PAIR_AGES)),
        "DON-018": ("application_date", _not_after(period_end)),
        "DON-020": _required_unless_waiting("match_date"),
        "DON-021": (None, lambda f: ~(f["match_date"] < f["application_date"])),
        "DON-022": ("match_date", _not_after(period_end)),
        "DON-026": _required_if_ended("end_date"),
        "DON-027": (None, end_date_only_if_ended),
        "DON-028": (None, lambda f: ~(f["end_date"] < f["match_date"])),
        "DON-029": ("end_date", _not_after(period_end)),
        "DON-031": _required_if_ended("end_reason"),
        "DON-035": _required_unless_waiting("mode"),
        "DON-038": _required_unless_waiting("mentor_id"),
        "DON-040": _required_unless_waiting("mentor_trained"),
        "DON-045": (
            None,
            lambda f: ~(f["status"].eq(STATUS_CLOSED) & f[received("objective_met")].isna()),
        ),
        "DON-046": ("last_name", _has_a_letter),
        "DON-047": ("first_name", _has_a_letter),
        # Plausibility: possible but unusual values are queried, impossible ones rejected.
        "DON-050": (None, held_within_planned),
        "DON-051": (None, applied_from_six),
        "DON-052": (None, lambda f: ~applied_before_birth(f)),
        "DON-053": (None, matched_within_a_year),
        "DON-054": (None, school_level_fits_age),
    }


def _end_questionnaire_checks(period_end: date) -> dict[str, RowCheck]:
    def pair_has_ended(frame: pd.DataFrame) -> pd.Series:
        return ~(frame["pair_found"].fillna(False) & ~frame["pair_status"].isin(ENDED_STATUSES))

    def answered_near_end(frame: pd.DataFrame) -> pd.Series:
        return ~(frame["answered_on"] < frame["pair_end_date"] - END_QUESTIONNAIRE_LEAD)

    return {
        "QFM-002": ("pair_found", lambda found: found),
        "QFM-003": (None, pair_has_ended),
        "QFM-004": ("pair_id", _unique),
        "QFM-007": (None, answered_near_end),
        "QFM-008": ("answered_on", _not_after(period_end)),
    }


def _mispe_checks(period_end: date) -> dict[str, RowCheck]:
    return {
        "MIS-005": ("age_at_answer", lambda ages: ages.between(*MISPE_AGES)),
        "MIS-006": (
            "age_at_answer",
            lambda ages: ~ages.between(*MISPE_AGES) | ages.between(*MISPE_SCOPE_AGES),
        ),
        "MIS-011": ("answered_on", _not_after(period_end)),
        "MIS-012": ("answer_count", lambda counts: counts.gt(0)),
        "MIS-031": ("last_name", _has_a_letter),
        "MIS-032": ("first_name", _has_a_letter),
    }


def _unit_check(unit: str | None) -> RowCheck:
    """The unit a category requires; unit None: categories whose unit stays empty."""
    if unit is None:

        def unit_left_empty(frame: pd.DataFrame) -> pd.Series:
            without_unit = frame["category"].notna() & frame["expected_unit"].isna()
            return ~(without_unit & frame[received("unit")].notna())

        return None, unit_left_empty
    return None, lambda frame: ~(frame["expected_unit"].eq(unit) & frame["unit"].ne(unit))


def _resources_checks(period_end: date) -> dict[str, RowCheck]:
    def amount_unless_tool(frame: pd.DataFrame) -> pd.Series:
        needs_amount = frame["category"].notna() & frame["category"].ne(RESOURCE_TOOL)
        return ~(needs_amount & frame[received("amount")].isna())

    return {
        "RES-005": ("amount", lambda amounts: amounts.ge(0)),
        "RES-006": (None, amount_unless_tool),
        "RES-007": _unit_check("EUR"),
        "RES-008": _unit_check("ETP"),
        "RES-009": _unit_check(None),
        "RES-011": ("amount", lambda amounts: ~(amounts > MAX_AMOUNT)),
    }


def _activities_checks(period_end: date) -> dict[str, RowCheck]:
    first_day, last_day = pd.Timestamp(period_end.replace(day=1)), pd.Timestamp(period_end)
    return {
        "ACT-003": (
            "activity_date",
            lambda dates: dates.isna() | dates.between(first_day, last_day),
        ),
    }


_ROW_CHECKS: dict[str, Callable[[date], dict[str, RowCheck]]] = {
    "pairs": _pairs_checks,
    "end_questionnaires": _end_questionnaire_checks,
    "mispe_questionnaires": _mispe_checks,
    "resources": _resources_checks,
    "activities": _activities_checks,
}


def sheet_checks(sheet_code: str, period_end: date) -> dict[str, RowCheck]:
    """Rule code → check, for every rule of the sheet in the registry."""
    row_checks = _ROW_CHECKS[sheet_code](period_end)
    registered = {rule.code for rule in rules_of(sheet_code) if rule.kind == ROW}
    if set(row_checks) != registered:
        raise RuntimeError(
            f"row checks of {sheet_code!r} and the registry disagree: "
            f"{sorted(set(row_checks) ^ registered)}"
        )
    # HISTORY rules compare with the previous file in force, at reception (contracts/history.py).
    return {
        sheet_rule.code: row_checks[sheet_rule.code]
        if sheet_rule.kind == ROW
        else _generic_check(sheet_rule)
        for sheet_rule in rules_of(sheet_code)
        if sheet_rule.kind != HISTORY
    }


@cache
def sheet_schema(sheet_code: str, period_end: date) -> pa.DataFrameSchema:
    """The pandera contract of a read sheet, validating a check frame (see check_frame)."""
    column_checks: dict[str, list[pa.Check]] = {}
    frame_checks: list[pa.Check] = []
    for code, (column, function) in sheet_checks(sheet_code, period_end).items():
        # ignore_na=False: a column check must see empty cells (required rules fail on them).
        # A frame check sees every row too: excel_row is never empty.
        check = pa.Check(_passes(function), name=code, ignore_na=False)
        if column is None:
            frame_checks.append(check)
        else:
            column_checks.setdefault(column, []).append(check)
    columns = {"excel_row": pa.Column("int64")}
    for spec in referentiel.columns(sheet_code):
        columns[spec.field] = pa.Column(
            vocabulary.data_types()[spec.data_type].pandas_dtype,
            nullable=True,
            checks=column_checks.pop(spec.field, []),
        )
        columns[received(spec.field)] = pa.Column(
            object, nullable=True, checks=column_checks.pop(received(spec.field), [])
        )
    for derived, checks in column_checks.items():
        columns[derived] = pa.Column(nullable=True, checks=checks)
    return pa.DataFrameSchema(columns, checks=frame_checks, name=sheet_code)


# ---------------------------------------------------------------------------------------------
# Identity of the file (« Paramètres figés »), validated as a one-row frame.


def _identity_checks(period: str | None, association_code: str | None) -> dict[str, RowCheck]:
    """Without the file's path: the template version, checked while reading (the columns
    expected depend on it). With the path: that the identity agrees with it, the template
    version having passed already.
    """
    if period is None or association_code is None:
        return {
            "PAR-006": ("template_version", lambda versions: versions.notna()),
            "PAR-007": (
                "template_version",
                lambda versions: (
                    versions.isna() | versions.isin(referentiel.SUPPORTED_TEMPLATE_VERSIONS)
                ),
            ),
        }
    expected_code = referentiel.match_key(association_code)

    def well_formed(periods: pd.Series) -> pd.Series:
        return periods.str.fullmatch(PERIOD.pattern).fillna(False).astype(bool)

    return {
        "PAR-001": ("association_name", lambda names: names.notna()),
        "PAR-002": ("association_code", lambda codes: codes.notna()),
        "PAR-003": (
            "association_code",
            lambda codes: codes.isna() | cells.match_keys(codes).eq(expected_code),
        ),
        "PAR-004": ("period", well_formed),
        "PAR-005": ("period", lambda periods: ~well_formed(periods) | periods.eq(period)),
    }


@cache
def identity_schema(period: str | None, association_code: str | None) -> pa.DataFrameSchema:
    """The identity contract; period and association_code are those of the file's path, or None
    for the template version alone (see _identity_checks)."""
    column_checks: dict[str, list[pa.Check]] = {}
    for code, (column, function) in _identity_checks(period, association_code).items():
        column_checks.setdefault(column, []).append(
            pa.Check(_passes(function), name=code, ignore_na=False)
        )
    columns = {
        field: pa.Column("str", nullable=True, checks=column_checks.get(field, []))
        for field in referentiel.IDENTITY_LABELS.values()
    }
    return pa.DataFrameSchema(columns, name="parameters")


def identity_failures(
    identity: dict[str, str | None], period: str | None, association_code: str | None
) -> list[str]:
    """Codes of the identity rules the file breaks, in code order."""
    frame = pd.DataFrame([identity], columns=list(referentiel.IDENTITY_LABELS.values()))
    frame = frame.astype("str")
    return sorted(failures(identity_schema(period, association_code), frame)["rule_code"].unique())


# ---------------------------------------------------------------------------------------------


def failures(schema: pa.DataFrameSchema, frame: pd.DataFrame) -> pd.DataFrame:
    """(index, rule_code) of every failed check, one row per row and rule.

    A failure that is not a registered rule (a missing column, a wrong type, a check that
    crashed or does not return one boolean per row) is a bug of the pipeline, not of the file:
    it raises, without quoting any value, which may be personal data.
    """
    if frame.empty:  # an empty sheet (header only) breaks no rule
        return pd.DataFrame(
            {"index": pd.Series(dtype="int64"), "rule_code": pd.Series(dtype=object)}
        )
    _check_columns(schema, frame)
    checks = [
        (check, frame[name]) for name, column in schema.columns.items() for check in column.checks
    ]
    checks += [(check, frame) for check in schema.checks]
    row_labels = frame.index.to_numpy()
    failed_rows = []
    for check, data in checks:
        passed = _check_output(schema, check, data)
        failed_rows.append((check.name, row_labels[~passed]))
    return pd.DataFrame(
        {
            "index": np.concatenate([rows for _, rows in failed_rows]).astype("int64"),
            "rule_code": np.repeat(
                [code for code, _ in failed_rows], [len(r) for _, r in failed_rows]
            ),
        }
    )


def _check_columns(schema: pa.DataFrameSchema, frame: pd.DataFrame) -> None:
    """Every column of the schema is in the frame, of its declared type."""
    dtypes = frame.dtypes.to_dict()  # one lookup: frame[name] builds a Series per column
    for name, column in schema.columns.items():
        if name not in dtypes:
            raise RuntimeError(f"contract {schema.name!r} failed outside its rules: no {name!r}")
        if column.dtype is not None and not column.dtype.check(_pandera_type(dtypes[name])):
            raise RuntimeError(
                f"contract {schema.name!r} failed outside its rules: {name!r} is "
                f"{dtypes[name]}, not {column.dtype}"
            )


@cache
def _pandera_type(dtype: object) -> object:
    return pandas_engine.Engine.dtype(dtype)


def _check_output(schema: pa.DataFrameSchema, check: pa.Check, data: pd.Series | pd.DataFrame):
    """The check's boolean mask over the rows, True where the row passes."""
    if check.name not in RULES:
        raise RuntimeError(f"contract {schema.name!r} has a check outside the rules: {check.name}")
    try:
        # The check's own function (pandera 0.35 keeps it as _check_fn): calling the Check
        # would also copy out the failing rows of the whole check frame, for every check.
        output = check._check_fn(data)
    except Exception as error:
        raise RuntimeError(
            f"contract {schema.name!r} failed outside its rules: {check.name} crashed "
            f"({type(error).__name__})"
        ) from None
    if output.dtype != bool or not output.index.equals(data.index):
        raise RuntimeError(
            f"contract {schema.name!r} failed outside its rules: {check.name} gave no mask"
        )
    return output.to_numpy()
