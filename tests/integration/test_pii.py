"""No name, first name or full birth date of a youth may reach the warehouse.

`assert_no_pii` is the reusable scan: every text value and every date value of every table of a
DuckDB file, plus the raw bytes of any file (DuckDB files, logs, event-log databases) and, for a
zip (.xlsx), the decompressed bytes of each of its members.
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import pytest

from ase_impact.intake.ingestion import ingest_file
from ase_impact.intake.pseudonymise import normalise_name
from ase_impact.warehouse import connection, schema
from tests.integration.sample_rows import mispe_row, pair_row, write_submission

EXCEL_EPOCH = date(1899, 12, 30)
TEXT_TYPES = ("VARCHAR", "JSON")
DATE_TYPES = ("DATE", "TIMESTAMP", "TIMESTAMP WITH TIME ZONE", "TIMESTAMP_NS")


@dataclass(frozen=True)
class PiiSecrets:
    """The identities a test wrote into its workbooks, to hunt for afterwards."""

    names: tuple[str, ...]
    birth_dates: tuple[date, ...]

    def date_texts(self) -> list[str]:
        texts = []
        for born in self.birth_dates:
            texts += [born.isoformat(), born.strftime("%d/%m/%Y"), born.strftime("%Y%m%d")]
        return texts

    def found_in_text(self, value: str) -> list[str]:
        folded, squeezed = value.casefold(), normalise_name(value)
        hits = [name for name in self.names if normalise_name(name) in squeezed]
        hits += [name for name in self.names if name.casefold() in folded]
        hits += [text for text in self.date_texts() if text in folded]
        serials = {str((born - EXCEL_EPOCH).days) for born in self.birth_dates}
        hits += [serial for serial in serials if value.strip() == serial]
        return hits

    def found_in_bytes(self, data: bytes) -> list[str]:
        lowered = data.lower()
        needles = [text.encode() for text in self.date_texts()]
        for name in self.names:
            needles += {
                name.encode(),
                name.casefold().encode(),
                normalise_name(name).encode(),
                json.dumps(name)[1:-1].encode(),  # JSON with \u escapes (event logs)
                name.encode("ascii", "xmlcharrefreplace"),  # &#233; in XML and HTML
            }
        return sorted({needle.decode() for needle in needles if needle.lower() in lowered})


def _duckdb_hits(path: Path, secrets: PiiSecrets) -> list[str]:
    hits = []
    with duckdb.connect(str(path), read_only=True) as conn:
        columns = conn.execute(
            "SELECT table_schema, table_name, column_name, data_type "
            "FROM information_schema.columns WHERE table_catalog = current_database()"
        ).fetchall()
        for schema, table, column, data_type in columns:
            where = f'"{schema}"."{table}"'
            if data_type in TEXT_TYPES:
                values = conn.execute(
                    f'SELECT DISTINCT "{column}"::VARCHAR FROM {where} WHERE "{column}" IS NOT NULL'
                ).fetchall()
                hits += [
                    f"{schema}.{table}.{column}: {found}"
                    for (value,) in values
                    for found in secrets.found_in_text(value)
                ]
            elif data_type in DATE_TYPES:
                stored = conn.execute(
                    f'SELECT DISTINCT "{column}"::DATE FROM {where} WHERE "{column}"::DATE '
                    f"IN ({', '.join('?' for _ in secrets.birth_dates)})",
                    list(secrets.birth_dates),
                ).fetchall()
                hits += [f"{schema}.{table}.{column}: date {day}" for (day,) in stored]
    return hits


def _zip_members(path: Path, data: bytes) -> dict[str, bytes]:
    """The decompressed members of a zip file (an .xlsx must be one); {} for any other file."""
    if path.suffix != ".xlsx" and not (data.startswith(b"PK") and zipfile.is_zipfile(path)):
        return {}
    with zipfile.ZipFile(path) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist()}


def find_pii(paths: Iterable[Path], secrets: PiiSecrets) -> list[str]:
    """Every secret name or birth date found in these files, as "<file> (<where>): <found>".

    A .duckdb file is scanned through SQL (every text and date column of every table and view)
    and as bytes; a zip (.xlsx) as bytes and member by member, decompressed; any other file
    (log, event-log database, HTML) as bytes; bytes case-insensitively.
    """
    hits = []
    for path in paths:
        if path.suffix == ".duckdb":
            hits += _duckdb_hits(path, secrets)
        data = path.read_bytes()
        hits += [f"{path.name} (octets): {found}" for found in secrets.found_in_bytes(data)]
        for member, content in _zip_members(path, data).items():
            hits += [
                f"{path.name} ({member}): {found}" for found in secrets.found_in_bytes(content)
            ]
    return hits


def assert_no_pii(paths: Iterable[Path], secrets: PiiSecrets) -> None:
    """Fail if any secret name or birth date is in any of these files (see find_pii)."""
    hits = find_pii(paths, secrets)
    assert not hits, "données personnelles trouvées :\n" + "\n".join(hits)


SECRETS = PiiSecrets(
    names=("Zorglubienne", "Quetzalix", "Vrillançonne", "Kastafiore-Pélagie", "Ombrelune"),
    birth_dates=(
        date(2011, 7, 23),
        date(2009, 11, 14),
        date(2013, 2, 27),
        date(1990, 3, 15),
        date(2007, 1, 9),
    ),
)


def _write_identifying_workbook(raw_dir: Path) -> Path:
    pairs = [
        pair_row("B-101", "Zorglubienne", "Quetzalix", date(2011, 7, 23)),
        pair_row("B-102", "Kastafiore-Pélagie", "Ombrelune", "14/11/2009"),
        pair_row("B-103", "Vrillançonne", "Zorglubienne", "2013-02-27"),
        # Rejected rows: their findings must not echo a name or a birth date.
        pair_row("B-104", "Quetzalix", "Vrillançonne", date(1990, 3, 15)),
        pair_row("B-105", "Ombrelune", "Quetzalix", "23 juillet 2011"),
        pair_row("B-106", "Zorglubienne", "Ombrelune", date(2011, 7, 23), Sexe="Martien"),
        # A paste shifted by a column: a first name and a birth date land in list columns.
        pair_row(
            "B-107",
            "Kastafiore-Pélagie",
            "Ombrelune",
            "14/11/2009",
            **{"Sexe": "quetzalix", "Niveau scolaire": "2013-02-27"},
        ),
    ]
    mispe = [
        mispe_row("ZORGLUBIENNE", "quetzalix", date(2011, 7, 23), date(2026, 10, 5)),
        mispe_row("Kastafiore Pelagie", "Ombrelune", "14/11/2009", date(2026, 10, 6)),
        mispe_row("Vrillançonne", "Zorglubienne", date(1990, 3, 15), date(2026, 10, 7)),
        # 19 at passation: outside MIS PE's 13-18 scope, kept with an alert.
        mispe_row("Ombrelune", "Kastafiore-Pélagie", date(2007, 1, 9), date(2026, 10, 8)),
    ]
    return write_submission(
        raw_dir,
        "2026-10",
        "cap-avenir",
        extra_pairs=pairs,
        rows={"mispe_questionnaires": mispe},
    )


def test_no_name_or_birth_date_reaches_the_warehouse(settings):
    path = _write_identifying_workbook(settings.raw_dir)
    with connection.connect(settings.warehouse) as conn:
        schema.ensure_schema(conn)
        report = ingest_file(path, settings, conn)
        rejected_pairs = conn.execute(
            "SELECT DISTINCT pair_id FROM quality.rejected_rows WHERE sheet = 'Données'"
        ).fetchall()
        out_of_scope_alerts = conn.execute(
            "SELECT count(*) FROM raw.mispe_questionnaires WHERE is_out_of_mispe_scope "
            "AND has_alerts"
        ).fetchone()[0]
        same_youth = conn.execute(
            "SELECT count(*) FROM raw.pairs p JOIN raw.mispe_questionnaires m USING (youth_key)"
        ).fetchone()[0]
    # The workbook really exercised accepted and rejected identities in both sheets.
    assert {"B-104", "B-105", "B-106", "B-107"} <= {pair_id for (pair_id,) in rejected_pairs}
    # A value typed outside its list that is nobody's name is still shown, to be corrected.
    shown = report.findings.set_index(["pair_id", "column_header"])["value_received"]
    assert shown[("B-106", "Sexe")] == "Martien"
    assert shown[("B-107", "Sexe")] == shown[("B-107", "Niveau scolaire")] == "***"
    assert report.sheet_counts["mispe_questionnaires"].rejected >= 1
    assert out_of_scope_alerts == 1
    # Two youth spelt differently in the two sheets are recognised as the same youth.
    assert same_youth == 2
    finding_texts = [str(value) for value in report.findings.to_numpy().ravel()]
    assert not [hit for text in finding_texts for hit in SECRETS.found_in_text(text)]
    assert_no_pii([settings.warehouse], SECRETS)


def test_the_scan_finds_what_it_hunts(tmp_path):
    leaky = tmp_path / "leaky.duckdb"
    with duckdb.connect(str(leaky)) as conn:
        conn.execute("CREATE SCHEMA quality")
        conn.execute("CREATE TABLE quality.t (message VARCHAR, born DATE)")
        conn.execute(
            "INSERT INTO quality.t VALUES "
            "('Ligne 3 : KASTAFIORE PELAGIE', NULL), (NULL, '2013-02-27')"
        )
    log = tmp_path / "run.log"
    log.write_text("ligne 12 : né le 23/07/2011\n", encoding="utf-8")
    with pytest.raises(AssertionError) as failure:
        assert_no_pii([leaky, log], SECRETS)
    assert "quality.t.message: Kastafiore-Pélagie" in str(failure.value)
    assert "quality.t.born: date 2013-02-27" in str(failure.value)
    assert "run.log (octets): 23/07/2011" in str(failure.value)


def test_the_scan_reads_inside_workbooks_and_escaped_text(tmp_path):
    """Deflated .xlsx members hide names from a bytes scan; JSON escapes hide accents."""
    book = tmp_path / "retour.xlsx"
    with zipfile.ZipFile(book, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/sharedStrings.xml", "<sst><si><t>Zorglubienne</t></si></sst>" * 50)
    assert b"Zorglubienne" not in book.read_bytes()
    events = tmp_path / "events.db"
    events.write_bytes(json.dumps({"message": "Vrillançonne"}).encode())
    hits = find_pii([book, events], SECRETS)
    assert "retour.xlsx (xl/sharedStrings.xml): Zorglubienne" in hits
    assert "events.db (octets): Vrillan\\u00e7onne" in hits
