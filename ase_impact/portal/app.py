"""The portal's web application: server-rendered French pages, plain HTML forms, no script.

An association's account sees only its own space, whose URLs never name an association: the
code always comes from the signed-in account. The admin account (the département's project
lead) sees every association's status for a month. Every form carries a CSRF token; every
sign-in, upload, send and download goes to the audit log.
"""

from __future__ import annotations

import asyncio
import io
import re
import threading
from collections.abc import Awaitable, Callable
from datetime import date, datetime
from pathlib import Path
from urllib.parse import parse_qs

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from ase_impact.core.deadlines import due_date
from ase_impact.core.keys import open_periods
from ase_impact.core.registry import load_registry
from ase_impact.core.settings import Settings, load_settings
from ase_impact.portal import status as portal_status
from ase_impact.portal.auth import Sessions, csrf_matches, sign_in
from ase_impact.portal.config import PortalConfig, load_portal_config, load_secret
from ase_impact.portal.store import Account, Store
from ase_impact.portal.uploads import (
    UploadRefused,
    check_upload,
    forget_expired,
    new_upload_id,
    pending_feedback,
    pending_workbook,
    receive_form,
    replaced_message,
    replacing_receipt,
    send_upload,
)
from ase_impact.publish.feedback import ANOMALY_HEADERS, feedback_path, finding_label, next_step
from ase_impact.publish.template import build_prefilled_template, build_template

PACKAGE_DIR = Path(__file__).parent
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
UPLOAD_ID = re.compile(r"[A-Za-z0-9_-]{32}")
MAX_FORM_BYTES = 16 * 1024
FINDINGS_SHOWN = 500
# Checks run in worker threads: at most this many workbooks are read at once.
CONCURRENT_CHECKS = 2
SECURITY_HEADERS = {
    "content-security-policy": (
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "cross-origin-opener-policy": "same-origin",
    "cross-origin-resource-policy": "same-origin",
    "permissions-policy": "camera=(), microphone=(), geolocation=()",
}


class SecurityHeaders:
    """Adds the security headers to every response; pages are never cached (they hold data)."""

    def __init__(self, app, secure: bool):
        self.app = app
        self.headers = [(k.encode(), v.encode()) for k, v in SECURITY_HEADERS.items()]
        if secure:
            self.headers.append((b"strict-transport-security", b"max-age=31536000"))

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        is_static = scope["path"].startswith("/static/")

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                headers = [h for h in message.get("headers", []) if h[0] != b"cache-control"]
                headers += self.headers
                headers.append(
                    (b"cache-control", b"public, max-age=3600" if is_static else b"no-store")
                )
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


class Portal:
    """The portal's state and pages, around one Starlette application."""

    def __init__(self, settings: Settings, config: PortalConfig, today: Callable[[], date]):
        self.settings = settings
        self.config = config
        self.today = today
        config.portal_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        config.pending_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.store = Store(config.database)
        self.sessions = Sessions(self.store, load_secret(config), config.session_seconds)
        self.templates = Jinja2Templates(directory=PACKAGE_DIR / "templates")
        self.templates.env.globals["status_class"] = _status_class
        # The feedback workbook's columns and « Gravité » labels, « À vérifier » included.
        self.templates.env.globals["anomaly_headers"] = ANOMALY_HEADERS
        self.templates.env.globals["finding_label"] = finding_label
        self.templates.env.filters["quand"] = _french_moment
        self.checks = asyncio.Semaphore(CONCURRENT_CHECKS)
        self.send_lock = threading.Lock()
        prefix = "__Host-" if config.secure_cookies else ""
        self.session_cookie = prefix + "ase_portail_session"
        self.login_cookie = prefix + "ase_portail_connexion"
        forget_expired(config, self.store)

    # --- plumbing ---------------------------------------------------------------------------

    def client(self, request: Request) -> str:
        # Behind the reverse proxy, uvicorn puts the forwarded address here, and only when the
        # request comes from a trusted proxy (ase-impact portal --trusted-proxies).
        return request.client.host if request.client else "inconnu"

    def audit(self, request: Request, action: str, outcome: str, account=None, **values) -> None:
        self.store.audit(
            action,
            outcome,
            username=values.pop("username", account.username if account else None),
            association_code=values.pop(
                "association_code", account.association_code if account else None
            ),
            client=self.client(request),
            **values,
        )

    def page(self, request: Request, name: str, status_code: int = 200, **context) -> Response:
        context.setdefault("account", None)
        return self.templates.TemplateResponse(request, name, context, status_code=status_code)

    def error(self, request: Request, status_code: int, message: str, account=None) -> Response:
        return self.page(request, "erreur.html", status_code, message=message, account=account)

    def set_cookie(self, response: Response, name: str, value: str, max_age: int) -> None:
        response.set_cookie(
            name,
            value,
            max_age=max_age,
            path="/",
            httponly=True,
            samesite="strict",
            secure=self.config.secure_cookies,
        )

    def signed_in(self, request: Request) -> tuple[Account, str] | None:
        return self.sessions.current(request.cookies.get(self.session_cookie))

    async def small_form(self, request: Request) -> dict[str, str]:
        """An url-encoded form of a few fields; larger bodies are refused unread."""
        content_type = request.headers.get("content-type", "").split(";")[0].strip()
        if content_type != "application/x-www-form-urlencoded":
            raise UploadRefused(400, "Formulaire invalide.")
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > MAX_FORM_BYTES:
            raise UploadRefused(413, "Formulaire trop volumineux.")
        body = bytearray()
        async for chunk in request.stream():
            body += chunk
            if len(body) > MAX_FORM_BYTES:
                raise UploadRefused(413, "Formulaire trop volumineux.")
        fields = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
        return {name: values[0] for name, values in fields.items()}

    def periods(self) -> list[str]:
        return open_periods(self.today())

    def default_period(self) -> str:
        """The month being reported: last month until its deadline has passed, then this one."""
        periods = self.periods()
        if len(periods) > 1 and self.today() <= due_date(periods[1]):
            return periods[1]
        return periods[0]

    def chosen_period(self, value: str | None) -> str | None:
        """A period from a request, only if it is one of the open months (else None)."""
        if value is None:
            return self.default_period()
        return next((period for period in self.periods() if period == value), None)

    # --- signing in and out -----------------------------------------------------------------

    async def home(self, request: Request) -> Response:
        session = self.signed_in(request)
        if session is None:
            return RedirectResponse("/connexion", 303)
        return RedirectResponse("/admin" if session[0].is_admin else "/espace", 303)

    def login_page(self, request: Request, status_code: int = 200, message: str | None = None):
        cookie, token = self.sessions.login_form_token()
        response = self.page(request, "connexion.html", status_code, csrf=token, message=message)
        self.set_cookie(response, self.login_cookie, cookie, 3600)
        return response

    async def login_form(self, request: Request) -> Response:
        if self.signed_in(request) is not None:
            return RedirectResponse("/", 303)
        return self.login_page(request)

    async def login(self, request: Request) -> Response:
        form = await self.small_form(request)
        username = form.get("identifiant", "")
        if not self.sessions.login_form_token_matches(
            request.cookies.get(self.login_cookie), form.get("csrf")
        ):
            self.audit(request, "connexion", "refusee_csrf")  # what was typed is not kept
            return self.login_page(request, 403, "Formulaire expiré : saisissez à nouveau.")
        client = self.client(request)
        outcome = await run_in_threadpool(
            sign_in, self.store, username, form.get("mot_de_passe", ""), client
        )
        if outcome.account is None:
            self.audit(request, "connexion", outcome.refusal, username=outcome.username)
            if outcome.refusal == "verrouille":
                return self.login_page(
                    request,
                    429,
                    "Trop de tentatives : la connexion est bloquée pendant 15 minutes. "
                    "Réessayez plus tard ou contactez le Département.",
                )
            return self.login_page(request, 401, "Identifiant ou mot de passe incorrect.")
        self.audit(request, "connexion", "reussie", outcome.account)
        response = RedirectResponse("/", 303)
        response.delete_cookie(self.login_cookie, path="/")
        cookie = self.sessions.open(outcome.account)
        self.set_cookie(response, self.session_cookie, cookie, self.config.session_seconds)
        return response

    async def logout(self, request: Request) -> Response:
        session = self.signed_in(request)
        if session is None:
            return RedirectResponse("/connexion", 303)
        account, csrf = session
        form = await self.small_form(request)
        if not csrf_matches(csrf, form.get("csrf")):
            self.audit(request, "deconnexion", "refusee_csrf", account)
            return self.error(request, 403, "Formulaire expiré : rechargez la page.", account)
        self.sessions.close(request.cookies.get(self.session_cookie))
        self.audit(request, "deconnexion", "reussie", account)
        response = RedirectResponse("/connexion", 303)
        response.delete_cookie(self.session_cookie, path="/")
        return response

    # --- an association's space -------------------------------------------------------------

    def _for_role(admin: bool):  # noqa: N805
        """Guard a page for signed-in accounts of one role: anonymous requests go to sign-in;
        an admin on an association page goes to its own; an association on an admin page is
        refused and audited."""

        def guard(handler: Callable[..., Awaitable[Response]]):
            async def guarded(self, request: Request) -> Response:
                session = self.signed_in(request)
                if session is None:
                    return RedirectResponse("/connexion", 303)
                account, csrf = session
                if account.is_admin and not admin:
                    return RedirectResponse("/admin", 303)
                if admin and not account.is_admin:
                    self.audit(request, "acces_admin", "refuse", account, detail=request.url.path)
                    return self.error(request, 403, "Page réservée au Département.", account)
                return await handler(self, request, account, csrf)

            return guarded

        return guard

    association_only = _for_role(admin=False)
    admin_only = _for_role(admin=True)

    @association_only
    async def space(self, request: Request, account: Account, csrf: str) -> Response:
        period = self.chosen_period(request.query_params.get("periode"))
        if period is None:
            return self.error(request, 400, "Période invalide.", account)
        code = account.association_code
        history = await run_in_threadpool(
            portal_status.association_history, self.settings, self.store, code
        )
        prefilled = await run_in_threadpool(
            portal_status.has_last_accepted_file, self.settings, code, period
        )
        return self.page(
            request,
            "espace.html",
            account=account,
            csrf=csrf,
            period=period,
            periods=self.periods(),
            due=due_date(period).strftime("%d/%m/%Y"),
            prefilled=prefilled,
            history=history,
            max_megabytes=self.config.max_upload_bytes // (1024 * 1024),
        )

    def workbook_download(self, book, file_name: str) -> Response:
        buffer = io.BytesIO()
        book.save(buffer)
        return Response(
            buffer.getvalue(),
            media_type=XLSX_TYPE,
            headers={"content-disposition": f'attachment; filename="{file_name}"'},
        )

    @association_only
    async def blank_template(self, request: Request, account: Account, csrf: str) -> Response:
        period = self.chosen_period(request.query_params.get("periode"))
        if period is None:
            return self.error(request, 400, "Période invalide.", account)
        code = account.association_code
        book = await run_in_threadpool(build_template, code, period)
        self.audit(request, "telechargement_modele", "reussi", account, period=period)
        return self.workbook_download(book, f"{period}_{code}.xlsx")

    @association_only
    async def prefilled_template(self, request: Request, account: Account, csrf: str):
        period = self.chosen_period(request.query_params.get("periode"))
        if period is None:
            return self.error(request, 400, "Période invalide.", account)
        code = account.association_code

        def build():
            pairs = portal_status.last_accepted_pairs(self.settings, code, period)
            return None if pairs is None else build_prefilled_template(code, period, pairs)

        book = await run_in_threadpool(build)
        if book is None:
            return self.error(request, 404, "Aucun fichier accepté à reprendre.", account)
        # The rows hold names: served to this association only, never logged nor kept.
        self.audit(request, "telechargement_modele_prerempli", "reussi", account, period=period)
        return self.workbook_download(book, f"{period}_{code}_prerempli.xlsx")

    @association_only
    async def upload(self, request: Request, account: Account, csrf: str) -> Response:
        upload_id = new_upload_id()
        destination = pending_workbook(self.config, upload_id)
        await run_in_threadpool(forget_expired, self.config, self.store)
        try:
            self.registered_or_refused(account)
            form = await receive_form(
                request, destination, self.config, lambda token: csrf_matches(csrf, token)
            )
            if not csrf_matches(csrf, form.fields.get("csrf")):
                raise UploadRefused(403, "Formulaire expiré ou invalide : rechargez la page.")
            period = self.chosen_period(form.fields.get("periode", ""))
            if period is None:
                raise UploadRefused(400, "Période invalide.")
            if form.file_path is None:
                raise UploadRefused(400, "Aucun fichier reçu : choisissez le classeur à déposer.")
        except UploadRefused as refused:
            destination.unlink(missing_ok=True)
            self.audit(request, "depot", f"refuse_{refused.status_code}", account)
            response = self.error(request, refused.status_code, refused.message_fr, account)
            # The rest of the body is not wanted: the server closes the connection instead of
            # reading it to the end (a client sending 200 MB stops being read at the cap).
            response.headers["connection"] = "close"
            return response
        try:
            async with self.checks:
                checked = await run_in_threadpool(
                    check_upload, self.settings, self.config, account, period, form, upload_id
                )
        except BaseException:
            destination.unlink(missing_ok=True)
            raise
        self.store.add_upload(checked)
        totals = checked.result["totals"] or {}
        self.audit(
            request,
            "depot",
            checked.status,
            account,
            period=period,
            detail=(
                f"depot={upload_id} sha256={checked.sha256} octets={checked.size_bytes} "
                f"lignes_acceptees={totals.get('accepted')} "
                f"lignes_rejetees={totals.get('rejected')} "
                f"code_erreur={checked.result['error_code']}"
            ),
        )
        return RedirectResponse(f"/espace/depots/{upload_id}", 303)

    def registered_or_refused(self, account: Account) -> None:
        """Files of an association the registry does not list would be refused by every run
        (FIC-017): its account is told so before any file is read."""
        if account.association_code not in load_registry(self.settings.registry).codes:
            raise UploadRefused(
                403,
                f"L'association « {account.association_code} » n'est pas inscrite au registre "
                "des associations du Département : ses fichiers ne peuvent pas être intégrés. "
                "Contactez le Département.",
            )

    def own_upload(self, request: Request, account: Account):
        """The upload named in the URL, only if it belongs to the account's association."""
        upload_id = request.path_params["upload_id"]
        upload = (
            self.store.upload(upload_id, account.association_code)
            if UPLOAD_ID.fullmatch(upload_id)
            else None
        )
        if upload is None:
            self.audit(request, "acces_depot", "refuse", account, detail=request.url.path[:120])
        return upload

    @association_only
    async def upload_result(self, request: Request, account: Account, csrf: str) -> Response:
        upload = self.own_upload(request, account)
        if upload is None:
            return self.error(request, 404, "Dépôt introuvable.", account)
        receipt = self.store.receipt_for_upload(upload.id)
        findings = upload.result["findings"]
        totals = upload.result["totals"] or {}
        return self.page(
            request,
            "depot.html",
            account=account,
            csrf=csrf,
            upload=upload,
            result=upload.result,
            status_label=portal_status.status_label(upload.status),
            findings=findings[:FINDINGS_SHOWN],
            findings_total=len(findings),
            advice=next_step(
                upload.result["error_code"],
                upload.status == "rejected",
                totals.get("rejected", 0),
                totals.get("alerts", 0),
                before_sending=True,
            ),
            receipt=receipt,
            can_send=receipt is None
            and upload.status != "rejected"
            and pending_workbook(self.config, upload.id).is_file(),
            replaced=(
                replaced_message(newer)
                if receipt is None and (newer := replacing_receipt(self.store, upload))
                else None
            ),
            has_feedback=pending_feedback(self.config, upload.id).is_file(),
        )

    @association_only
    async def upload_feedback(self, request: Request, account: Account, csrf: str) -> Response:
        upload = self.own_upload(request, account)
        path = pending_feedback(self.config, upload.id) if upload else None
        if path is None or not path.is_file():
            return self.error(request, 404, "Classeur de retour introuvable.", account)
        self.audit(request, "telechargement_retour_depot", "reussi", account, period=upload.period)
        name = f"{upload.period}_{account.association_code}_retour.xlsx"
        return FileResponse(path, media_type=XLSX_TYPE, filename=name)

    @association_only
    async def send(self, request: Request, account: Account, csrf: str) -> Response:
        form = await self.small_form(request)
        if not csrf_matches(csrf, form.get("csrf")):
            self.audit(request, "envoi", "refuse_csrf", account)
            return self.error(
                request, 403, "Formulaire expiré ou invalide : rechargez la page.", account
            )
        upload = self.own_upload(request, account)
        if upload is None:
            return self.error(request, 404, "Dépôt introuvable.", account)
        if upload.status == "rejected":
            self.audit(request, "envoi", "refuse_fichier_refuse", account, period=upload.period)
            return self.error(
                request,
                409,
                "Ce fichier est refusé : il ne peut pas être envoyé. Corrigez-le puis "
                "déposez-le à nouveau.",
                account,
            )
        if self.store.receipt_for_upload(upload.id) is None:

            def send_once():
                with self.send_lock:
                    if self.store.receipt_for_upload(upload.id) is None:
                        return send_upload(self.settings, self.config, self.store, upload, account)
                return None

            try:
                receipt = await run_in_threadpool(send_once)
            except UploadRefused as refused:
                self.audit(request, "envoi", f"refuse_{refused.status_code}", account)
                return self.error(request, refused.status_code, refused.message_fr, account)
            if receipt is not None:
                self.audit(
                    request,
                    "envoi",
                    "reussi",
                    account,
                    period=upload.period,
                    detail=f"depot={upload.id} sha256={receipt.sha256} accuse={receipt.id}",
                )
        return RedirectResponse(f"/espace/depots/{upload.id}", 303)

    @association_only
    async def own_feedback(self, request: Request, account: Account, csrf: str) -> Response:
        period = self.chosen_period(request.path_params["period"])
        code = account.association_code
        path = feedback_path(self.settings.outputs_dir, period, code) if period else None
        if path is None or not path.is_file():
            return self.error(request, 404, "Classeur de retour introuvable.", account)
        self.audit(request, "telechargement_retour", "reussi", account, period=period)
        return FileResponse(path, media_type=XLSX_TYPE, filename=f"{period}_{code}_retour.xlsx")

    # --- the département's view -------------------------------------------------------------

    @admin_only
    async def admin(self, request: Request, account: Account, csrf: str) -> Response:
        period = self.chosen_period(request.query_params.get("periode"))
        if period is None:
            return self.error(request, 400, "Période invalide.", account)
        lines = await run_in_threadpool(
            portal_status.month_overview, self.settings, self.store, period
        )
        return self.page(
            request,
            "admin.html",
            account=account,
            csrf=csrf,
            period=period,
            periods=self.periods(),
            due=due_date(period).strftime("%d/%m/%Y"),
            lines=lines,
        )

    @admin_only
    async def admin_feedback(self, request: Request, account: Account, csrf: str) -> Response:
        period = self.chosen_period(request.path_params["period"])
        known = portal_status.known_associations(self.settings, self.store)
        code = next((c for c in known if c == request.path_params["code"]), None)
        path = feedback_path(self.settings.outputs_dir, period, code) if period and code else None
        if path is None or not path.is_file():
            return self.error(request, 404, "Classeur de retour introuvable.", account)
        self.audit(
            request,
            "telechargement_retour",
            "reussi",
            account,
            association_code=code,
            period=period,
        )
        return FileResponse(path, media_type=XLSX_TYPE, filename=f"{period}_{code}_retour.xlsx")

    @admin_only
    async def audit_log(self, request: Request, account: Account, csrf: str) -> Response:
        return self.page(
            request, "journal.html", account=account, csrf=csrf, lines=self.store.audit_lines()
        )

    # --- errors -----------------------------------------------------------------------------

    async def http_error(self, request: Request, error: HTTPException) -> Response:
        messages = {404: "Page introuvable.", 405: "Méthode non autorisée."}
        return self.error(request, error.status_code, messages.get(error.status_code, "Erreur."))

    async def refused(self, request: Request, error: UploadRefused) -> Response:
        return self.error(request, error.status_code, error.message_fr)

    async def server_error(self, request: Request, _: Exception) -> Response:
        """A page in French; the error itself goes to the server's log (Starlette re-raises)."""
        return self.error(
            request,
            500,
            "Une erreur inattendue s'est produite. Réessayez dans quelques minutes ; si elle "
            "persiste, contactez le Département.",
        )

    def routes(self) -> list:
        return [
            Route("/", self.home),
            Route("/connexion", self.login_form, methods=["GET"]),
            Route("/connexion", self.login, methods=["POST"]),
            Route("/deconnexion", self.logout, methods=["POST"]),
            Route("/espace", self.space, methods=["GET"]),
            Route("/espace/modele", self.blank_template, methods=["GET"]),
            Route("/espace/modele-prerempli", self.prefilled_template, methods=["GET"]),
            Route("/espace/depots", self.upload, methods=["POST"]),
            Route("/espace/depots/{upload_id}", self.upload_result, methods=["GET"]),
            Route("/espace/depots/{upload_id}/retour", self.upload_feedback, methods=["GET"]),
            Route("/espace/depots/{upload_id}/envoyer", self.send, methods=["POST"]),
            Route("/espace/retours/{period}", self.own_feedback, methods=["GET"]),
            Route("/admin", self.admin, methods=["GET"]),
            Route("/admin/retours/{period}/{code}", self.admin_feedback, methods=["GET"]),
            Route("/admin/journal", self.audit_log, methods=["GET"]),
            Mount("/static", StaticFiles(directory=PACKAGE_DIR / "static"), name="static"),
        ]


def _french_moment(text: str) -> str:
    """ "2026-11-03 09:30:00" → "03/11/2026 à 09:30"."""
    return datetime.fromisoformat(text).strftime("%d/%m/%Y à %H:%M")


def _status_class(status: str) -> str:
    return {
        "accepted": "ok",
        "accepted_with_rejections": "warn",
        "rejected": "bad",
        "missing": "missing",
    }.get(status, "pending")


def create_app(
    settings: Settings | None = None,
    config: PortalConfig | None = None,
    today: Callable[[], date] = date.today,
) -> Starlette:
    """The portal's ASGI application, over the pipeline's settings and the portal's own."""
    settings = settings or load_settings()
    config = config or load_portal_config(settings)
    portal = Portal(settings, config, today)
    app = Starlette(
        routes=portal.routes(),
        exception_handlers={
            HTTPException: portal.http_error,
            UploadRefused: portal.refused,
            Exception: portal.server_error,
        },
    )
    app.state.portal = portal
    app.add_middleware(SecurityHeaders, secure=config.secure_cookies)
    return app
