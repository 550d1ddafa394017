"""The portal's own state in one SQLite file: accounts, login failures and lockouts, sessions,
uploads checked and waiting to be sent, receipts of files sent, and the audit log.

Never the DuckDB warehouse (whose writer holds its lock for minutes during a run). Nothing of a
youth is stored here: uploads keep their counts and findings as the quality tables do (values
of personal columns masked), never a file name chosen by the association.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS accounts (
    username TEXT PRIMARY KEY,
    association_code TEXT,
    is_admin INTEGER NOT NULL,
    password_hash TEXT NOT NULL,
    created_at TEXT NOT NULL,
    disabled INTEGER NOT NULL DEFAULT 0,
    CHECK ((is_admin = 1) = (association_code IS NULL))
);
CREATE TABLE IF NOT EXISTS login_failures (
    subject TEXT NOT NULL,
    at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS login_failures_subject ON login_failures (subject, at);
CREATE TABLE IF NOT EXISTS lockouts (
    subject TEXT PRIMARY KEY,
    until REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS sessions (
    token_hash TEXT PRIMARY KEY,
    username TEXT NOT NULL REFERENCES accounts (username),
    csrf_token TEXT NOT NULL,
    expires_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS uploads (
    id TEXT PRIMARY KEY,
    username TEXT NOT NULL,
    association_code TEXT NOT NULL,
    period TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    size_bytes INTEGER NOT NULL,
    status TEXT NOT NULL,
    result TEXT NOT NULL,
    checked_at TEXT NOT NULL,
    expires_at REAL NOT NULL,
    sent_at TEXT
);
CREATE TABLE IF NOT EXISTS receipts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    association_code TEXT NOT NULL,
    period TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    size_bytes INTEGER NOT NULL,
    sent_at TEXT NOT NULL,
    username TEXT NOT NULL,
    upload_id TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    username TEXT,
    action TEXT NOT NULL,
    outcome TEXT NOT NULL,
    association_code TEXT,
    period TEXT,
    client TEXT,
    detail TEXT
);
"""
# A username as typed at sign-in is kept in the audit log up to this length.
AUDITED_NAME_LENGTH = 64


def now_text(moment: datetime | None = None) -> str:
    return (moment or datetime.now()).replace(microsecond=0).isoformat(sep=" ")


@dataclass(frozen=True)
class Account:
    username: str
    association_code: str | None  # None for the département's admin
    is_admin: bool
    password_hash: str
    disabled: bool


@dataclass(frozen=True)
class Upload:
    id: str
    username: str
    association_code: str
    period: str
    sha256: str
    size_bytes: int
    status: str
    result: dict
    checked_at: str
    expires_at: float
    sent_at: str | None


@dataclass(frozen=True)
class Receipt:
    id: int
    association_code: str
    period: str
    sha256: str
    size_bytes: int
    sent_at: str
    username: str
    upload_id: str


class Store:
    """The portal's SQLite database; one short connection per operation (thread-safe)."""

    def __init__(self, path: Path):
        self.path = path
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not path.exists():
            # Created readable by its owner only: it holds password hashes.
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
        with self._connection() as conn:
            conn.executescript(SCHEMA)

    @contextmanager
    def _connection(self) -> Iterator[sqlite3.Connection]:
        conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA foreign_keys=ON")
            conn.row_factory = sqlite3.Row
            yield conn
        finally:
            conn.close()

    # --- accounts ---------------------------------------------------------------------------

    def add_account(
        self, username: str, association_code: str | None, password_hash: str
    ) -> Account:
        with self._connection() as conn:
            conn.execute(
                "INSERT INTO accounts (username, association_code, is_admin, password_hash, "
                "created_at) VALUES (?, ?, ?, ?, ?)",
                [username, association_code, association_code is None, password_hash, now_text()],
            )
        return self.account(username)

    def account(self, username: str) -> Account | None:
        with self._connection() as conn:
            row = conn.execute(
                "SELECT username, association_code, is_admin, password_hash, disabled "
                "FROM accounts WHERE username = ?",
                [username],
            ).fetchone()
        return None if row is None else Account(*row[:2], bool(row[2]), row[3], bool(row[4]))

    def accounts(self) -> list[Account]:
        with self._connection() as conn:
            rows = conn.execute(
                "SELECT username, association_code, is_admin, password_hash, disabled "
                "FROM accounts ORDER BY is_admin DESC, association_code, username"
            ).fetchall()
        return [Account(*row[:2], bool(row[2]), row[3], bool(row[4])) for row in rows]

    def set_password(self, username: str, password_hash: str) -> None:
        """A new password; the account's sessions end (the old one may have leaked)."""
        with self._connection() as conn:
            conn.execute(
                "UPDATE accounts SET password_hash = ? WHERE username = ?",
                [password_hash, username],
            )
            conn.execute("DELETE FROM sessions WHERE username = ?", [username])

    def set_disabled(self, username: str, disabled: bool) -> None:
        with self._connection() as conn:
            conn.execute(
                "UPDATE accounts SET disabled = ? WHERE username = ?", [disabled, username]
            )
            if disabled:
                conn.execute("DELETE FROM sessions WHERE username = ?", [username])

    # --- login failures and lockouts ----------------------------------------------------------

    def failures_since(self, subject: str, since: float) -> int:
        with self._connection() as conn:
            return conn.execute(
                "SELECT count(*) FROM login_failures WHERE subject = ? AND at >= ?",
                [subject, since],
            ).fetchone()[0]

    def record_failure(self, subject: str, at: float) -> None:
        with self._connection() as conn:
            conn.execute("INSERT INTO login_failures (subject, at) VALUES (?, ?)", [subject, at])

    def clear_failures(self, subject: str) -> None:
        with self._connection() as conn:
            conn.execute("DELETE FROM login_failures WHERE subject = ?", [subject])

    def lock(self, subject: str, until: float) -> None:
        with self._connection() as conn:
            conn.execute(
                "INSERT INTO lockouts (subject, until) VALUES (?, ?) "
                "ON CONFLICT (subject) DO UPDATE SET until = excluded.until",
                [subject, until],
            )

    def locked_until(self, subject: str) -> float | None:
        with self._connection() as conn:
            row = conn.execute("SELECT until FROM lockouts WHERE subject = ?", [subject]).fetchone()
        return row[0] if row else None

    def unlock(self, subject: str) -> None:
        with self._connection() as conn:
            conn.execute("DELETE FROM lockouts WHERE subject = ?", [subject])
            conn.execute("DELETE FROM login_failures WHERE subject = ?", [subject])

    def forget_failures_before(self, moment: float) -> None:
        with self._connection() as conn:
            conn.execute("DELETE FROM login_failures WHERE at < ?", [moment])
            conn.execute("DELETE FROM lockouts WHERE until < ?", [moment])

    # --- sessions ---------------------------------------------------------------------------

    def add_session(self, token_hash: str, username: str, csrf_token: str, expires_at: float):
        with self._connection() as conn:
            conn.execute(
                "INSERT INTO sessions (token_hash, username, csrf_token, expires_at) "
                "VALUES (?, ?, ?, ?)",
                [token_hash, username, csrf_token, expires_at],
            )

    def session(self, token_hash: str, now: float) -> tuple[Account, str] | None:
        """The signed-in account and its CSRF token, for a live session of an enabled account."""
        with self._connection() as conn:
            row = conn.execute(
                "SELECT s.username, s.csrf_token FROM sessions s JOIN accounts a USING (username) "
                "WHERE s.token_hash = ? AND s.expires_at > ? AND NOT a.disabled",
                [token_hash, now],
            ).fetchone()
        if row is None:
            return None
        return self.account(row[0]), row[1]

    def delete_session(self, token_hash: str) -> None:
        with self._connection() as conn:
            conn.execute("DELETE FROM sessions WHERE token_hash = ?", [token_hash])

    def delete_expired_sessions(self, now: float) -> None:
        with self._connection() as conn:
            conn.execute("DELETE FROM sessions WHERE expires_at <= ?", [now])

    # --- uploads and receipts ----------------------------------------------------------------

    def add_upload(self, upload: Upload) -> None:
        with self._connection() as conn:
            conn.execute(
                "INSERT INTO uploads (id, username, association_code, period, sha256, size_bytes, "
                "status, result, checked_at, expires_at, sent_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    upload.id,
                    upload.username,
                    upload.association_code,
                    upload.period,
                    upload.sha256,
                    upload.size_bytes,
                    upload.status,
                    json.dumps(upload.result, ensure_ascii=False),
                    upload.checked_at,
                    upload.expires_at,
                    upload.sent_at,
                ],
            )

    def upload(self, upload_id: str, association_code: str) -> Upload | None:
        """An upload, only for the association it was made for (None for any other)."""
        with self._connection() as conn:
            row = conn.execute(
                "SELECT * FROM uploads WHERE id = ? AND association_code = ?",
                [upload_id, association_code],
            ).fetchone()
        return None if row is None else _upload(row)

    def expired_uploads(self, now: float) -> list[Upload]:
        with self._connection() as conn:
            rows = conn.execute(
                "SELECT * FROM uploads WHERE sent_at IS NULL AND expires_at <= ?", [now]
            ).fetchall()
        return [_upload(row) for row in rows]

    def unsent_uploads(self, association_code: str, period: str) -> list[Upload]:
        """The association's uploads for the month checked but not sent."""
        with self._connection() as conn:
            rows = conn.execute(
                "SELECT * FROM uploads WHERE association_code = ? AND period = ? "
                "AND sent_at IS NULL",
                [association_code, period],
            ).fetchall()
        return [_upload(row) for row in rows]

    def mark_sent(self, upload_id: str, receipt: Receipt) -> int:
        """Record the receipt and mark the upload sent, once; returns the receipt's id."""
        with self._connection() as conn:
            conn.execute("BEGIN IMMEDIATE")
            updated = conn.execute(
                "UPDATE uploads SET sent_at = ? WHERE id = ? AND sent_at IS NULL",
                [receipt.sent_at, upload_id],
            ).rowcount
            if not updated:
                conn.execute("ROLLBACK")
                raise LookupError(upload_id)
            cursor = conn.execute(
                "INSERT INTO receipts (association_code, period, sha256, size_bytes, sent_at, "
                "username, upload_id) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [
                    receipt.association_code,
                    receipt.period,
                    receipt.sha256,
                    receipt.size_bytes,
                    receipt.sent_at,
                    receipt.username,
                    upload_id,
                ],
            )
            conn.execute("COMMIT")
            return cursor.lastrowid

    def receipts(
        self, association_code: str | None = None, period: str | None = None
    ) -> list[Receipt]:
        """Receipts of files sent, newest first, of one association and/or month if given."""
        with self._connection() as conn:
            rows = conn.execute(
                "SELECT id, association_code, period, sha256, size_bytes, sent_at, username, "
                "upload_id FROM receipts WHERE (? IS NULL OR association_code = ?) "
                "AND (? IS NULL OR period = ?) ORDER BY id DESC",
                [association_code, association_code, period, period],
            ).fetchall()
        return [Receipt(*row) for row in rows]

    def receipt_for_upload(self, upload_id: str) -> Receipt | None:
        with self._connection() as conn:
            row = conn.execute(
                "SELECT id, association_code, period, sha256, size_bytes, sent_at, username, "
                "upload_id FROM receipts WHERE upload_id = ?",
                [upload_id],
            ).fetchone()
        return None if row is None else Receipt(*row)

    # --- audit log ---------------------------------------------------------------------------

    def audit(
        self,
        action: str,
        outcome: str,
        username: str | None = None,
        association_code: str | None = None,
        period: str | None = None,
        client: str | None = None,
        detail: str | None = None,
    ) -> None:
        """One line of the audit log: who did what, when, from where; never a youth's data."""
        with self._connection() as conn:
            conn.execute(
                "INSERT INTO audit (at, username, action, outcome, association_code, period, "
                "client, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    now_text(),
                    username[:AUDITED_NAME_LENGTH] if username else None,
                    action,
                    outcome,
                    association_code,
                    period,
                    client,
                    detail,
                ],
            )

    def audit_lines(self, limit: int = 200) -> list[dict]:
        with self._connection() as conn:
            rows = conn.execute(
                "SELECT at, username, action, outcome, association_code, period, client, detail "
                "FROM audit ORDER BY id DESC LIMIT ?",
                [limit],
            ).fetchall()
        return [dict(row) for row in rows]


def _upload(row: sqlite3.Row) -> Upload:
    values = dict(row)
    values["result"] = json.loads(values["result"])
    return Upload(**values)
