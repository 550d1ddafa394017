"""The vocabularies Python and SQL share, read from their dbt seeds: submission statuses, rule
severities, indicator units, data types, period grains and why a figure has no value.

Each seed is the one statement of its vocabulary; dbt loads it into `referentiel.*` for the
models and tests, and this module gives Python the same rows. The codes Python branches on
are named here once, and checked to exist in their seed when the module loads.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from ase_impact.core.referentiel import read_seed


def _bool(value: str) -> bool:
    return value.strip().lower() == "true"


def _optional_float(value: str) -> float | None:
    return float(value) if value.strip() else None


@dataclass(frozen=True)
class SubmissionStatus:
    code: str
    label_fr: str
    is_received: bool  # a file came in ("missing" is the status of an expected file that did not)
    is_accepted: bool  # its rows are in force
    order: int


@dataclass(frozen=True)
class Severity:
    code: str
    label_fr: str
    rejects_row: bool
    quality_table: str  # the quality.* table its findings go to


@dataclass(frozen=True)
class RuleCategory:
    code: str
    label_fr: str | None  # what a feedback shows instead of the severity's label
    severity: str | None  # the severity every rule of the category has, if one


@dataclass(frozen=True)
class Unit:
    code: str
    label_fr: str
    minimum: float | None
    maximum: float | None
    excel_number_format: str
    # A rate, mean or ratio: it has a numerator and a denominator and no value when the
    # denominator is zero. Otherwise a quantity, which is 0 when nothing is counted.
    is_ratio: bool


@dataclass(frozen=True)
class DataType:
    code: str
    sql_type: str
    pandas_dtype: str  # what a cell of that type is read as, before any rule
    description_fr: str


@cache
def submission_statuses() -> dict[str, SubmissionStatus]:
    rows = sorted(read_seed("submission_statuses"), key=lambda row: int(row["sort_order"]))
    return {
        row["status_code"]: SubmissionStatus(
            row["status_code"],
            row["label_fr"],
            _bool(row["is_received"]),
            _bool(row["is_accepted"]),
            int(row["sort_order"]),
        )
        for row in rows
    }


@cache
def severities() -> dict[str, Severity]:
    return {
        row["severity_code"]: Severity(
            row["severity_code"], row["label_fr"], _bool(row["rejects_row"]), row["quality_table"]
        )
        for row in read_seed("rule_severities")
    }


@cache
def rule_categories() -> dict[str, RuleCategory]:
    return {
        row["category_code"]: RuleCategory(
            row["category_code"], row["label_fr"] or None, row["severity_code"] or None
        )
        for row in read_seed("rule_categories")
    }


@cache
def units() -> dict[str, Unit]:
    return {
        row["unit"]: Unit(
            row["unit"],
            row["label_fr"],
            _optional_float(row["min_value"]),
            _optional_float(row["max_value"]),
            row["excel_number_format"],
            _bool(row["is_ratio"]),
        )
        for row in read_seed("indicator_units")
    }


@cache
def data_types() -> dict[str, DataType]:
    return {
        row["data_type"]: DataType(
            row["data_type"], row["sql_type"], row["pandas_dtype"], row["description_fr"]
        )
        for row in read_seed("data_types")
    }


@cache
def period_grain_labels() -> dict[str, str]:
    """Period grain code (month, quarter, year_to_date, year) → its French label."""
    return {row["grain_code"]: row["label_fr"] for row in read_seed("period_grains")}


@cache
def no_value_labels() -> dict[str, str]:
    """Why a published figure has no value (seed no_value_reasons) → its French label."""
    return {row["reason_code"]: row["label_fr"] for row in read_seed("no_value_reasons")}


def status_label(code: str) -> str:
    return submission_statuses()[code].label_fr


def severity_label(code: str) -> str:
    return severities()[code].label_fr


def _known(code: str, vocabulary: dict) -> str:
    if code not in vocabulary:
        raise KeyError(f"{code!r} is not in its seed ({sorted(vocabulary)})")
    return code


# The codes the code branches on.
ACCEPTED = _known("accepted", submission_statuses())
ACCEPTED_WITH_REJECTIONS = _known("accepted_with_rejections", submission_statuses())
REJECTED = _known("rejected", submission_statuses())
MISSING = _known("missing", submission_statuses())
ERREUR = _known("erreur", severities())  # the row (or the file) is rejected
ALERTE = _known("alerte", severities())  # the row is kept and flagged
MONTH = _known("month", period_grain_labels())
YEAR_TO_DATE = _known("year_to_date", period_grain_labels())
CONTRACT = _known("contract", rule_categories())  # a rule of the workbook's contract
QUERY = _known("query", rule_categories())  # a plausibility query: « À vérifier »
UNDEFINED = _known("undefined", no_value_labels())  # a ratio over a zero denominator
RECEIVED_STATUSES = tuple(code for code, s in submission_statuses().items() if s.is_received)
ACCEPTED_STATUSES = tuple(code for code, s in submission_statuses().items() if s.is_accepted)
