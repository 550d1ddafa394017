"""Hostile and odd files for tests: workbooks edited at the XML level, zip bombs, OLE2 files."""

from __future__ import annotations

import re
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
