"""The Dagster layer over the ase_impact library: assets, jobs, sensors, schedules, resources."""
