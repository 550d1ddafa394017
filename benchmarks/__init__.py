"""Pipeline benchmarks: deterministic workloads and the harness that measures them."""
