"""Small assets whose runs exercise Dagster's storage: the tests of its SQLite and PostgreSQL
configurations materialize them."""

import dagster as dg

CHECKS = 20


@dg.asset
def probe() -> int:
    return 1


@dg.asset(
    check_specs=[dg.AssetCheckSpec(f"probe_check_{n}", asset="probes") for n in range(CHECKS)]
)
def probes():
    """Twenty checks: a run of some sixty events (planned, evaluated, step events)."""
    yield dg.Output(1)
    for n in range(CHECKS):
        yield dg.AssetCheckResult(check_name=f"probe_check_{n}", passed=True)
