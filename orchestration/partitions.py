"""Ingestion partitions: one per (month, association), as architecture.md decides."""

from __future__ import annotations

import dagster as dg

MONTH = "month"
ASSOCIATION = "association"

month_partitions = dg.MonthlyPartitionsDefinition(start_date="2024-01", fmt="%Y-%m", end_offset=1)
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
