"""Ingestion partitions: one per (month, association), as architecture.md decides.

The months are those a submission may have (ase_impact.core.keys.supported_period_range): from
the first supported month to the current one. Dagster's monthly partitions end with the last
complete month; one more (end_offset=1) is the month running now, never a month to come. A file
of raw/ outside that range is refused by the intake before it becomes a partition (FIC-016).
"""

from __future__ import annotations

import dagster as dg

from ase_impact.core import keys

MONTH = "month"
ASSOCIATION = "association"
# Partitions after the last complete month: the current month only.
CURRENT_MONTH_OFFSET = 1

month_partitions = dg.MonthlyPartitionsDefinition(
    start_date=keys.FIRST_PERIOD, fmt="%Y-%m", end_offset=CURRENT_MONTH_OFFSET
)
association_partitions = dg.DynamicPartitionsDefinition(name=ASSOCIATION)
submission_partitions = dg.MultiPartitionsDefinition(
    {MONTH: month_partitions, ASSOCIATION: association_partitions}
)


def submission_partition_key(period: str, association_code: str) -> dg.MultiPartitionKey:
    """The partition of a workbook dropped as raw/<period>/<association_code>.xlsx."""
    return dg.MultiPartitionKey({MONTH: period, ASSOCIATION: association_code})


def register_associations(instance: dg.DagsterInstance, association_codes: set[str]) -> None:
    known = set(instance.get_dynamic_partitions(ASSOCIATION))
    new_codes = sorted(association_codes - known)
    if new_codes:
        instance.add_dynamic_partitions(ASSOCIATION, new_codes)


# Dagster's documented run tags for a run over a range of partitions (a single-run backfill).
PARTITION_RANGE_START_TAG = "dagster/asset_partition_range_start"
PARTITION_RANGE_END_TAG = "dagster/asset_partition_range_end"


def submission_ranges(
    association_order: list[str], partitions: set[tuple[str, str]]
) -> dict[dg.PartitionKeyRange, list[tuple[str, str]]]:
    """The fewest rectangles of (months × associations) covering exactly these partitions,
    each with the (period, association) partitions it holds.

    A range of a two-dimensional partitioning is a rectangle: consecutive months × the
    associations between two codes in their registration order. Each rectangle is one run,
    so a month whose files all came in is one run however many associations it has.
    """
    position = {code: index for index, code in enumerate(association_order)}
    months_by_block: dict[tuple[int, int], list[str]] = {}
    for period in sorted({period for period, _ in partitions}):
        indexes = sorted(position[code] for month, code in partitions if month == period)
        for block in _consecutive_runs(indexes):
            months_by_block.setdefault(block, []).append(period)
    ranges = {}
    for (first, last), periods in months_by_block.items():
        codes = association_order[first : last + 1]
        for start, end in _consecutive_runs([_month_number(period) for period in periods]):
            months = [_month_text(number) for number in range(start, end + 1)]
            partition_range = dg.PartitionKeyRange(
                str(submission_partition_key(months[0], codes[0])),
                str(submission_partition_key(months[-1], codes[-1])),
            )
            ranges[partition_range] = [(month, code) for month in months for code in codes]
    return dict(sorted(ranges.items()))


def range_tags(partition_range: dg.PartitionKeyRange) -> dict[str, str]:
    return {
        PARTITION_RANGE_START_TAG: partition_range.start,
        PARTITION_RANGE_END_TAG: partition_range.end,
    }


def _consecutive_runs(numbers: list[int]) -> list[tuple[int, int]]:
    """[1, 2, 3, 7, 8] → [(1, 3), (7, 8)]; numbers sorted, without repeats."""
    runs: list[tuple[int, int]] = []
    for number in numbers:
        if runs and runs[-1][1] == number - 1:
            runs[-1] = (runs[-1][0], number)
        else:
            runs.append((number, number))
    return runs


def _month_number(period: str) -> int:
    year, month = period.split("-")
    return int(year) * 12 + int(month) - 1


def _month_text(number: int) -> str:
    return f"{number // 12:04d}-{number % 12 + 1:02d}"
