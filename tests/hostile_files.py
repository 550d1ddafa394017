"""Hostile and odd files for tests: workbooks edited at the XML level, zip bombs, OLE2 files."""

from __future__ import annotations

import os
import posixpath
import re
import shutil
import struct
import zipfile
from collections.abc import Callable
from pathlib import Path

from ase_impact.intake.file_checks import (
    ENCRYPTED_PACKAGE_STREAM,
    MEGABYTE,
    OLE2_SIGNATURE,
    sheet_parts,
)

CENTRAL_DIRECTORY_ENTRY = b"PK\x01\x02"
CENTRAL_SIZE_OFFSET = 24  # uncompressed size field of a central directory entry
CENTRAL_NAME_OFFSET = 46  # the member's name follows the entry's fixed part
# openpyxl writes a formula cell as <c r="A2"><f>…</f><v /></c>: no cached result.
EMPTY_RESULT = re.compile(rb"(</f>)<v ?/>")


def rewrite_parts(path: Path, transform: Callable[[str, bytes], bytes]) -> Path:
    """Rewrite every member of the zip through transform(member name, bytes)."""
    with zipfile.ZipFile(path) as source:
        parts = [(info.filename, source.read(info)) for info in source.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for name, data in parts:
            target.writestr(name, transform(name, data))
    return path


def sheet_part(path: Path, sheet_name: str) -> str:
    return sheet_parts(path, path.name)[sheet_name]


def with_cached_results(path: Path, result: str) -> Path:
    """Give every formula the cached result Excel or LibreOffice would have saved."""
    cached = rb"\1<v>" + result.encode() + b"</v>"
    return rewrite_parts(path, lambda _, data: EMPTY_RESULT.sub(cached, data))


def declare_size(path: Path, member: str, size: int) -> Path:
    """Make the zip directory declare `size` bytes for a member, without changing its data."""
    data = bytearray(path.read_bytes())
    entry = data.find(CENTRAL_DIRECTORY_ENTRY)
    name = member.encode()
    while entry >= 0:
        name_start = entry + CENTRAL_NAME_OFFSET
        if data[name_start : name_start + len(name)] == name:
            struct.pack_into("<I", data, entry + CENTRAL_SIZE_OFFSET, size)
            path.write_bytes(bytes(data))
            return path
        entry = data.find(CENTRAL_DIRECTORY_ENTRY, entry + 1)
    raise KeyError(member)


def pad_sheet(path: Path, sheet_name: str, megabytes: int) -> Path:
    """Add megabytes of blanks to a sheet's XML: a small file that expands past the limits.

    Streamed, so the test itself never holds the expanded sheet in memory.
    """
    part = sheet_part(path, sheet_name)
    with zipfile.ZipFile(path) as source:
        parts = [(info.filename, source.read(info)) for info in source.infolist()]
    blanks = b" " * MEGABYTE
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for name, data in parts:
            if name != part:
                target.writestr(name, data)
                continue
            head, tail = data.rsplit(b"</worksheet>", 1)
            with target.open(name, "w", force_zip64=True) as stream:
                stream.write(head)
                for _ in range(megabytes):
                    stream.write(blanks)
                stream.write(b"</worksheet>" + tail)
    return path


def ole2_file(password_protected: bool) -> bytes:
    """The first sectors of an OLE2 compound file: an old .xls, or a password-protected .xlsx
    (whose directory names an "EncryptedPackage" stream)."""
    header = OLE2_SIGNATURE + bytes(504)
    stream_name = ENCRYPTED_PACKAGE_STREAM if password_protected else "Workbook".encode("utf-16-le")
    directory_entry = stream_name.ljust(128, b"\x00")
    return header + directory_entry * 4 + bytes(512)


def with_error_cells(path: Path, sheet_name: str, errors: dict[str, str]) -> Path:
    """Make cells of a sheet hold Excel errors ({"S2": "#DIV/0!"}), as Excel saves a formula
    whose result is an error: <c r="S2" t="e"><f>…</f><v>#DIV/0!</v></c>."""
    part = sheet_part(path, sheet_name)

    def transform(name: str, data: bytes) -> bytes:
        if name != part:
            return data
        for reference, error in errors.items():
            cell = re.compile(rb'<c r="%s"[^>]*?(?:/>|>.*?</c>)' % reference.encode())
            replacement = b'<c r="%s" t="e"><f>1/0</f><v>%s</v></c>' % (
                reference.encode(),
                error.encode(),
            )
            data, count = cell.subn(replacement, data, count=1)
            if count != 1:
                raise KeyError(reference)
        return data

    return rewrite_parts(path, transform)


def hide_sheet(path: Path, sheet_name: str, state: str = "veryHidden") -> Path:
    """Give a sheet of the workbook part the state "hidden" or "veryHidden"."""
    element = re.compile(rb'<sheet name="' + re.escape(sheet_name.encode()) + rb'"[^>]*>')

    def with_state(match: re.Match) -> bytes:
        without = re.sub(rb' state="[^"]*"', b"", match[0])
        return without.replace(b"<sheet ", b'<sheet state="' + state.encode() + b'" ', 1)

    def transform(name: str, data: bytes) -> bytes:
        if not name.endswith("workbook.xml"):
            return data
        data, count = element.subn(with_state, data, count=1)
        if count != 1:
            raise KeyError(sheet_name)
        return data

    return rewrite_parts(path, transform)


def replace_text(path: Path, old: str, new: str) -> Path:
    """Replace a text in every part of the workbook: what openpyxl would not write itself, such
    as a cell of more than the 32,767 characters Excel allows."""
    old_bytes, new_bytes = old.encode(), new.encode()
    return rewrite_parts(path, lambda _, data: data.replace(old_bytes, new_bytes))


def rename_sheet(path: Path, old: str, new: str) -> Path:
    """Rename a sheet in the workbook part, even to a name another sheet has (Excel and
    openpyxl refuse it; a file edited by hand or generated can hold it)."""
    old_name, new_name = b'name="%s"' % old.encode(), b'name="%s"' % new.encode()

    def transform(name: str, data: bytes) -> bytes:
        if not name.endswith("workbook.xml"):
            return data
        if old_name not in data:
            raise KeyError(old)
        return data.replace(old_name, new_name, 1)

    return rewrite_parts(path, transform)


# --- Issue 15's hostile submissions, each written as raw/<period>/<code>.xlsx ----------------
# Shared by tests/integration/test_bad_inputs.py (one case at a time, over an accepted state)
# and tests/integration/test_hostile_run.py (every case in one raw/, one `ase-impact run`).

ZERO_WIDTH_SPACE = "\u200b"
SOFT_HYPHEN = "\u00ad"
GARBAGE_ROWS = 49_999


def _submission(raw_dir: Path, period: str, code: str, **options) -> Path:
    from tests.integration.sample_rows import write_submission

    return write_submission(raw_dir, period, code, **options)


def hidden_duplicate_data_sheet(raw_dir: Path, period: str, code: str, pairs: int = 28) -> Path:
    """A valid file of `pairs` pairs (+ one closed), plus a copy of « Données » named
    « Données  » (trailing space), very hidden, placed after it, holding one row."""
    from openpyxl import load_workbook

    path = _submission(raw_dir, period, code, pairs=pairs)
    book = load_workbook(path)
    visible = book["Données"]
    copy = book.copy_worksheet(visible)
    copy.title = "copie-cachee"
    copy.delete_rows(3, copy.max_row)
    copy.sheet_state = "veryHidden"
    book.save(path)
    return rename_sheet(path, "copie-cachee", "Données ")


def huge_session_count(raw_dir: Path, period: str, code: str) -> Path:
    """A valid file whose one more pair planned 3,000,000,000 sessions (past INTEGER)."""
    from datetime import date

    from tests.integration.sample_rows import pair_row

    huge = pair_row(
        "B-777", "Nomgrand", "Prenomgrand", date(2010, 6, 6), **{"Séances prévues": 3e9}
    )
    return _submission(raw_dir, period, code, extra_pairs=[huge])


def with_member(path: Path, member: str, contents: bytes, relationship: str | None = None) -> Path:
    """The workbook with one more zip member, linked from the workbook's relationships when
    relationship (a relationship type) is given: a VBA project, printer settings…"""
    relationships = "xl/_rels/workbook.xml.rels"

    def link(name: str, data: bytes) -> bytes:
        if relationship is None or name != relationships:
            return data
        target = posixpath.relpath(member, "xl")
        entry = f'<Relationship Id="rIdExtra" Type="{relationship}" Target="{target}"/>'
        return data.replace(b"</Relationships>", entry.encode() + b"</Relationships>")

    rewrite_parts(path, link)
    with zipfile.ZipFile(path, "a") as archive:
        archive.writestr(member, contents)
    return path


def amount_past_any_total(raw_dir: Path, period: str, code: str) -> Path:
    """A valid file with one more resource of 10^27 €: past what the warehouse's exact sums of
    amounts hold (DECIMAL(38, 12))."""
    from tests.integration.sample_rows import resource_row

    rows = {"resources": [resource_row(), resource_row("Don exceptionnel", amount=1e27)]}
    return _submission(raw_dir, period, code, rows=rows)


def control_characters_and_invisible_digits(raw_dir: Path, period: str, code: str) -> Path:
    """A valid file whose text cells hold a NUL (as Excel's XML escapes it, « _x0000_ »: a
    character PostgreSQL refuses in text), its association's name too, and one more pair whose
    date and number typed as text carry a zero-width space and a byte-order mark."""
    from datetime import date

    from tests.integration.sample_rows import pair_row

    invisible = {"Date de candidature": "\u200b01/02/2026", "Séances prévues": "12\ufeff"}
    extra = pair_row("B-888", "Nomnul", "Prenomnul", date(2011, 5, 5), **invisible)
    path = _submission(raw_dir, period, code, extra_pairs=[extra])
    replace_text(path, "MECS Les Aubépines", "MECS_x0000_ Les Aubépines")
    return replace_text(path, "Association de test", "Association_x0000_ de test")


def name_not_in_utf8(raw_dir: Path, period: str, valid: Path) -> Path:
    """A copy of a valid file named « café.xlsx » in Latin-1 (b"caf\\xe9.xlsx"), as an old file
    share or an archive tool writes it: a name no message or table can hold as it is."""
    path = Path(os.fsdecode(os.fsencode(raw_dir / period) + b"/caf\xe9.xlsx"))
    shutil.copyfile(valid, path)
    return path


def invisible_characters(raw_dir: Path, period: str, code: str) -> Path:
    """One youth in three pairs, its name spelt with a soft hyphen and a zero-width space; and
    pair ids that differ only by an invisible character or by case."""
    from datetime import date

    from tests.integration.sample_rows import pair_row

    born = date(2011, 4, 4)
    spellings = ["Dupont", f"Du{SOFT_HYPHEN}pont", f"Dupont{ZERO_WIDTH_SPACE}"]
    same_youth = [pair_row(f"Y-{n}", name, "Lina", born) for n, name in enumerate(spellings, 1)]
    twins = [
        pair_row("CA-001", "Nomun", "Prenomun", date(2010, 2, 2)),
        pair_row(f"CA-001{ZERO_WIDTH_SPACE}", "Nomdeux", "Prenomdeux", date(2010, 3, 3)),
        pair_row("CA-003", "Nomtrois", "Prenomtrois", date(2010, 4, 4)),
        pair_row("ca-003", "Nomquatre", "Prenomquatre", date(2010, 5, 5)),
    ]
    return _submission(raw_dir, period, code, pairs=1, extra_pairs=same_youth + twins)


def blank_template(raw_dir: Path, period: str, code: str) -> Path:
    """The workbook as the département hands it out: identity filled in, every sheet empty."""
    from tests.workbook_factory import write_workbook

    return write_workbook(raw_dir / period / f"{code}.xlsx", association_code=code, period=period)


def mac_workbook_with_serial_birth_date(raw_dir: Path, period: str, code: str) -> Path:
    """A date1904 workbook (Mac Excel) where one birth date, 04/05/2011, is typed as the plain
    number Excel shows in that date system."""
    from datetime import date

    from openpyxl import load_workbook
    from openpyxl.utils.datetime import CALENDAR_MAC_1904

    from tests.integration.sample_rows import pair_row

    serial = (date(2011, 5, 4) - date(1904, 1, 1)).days
    mac = pair_row("M-001", "Nommac", "Prenommac", serial)
    path = _submission(raw_dir, period, code, pairs=1, extra_pairs=[mac])
    book = load_workbook(path)
    book.epoch = CALENDAR_MAC_1904
    book.save(path)
    return path


def error_logical_and_percent_cells(raw_dir: Path, period: str, code: str) -> Path:
    """Excel errors (#DIV/0!, #N/A, #REF!, #VALUE!), a logical value and an amount typed as
    50 %, each on its own row of an otherwise valid file."""
    from datetime import date

    from openpyxl import load_workbook

    from tests.integration.sample_rows import pair_row, resource_row
    from tests.workbook_factory import headers_of

    extra = [
        pair_row(f"E-{n}", f"Nomerr{chr(96 + n)}", "Prenomerr", date(2010, 1, n))
        for n in range(1, 6)
    ]
    resources = [resource_row(), resource_row("Fondation Pourcent", 0.5)]
    rows = {"resources": resources}
    path = _submission(raw_dir, period, code, pairs=1, extra_pairs=extra, rows=rows)
    headers = headers_of("pairs")

    def cell(header: str, excel_row: int) -> str:
        from openpyxl.utils import get_column_letter

        return f"{get_column_letter(headers.index(header) + 1)}{excel_row}"

    # Rows 2-3 are the valid pair and the closed one; E-1… are rows 4-8.
    book = load_workbook(path)
    book["Données"][cell("Structure ASE d'origine", 8)] = True
    book["Ressources"]["C3"].number_format = "0%"
    book.save(path)
    errors = {
        cell("Séances prévues", 4): "#DIV/0!",
        cell("Date de naissance", 5): "#N/A",
        cell("Identifiant mentor", 6): "#REF!",
        cell("Territoire", 7): "#VALUE!",
    }
    return with_error_cells(path, "Données", errors)


def nameless_youths(raw_dir: Path, period: str, code: str) -> Path:
    """Two youths born the same day whose names are only "-" and "'"."""
    from datetime import date

    from tests.integration.sample_rows import pair_row

    born = date(2011, 8, 8)
    extra = [pair_row("N-1", "-", "-", born), pair_row("N-2", "'", "'", born)]
    return _submission(raw_dir, period, code, pairs=1, extra_pairs=extra)


def long_text_cell(raw_dir: Path, period: str, code: str, length: int = 100_000) -> Path:
    """A valid file whose one more pair's « Structure ASE d'origine » holds `length`
    characters (more than Excel itself would write)."""
    from datetime import date

    from tests.integration.sample_rows import pair_row

    marker = "STRUCTURE-TRES-LONGUE"
    extra = pair_row("L-1", "Nomlong", "Prenomlong", date(2010, 9, 9))
    extra["Structure ASE d'origine"] = marker
    path = _submission(raw_dir, period, code, pairs=1, extra_pairs=[extra])
    return replace_text(path, marker, "S" * length)


def garbage_rows(raw_dir: Path, period: str, code: str, rows: int = GARBAGE_ROWS) -> Path:
    """« Données » holding `rows` rows of one-column garbage: every row breaks a dozen rules."""
    from openpyxl import Workbook

    from ase_impact.core import referentiel
    from tests.workbook_factory import headers_of

    # Written in write-only mode: 50,000 rows are written in seconds.
    path = raw_dir / period / f"{code}.xlsx"
    path.parent.mkdir(parents=True, exist_ok=True)
    book = Workbook(write_only=True)
    for spec in referentiel.sheets():
        sheet = book.create_sheet(spec.name_fr)
        if spec.sheet_code == "parameters":
            identity = {
                "association_code": code,
                "period": period,
                "association_name": "Association de test",
                "template_version": referentiel.CURRENT_TEMPLATE_VERSION,
            }
            for label, field in referentiel.IDENTITY_LABELS.items():
                sheet.append([label, identity[field]])
        elif spec.is_read:
            sheet.append(headers_of(spec.sheet_code))
            if spec.sheet_code == "pairs":
                for number in range(rows):
                    sheet.append([f"#{number:05d}?"])
    book.save(path)
    return path


def folder_named_like_a_workbook(raw_dir: Path, period: str, name: str = "x.xlsx") -> Path:
    folder = raw_dir / period / name
    folder.mkdir(parents=True)
    (folder / "dedans.xlsx").write_bytes(b"")
    return folder


def link_leading_outside(raw_dir: Path, period: str, outside: Path, name: str) -> Path:
    """raw/<period>/<name>, a symbolic link to a file outside raw/."""
    link = raw_dir / period / name
    link.parent.mkdir(parents=True, exist_ok=True)
    link.symlink_to(outside)
    return link
