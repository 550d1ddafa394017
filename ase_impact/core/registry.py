"""The registry of associations: the département's own CSV, read here and nowhere else.

Which associations may send files, from which month they are expected and what they do
(mentoring, residential care) is the département's data, not code: it keeps the CSV
(`ASE_IMPACT_REGISTRY`, by default the demo's `dbt_project/seeds/associations.csv`) and edits it
when an association joins or leaves. Python reads it here; each build loads it whole into the
warehouse (`raw.associations`), where dbt reads the same rows.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path

from ase_impact.core import referentiel
from ase_impact.core.errors import ConfigurationError
from ase_impact.core.keys import ASSOCIATION_CODE

# The registry's columns, in order (the demo seed's header).
REGISTRY_COLUMNS = (
    "association_code",
    "association_name",
    "territory_code",
    "expected_from",
    "expected_until",
    "does_mentoring",
    "does_residential_care",
)
BOOLEANS = {"true": True, "false": False}


class RegistryError(ConfigurationError):
    """The registry file is missing or malformed; the message names the file and the line."""


@dataclass(frozen=True)
class RegisteredAssociation:
    association_code: str
    association_name: str
    territory_code: str | None
    expected_from: date
    expected_until: date | None
    does_mentoring: bool
    does_residential_care: bool

    def as_row(self) -> dict[str, object]:
        return {column: getattr(self, column) for column in REGISTRY_COLUMNS}

    @property
    def populations(self) -> frozenset[str]:
        """The populations of indicators (seed indicator_populations) it counts in."""
        return frozenset(
            population.population_code
            for population in referentiel.populations()
            if population.registry_flag is None or getattr(self, population.registry_flag)
        )


@dataclass(frozen=True)
class Registry:
    path: Path
    associations: tuple[RegisteredAssociation, ...]

    @property
    def codes(self) -> frozenset[str]:
        return frozenset(association.association_code for association in self.associations)

    def get(self, association_code: str) -> RegisteredAssociation | None:
        return next((a for a in self.associations if a.association_code == association_code), None)

    def populations_of(self, association_code: str) -> frozenset[str] | None:
        """The populations of indicators the association counts in; None when not listed."""
        registered = self.get(association_code)
        return None if registered is None else registered.populations

    def how_to_register(self) -> str:
        """The French instruction the refusal of an unregistered association ends with."""
        return (
            f"pour inscrire une association, ajoutez sa ligne au registre {self.path} (colonnes "
            f"{', '.join(REGISTRY_COLUMNS)}), puis relancez"
        )


def load_registry(path: Path) -> Registry:
    """The registry at path, read once per version of the file (its size and modification time
    identify it); RegistryError in French when it cannot be used."""
    path = Path(path)
    try:
        status = path.stat()
    except OSError as error:
        raise RegistryError(
            f"Le registre des associations {path} est introuvable ou illisible "
            f"({error.strerror}) : indiquez son chemin dans ASE_IMPACT_REGISTRY (fichier CSV, "
            f"colonnes {', '.join(REGISTRY_COLUMNS)})."
        ) from None
    return _read(path.resolve(), status.st_mtime_ns, status.st_size)


@cache
def _read(path: Path, _mtime_ns: int, _size: int) -> Registry:
    try:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            header = tuple(reader.fieldnames or ())
            rows = list(reader)
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise RegistryError(
            f"Le registre des associations {path} ne peut pas être lu comme un fichier CSV en "
            f"UTF-8 ({type(error).__name__}) : enregistrez-le au format « CSV UTF-8 »."
        ) from None
    missing = [column for column in REGISTRY_COLUMNS if column not in header]
    if missing:
        raise RegistryError(
            f"Le registre des associations {path} n'a pas les colonnes attendues : il manque "
            f"{', '.join(missing)} (colonnes attendues, sur la première ligne : "
            f"{', '.join(REGISTRY_COLUMNS)})."
        )
    associations = tuple(_association(path, line, row) for line, row in enumerate(rows, 2))
    codes = [association.association_code for association in associations]
    repeated = sorted({code for code in codes if codes.count(code) > 1})
    if repeated:
        raise RegistryError(
            f"Le registre des associations {path} inscrit plusieurs fois "
            f"{', '.join(repeated)} : chaque code ne doit figurer que sur une ligne."
        )
    return Registry(path, associations)


def _association(path: Path, line: int, row: dict[str, str | None]) -> RegisteredAssociation:
    def value(column: str) -> str:
        return (row.get(column) or "").strip()

    def fail(problem: str) -> RegistryError:
        return RegistryError(f"Registre des associations {path}, ligne {line} : {problem}.")

    code = value("association_code")
    if not ASSOCIATION_CODE.fullmatch(code):
        raise fail(
            f"le code « {code} » n'est pas un code d'association valide (minuscules sans "
            "accent, chiffres et tirets, 2 à 41 caractères)"
        )
    if not value("association_name"):
        raise fail("le nom de l'association (association_name) est vide")

    def day(column: str, required: bool) -> date | None:
        text = value(column)
        if not text and not required:
            return None
        try:
            return date.fromisoformat(text)
        except ValueError:
            raise fail(f"{column} vaut « {text} » : date attendue au format AAAA-MM-JJ") from None

    def flag(column: str) -> bool:
        text = value(column).casefold()
        if text not in BOOLEANS:
            raise fail(f"{column} vaut « {value(column)} » : true ou false attendu")
        return BOOLEANS[text]

    return RegisteredAssociation(
        association_code=code,
        association_name=value("association_name"),
        territory_code=value("territory_code") or None,
        expected_from=day("expected_from", required=True),
        expected_until=day("expected_until", required=False),
        does_mentoring=flag("does_mentoring"),
        does_residential_care=flag("does_residential_care"),
    )
