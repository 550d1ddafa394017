"""The portal's settings and its cookie-signing secret, from the environment.

The secret is kept as the pseudonymisation key is (ase_impact.core.secret_files): the env var
ASE_IMPACT_PORTAL_SECRET first, else <portal folder>/secret.key, created with mode 0600 on
first use, never in production (ASE_IMPACT_ENV=production), where a secret that changed at
each start would sign everyone out.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from ase_impact.core.secret_files import create_secret_file, is_production, shared_mode
from ase_impact.core.settings import Settings

SECRET_VARIABLE = "ASE_IMPACT_PORTAL_SECRET"
SECURE_COOKIES_VARIABLE = "ASE_IMPACT_PORTAL_SECURE_COOKIES"
TRUSTED_PROXIES_VARIABLE = "ASE_IMPACT_PORTAL_TRUSTED_PROXIES"
MAX_UPLOAD_VARIABLE = "ASE_IMPACT_PORTAL_MAX_UPLOAD_MB"
DEFAULT_MAX_UPLOAD_MB = 20
MIN_SECRET_LENGTH = 32
TRUE_WORDS = frozenset({"1", "true", "yes", "oui", "on"})


class PortalConfigError(RuntimeError):
    """A setting of the portal is missing or wrong; the message is French for the operator."""


@dataclass(frozen=True)
class PortalConfig:
    """Where the portal keeps its state and how it behaves behind its reverse proxy."""

    portal_dir: Path
    # Cookies marked Secure: the portal is served over HTTPS (by its reverse proxy).
    secure_cookies: bool
    # Addresses whose X-Forwarded-For / X-Forwarded-Proto headers are trusted (the proxy's).
    trusted_proxies: tuple[str, ...]
    max_upload_bytes: int
    session_seconds: int = 8 * 3600
    # An upload checked but not sent is deleted after this long.
    pending_seconds: int = 24 * 3600

    @property
    def database(self) -> Path:
        return self.portal_dir / "portal.sqlite3"

    @property
    def pending_dir(self) -> Path:
        return self.portal_dir / "pending"

    @property
    def secret_file(self) -> Path:
        return self.portal_dir / "secret.key"


def load_portal_config(settings: Settings, **overrides) -> PortalConfig:
    """The portal's settings from ASE_IMPACT_PORTAL_* variables; overrides (tests) win."""
    secure = os.environ.get(SECURE_COOKIES_VARIABLE, "").strip().casefold()
    proxies = os.environ.get(TRUSTED_PROXIES_VARIABLE, "")
    megabytes = os.environ.get(MAX_UPLOAD_VARIABLE, "").strip() or str(DEFAULT_MAX_UPLOAD_MB)
    if not megabytes.isdigit() or int(megabytes) < 1:
        raise PortalConfigError(
            f"{MAX_UPLOAD_VARIABLE} doit être un nombre entier de mégaoctets (valeur lue : "
            f"« {megabytes} »)."
        )
    values = {
        "portal_dir": settings.portal_dir,
        # In production the portal is behind HTTPS: Secure cookies unless said otherwise.
        "secure_cookies": secure in TRUE_WORDS if secure else is_production(),
        "trusted_proxies": tuple(p.strip() for p in proxies.split(",") if p.strip()),
        "max_upload_bytes": int(megabytes) * 1024 * 1024,
    }
    return PortalConfig(**(values | overrides))


def load_secret(config: PortalConfig) -> bytes:
    """The cookie-signing secret: env var first, else the secret file, created outside
    production."""
    from_env = os.environ.get(SECRET_VARIABLE, "").strip()
    if from_env:
        return _checked(from_env, f"la variable d'environnement {SECRET_VARIABLE}")
    if config.secret_file.exists():
        return _read_secret_file(config.secret_file)
    if is_production():
        raise PortalConfigError(
            f"Aucun secret du portail configuré en production : définissez {SECRET_VARIABLE} "
            f"ou déposez le fichier {config.secret_file} (droits 600). Un nouveau secret n'est "
            "jamais créé en production : il déconnecterait chaque utilisateur à chaque "
            "redémarrage."
        )
    return create_secret_file(config.secret_file, _read_secret_file)


def _checked(text: str, source: str) -> bytes:
    if len(text) < MIN_SECRET_LENGTH:
        raise PortalConfigError(
            f"Le secret du portail lu dans {source} est trop court : {MIN_SECRET_LENGTH} "
            "caractères au moins sont exigés."
        )
    return text.encode("utf-8")


def _read_secret_file(path: Path) -> bytes:
    mode = shared_mode(path)
    if mode is not None:
        raise PortalConfigError(
            f"Le fichier de secret du portail {path} est accessible à d'autres utilisateurs "
            f"(droits {mode:o}) : restreignez-le avec « chmod 600 {path} »."
        )
    return _checked(path.read_text(encoding="utf-8").strip(), f"le fichier {path}")
