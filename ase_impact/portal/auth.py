"""Signing in: argon2 password hashes, throttled attempts, server-side sessions in signed
cookies, CSRF tokens.

A session cookie holds a random token signed with the portal's secret; the database keeps only
the token's SHA-256, its account, its CSRF token and its expiry, so signing out or disabling an
account ends the session at once. Five wrong passwords for one account within a minute lock it
for a quarter of an hour (the right password is then refused too); twenty failures from one
client within a minute lock that client likewise.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from itsdangerous import BadSignature, Signer

from ase_impact.portal.store import Account, Store

MIN_PASSWORD_LENGTH = 12
USERNAME = re.compile(r"[a-z0-9][a-z0-9._@-]{2,63}")
FAILURE_WINDOW_SECONDS = 60
MAX_FAILURES_PER_ACCOUNT = 5
MAX_FAILURES_PER_CLIENT = 20
LOCKOUT_SECONDS = 15 * 60
TOKEN_BYTES = 32

_hasher = PasswordHasher()
# Verified against when the account does not exist, so that an unknown name takes as long.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


class PasswordRefused(ValueError):
    """A password too weak to be set; the message is French."""


def normalise_username(username: str) -> str:
    return username.strip().casefold()


def check_new_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise PasswordRefused(
            f"Mot de passe trop court : {MIN_PASSWORD_LENGTH} caractères au moins."
        )
    if len(set(password)) < 5:
        raise PasswordRefused("Mot de passe trop simple : variez les caractères.")


def hash_password(password: str) -> str:
    check_new_password(password)
    return _hasher.hash(password)


def _password_matches(account: Account | None, password: str) -> bool:
    try:
        return _hasher.verify(account.password_hash if account else _DUMMY_HASH, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


@dataclass(frozen=True)
class SignIn:
    """The outcome of a sign-in attempt: the account, or why it was refused (for the audit)."""

    account: Account | None
    refusal: str | None  # "verrouille", "identifiants", or None when signed in
    # The account's name when one was named: what was typed otherwise (a password typed in
    # the wrong field, say) is never kept.
    username: str | None = None


def account_subject(username: str) -> str:
    return f"compte:{username}"


def client_subject(client: str) -> str:
    return f"client:{client}"


def sign_in(store: Store, username: str, password: str, client: str) -> SignIn:
    """Check a password, unless the account or the client is locked out."""
    now = time.time()
    username = normalise_username(username)
    account = store.account(username) if USERNAME.fullmatch(username) else None
    known = account.username if account else None
    # Failures count against the client, and against an account only when there is one.
    subjects = [(client_subject(client), MAX_FAILURES_PER_CLIENT)]
    if account is not None:
        subjects.insert(0, (account_subject(account.username), MAX_FAILURES_PER_ACCOUNT))
    store.forget_failures_before(now - max(FAILURE_WINDOW_SECONDS, LOCKOUT_SECONDS))
    for subject, _ in subjects:
        until = store.locked_until(subject)
        if until is not None and until > now:
            return SignIn(None, "verrouille", known)
    matches = _password_matches(account, password)
    if account is not None and matches and not account.disabled:
        store.clear_failures(account_subject(account.username))
        return SignIn(account, None, known)
    since = now - FAILURE_WINDOW_SECONDS
    for subject, limit in subjects:
        store.record_failure(subject, now)
        if store.failures_since(subject, since) >= limit:
            store.lock(subject, now + LOCKOUT_SECONDS)
    return SignIn(None, "identifiants", known)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Sessions:
    """Signed session cookies backed by the sessions table."""

    def __init__(self, store: Store, secret: bytes, lifetime_seconds: int):
        self.store = store
        self.lifetime_seconds = lifetime_seconds
        self._session_signer = Signer(secret, salt="ase-impact-portal-session")
        self._login_signer = Signer(secret, salt="ase-impact-portal-login-form")

    def open(self, account: Account) -> str:
        """A new session for the account; returns the cookie's value."""
        token = secrets.token_urlsafe(TOKEN_BYTES)
        csrf_token = secrets.token_urlsafe(TOKEN_BYTES)
        now = time.time()
        self.store.delete_expired_sessions(now)
        self.store.add_session(
            _token_hash(token), account.username, csrf_token, now + self.lifetime_seconds
        )
        return self._session_signer.sign(token).decode()

    def _token(self, cookie: str | None) -> str | None:
        if not cookie:
            return None
        try:
            return self._session_signer.unsign(cookie).decode()
        except (BadSignature, UnicodeDecodeError):
            return None

    def current(self, cookie: str | None) -> tuple[Account, str] | None:
        """(account, CSRF token) of a valid session cookie; None for anything else."""
        token = self._token(cookie)
        if token is None:
            return None
        return self.store.session(_token_hash(token), time.time())

    def close(self, cookie: str | None) -> None:
        token = self._token(cookie)
        if token is not None:
            self.store.delete_session(_token_hash(token))

    # The sign-in form has no session yet: its CSRF token is a random value, sent both in a
    # signed cookie and in the form (double submit); a forged form cannot know the cookie's.
    def login_form_token(self) -> tuple[str, str]:
        """(cookie value, form value) for a new sign-in form."""
        token = secrets.token_urlsafe(TOKEN_BYTES)
        return self._login_signer.sign(token).decode(), token

    def login_form_token_matches(self, cookie: str | None, submitted: str | None) -> bool:
        if not cookie or not submitted:
            return False
        try:
            token = self._login_signer.unsign(cookie).decode()
        except (BadSignature, UnicodeDecodeError):
            return False
        return hmac.compare_digest(token.encode(), submitted.encode())


def csrf_matches(expected: str, submitted: str | None) -> bool:
    """Constant-time comparison of a form's CSRF token with the session's."""
    return bool(submitted) and hmac.compare_digest(expected.encode(), submitted.encode())
