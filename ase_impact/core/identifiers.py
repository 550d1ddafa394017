"""Canonical forms under which names and identifiers are compared, stated once.

What people type carries invisible differences: accents typed two ways (NFC or NFD), case,
spaces, hyphens and apostrophes, and invisible format characters (Unicode category Cf: soft
hyphen U+00AD, zero-width space U+200B, joiners, direction marks, byte-order mark) pasted
from a web page or a word processor. Two spellings that look the same to a person are the
same here: one youth gets one pseudonymous key, one pair id is one pair.
"""

from __future__ import annotations

import re
import unicodedata

FORMAT_CATEGORY = "Cf"
# Separators removed from names: whitespace, hyphens and dashes, apostrophes and backquotes.
_NAME_SEPARATORS = re.compile(r"[\s\-\u2010-\u2015\u2212'`\u00b4\u2018\u2019\u02bc]+")
# Ligatures that NFKD leaves alone but people type either way ("Lœtitia" / "Loetitia").
_LIGATURES = str.maketrans({"œ": "oe", "æ": "ae"})


def without_format_characters(text: str) -> str:
    """The text without its invisible format characters (Unicode category Cf)."""
    if text.isascii():  # most cells: no format character can be there
        return text
    return "".join(char for char in text if unicodedata.category(char) != FORMAT_CATEGORY)


# Control characters a cell's text keeps: tab and line breaks (Alt+Entrée in Excel).
_KEPT_CONTROLS = frozenset("\t\n\r")
_DROPPED_CATEGORIES = frozenset({FORMAT_CATEGORY, "Cc"})


def visible_text(text: str) -> str:
    """The text a cell shows: without its invisible format characters (Cf) nor its control
    characters (Cc: NUL, which PostgreSQL refuses in text, and the like) but tab and line
    breaks. A date or a number pasted with a zero-width space reads as the date or the number."""
    if text.isprintable():  # most cells: neither kind of character is printable
        return text
    return "".join(
        char
        for char in text
        if char in _KEPT_CONTROLS or unicodedata.category(char) not in _DROPPED_CATEGORIES
    )


def normalise_name(name: str) -> str:
    """The form of a name that is hashed: accents stripped, case-folded, separators and
    invisible format characters removed.

    Spaces, hyphens and apostrophes are removed entirely (not replaced by one space), so
    "Le Gall-Kérouac", "le gall kerouac" and "LEGALL KEROUAC" all give "legallkerouac", and
    "N'Diaye" matches "Ndiaye". Ligatures œ and æ become "oe" and "ae".
    """
    decomposed = unicodedata.normalize("NFKD", without_format_characters(name))
    without_accents = "".join(char for char in decomposed if not unicodedata.combining(char))
    return _NAME_SEPARATORS.sub("", without_accents.casefold().translate(_LIGATURES))


def has_letter(name: str) -> bool:
    """Whether a name, once normalised, holds a letter: "-", "'" or "12" name nobody."""
    return any(char.isalpha() for char in normalise_name(name))


def identifier_key(text: str) -> str:
    """The form under which two identifiers (pair ids) are the same: compatibility-normalised,
    case-folded, without whitespace or format characters ("CA-003" is "ca-003 ")."""
    folded = unicodedata.normalize("NFKC", without_format_characters(text)).casefold()
    return "".join(folded.split())
