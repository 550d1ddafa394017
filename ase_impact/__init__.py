"""ase-impact, the product library: contracts, intake, warehouse, publication, gate and CLI.

Nothing here imports Dagster: orchestration/ wraps this library in Dagster assets, jobs,
sensors and schedules.
"""
