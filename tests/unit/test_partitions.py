"""Ranges of partitions: which runs a batch of files becomes."""

import dagster as dg

from orchestration.partitions import submission_partition_key, submission_ranges


def _range(first: tuple[str, str], last: tuple[str, str]) -> dg.PartitionKeyRange:
    return dg.PartitionKeyRange(
        str(submission_partition_key(*first)), str(submission_partition_key(*last))
    )


ORDER = ["cap", "envol", "grandir", "horizon"]


def test_a_month_whose_files_all_came_is_one_range():
    batch = {("2026-10", code) for code in ORDER}
    assert submission_ranges(ORDER, batch) == {
        _range(("2026-10", "cap"), ("2026-10", "horizon")): [("2026-10", code) for code in ORDER]
    }


def test_a_late_association_splits_the_month_around_it():
    batch = {("2026-10", "cap"), ("2026-10", "envol"), ("2026-10", "horizon")}
    assert submission_ranges(ORDER, batch) == {
        _range(("2026-10", "cap"), ("2026-10", "envol")): [
            ("2026-10", "cap"),
            ("2026-10", "envol"),
        ],
        _range(("2026-10", "horizon"), ("2026-10", "horizon")): [("2026-10", "horizon")],
    }


def test_consecutive_months_with_the_same_associations_share_a_range():
    batch = {(month, code) for month in ("2025-12", "2026-01") for code in ("envol", "grandir")}
    batch.add(("2026-03", "envol"))  # a gap in the months: a range of its own
    ranges = submission_ranges(ORDER, batch)
    assert list(ranges) == [
        _range(("2025-12", "envol"), ("2026-01", "grandir")),
        _range(("2026-03", "envol"), ("2026-03", "envol")),
    ]
    assert sorted(ranges[_range(("2025-12", "envol"), ("2026-01", "grandir"))]) == sorted(
        batch - {("2026-03", "envol")}
    )


def test_every_partition_is_in_exactly_one_range_and_nothing_else_is():
    batch = {
        ("2026-09", "cap"),
        ("2026-09", "grandir"),
        ("2026-10", "cap"),
        ("2026-10", "envol"),
        ("2026-10", "grandir"),
        ("2026-11", "horizon"),
    }
    covered = [partition for held in submission_ranges(ORDER, batch).values() for partition in held]
    assert sorted(covered) == sorted(batch)


def test_no_file_no_range():
    assert submission_ranges(ORDER, set()) == {}


def test_the_monthly_partitions_are_the_months_a_submission_may_have():
    from ase_impact.core import keys
    from orchestration.partitions import month_partitions

    assert month_partitions.get_partition_keys() == keys.supported_periods()
    first, last = keys.supported_period_range()
    assert (keys.supported_periods()[0], keys.supported_periods()[-1]) == (first, last)
    assert last == keys.current_period()
