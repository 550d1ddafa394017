"""The portal as the tests drive it: accounts of two associations and of the département, a
TestClient signed in as any of them, and the real server on 127.0.0.1 for the browser and
streaming tests.

The `portal` fixture (tests/integration/conftest.py) is make_portal over the test's settings.
"""

from __future__ import annotations

import functools
import re
import socket
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import uvicorn
from starlette.testclient import TestClient

from ase_impact.core.settings import Settings
from ase_impact.portal.app import create_app
from ase_impact.portal.auth import hash_password
from ase_impact.portal.config import PortalConfig, load_portal_config

PERIOD = "2026-10"
# The portal's "today": October's file is due on 10 November.
TODAY = date(2026, 11, 5)
PASSWORD = "mot-de-passe-de-test-7"
CAP, ENVOL = "cap-avenir", "envol-mentorat"
USERS = {"agent-cap": CAP, "agent-envol": ENVOL, "chef-projet": None}
CSRF_FIELD = re.compile(r'name="csrf" value="([^"]+)"')
UPLOAD_LINK = re.compile(r"/espace/depots/([A-Za-z0-9_-]{32})")


def csrf_of(html: str) -> str:
    return CSRF_FIELD.search(html).group(1)


def portal_config(settings: Settings, **overrides) -> PortalConfig:
    return load_portal_config(settings, **({"max_upload_bytes": 5 * 1024 * 1024} | overrides))


@dataclass
class PortalUnderTest:
    settings: Settings
    config: PortalConfig
    app: object

    def client(self) -> TestClient:
        return TestClient(self.app, base_url="http://testserver", follow_redirects=False)

    def signed_in(self, username: str) -> SignedIn:
        client = self.client()
        page = client.get("/connexion")
        response = client.post(
            "/connexion",
            data={"csrf": csrf_of(page.text), "identifiant": username, "mot_de_passe": PASSWORD},
        )
        assert response.status_code == 303, response.text
        return SignedIn(client, username)

    def files_written(self) -> list[str]:
        """Every file under raw/, outputs/ and archive/ (the pipeline's folders)."""
        found = []
        for folder in (self.settings.raw_dir, self.settings.outputs_dir, self.settings.archive_dir):
            found += [
                p.relative_to(folder.parent).as_posix() for p in folder.rglob("*") if p.is_file()
            ]
        return sorted(found)


@dataclass
class SignedIn:
    client: TestClient
    username: str

    def csrf(self) -> str:
        return csrf_of(self.client.get("/espace").text)

    def upload(self, content: bytes, period: str = PERIOD, file_name: str = "classeur.xlsx"):
        """Upload a workbook for a month: the response (a redirect to its result, or refusal)."""
        return self.client.post(
            "/espace/depots",
            data={"csrf": self.csrf(), "periode": period},
            files={"fichier": (file_name, content, "application/octet-stream")},
        )

    def upload_id(self, content: bytes, **options) -> str:
        response = self.upload(content, **options)
        assert response.status_code == 303, response.text
        return UPLOAD_LINK.search(response.headers["location"]).group(1)

    def send(self, upload_id: str):
        return self.client.post(f"/espace/depots/{upload_id}/envoyer", data={"csrf": self.csrf()})


@functools.cache
def password_hash() -> str:
    """Hashed once: argon2 is slow on purpose."""
    return hash_password(PASSWORD)


def make_portal(settings: Settings, **overrides) -> PortalUnderTest:
    config = portal_config(settings, **overrides)
    app = create_app(settings, config, today=lambda: TODAY)
    store = app.state.portal.store
    for username, code in USERS.items():
        if store.account(username) is None:
            store.add_account(username, code, password_hash())
    return PortalUnderTest(settings, config, app)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def served(app, log_file: Path | None = None):
    """The application served by uvicorn on 127.0.0.1 (a free port) in a thread: its URL."""
    port = free_port()
    log_config = None
    if log_file is not None:
        log_config = {
            "version": 1,
            "disable_existing_loggers": False,
            "handlers": {"file": {"class": "logging.FileHandler", "filename": str(log_file)}},
            "loggers": {
                name: {"handlers": ["file"], "level": "INFO"}
                for name in ("uvicorn", "uvicorn.error", "uvicorn.access")
            },
        }
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_config=log_config, lifespan="off")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the portal did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=20)
