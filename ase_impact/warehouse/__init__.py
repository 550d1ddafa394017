"""The DuckDB warehouse: connection and lock, schema from the seeds, loader, and every read."""
