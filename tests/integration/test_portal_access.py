"""Who may see and do what in the portal: the authorisation matrix.

Association A (cap-avenir) cannot see, download, upload or send for association B
(envol-mentorat), by URL, by form field or by a forged month; anonymous requests are sent to
the sign-in page; a form without its CSRF token is refused; the sixth wrong password within a
minute is refused even when it is the right one.
"""

from __future__ import annotations

import io
import time

import pytest
from openpyxl import load_workbook
from starlette.testclient import TestClient

from ase_impact.core.keys import FIRST_PERIOD
from ase_impact.portal.auth import (
    LOCKOUT_SECONDS,
    MAX_FAILURES_PER_ACCOUNT,
    MAX_FAILURES_PER_CLIENT,
)
from tests.integration.cli_runs import run_cli
from tests.integration.portal_fixtures import (
    CAP,
    ENVOL,
    PASSWORD,
    PERIOD,
    csrf_of,
    make_portal,
)
from tests.integration.sample_rows import write_submission

PROTECTED_PAGES = [
    "/espace",
    "/espace/modele?periode=2026-10",
    "/espace/modele-prerempli?periode=2026-10",
    "/espace/depots/" + "a" * 32,
    "/espace/depots/" + "a" * 32 + "/retour",
    "/espace/retours/2026-10",
    "/admin",
    "/admin/retours/2026-10/cap-avenir",
    "/admin/journal",
]
PROTECTED_FORMS = ["/espace/depots", "/espace/depots/" + "a" * 32 + "/envoyer", "/deconnexion"]


@pytest.fixture
def workbook(settings, tmp_path) -> bytes:
    return write_submission(tmp_path / "source", PERIOD, CAP).read_bytes()


@pytest.fixture
def envol_workbook(tmp_path) -> bytes:
    return write_submission(tmp_path / "source_envol", PERIOD, ENVOL).read_bytes()


def audit_actions(portal) -> list[tuple[str, str, str | None]]:
    return [
        (line["action"], line["outcome"], line["username"])
        for line in reversed(portal.app.state.portal.store.audit_lines())
    ]


@pytest.mark.parametrize("path", PROTECTED_PAGES)
def test_anonymous_pages_redirect_to_sign_in(portal, path):
    response = portal.client().get(path)
    assert (response.status_code, response.headers["location"]) == (303, "/connexion")


@pytest.mark.parametrize("path", PROTECTED_FORMS)
def test_anonymous_forms_redirect_to_sign_in_and_write_nothing(portal, path, workbook):
    response = portal.client().post(
        path, data={"periode": PERIOD}, files={"fichier": ("x.xlsx", workbook)}
    )
    assert (response.status_code, response.headers["location"]) == (303, "/connexion")
    assert portal.files_written() == []
    assert list(portal.config.pending_dir.iterdir()) == []


def test_a_forged_session_cookie_is_anonymous(portal):
    client = portal.client()
    client.cookies.set("ase_portail_session", "jeton-invente.signature")
    assert client.get("/espace").headers["location"] == "/connexion"


def test_an_association_cannot_reach_another_ones_upload(portal, workbook):
    cap = portal.signed_in("agent-cap")
    upload_id = cap.upload_id(workbook)
    envol = portal.signed_in("agent-envol")
    for path in (f"/espace/depots/{upload_id}", f"/espace/depots/{upload_id}/retour"):
        response = envol.client.get(path)
        assert response.status_code == 404
        assert upload_id not in response.text
    assert envol.send(upload_id).status_code == 404
    assert portal.files_written() == []
    # Its owner still can, and sends it as its own file.
    assert cap.client.get(f"/espace/depots/{upload_id}").status_code == 200
    assert cap.send(upload_id).status_code == 303
    assert portal.files_written() == ["raw/2026-10/cap-avenir.xlsx"]
    assert ("acces_depot", "refuse", "agent-envol") in audit_actions(portal)


def test_the_association_comes_from_the_account_never_from_the_form(portal, workbook):
    """B uploads A's file claiming to be A: checked as B's, so refused (code mismatch)."""
    envol = portal.signed_in("agent-envol")
    response = envol.client.post(
        "/espace/depots",
        data={"csrf": envol.csrf(), "periode": PERIOD, "association": CAP},
        files={"fichier": ("cap-avenir.xlsx", workbook)},
    )
    assert response.status_code == 400  # an unknown field: the form is refused whole
    upload_id = envol.upload_id(workbook, file_name="cap-avenir.xlsx")
    page = envol.client.get(f"/espace/depots/{upload_id}").text
    assert (
        "le fichier indique le code association cap-avenir mais a été déposé pour "
        "l&#39;association envol-mentorat." in page
    )
    assert envol.send(upload_id).status_code == 409
    assert portal.files_written() == []


@pytest.mark.parametrize(
    "period", ["2026-12", "2027-01", "2025-12", "2026-13", "../2026-10", "2026-10/../..", ""]
)
def test_a_forged_month_is_refused(portal, workbook, period):
    cap = portal.signed_in("agent-cap")
    response = cap.upload(workbook, period=period)
    assert response.status_code == 400
    assert "Période invalide." in response.text
    assert list(portal.config.pending_dir.iterdir()) == []
    for path in (f"/espace?periode={period}", f"/espace/modele?periode={period}"):
        assert cap.client.get(path).status_code in (400, 404)


def test_the_open_months_run_from_the_first_supported_one_to_this_one(portal):
    page = portal.signed_in("agent-cap").client.get("/espace").text
    assert f'<option value="{FIRST_PERIOD}">' in page
    assert '<option value="2026-11">' in page and "2026-12" not in page
    assert '<option value="2026-10" selected>' in page  # due on 10/11: the month reported


def test_a_template_is_always_the_accounts_own(portal):
    envol = portal.signed_in("agent-envol")
    response = envol.client.get(f"/espace/modele?periode={PERIOD}&association={CAP}")
    assert response.status_code == 200
    assert response.headers["content-disposition"] == (
        'attachment; filename="2026-10_envol-mentorat.xlsx"'
    )
    identity = load_workbook(io.BytesIO(response.content))["Paramètres figés"]
    assert (identity["B2"].value, identity["B3"].value) == (ENVOL, PERIOD)


def test_department_pages_are_refused_to_associations(portal):
    cap = portal.signed_in("agent-cap")
    for path in ("/admin", "/admin/journal", f"/admin/retours/{PERIOD}/{ENVOL}"):
        response = cap.client.get(path)
        assert response.status_code == 403
        assert "Page réservée au Département." in response.text
    assert ("acces_admin", "refuse", "agent-cap") in audit_actions(portal)


def test_an_association_downloads_only_its_own_feedback(portal, settings):
    for code in (CAP, ENVOL):
        path = settings.outputs_dir / PERIOD / "retours" / f"{code}.xlsx"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(code.encode())
    envol = portal.signed_in("agent-envol")
    assert envol.client.get(f"/espace/retours/{PERIOD}").content == ENVOL.encode()
    for path in (
        f"/espace/retours/{PERIOD}?association={CAP}",
        f"/espace/retours/{PERIOD}/../../{CAP}",
        f"/espace/retours/..%2F{PERIOD}",
    ):
        response = envol.client.get(path)
        assert response.content != CAP.encode()
    admin = portal.signed_in("chef-projet")
    assert admin.client.get(f"/admin/retours/{PERIOD}/{CAP}").content == CAP.encode()
    assert admin.client.get(f"/admin/retours/{PERIOD}/..%2F{CAP}").status_code == 404
    assert admin.client.get("/espace").headers["location"] == "/admin"


def test_forms_without_their_csrf_token_are_refused(portal, workbook):
    cap = portal.signed_in("agent-cap")
    upload_id = cap.upload_id(workbook)
    # An upload without a token, or with another session's: nothing is written.
    other = portal.signed_in("agent-cap").csrf()
    for token in (None, other, "x" * 43):
        data = {"periode": PERIOD} | ({"csrf": token} if token else {})
        response = cap.client.post(
            "/espace/depots", data=data, files={"fichier": ("x.xlsx", workbook)}
        )
        assert response.status_code == 403
    assert sorted(p.name for p in portal.config.pending_dir.iterdir()) == [
        f"{upload_id}.retour.xlsx",
        f"{upload_id}.xlsx",
    ]
    # The file part is refused when it comes before the token (nothing written either).
    boundary = "frontiere"
    body = (
        (
            f"--{boundary}\r\nContent-Disposition: form-data; "
            'name="fichier"; filename="x.xlsx"\r\n\r\n'
        ).encode()
        + workbook
        + (
            f'\r\n--{boundary}\r\nContent-Disposition: form-data; name="csrf"\r\n\r\n'
            f"{cap.csrf()}\r\n--{boundary}--\r\n"
        ).encode()
    )
    response = cap.client.post(
        "/espace/depots",
        content=body,
        headers={"content-type": f"multipart/form-data; boundary={boundary}"},
    )
    assert response.status_code == 403
    assert len(list(portal.config.pending_dir.iterdir())) == 2
    # Sending, signing out and signing in without their token.
    response = cap.client.post(f"/espace/depots/{upload_id}/envoyer", data={"csrf": ""})
    assert response.status_code == 403
    assert portal.files_written() == []
    assert cap.client.post("/deconnexion", data={"csrf": "faux"}).status_code == 403
    anonymous = portal.client()
    anonymous.get("/connexion")
    response = anonymous.post(
        "/connexion", data={"identifiant": "agent-cap", "mot_de_passe": PASSWORD}
    )
    assert response.status_code == 403
    assert "ase_portail_session" not in response.cookies


def test_the_sixth_wrong_password_in_a_minute_is_refused_even_when_right(portal):
    client = portal.client()

    def attempt(password: str):
        token = csrf_of(client.get("/connexion").text)
        return client.post(
            "/connexion",
            data={"csrf": token, "identifiant": "agent-cap", "mot_de_passe": password},
        )

    for _ in range(MAX_FAILURES_PER_ACCOUNT):
        response = attempt("mauvais-mot-de-passe")
        assert response.status_code == 401
        assert "Identifiant ou mot de passe incorrect." in response.text
    response = attempt(PASSWORD)
    assert response.status_code == 429
    assert "la connexion est bloquée pendant 15 minutes" in response.text
    assert "ase_portail_session" not in response.cookies
    # Another account is not locked by it, and the lock lifts after its time.
    assert portal.signed_in("agent-envol")
    store = portal.app.state.portal.store
    store.lock("compte:agent-cap", time.time() - 1)
    assert portal.signed_in("agent-cap")
    outcomes = [outcome for action, outcome, user in audit_actions(portal) if user == "agent-cap"]
    assert outcomes == ["identifiants"] * 5 + ["verrouille", "reussie"]
    assert LOCKOUT_SECONDS == 15 * 60


def test_an_unknown_name_is_answered_as_a_wrong_password_and_never_kept(portal):
    client = portal.client()
    typed = "Secret-Mot2Passe"  # a password typed in the name's field
    token = csrf_of(client.get("/connexion").text)
    response = client.post(
        "/connexion", data={"csrf": token, "identifiant": typed, "mot_de_passe": PASSWORD}
    )
    assert response.status_code == 401
    assert "Identifiant ou mot de passe incorrect." in response.text
    assert audit_actions(portal)[-1] == ("connexion", "identifiants", None)
    database = portal.config.database.read_bytes()
    wal = portal.config.database.with_name(portal.config.database.name + "-wal")
    assert typed.lower().encode() not in database + (wal.read_bytes() if wal.exists() else b"")


def test_the_departement_unlocks_an_address_locked_by_failures(portal):
    client = portal.client()

    def attempt(username: str, password: str) -> int:
        token = csrf_of(client.get("/connexion").text)
        data = {"csrf": token, "identifiant": username, "mot_de_passe": password}
        return client.post("/connexion", data=data).status_code

    for number in range(MAX_FAILURES_PER_CLIENT):
        assert attempt(f"essai-{number}", "faux") == 401
    # Every account at that address is locked out, the Département's too.
    assert attempt("chef-projet", PASSWORD) == 429
    assert run_cli("portal-user", "unlock", "chef-projet").exit_code == 0  # not enough
    assert attempt("chef-projet", PASSWORD) == 429

    unlocked = run_cli("portal-user", "unlock-client", "testclient")

    assert (unlocked.exit_code, unlocked.stdout) == (0, "Adresse « testclient » débloquée.\n")
    assert attempt("chef-projet", PASSWORD) == 303


def test_session_cookie_flags_and_security_headers(portal):
    client = portal.client()
    page = client.get("/connexion")
    response = client.post(
        "/connexion",
        data={"csrf": csrf_of(page.text), "identifiant": "agent-cap", "mot_de_passe": PASSWORD},
    )
    cookie = next(
        value
        for name, value in response.headers.multi_items()
        if name == "set-cookie" and value.startswith("ase_portail_session=")
    )
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/" in cookie
    assert "Secure" not in cookie  # plain HTTP in tests; see the secure configuration below
    page = client.get("/espace")
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["cache-control"] == "no-store"
    assert "script-src" not in page.headers["content-security-policy"]
    assert "default-src 'none'" in page.headers["content-security-policy"]
    assert "<script" not in page.text and " style=" not in page.text


def test_behind_https_cookies_are_secure_and_host_bound(settings):
    secure = make_portal(settings, secure_cookies=True)
    client = secure.client()
    client.base_url = "https://testserver"
    page = client.get("https://testserver/connexion")
    cookie = page.headers["set-cookie"]
    assert cookie.startswith("__Host-ase_portail_connexion=") and "Secure" in cookie
    assert "strict-transport-security" in page.headers


def test_a_disabled_account_loses_its_session(portal):
    cap = portal.signed_in("agent-cap")
    portal.app.state.portal.store.set_disabled("agent-cap", True)
    assert cap.client.get("/espace").headers["location"] == "/connexion"


def test_a_new_password_ends_the_accounts_sessions(portal, monkeypatch):
    cap, envol = portal.signed_in("agent-cap"), portal.signed_in("agent-envol")
    monkeypatch.setattr("sys.stdin", io.StringIO("un-nouveau-mot-de-passe-9\n"))
    assert run_cli("portal-user", "password", "agent-cap", "--password-stdin").exit_code == 0
    assert cap.client.get("/espace").headers["location"] == "/connexion"
    assert envol.client.get("/espace").status_code == 200


def test_an_unexpected_error_is_a_french_page(portal, monkeypatch):
    def fails(*_):
        raise RuntimeError("boom")

    monkeypatch.setattr("ase_impact.portal.status.association_history", fails)
    client = TestClient(portal.app, raise_server_exceptions=False, follow_redirects=False)
    cap = portal.signed_in("agent-cap")
    client.cookies = cap.client.cookies
    page = client.get("/espace")
    assert page.status_code == 500
    assert "Une erreur inattendue" in page.text and 'lang="fr"' in page.text


def test_signing_out_ends_the_session(portal):
    cap = portal.signed_in("agent-cap")
    cookie = cap.client.cookies.get("ase_portail_session")
    assert cap.client.post("/deconnexion", data={"csrf": cap.csrf()}).status_code == 303
    replay = portal.client()
    replay.cookies.set("ase_portail_session", cookie)
    assert replay.get("/espace").headers["location"] == "/connexion"
