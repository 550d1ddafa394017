"""Workbook ingestion: reading, pseudonymisation, archiving and loading into DuckDB."""
