"""An association's upload: received with a hard size cap, checked with the pipeline's own rules,
kept pending for its account, then sent into raw/<AAAA-MM>/<code>.xlsx atomically.

Nothing of the upload's name is ever used: the month comes from the form (one of the open
months), the association from the account, and the pending file is named by a random id. The
file part is written only once the form's CSRF token has been read and found valid, and the
partial file is deleted whenever the upload stops (too large, malformed, interrupted).
"""

from __future__ import annotations

import hashlib
import os
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import Request

from ase_impact.core.keys import PERIOD
from ase_impact.core.settings import Settings
from ase_impact.intake.archive import sha256_of
from ase_impact.intake.check import CheckedFile, check_file
from ase_impact.intake.ingestion import SNAPSHOT_SHEET, blank_template_error
from ase_impact.portal.config import PortalConfig
from ase_impact.portal.status import published
from ase_impact.portal.store import Account, Receipt, Store, Upload, now_text
from ase_impact.publish.feedback import (
    checked_file_facts,
    render_feedback_workbook,
    sorted_findings,
)
from ase_impact.warehouse import queries

FILE_FIELD = "fichier"
TEXT_FIELDS = frozenset({"csrf", "periode"})
MAX_TEXT_FIELD_BYTES = 256
# Room for the form's other fields and multipart headers around the file.
FORM_OVERHEAD_BYTES = 64 * 1024
UPLOAD_ID_BYTES = 24
CHUNK_BYTES = 1 << 20


class UploadRefused(Exception):
    """The request cannot be taken: HTTP status and a French message for the officer."""

    def __init__(self, status_code: int, message_fr: str):
        super().__init__(message_fr)
        self.status_code = status_code
        self.message_fr = message_fr


def too_large(config: PortalConfig) -> UploadRefused:
    megabytes = config.max_upload_bytes // (1024 * 1024)
    return UploadRefused(
        413,
        f"Le fichier dépasse la taille maximale admise ({megabytes} Mo) : il n'a pas été "
        "conservé. Enregistrez le classeur sans données superflues puis déposez-le à nouveau.",
    )


@dataclass
class ReceivedForm:
    fields: dict[str, str] = field(default_factory=dict)
    file_path: Path | None = None
    size_bytes: int = 0
    sha256: str = ""


class _FormReader:
    """Feeds python-multipart's streaming parser; writes the one file part to `destination`."""

    def __init__(self, destination: Path, max_file_bytes: int, token_valid: Callable):
        self.destination = destination
        self.max_file_bytes = max_file_bytes
        self.token_valid = token_valid
        self.form = ReceivedForm()
        self._digest = hashlib.sha256()
        self._handle = None
        self._headers: dict[bytes, bytes] = {}
        self._header_field = b""
        self._header_value = b""
        self._name: str | None = None
        self._value = bytearray()
        self._is_file = False
        self._discard = False

    def callbacks(self) -> dict:
        return {
            "on_part_begin": self._part_begin,
            "on_header_field": self._header_field_data,
            "on_header_value": self._header_value_data,
            "on_header_end": self._header_end,
            "on_headers_finished": self._headers_finished,
            "on_part_data": self._part_data,
            "on_part_end": self._part_end,
        }

    def _part_begin(self) -> None:
        self._headers, self._header_field, self._header_value = {}, b"", b""
        self._name, self._value, self._is_file, self._discard = None, bytearray(), False, False

    def _header_field_data(self, data: bytes, start: int, end: int) -> None:
        self._header_field += data[start:end]

    def _header_value_data(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def _header_end(self) -> None:
        self._headers[self._header_field.strip().lower()] = self._header_value.strip()
        self._header_field, self._header_value = b"", b""

    def _headers_finished(self) -> None:
        disposition, options = parse_options_header(self._headers.get(b"content-disposition", b""))
        if disposition != b"form-data" or b"name" not in options:
            raise UploadRefused(400, "Formulaire de dépôt invalide.")
        self._name = options[b"name"].decode("utf-8", "replace")
        # The uploaded file's own name is never read: it may name a youth, or a path.
        self._is_file = b"filename" in options
        # A form sent without choosing a file has an empty, nameless file part: no file.
        self._discard = self._is_file and not options[b"filename"]
        if self._discard:
            return
        if self._is_file:
            if self._name != FILE_FIELD or self._handle is not None or self.form.file_path:
                raise UploadRefused(400, "Formulaire de dépôt invalide : un seul fichier attendu.")
            if not self.token_valid(self.form.fields.get("csrf")):
                raise UploadRefused(403, "Formulaire expiré ou invalide : rechargez la page.")
            descriptor = os.open(self.destination, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            self._handle = os.fdopen(descriptor, "wb")
        elif self._name not in TEXT_FIELDS or self._name in self.form.fields:
            raise UploadRefused(400, "Formulaire de dépôt invalide.")

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        chunk = data[start:end]
        if self._discard:
            if end > start:
                raise UploadRefused(400, "Formulaire de dépôt invalide.")
            return
        if self._is_file:
            self.form.size_bytes += len(chunk)
            if self.form.size_bytes > self.max_file_bytes:
                raise _TooLarge
            self._digest.update(chunk)
            self._handle.write(chunk)
        else:
            self._value += chunk
            if len(self._value) > MAX_TEXT_FIELD_BYTES:
                raise UploadRefused(400, "Formulaire de dépôt invalide.")

    def _part_end(self) -> None:
        if self._discard:
            return
        if self._is_file:
            self._handle.flush()
            os.fsync(self._handle.fileno())
            self._handle.close()
            self._handle = None
            self.form.file_path = self.destination
            self.form.sha256 = self._digest.hexdigest()
        elif self._name is not None:
            self.form.fields[self._name] = self._value.decode("utf-8", "replace")

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None


class _TooLarge(Exception):
    pass


async def receive_form(
    request: Request, destination: Path, config: PortalConfig, token_valid: Callable
) -> ReceivedForm:
    """Stream a multipart upload form; the file part goes to destination, capped in size.

    Refused (UploadRefused) before reading a byte when the declared length is over the cap,
    and as soon as the bytes received go past it otherwise; the partial file is then deleted.
    """
    content_type, options = parse_options_header(request.headers.get("content-type", ""))
    boundary = options.get(b"boundary")
    if content_type != b"multipart/form-data" or not boundary:
        raise UploadRefused(400, "Formulaire de dépôt invalide.")
    limit = config.max_upload_bytes + FORM_OVERHEAD_BYTES
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise too_large(config)
    reader = _FormReader(destination, config.max_upload_bytes, token_valid)
    parser = MultipartParser(boundary, reader.callbacks())
    received = 0
    try:
        async for chunk in request.stream():
            received += len(chunk)
            if received > limit:
                raise _TooLarge
            parser.write(chunk)
        parser.finalize()
    except _TooLarge:
        reader.close()
        destination.unlink(missing_ok=True)
        raise too_large(config) from None
    except UploadRefused:
        reader.close()
        destination.unlink(missing_ok=True)
        raise
    except Exception:  # a malformed body, a client gone: nothing is kept
        reader.close()
        destination.unlink(missing_ok=True)
        raise UploadRefused(400, "Le dépôt a été interrompu ou est mal formé.") from None
    return reader.form


def new_upload_id() -> str:
    return secrets.token_urlsafe(UPLOAD_ID_BYTES)


def pending_workbook(config: PortalConfig, upload_id: str) -> Path:
    return config.pending_dir / f"{upload_id}.xlsx"


def pending_feedback(config: PortalConfig, upload_id: str) -> Path:
    return config.pending_dir / f"{upload_id}.retour.xlsx"


def submission_name(period: str, association_code: str) -> str:
    """The name the pipeline gives the file once sent: messages read the same in both."""
    return f"{period}/{association_code}.xlsx"


def result_of(checked: CheckedFile) -> dict:
    """What the result page shows, kept with the upload: counts and findings (PII masked)."""
    findings = sorted_findings(checked.findings) if not checked.findings.empty else None
    totals = checked.totals
    return {
        "status": checked.status,
        "message_fr": checked.message_fr,
        "error_code": checked.error.code if checked.error else None,
        "totals": totals._asdict() if totals else None,
        "findings": []
        if findings is None
        else [
            {
                "sheet": finding.sheet,
                "excel_row": int(finding.excel_row),
                "pair_id": finding.pair_id,
                "column_header": finding.column_header,
                "value_received": finding.value_received,
                "rule_code": finding.rule_code,
                "severity": finding.severity,
                "message_fr": finding.message_fr,
            }
            for finding in findings.itertuples(index=False)
        ],
    }


def _unless_blank_template(settings: Settings, checked: CheckedFile) -> CheckedFile:
    """The file refused as a run would refuse it (FIC-019) when its « Données » is empty while
    the version in force, as last published, has pairs: most likely a blank template."""
    if checked.is_refused or checked.sheet_counts[SNAPSHOT_SHEET].received:
        return checked
    with published(settings) as conn:
        in_force = (
            None
            if conn is None
            else queries.published_pairs_in_force(conn, checked.period, checked.association_code)
        )
    error = blank_template_error(checked.display_name, 0, in_force)
    if error is None:
        return checked
    return CheckedFile(
        checked.display_name, checked.period, checked.association_code, checked.identity, error
    )


def check_upload(
    settings: Settings,
    config: PortalConfig,
    account: Account,
    period: str,
    form: ReceivedForm,
    upload_id: str,
) -> Upload:
    """Check a received workbook for the account's association and month, as a run would;
    write its feedback.

    A refused file is deleted at once (it can never be sent); an accepted one waits, pending.
    """
    code = account.association_code
    name = submission_name(period, code)
    checked = _unless_blank_template(
        settings, check_file(form.file_path, name, period, code, registry=settings.registry)
    )
    now = datetime.now().replace(microsecond=0)
    render_feedback_workbook(
        checked_file_facts(checked, now),
        checked.findings,
        checked.rule_counts,
        pending_feedback(config, upload_id),
    )
    if checked.is_refused:
        form.file_path.unlink(missing_ok=True)
    return Upload(
        id=upload_id,
        username=account.username,
        association_code=code,
        period=period,
        sha256=form.sha256,
        size_bytes=form.size_bytes,
        status=checked.status,
        result=result_of(checked),
        checked_at=now_text(now),
        expires_at=time.time() + config.pending_seconds,
        sent_at=None,
    )


def send_upload(
    settings: Settings, config: PortalConfig, store: Store, upload: Upload, account: Account
) -> Receipt:
    """Write the pending file as raw/<AAAA-MM>/<code>.xlsx (temp file + rename in the same
    folder, so the sensor never sees half a file) and keep its receipt.

    The month is the one the upload was checked for, the code the account's: both validated
    keys, never a name from the request.
    """
    code = account.association_code
    if not PERIOD.fullmatch(upload.period) or upload.association_code != code:
        raise UploadRefused(404, "Dépôt introuvable.")
    source = pending_workbook(config, upload.id)
    if not source.is_file() or sha256_of(source) != upload.sha256:
        if (newer := replacing_receipt(store, upload)) is not None:
            raise UploadRefused(409, replaced_message(newer))
        raise UploadRefused(410, "Ce dépôt a expiré : déposez le fichier à nouveau.")
    folder = settings.raw_dir / upload.period
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{code}.xlsx"
    # Hidden while written: discovery skips names starting with a dot.
    temporary = folder / f".portail-{secrets.token_hex(8)}.tmp"
    try:
        with open(source, "rb") as reader, open(temporary, "xb") as writer:
            while chunk := reader.read(CHUNK_BYTES):
                writer.write(chunk)
            writer.flush()
            os.fsync(writer.fileno())
        os.chmod(temporary, 0o600)
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)
    directory = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)
    receipt = Receipt(
        id=0,
        association_code=code,
        period=upload.period,
        sha256=upload.sha256,
        size_bytes=upload.size_bytes,
        sent_at=now_text(),
        username=account.username,
        upload_id=upload.id,
    )
    receipt_id = store.mark_sent(upload.id, receipt)
    source.unlink(missing_ok=True)
    # Earlier uploads of the month are superseded by the file sent: their workbooks (which
    # hold names) are not kept waiting any longer.
    for superseded in store.unsent_uploads(code, upload.period):
        pending_workbook(config, superseded.id).unlink(missing_ok=True)
    return Receipt(**{**receipt.__dict__, "id": receipt_id})


def replacing_receipt(store: Store, upload: Upload) -> Receipt | None:
    """The file of the same month sent after this upload was checked, if any: sending it
    released this upload's workbook (send_upload)."""
    newest = next(
        iter(store.receipts(association_code=upload.association_code, period=upload.period)),
        None,
    )
    if newest is None or newest.upload_id == upload.id or newest.sent_at < upload.checked_at:
        return None
    return newest


def replaced_message(receipt: Receipt) -> str:
    sent_at = datetime.fromisoformat(receipt.sent_at)
    return (
        f"Un autre fichier de {receipt.period} a été envoyé le {sent_at:%d/%m/%Y à %H:%M} : "
        "ce dépôt, vérifié avant cet envoi, n'est plus en attente. Déposez-le à nouveau "
        "s'il doit remplacer le fichier envoyé."
    )


def forget_expired(config: PortalConfig, store: Store) -> None:
    """Delete the files of uploads checked but never sent, once expired."""
    for upload in store.expired_uploads(time.time()):
        pending_workbook(config, upload.id).unlink(missing_ok=True)
        pending_feedback(config, upload.id).unlink(missing_ok=True)
