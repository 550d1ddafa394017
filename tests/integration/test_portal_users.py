"""`ase-impact portal-user`: accounts created with argon2 hashes, never a password in clear."""

from __future__ import annotations

import io

from ase_impact.core.settings import load_settings
from ase_impact.portal.config import load_portal_config
from ase_impact.portal.store import Store
from tests.integration.cli_runs import run_cli


def add(monkeypatch, *arguments: str, password: str = "un-mot-de-passe-solide"):
    monkeypatch.setattr("sys.stdin", io.StringIO(password + "\n"))
    return run_cli("portal-user", "add", *arguments, "--password-stdin")


def test_accounts_are_added_listed_and_disabled(isolated_paths, monkeypatch):
    assert add(monkeypatch, "Agent.Cap", "--association", "cap-avenir").exit_code == 0
    assert add(monkeypatch, "chef-projet", "--admin").exit_code == 0
    assert add(monkeypatch, "agent.cap", "--association", "cap-avenir").exit_code == 1  # exists
    assert add(monkeypatch, "court", "--association", "cap-avenir", password="court").exit_code == 1
    assert add(monkeypatch, "x", "--association", "cap-avenir").exit_code == 2
    assert add(monkeypatch, "agent-bis", "--association", "Cap Avenir").exit_code == 2
    unknown = add(monkeypatch, "agent-z", "--association", "inconnue-z")
    assert unknown.exit_code == 0 and "n'est pas dans le registre" in unknown.stdout

    listing = run_cli("portal-user", "list").stdout.splitlines()
    assert listing == [
        "chef-projet · Département",
        "agent.cap · association cap-avenir",
        "agent-z · association inconnue-z",
    ]
    assert run_cli("portal-user", "disable", "agent.cap").exit_code == 0
    assert "agent.cap · association cap-avenir (désactivé)" in run_cli("portal-user", "list").stdout

    database = load_portal_config(load_settings()).database
    store = Store(database)
    assert store.account("chef-projet").password_hash.startswith("$argon2id$")
    assert b"un-mot-de-passe-solide" not in database.read_bytes()
    assert oct(database.stat().st_mode & 0o777) == "0o600"
