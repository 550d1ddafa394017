"""Uploads through the portal: hostile files refused with the pipeline's own French message,
a huge upload cut off without filling the disk, a file name with ../ ignored, and what
« Envoyer » writes into raw/.
"""

from __future__ import annotations

import dataclasses
import http.client
import time
from datetime import date
from pathlib import Path

import pytest
from markupsafe import escape
from openpyxl import load_workbook

from ase_impact.intake.file_checks import OLE2_SIGNATURE
from ase_impact.intake.ingestion import ingest_file
from ase_impact.intake.pseudonymise import KEY_ENV_VAR
from ase_impact.portal.status import association_history
from ase_impact.publish.feedback import ANOMALY_HEADERS
from ase_impact.publish.snapshot import publish_snapshot
from ase_impact.warehouse import connection, schema
from tests.conftest import edited_demo_registry
from tests.hostile_files import pad_sheet, with_member
from tests.integration.portal_fixtures import CAP, PERIOD, make_portal, served
from tests.integration.sample_rows import pair_row, write_submission
from tests.integration.test_bad_inputs import NOT_A_WORKBOOK
from tests.integration.test_feedback_workbook import label_values
from tests.unit.test_rules_file_level import VBA_PART, VBA_RELATIONSHIP
from tests.workbook_factory import headers_of

NAME = f"{PERIOD}/{CAP}.xlsx"


def valid_workbook(folder: Path, **options) -> Path:
    return write_submission(folder, PERIOD, CAP, **options)


def truncated(folder: Path) -> bytes:
    contents = valid_workbook(folder, pairs=5).read_bytes()
    return contents[: len(contents) // 2]


def zip_bomb(folder: Path) -> bytes:
    return pad_sheet(valid_workbook(folder), "Données", megabytes=201).read_bytes()


def formulas_without_results(folder: Path) -> bytes:
    path = valid_workbook(folder)
    book = load_workbook(path)
    column = headers_of("pairs").index("Séances réalisées") + 1
    book["Données"].cell(row=2, column=column, value="=4+4")
    book.save(path)
    return path.read_bytes()


def renamed_sheet(folder: Path) -> bytes:
    path = valid_workbook(folder)
    book = load_workbook(path)
    book["Données"].title = "Donnees"
    book.save(path)
    return path.read_bytes()


def merged_header(folder: Path) -> bytes:
    path = valid_workbook(folder)
    book = load_workbook(path)
    book["Données"].merge_cells("A1:B1")
    book.save(path)
    return path.read_bytes()


HOSTILE = {
    **{
        case: (lambda _, contents=contents: contents)
        for case, (contents, *_) in NOT_A_WORKBOOK.items()
    },
    "truncated": truncated,
    "zip-bomb": zip_bomb,
    "formulas-without-results": formulas_without_results,
    "renamed-sheet": renamed_sheet,
    "merged-header": merged_header,
    "macros": lambda folder: with_member(
        valid_workbook(folder), VBA_PART, OLE2_SIGNATURE + bytes(512), VBA_RELATIONSHIP
    ).read_bytes(),
    "other-month": lambda folder: write_submission(
        folder, PERIOD, CAP, period="2026-09"
    ).read_bytes(),
}


@pytest.mark.parametrize("case", HOSTILE)
def test_a_hostile_file_is_refused_with_the_pipelines_message(portal, conn, tmp_path, case):
    contents = HOSTILE[case](tmp_path / "source")
    cap = portal.signed_in("agent-cap")
    upload_id = cap.upload_id(contents, file_name="tableau.xlsx")
    page = cap.client.get(f"/espace/depots/{upload_id}").text
    result = portal.app.state.portal.store.upload(upload_id, CAP).result

    # The pipeline, given the same bytes as raw/2026-10/cap-avenir.xlsx, says the same.
    dropped = portal.settings.raw_dir.parent / "pipeline" / NAME
    dropped.parent.mkdir(parents=True)
    dropped.write_bytes(contents)
    settings = portal.settings.__class__(
        **{**portal.settings.__dict__, "raw_dir": dropped.parent.parent}
    )
    report = ingest_file(dropped, settings, conn)
    assert report.status == result["status"] == "rejected"
    assert result["message_fr"] == report.message_fr
    if case in NOT_A_WORKBOOK:
        _, code, advice = NOT_A_WORKBOOK[case]
        assert (result["error_code"], report.message_fr) == (code, f"Fichier {NAME} : {advice}")
    assert _escaped(report.message_fr) in page
    assert "Refusé" in page and "Envoyer</button>" not in page
    # A refused file cannot be sent, and is not kept.
    assert cap.send(upload_id).status_code == 409
    assert not (portal.settings.raw_dir / PERIOD).exists()
    assert [p.name for p in portal.config.pending_dir.iterdir()] == [f"{upload_id}.retour.xlsx"]
    feedback = cap.client.get(f"/espace/depots/{upload_id}/retour")
    path = tmp_path / "retour.xlsx"
    path.write_bytes(feedback.content)
    assert label_values(load_workbook(path)["Synthèse"])["Motif du refus"] == report.message_fr


def test_an_association_struck_off_the_registry_is_told_before_any_file_is_read(settings, tmp_path):
    registry = edited_demo_registry(
        tmp_path / "associations.csv",
        lambda rows: [row for row in rows if row["association_code"] != CAP],
    )
    portal = make_portal(dataclasses.replace(settings, registry=registry))

    refused = portal.signed_in("agent-cap").upload(valid_workbook(tmp_path).read_bytes())

    assert refused.status_code == 403
    assert "n&#39;est pas inscrite au registre des associations du Département" in refused.text
    assert str(registry) not in refused.text  # nothing of the server's files
    assert [p.name for p in portal.config.pending_dir.iterdir()] == []


def _escaped(text: str) -> str:
    return str(escape(text))


def test_an_upload_over_the_cap_is_refused_and_leaves_nothing(settings, tmp_path):
    from tests.integration.portal_fixtures import make_portal

    small = make_portal(settings, max_upload_bytes=64 * 1024)
    cap = small.signed_in("agent-cap")
    response = cap.upload(b"PK" + b"\0" * (200 * 1024))
    assert response.status_code == 413
    assert "Le fichier dépasse la taille maximale admise" in response.text
    assert list(small.config.pending_dir.iterdir()) == []


def _multipart_head(boundary: str, csrf: str) -> bytes:
    return (
        f'--{boundary}\r\nContent-Disposition: form-data; name="csrf"\r\n\r\n{csrf}\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="periode"\r\n\r\n{PERIOD}\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="fichier"; '
        'filename="enorme.xlsx"\r\nContent-Type: application/octet-stream\r\n\r\n'
    ).encode()


def _post_streaming(url: str, cookie: str, csrf: str, megabytes: int, declare: bool):
    """POST a `megabytes` upload to the live portal, in 1 MB chunks: (bytes the server took
    before answering, its status). With declare, the length is announced first."""
    boundary = "frontiere-de-test"
    head = _multipart_head(boundary, csrf)
    tail = f"\r\n--{boundary}--\r\n".encode()
    chunk = b"\0" * (1024 * 1024)
    host, port = url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=60)
    connection.putrequest("POST", "/espace/depots")
    connection.putheader("Cookie", cookie)
    connection.putheader("Content-Type", f"multipart/form-data; boundary={boundary}")
    if declare:
        connection.putheader("Content-Length", str(len(head) + megabytes * len(chunk) + len(tail)))
    else:
        connection.putheader("Transfer-Encoding", "chunked")
    connection.endheaders()
    sent = 0

    def send(data: bytes) -> None:
        connection.send(data if declare else b"%x\r\n%s\r\n" % (len(data), data))

    try:
        send(head)
        for _ in range(megabytes):
            send(chunk)
            sent += len(chunk)
        send(tail)
        if not declare:
            connection.send(b"0\r\n\r\n")
    except (BrokenPipeError, ConnectionResetError):
        pass  # the server stopped reading: what the test wants
    try:
        status = connection.getresponse().status
    except (ConnectionResetError, http.client.RemoteDisconnected, BrokenPipeError):
        status = None
    connection.close()
    return sent, status


@pytest.mark.parametrize("declare", [True, False], ids=["content-length", "chunked"])
def test_a_200_mb_upload_is_cut_off_without_filling_the_disk(portal, tmp_path, declare):
    cap = portal.signed_in("agent-cap")
    cookie = "; ".join(f"{name}={value}" for name, value in cap.client.cookies.items())
    csrf = cap.csrf()
    started = time.monotonic()
    with served(portal.app) as url:
        sent, status = _post_streaming(url, cookie, csrf, megabytes=200, declare=declare)
    assert status in (413, None)
    cap_bytes = portal.config.max_upload_bytes
    # The server stopped taking bytes soon after the cap (socket buffers hold a few MB).
    assert sent < cap_bytes + 64 * 1024 * 1024
    assert time.monotonic() - started < 60
    assert list(portal.config.pending_dir.iterdir()) == []
    assert portal.files_written() == []
    audit = portal.app.state.portal.store.audit_lines()
    assert audit[0]["action"] == "depot" and audit[0]["outcome"] == "refuse_413"


def test_a_file_name_with_dotdot_writes_nothing_outside_raw_month(portal, tmp_path):
    cap = portal.signed_in("agent-cap")
    contents = valid_workbook(tmp_path / "source").read_bytes()
    before = {p for p in portal.settings.raw_dir.parent.rglob("*")}
    for name in ("../../../../evasion.xlsx", "..\\..\\evasion.xlsx", "/etc/evasion.xlsx"):
        upload_id = cap.upload_id(contents, file_name=name)
        assert cap.send(upload_id).status_code == 303
    created = {p for p in portal.settings.raw_dir.parent.rglob("*")} - before
    outside_portal = sorted(
        p.relative_to(portal.settings.raw_dir.parent).as_posix()
        for p in created
        if p.is_file() and not p.is_relative_to(portal.config.portal_dir)
    )
    assert outside_portal == ["raw/2026-10/cap-avenir.xlsx"]
    assert not [p for p in created if "evasion" in p.name]
    assert (portal.settings.raw_dir / NAME).read_bytes() == contents


def test_two_bad_rows_then_the_corrected_file_is_sent(portal, tmp_path):
    bad = [
        pair_row("B-050", "Nomtest", "Prenomtest", date(2011, 2, 3), Sexe="Martien"),
        pair_row("B-051", "Nomtest", "Prenomtest", date(1990, 3, 15)),
    ]
    with_errors = valid_workbook(tmp_path / "v1", extra_pairs=bad).read_bytes()
    corrected = valid_workbook(tmp_path / "v2").read_bytes()
    cap = portal.signed_in("agent-cap")

    first = cap.upload_id(with_errors)
    page = cap.client.get(f"/espace/depots/{first}").text
    assert "Accepté, avec des lignes rejetées" in page
    assert "2 lignes rejetées sur 10 reçues." in page
    assert "Fichier 2026-10/cap-avenir.xlsx, onglet « Données », ligne 6, colonne « Sexe »" in page
    assert "DON-009" in page and "<td>***</td>" in page
    assert "Corrigez les lignes listées dans l&#39;onglet « Anomalies »" in page

    second = cap.upload_id(corrected)
    page = cap.client.get(f"/espace/depots/{second}").text
    assert "Aucune anomalie." in page and "Envoyer</button>" in page
    response = cap.send(second)
    assert (response.status_code, response.headers["location"]) == (
        303,
        f"/espace/depots/{second}",
    )
    assert cap.send(second).status_code == 303  # sent once: a second click adds nothing
    receipts = portal.app.state.portal.store.receipts(association_code=CAP)
    assert [(r.period, r.upload_id) for r in receipts] == [(PERIOD, second)]
    assert (portal.settings.raw_dir / NAME).read_bytes() == corrected
    assert not [p for p in (portal.settings.raw_dir / PERIOD).iterdir() if p.name != f"{CAP}.xlsx"]
    page = cap.client.get(f"/espace/depots/{second}").text
    assert "Fichier envoyé" in page and receipts[0].sha256 in page
    history = cap.client.get(f"/espace?periode={PERIOD}").text
    assert "Envoyé, en attente d&#39;intégration" in history
    assert (
        "Envoyé, en attente d&#39;intégration"
        in portal.signed_in("chef-projet").client.get(f"/admin?periode={PERIOD}").text
    )


def test_a_plausibility_query_reads_as_in_the_feedback_workbook(portal, tmp_path):
    unusual = pair_row(
        "B-052", "Nomtest", "Prenomtest", date(2011, 2, 3), **{"Séances réalisées": 12}
    )
    cap = portal.signed_in("agent-cap")
    upload = cap.upload_id(valid_workbook(tmp_path, extra_pairs=[unusual]).read_bytes())
    page = cap.client.get(f"/espace/depots/{upload}").text
    row = next(line for line in page.split("<tr") if "DON-050" in line)
    assert "<td>À vérifier</td>" in row and "Alerte (ligne conservée)" not in row
    headers = "".join(f"<th>{header}</th>" for header in ANOMALY_HEADERS)
    assert headers in page


def test_a_file_sent_then_replaced_before_any_run_is_not_left_pending(portal, tmp_path):
    cap = portal.signed_in("agent-cap")
    for version, pairs in (("v1", 2), ("v2", 4)):
        upload_id = cap.upload_id(valid_workbook(tmp_path / version, pairs=pairs).read_bytes())
        assert cap.send(upload_id).status_code == 303
    settings, store = portal.settings, portal.app.state.portal.store

    def statuses() -> list[tuple[int | None, str]]:
        return [(line.version, line.status) for line in association_history(settings, store, CAP)]

    assert statuses() == [(None, "envoye")]  # the second only: it replaced the first in raw/
    # A run ingests what raw/ holds, the second file, and publishes.
    with connection.connect(settings.warehouse) as conn:
        schema.ensure_schema(conn)
        assert ingest_file(settings.raw_dir / NAME, settings, conn).status == "accepted"
    publish_snapshot(settings.warehouse, settings.published_warehouse)
    assert statuses() == [(1, "accepted")]


def test_an_upload_replaced_by_a_later_send_says_so(portal, tmp_path):
    cap = portal.signed_in("agent-cap")
    first = cap.upload_id(valid_workbook(tmp_path / "v1", pairs=2).read_bytes())
    second = cap.upload_id(valid_workbook(tmp_path / "v2", pairs=4).read_bytes())
    assert cap.send(second).status_code == 303  # another tab sent the second first

    refused = cap.send(first)

    assert refused.status_code == 409
    assert f"Un autre fichier de {PERIOD} a été envoyé le " in refused.text
    assert "expiré" not in refused.text
    page = cap.client.get(f"/espace/depots/{first}").text
    assert "n&#39;est plus en attente" in page and "Envoyer</button>" not in page


def test_an_expired_upload_cannot_be_sent(portal, tmp_path):
    cap = portal.signed_in("agent-cap")
    upload_id = cap.upload_id(valid_workbook(tmp_path).read_bytes())
    store = portal.app.state.portal.store
    with store._connection() as db:
        db.execute("UPDATE uploads SET expires_at = 0 WHERE id = ?", [upload_id])
    cap.upload_id(valid_workbook(tmp_path).read_bytes())  # the next upload clears expired ones
    assert cap.send(upload_id).status_code == 410
    assert portal.files_written() == []


def test_check_needs_no_key(portal, tmp_path, monkeypatch):
    monkeypatch.delenv(KEY_ENV_VAR)
    cap = portal.signed_in("agent-cap")
    upload_id = cap.upload_id(valid_workbook(tmp_path).read_bytes())
    assert cap.send(upload_id).status_code == 303
    assert not portal.settings.secrets_dir.exists()
