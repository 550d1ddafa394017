"""The associations' portal: each association checks its monthly workbook with the pipeline's
own rules, then sends it into raw/; the département's project lead follows every association.

Its state (accounts, sessions, lockouts, pending uploads, receipts, audit log) lives in a small
SQLite database under the portal folder, never in the DuckDB warehouse; history is read from
the published read-only copy of the warehouse, which never blocks the pipeline.
"""
