"""The benchmark's verdicts on the targets."""

from __future__ import annotations

import pytest

from benchmarks.report import Figures, targets


def _large_run(exit_code: int, build_status: str) -> Figures:
    return Figures(
        {
            "cli": {"wall_seconds": 360.0, "exit_code": exit_code, "peak_rss_tree_mib": 1100},
            "stages": {"build_status": build_status},
        }
    )


def _verdicts(figures: Figures) -> dict[str, tuple[bool | None, str]]:
    """L's verdicts by the start of their label."""
    results = {"help": {"first_seconds": 0.1, "median_seconds": 0.1}}
    found = targets(results, {"L": figures}, None)
    return {t.label.split(" ≤ ")[0]: (t.met, t.margin) for t in found if t.label.startswith("L ")}


def test_a_successful_run_under_the_targets_meets_them():
    verdicts = _verdicts(_large_run(0, "SUCCESS"))
    assert verdicts["L end-to-end"][0] is True
    assert verdicts["L peak memory"][0] is True


@pytest.mark.parametrize(
    ("exit_code", "build_status"), [(1, "FAILURE"), (0, "FAILURE"), (1, "SUCCESS")]
)
def test_a_failed_run_meets_no_target_however_fast(exit_code, build_status):
    verdicts = _verdicts(_large_run(exit_code, build_status))
    for label in ("L end-to-end", "L peak memory"):
        met, margin = verdicts[label]
        assert met is False
        assert f"the run failed (exit code {exit_code}, build {build_status})" in margin
