"""Checks on a received file before calamine opens it: hostile and odd files are refused here.

calamine loads whole sheets into memory and decompresses whatever the zip holds, so a file is
first judged on cheap evidence: its first bytes (empty, old .xls, password-protected, text
renamed .xlsx), the zip directory (a zip bomb is refused before anything is decompressed) and
one pass over each read sheet's XML (a value beyond the size limits, a formula without a
cached result). Declared sizes can be trusted once checked: Python's zipfile and calamine's zip
reader both refuse a member that decompresses past its declared size.

The same pass tells what calamine's values do not: which cells hold an Excel error (#DIV/0!,
#N/A…, which calamine reads as empty) and which numbers are shown as percentages (50 % is read
as 0.5). The workbook part says whether the sheets are visible and whether dates count from
1904 (Mac Excel's date system), so that a date typed as a plain number is read as Excel shows it.

That pass has two speeds. A sheet of ordinary size is first judged on its bytes: when every cell
states its position within the limits and no formula appears, nothing can be refused, and expat
only checks that the XML is well formed. Anything else (a formula, a cell near or past the
limits, a cell without its position, prefixed element names, an unusual encoding) takes the
exact pass, which follows every cell with expat as calamine will read it.
"""

from __future__ import annotations

import posixpath
import re
import zipfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from xml.parsers import expat

from openpyxl.utils import column_index_from_string, get_column_letter

from ase_impact.contracts.errors import file_level_error

MEGABYTE = 1024 * 1024
# Zip bomb limits, checked on the zip directory before anything is decompressed.
MAX_UNCOMPRESSED_BYTES = 200 * MEGABYTE
MAX_COMPRESSION_RATIO = 100  # only for members larger than RATIO_CHECKED_ABOVE_BYTES
RATIO_CHECKED_ABOVE_BYTES = 10 * MEGABYTE
# Size limits of a read sheet (header row excluded), checked on its XML before calamine loads
# it: calamine holds every cell of the rectangle from A1 to the last value in memory.
MAX_DATA_ROWS = 50_000
MAX_COLUMNS = 200
HEADER_ROWS = 1
FORMULA_CELLS_NAMED = 5
# Excel's error values are short (#DIV/0!, #N/A, #GETTING_DATA): longer text is cut.
MAX_ERROR_TEXT = 20

ZIP_SIGNATURE = b"PK"
OLE2_SIGNATURE = bytes.fromhex("d0cf11e0a1b11ae1")
# A password-protected .xlsx is an OLE2 container holding an "EncryptedPackage" stream; the
# container's directory stores stream names in UTF-16LE.
ENCRYPTED_PACKAGE_STREAM = "EncryptedPackage".encode("utf-16-le")
UTF16_BYTE_ORDER_MARKS = (b"\xff\xfe", b"\xfe\xff")
# Control bytes never found in a text file (tab, line feed, form feed, carriage return are).
BINARY_BYTES = frozenset(range(32)) - {9, 10, 12, 13}
SNIFFED_BYTES = 4096
CHUNK_BYTES = 1 << 20
PACKAGE_RELATIONSHIPS = "_rels/.rels"
CELL_REFERENCE = re.compile(r"([A-Z]{1,3})([0-9]+)")
# Sheets up to this size are read whole and judged on their bytes first; larger ones are streamed.
BYTE_SCAN_MAX_BYTES = 64 * MEGABYTE
UTF8_BYTE_ORDER_MARK = b"\xef\xbb\xbf"
XML_DECLARATION = re.compile(rb"<\?xml\s[^>]*\?>")
DECLARED_ENCODING = re.compile(rb"""encoding\s*=\s*["']([^"']*)["']""")
ASCII_COMPATIBLE_ENCODINGS = frozenset({b"utf-8", b"utf8", b"us-ascii", b"ascii"})
# Namespace prefixes a sheet declares; "xml" is bound without a declaration.
DECLARED_PREFIX = re.compile(rb"xmlns:([^\s=]+)\s*=")
FORMULA_START = re.compile(rb"<f[\s/>]")
# A cell element that does not start <c r="A1": its position is implicit or odd.
UNPLAIN_CELL_START = re.compile(rb'<c(?=[\s/>])(?! r="[A-Z]{1,3}[0-9]+"[\s/>])')
# Positions long enough to reach the limits: as many letters as the last column allowed, or as
# many significant digits as the last row allowed. Each one is then compared exactly.
FAR_CELL_POSITION = re.compile(
    rb'<c r="(?=[A-Z]{%d}|[A-Z]{1,3}0*[1-9][0-9]{%d})([A-Z]{1,3})([0-9]+)"'
    % (len(get_column_letter(MAX_COLUMNS)), len(str(MAX_DATA_ROWS + HEADER_ROWS)) - 1)
)
# Cell types whose empty <v> is a real cached value (a formula returning "").
TEXT_CELL_TYPES = frozenset({"str", "inlineStr"})
ERROR_CELL_TYPE = "e"
NUMBER_CELL_TYPES = frozenset({None, "n"})
# Excel's built-in number formats that show a percentage (0 % and 0,00 %).
BUILTIN_PERCENT_FORMATS = frozenset({9, 10})
# What a number format shows literally, where a "%" is no percentage: quoted text, escaped
# characters and bracketed sections (colours, conditions, locales).
FORMAT_LITERALS = re.compile(r'"[^"]*"|\\.|\[[^\]]*\]')
# A cell attribute naming a type of error ("e"), in either quoting.
ERROR_TYPE_ATTRIBUTE = re.compile(rb"""\st\s*=\s*["']e["']""")
# Visibility of a sheet in the workbook part (absent: visible).
VISIBLE = "visible"
# Every failure of a corrupt zip or XML part: the file is then reported as damaged.
DAMAGED_FILE_ERRORS = (
    zipfile.BadZipFile,
    zlib.error,
    expat.ExpatError,
    EOFError,
    OSError,
    KeyError,
    ValueError,
    RuntimeError,  # an encrypted zip member
    NotImplementedError,  # an unsupported compression method
)


@dataclass(frozen=True)
class SheetPart:
    """One sheet as the workbook part lists it: its name, XML member and visibility."""

    name: str
    part: str
    state: str  # "visible", "hidden" or "veryHidden"


@dataclass(frozen=True)
class WorkbookParts:
    """What the workbook part and the styles say about every sheet's cells."""

    sheets: tuple[SheetPart, ...]  # in the workbook's order, names possibly repeated
    date1904: bool  # dates count from 1904-01-01 (Mac Excel), not from 1899-12-30
    percent_styles: frozenset[int]  # cell style indexes whose number format shows a percentage


# (row, column) of a cell, both from 1 → ("error", "#DIV/0!") or ("percent", "").
CellMarks = dict[tuple[int, int], tuple[str, str]]
ERROR_MARK = "error"
# The part holding a workbook's macros (Excel names it xl/vbaProject.bin).
VBA_PROJECT_PART = "vbaproject.bin"
PERCENT_MARK = "percent"


def workbook_parts(path: Path, display_name: str) -> WorkbookParts:
    """The sheets, date system and percent styles of a workbook; FileLevelError for anything but
    a sane .xlsx."""
    _check_first_bytes(path, display_name)
    with _open_zip(path, display_name) as archive:
        _check_expansion(archive.infolist(), display_name)
        return _workbook_parts(archive, display_name)


def sheet_parts(path: Path, display_name: str) -> dict[str, str]:
    """Sheet name → its XML member in the zip (the last of a repeated name)."""
    return {sheet.name: sheet.part for sheet in workbook_parts(path, display_name).sheets}


def check_sheet_cells(
    path: Path,
    display_name: str,
    sheet_name: str,
    part: str,
    percent_styles: frozenset[int] = frozenset(),
) -> CellMarks:
    """Refuse a sheet with a value beyond the size limits or a formula without its result; else
    the cells holding an Excel error, and the numbers shown as percentages."""
    scan = _SheetScan(percent_styles)
    with _open_zip(path, display_name) as archive:
        xml = _ordinary_sized_part(archive, part, display_name)
        if xml is not None and _plainly_acceptable(xml, percent_styles):
            _parse_bytes(xml, display_name)  # nothing to refuse or mark but malformed XML
            return {}
        try:
            if xml is None:
                _parse(archive, part, display_name, scan.start, scan.end, scan.text)
            else:
                _parse_bytes(xml, display_name, scan.start, scan.end, scan.text)
        except _BeyondLimits:
            raise file_level_error(
                "FIC-013",
                file=display_name,
                sheet=sheet_name,
                cell=scan.reference(),
                max_rows=_thousands(MAX_DATA_ROWS),
                max_columns=_thousands(MAX_COLUMNS),
            ) from None
    if scan.formulas_without_result:
        raise file_level_error(
            "FIC-014",
            file=display_name,
            sheet=sheet_name,
            cells=_formula_cells_text(scan.formulas_without_result, scan.missing_results),
        )
    return scan.marks


def _check_first_bytes(path: Path, display_name: str) -> None:
    try:
        with open(path, "rb") as handle:
            head = handle.read(SNIFFED_BYTES)
    except OSError:
        raise file_level_error("FIC-005", file=display_name) from None
    if not head:
        raise file_level_error("FIC-008", file=display_name)
    if head.startswith(OLE2_SIGNATURE):
        protected = _contains(path, ENCRYPTED_PACKAGE_STREAM)
        raise file_level_error("FIC-010" if protected else "FIC-009", file=display_name)
    if head.startswith(ZIP_SIGNATURE):
        return
    if head.startswith(UTF16_BYTE_ORDER_MARKS) or not BINARY_BYTES.intersection(head):
        raise file_level_error("FIC-011", file=display_name)
    raise file_level_error("FIC-004", file=display_name)


def _contains(path: Path, needle: bytes) -> bool:
    """Whether the file holds needle, read in chunks that overlap by the needle's length."""
    tail = b""
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK_BYTES):
            if needle in tail + chunk:
                return True
            tail = chunk[-len(needle) :]
    return False


@contextmanager
def _open_zip(path: Path, display_name: str) -> Iterator[zipfile.ZipFile]:
    try:
        archive = zipfile.ZipFile(path)
    except DAMAGED_FILE_ERRORS:
        raise file_level_error("FIC-005", file=display_name) from None
    with archive:
        yield archive


def _check_expansion(members: list[zipfile.ZipInfo], display_name: str) -> None:
    """Refuse a zip bomb from the sizes its directory declares, before decompressing."""
    if sum(member.file_size for member in members) > MAX_UNCOMPRESSED_BYTES:
        reason = (
            "une fois décompressé, le classeur dépasserait la taille maximale admise "
            f"({_thousands(MAX_UNCOMPRESSED_BYTES // MEGABYTE)} Mo)"
        )
        raise file_level_error("FIC-012", file=display_name, reason=reason)
    for member in members:
        ratio = member.file_size / max(member.compress_size, 1)
        if member.file_size > RATIO_CHECKED_ABOVE_BYTES and ratio > MAX_COMPRESSION_RATIO:
            reason = (
                f"la partie « {member.filename} » du classeur se décompresse en "
                f"{_thousands(member.file_size // MEGABYTE)} Mo, {_thousands(int(ratio))} fois "
                f"sa taille compressée (au plus {MAX_COMPRESSION_RATIO} fois admis)"
            )
            raise file_level_error("FIC-012", file=display_name, reason=reason)


def _workbook_parts(archive: zipfile.ZipFile, display_name: str) -> WorkbookParts:
    """Follow the package's relationships to the workbook, then to each sheet's XML and to the
    styles."""
    if PACKAGE_RELATIONSHIPS not in archive.namelist():
        raise file_level_error("FIC-004", file=display_name)
    documents = _relationship_targets(archive, PACKAGE_RELATIONSHIPS, "", display_name)
    workbook = next(
        (target for kind, target in documents.values() if kind.endswith("/officeDocument")), None
    )
    if workbook is None:
        raise file_level_error("FIC-004", file=display_name)
    folder, file_name = posixpath.split(workbook)
    relationships = posixpath.join(folder, "_rels", f"{file_name}.rels")
    targets = _relationship_targets(archive, relationships, folder, display_name)
    # Macros (a VBA project, however it is linked): never passed on under the name .xlsx.
    if any(kind.endswith("/vbaProject") for kind, _ in targets.values()) or any(
        name.lower().endswith(VBA_PROJECT_PART) for name in archive.namelist()
    ):
        raise file_level_error("FIC-020", file=display_name)

    root: list[str] = []
    sheets: list[SheetPart] = []
    date1904: list[bool] = []

    def start(name: str, attributes: dict[str, str]) -> None:
        local = _local(name)
        if not root:
            root.append(local)
        elif local == "sheet":
            ids = [value for key, value in attributes.items() if _local(key) == "id"]
            state = attributes.get("state", VISIBLE)
            sheets.append(SheetPart(attributes["name"], targets[ids[0] if ids else ""][1], state))
        elif local == "workbookPr":
            date1904.append(attributes.get("date1904", "").strip().lower() in ("1", "true"))

    _parse(archive, workbook, display_name, start)
    if root != ["workbook"]:
        raise file_level_error("FIC-004", file=display_name)
    if not {sheet.part for sheet in sheets} <= set(archive.namelist()):
        raise file_level_error("FIC-005", file=display_name)
    styles = next((target for kind, target in targets.values() if kind.endswith("/styles")), None)
    percent_styles = (
        _percent_styles(archive, styles, display_name)
        if styles in archive.namelist()
        else frozenset()
    )
    return WorkbookParts(tuple(sheets), any(date1904), percent_styles)


def _percent_styles(archive: zipfile.ZipFile, styles: str, display_name: str) -> frozenset[int]:
    """Indexes of the cell styles (cellXfs) whose number format shows a percentage."""
    custom: dict[int, str] = {}
    formats: list[int] = []
    in_cell_styles: list[bool] = []

    def start(name: str, attributes: dict[str, str]) -> None:
        local = _local(name)
        if local == "numFmt" and attributes.get("numFmtId", "").isdigit():
            custom[int(attributes["numFmtId"])] = attributes.get("formatCode", "")
        elif local == "cellXfs":
            in_cell_styles.append(True)
        elif local == "xf" and in_cell_styles:
            identifier = attributes.get("numFmtId", "0")
            formats.append(int(identifier) if identifier.isdigit() else 0)

    def end(name: str) -> None:
        if _local(name) == "cellXfs":
            in_cell_styles.clear()

    _parse(archive, styles, display_name, start, end)
    return frozenset(
        index
        for index, identifier in enumerate(formats)
        if identifier in BUILTIN_PERCENT_FORMATS
        or "%" in FORMAT_LITERALS.sub("", custom.get(identifier, ""))
    )


def _relationship_targets(
    archive: zipfile.ZipFile, part: str, folder: str, display_name: str
) -> dict[str, tuple[str, str]]:
    """Relationship id → (type, member path) of a .rels part; targets resolved from folder."""
    targets: dict[str, tuple[str, str]] = {}

    def start(name: str, attributes: dict[str, str]) -> None:
        if _local(name) == "Relationship" and attributes.get("TargetMode") != "External":
            target = attributes["Target"]
            path = target.lstrip("/") if target.startswith("/") else f"{folder}/{target}"
            targets[attributes["Id"]] = (attributes["Type"], posixpath.normpath(path).lstrip("/"))

    _parse(archive, part, display_name, start)
    return targets


def _ordinary_sized_part(archive: zipfile.ZipFile, part: str, display_name: str) -> bytes | None:
    """The member's bytes when it declares at most BYTE_SCAN_MAX_BYTES; else None."""
    try:
        if archive.getinfo(part).file_size > BYTE_SCAN_MAX_BYTES:
            return None
        return archive.read(part)
    except DAMAGED_FILE_ERRORS:
        raise file_level_error("FIC-005", file=display_name) from None


def _plainly_acceptable(xml: bytes, percent_styles: frozenset[int] = frozenset()) -> bool:
    """Whether a sheet's bytes prove the exact pass would find nothing to refuse or mark.

    True only for UTF-8 XML whose every cell element starts <c r="A1"…, within the limits, with
    no formula element, no error cell, no cell of a percent style and no prefixed element name
    (a prefixed cell would escape the byte patterns). Comments or CDATA that look like cells
    only send the sheet to the exact pass.
    """
    if not _is_utf8(xml) or FORMULA_START.search(xml) or UNPLAIN_CELL_START.search(xml):
        return False
    if ERROR_TYPE_ATTRIBUTE.search(xml):
        return False
    if percent_styles and _percent_style_attribute(percent_styles).search(xml):
        return False
    prefixes = [b"xml", *DECLARED_PREFIX.findall(xml)]
    if any(b"<" + prefix + b":" in xml for prefix in prefixes):
        return False
    return not any(
        column_index_from_string(letters.decode()) > MAX_COLUMNS
        or int(digits) > MAX_DATA_ROWS + HEADER_ROWS
        for letters, digits in FAR_CELL_POSITION.findall(xml)
    )


def _percent_style_attribute(percent_styles: frozenset[int]) -> re.Pattern[bytes]:
    """A cell attribute naming one of these styles, in either quoting."""
    indexes = b"|".join(str(index).encode() for index in sorted(percent_styles))
    return re.compile(rb"""\ss\s*=\s*["'](?:%s)["']""" % indexes)


def _is_utf8(xml: bytes) -> bool:
    """UTF-8 (or ASCII) XML, as declared or by default; UTF-16 and others are not byte-scanned."""
    body = xml.removeprefix(UTF8_BYTE_ORDER_MARK)
    if not body.startswith(b"<") or b"\x00" in body[:4]:
        return False
    declaration = XML_DECLARATION.match(body)
    if declaration is None:
        return not body.startswith(b"<?xml")
    encoding = DECLARED_ENCODING.search(declaration[0])
    return encoding is None or encoding[1].lower() in ASCII_COMPATIBLE_ENCODINGS


def _parser(
    start: Callable[[str, dict[str, str]], None] | None,
    end: Callable[[str], None] | None,
    text: Callable[[str], None] | None,
) -> expat.XMLParserType:
    """An expat parser that refuses a document type declaration."""
    parser = expat.ParserCreate(namespace_separator=" ")
    parser.StartDoctypeDeclHandler = _refuse_document_type
    if start:
        parser.StartElementHandler = start
    if end:
        parser.EndElementHandler = end
    if text:
        parser.CharacterDataHandler = text
    return parser


def _parse(
    archive: zipfile.ZipFile,
    part: str,
    display_name: str,
    start: Callable[[str, dict[str, str]], None],
    end: Callable[[str], None] | None = None,
    text: Callable[[str], None] | None = None,
) -> None:
    """Stream one XML member through expat."""
    parser = _parser(start, end, text)
    try:
        with archive.open(part) as stream:
            parser.ParseFile(stream)
    except DAMAGED_FILE_ERRORS:
        raise file_level_error("FIC-005", file=display_name) from None


def _parse_bytes(
    xml: bytes,
    display_name: str,
    start: Callable[[str, dict[str, str]], None] | None = None,
    end: Callable[[str], None] | None = None,
    text: Callable[[str], None] | None = None,
) -> None:
    """Parse an XML member already read; without handlers, only its well-formedness counts."""
    try:
        _parser(start, end, text).Parse(xml, True)
    except DAMAGED_FILE_ERRORS:
        raise file_level_error("FIC-005", file=display_name) from None


def _refuse_document_type(*_: object) -> None:
    # Spreadsheet XML never declares a document type; one could declare expanding entities.
    raise expat.ExpatError("document type declaration")


def _local(name: str) -> str:
    return name.rpartition(" ")[2]


class _BeyondLimits(Exception):
    """A value sits beyond MAX_DATA_ROWS or MAX_COLUMNS: scanning stops there."""


class _SheetScan:
    """Follows cells as expat streams a sheet: positions, values, formulas without result.

    Positions mirror calamine's reading: a row or cell without its r attribute follows the
    previous one. Only cells holding a value (or a formula) count: a formatted empty cell is
    not loaded by calamine.
    """

    def __init__(self, percent_styles: frozenset[int] = frozenset()) -> None:
        self.row = 0
        self.column = 0
        self.missing_results = 0
        self.formulas_without_result: list[str] = []  # the first FORMULA_CELLS_NAMED
        self.marks: CellMarks = {}
        self._percent_styles = percent_styles
        self._cell_type: str | None = None
        self._cell_style: int | None = None
        self._value_text: list[str] = []
        self._has_value = self._has_formula = self._in_value = self._value_has_text = False

    def reference(self) -> str:
        return f"{get_column_letter(self.column)}{self.row}"

    def start(self, name: str, attributes: dict[str, str]) -> None:
        local = _local(name)
        if local == "c":
            self._start_cell(attributes)
        elif local == "row":
            self.row = int(attributes["r"]) if "r" in attributes else self.row + 1
            self.column = 0
        elif local == "v":
            self._has_value = self._in_value = True
        elif local == "is":
            self._has_value = self._value_has_text = True
        elif local == "f":
            self._has_formula = True

    def _start_cell(self, attributes: dict[str, str]) -> None:
        match = CELL_REFERENCE.fullmatch(attributes.get("r", ""))
        if match:
            self.column = column_index_from_string(match[1])
            self.row = int(match[2])
        else:
            self.column += 1
        self._cell_type = attributes.get("t")
        style = attributes.get("s", "")
        self._cell_style = int(style) if style.isdigit() else None
        self._value_text = []
        self._has_value = self._has_formula = self._in_value = self._value_has_text = False

    def text(self, data: str) -> None:
        if self._in_value and data:
            self._value_has_text = True
            if self._cell_type == ERROR_CELL_TYPE:
                self._value_text.append(data)

    def end(self, name: str) -> None:
        local = _local(name)
        if local == "v":
            self._in_value = False
        elif local == "c":
            self._end_cell()

    def _end_cell(self) -> None:
        if not (self._has_value or self._has_formula):
            return
        if self.row > MAX_DATA_ROWS + HEADER_ROWS or self.column > MAX_COLUMNS:
            raise _BeyondLimits
        has_result = self._value_has_text or (
            self._has_value and self._cell_type in TEXT_CELL_TYPES
        )
        if self._has_formula and not has_result:
            self.missing_results += 1
            if len(self.formulas_without_result) < FORMULA_CELLS_NAMED:
                self.formulas_without_result.append(self.reference())
        elif self._cell_type == ERROR_CELL_TYPE:
            error = "".join(self._value_text).strip()[:MAX_ERROR_TEXT] or "#ERREUR"
            self.marks[self.row, self.column] = (ERROR_MARK, error)
        elif (
            self._value_has_text
            and self._cell_type in NUMBER_CELL_TYPES
            and self._cell_style in self._percent_styles
        ):
            self.marks[self.row, self.column] = (PERCENT_MARK, "")


def _formula_cells_text(named: list[str], count: int) -> str:
    """ "la cellule C2 contient", "les cellules C2, C3 et C4 contiennent", "… (12 en tout) …"."""
    if count == 1:
        return f"la cellule {named[0]} contient"
    total = f" ({_thousands(count)} en tout)" if count > len(named) else ""
    return f"les cellules {', '.join(named[:-1])} et {named[-1]}{total} contiennent"


def _thousands(number: int) -> str:
    """50000 → "50 000", as French writes it."""
    return f"{number:,}".replace(",", " ")
