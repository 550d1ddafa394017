"""Intake of a received workbook: file checks, reading, validation, pseudonymisation, archive."""
