"""Pseudonymisation of youth at the door: names and birth dates become a keyed hash.

youth_key = HMAC-SHA256(key, "<last name>|<first name>|<birth date AAAA-MM-JJ>"), hex digest,
where both names are normalised by `normalise_name` (core.identifiers: accents, case,
separators and invisible format characters do not count). A name without any letter is
rejected by the contracts (DON-046…) before it can become a key. The same youth spelt two
ways by two associations gets the same key, so the warehouse can count one youth once without
ever holding a name. Nothing in this module logs or prints a name or a birth date.

The key must be strong: at least MIN_KEY_LENGTH characters and MIN_KEY_ENTROPY_BITS of
estimated entropy (its length times the Shannon entropy of its characters' frequencies: 32 × "a"
estimates 0 bits, 32 random hexadecimal digits about 115, the 64 the pipeline creates about
250). A weak key would let anyone holding the warehouse test candidate names and birth dates.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import os
from collections import Counter
from datetime import date, datetime
from pathlib import Path

import pandas as pd

from ase_impact.core import referentiel
from ase_impact.core.dates import age_at
from ase_impact.core.errors import ConfigurationError
from ase_impact.core.identifiers import normalise_name
from ase_impact.core.secret_files import create_secret_file, is_production, shared_mode
from ase_impact.core.settings import Settings
from ase_impact.warehouse import queries
from ase_impact.warehouse.connection import Connection
from ase_impact.warehouse.schema import KEY_CHECK_TABLE

KEY_ENV_VAR = "ASE_IMPACT_PSEUDONYMISATION_KEY"
# What the key is computed from, in this order (architecture.md).
KEY_FIELDS = ("last_name", "first_name", "birth_date")
# A short or repetitive key would let anyone with the warehouse test candidate names and birth
# dates (see the module's docstring for how entropy is estimated).
MIN_KEY_LENGTH = 32
MIN_KEY_ENTROPY_BITS = 90
# What key_check hashes with the key: a fixed text, so that the fingerprint tells keys apart.
KEY_CHECK_TEXT = b"ase-impact:pseudonymisation-key-check"


class PseudonymisationKeyError(ConfigurationError):
    """The key is missing, unreadable, too weak or badly protected; the message is French for
    the operator."""


def _hmac_hex(key: bytes, last_name: str, first_name: str, birth_date_iso: str) -> str:
    message = f"{normalise_name(last_name)}|{normalise_name(first_name)}|{birth_date_iso}"
    return hmac.new(key, message.encode("utf-8"), hashlib.sha256).hexdigest()


def youth_key(key: bytes, last_name: str, first_name: str, birth_date: date) -> str:
    """The pseudonymous key of one youth (hex HMAC-SHA256)."""
    return _hmac_hex(key, last_name, first_name, birth_date.isoformat())


def pseudonymise_frame(
    frame: pd.DataFrame, key: bytes, reference: date | pd.Series, age_column: str
) -> pd.DataFrame:
    """Replace last_name, first_name and birth_date by youth_key, birth_month and an age.

    reference is the date the age is computed at: the period's last day for Données
    (age_column "age_at_period_end") or the answered_on column for Questionnaire MIS PE
    (age_column "age_at_answer"). The new columns take the place of last_name.
    Accepted rows always carry the three fields; a missing one is a bug upstream.
    """
    missing = [field for field in KEY_FIELDS if field not in frame.columns]
    if missing:
        raise ValueError(f"cannot pseudonymise: columns {missing} are absent")
    if frame[list(KEY_FIELDS)].isna().any().any():
        raise ValueError("cannot pseudonymise: an accepted row lacks a name or a birth date")
    birth_dates = pd.to_datetime(frame["birth_date"])
    keys = [
        _hmac_hex(key, last_name, first_name, birth_iso)
        for last_name, first_name, birth_iso in zip(
            frame["last_name"].astype(str),
            frame["first_name"].astype(str),
            birth_dates.dt.strftime("%Y-%m-%d"),
            strict=True,
        )
    ]
    position = frame.columns.get_loc("last_name")
    result = frame.drop(columns=sorted(referentiel.pii_fields() & set(frame.columns)))
    result.insert(position, "youth_key", pd.Series(keys, index=frame.index, dtype="string"))
    result.insert(position + 1, "birth_month", birth_dates.dt.strftime("%Y-%m").astype("string"))
    result.insert(position + 2, age_column, age_at(birth_dates, reference).astype("Int64"))
    return result


def load_key(settings: Settings) -> bytes:
    """The HMAC key: env var first, else the key file, created on first use outside production."""
    from_env = os.environ.get(KEY_ENV_VAR, "").strip()
    if from_env:
        return _checked_key(from_env, f"la variable d'environnement {KEY_ENV_VAR}")
    key_file = settings.key_file
    if key_file.exists():
        return _read_key_file(key_file)
    if is_production():
        raise PseudonymisationKeyError(
            f"Aucune clé de pseudonymisation configurée en production : définissez "
            f"{KEY_ENV_VAR} ou déposez le fichier {key_file} (droits 600). Une nouvelle clé "
            f"n'est jamais créée en production, car elle rendrait les jeunes déjà intégrés "
            f"impossibles à rapprocher."
        )
    return create_secret_file(key_file, _read_key_file)


def key_check(key: bytes) -> str:
    """A fingerprint of the key that reveals nothing of it (an HMAC of a fixed text)."""
    return hmac.new(key, KEY_CHECK_TEXT, hashlib.sha256).hexdigest()


def check_warehouse_key(conn: Connection, check: str, record: bool) -> None:
    """Refuse (PseudonymisationKeyError) a key other than the one the warehouse's youth keys
    were made with: its youth would get new keys, counted again beside the old ones and
    reported as changed identities. With record (a load, whose connection made the schema),
    a warehouse without one records check; without, a warehouse older than the record passes."""
    if not record and not queries.table_exists(conn, *KEY_CHECK_TABLE.split(".")):
        return
    recorded = conn.execute(f"SELECT key_check FROM {KEY_CHECK_TABLE}").fetchone()
    if recorded is None:
        if record:
            conn.execute(
                f"INSERT INTO {KEY_CHECK_TABLE} VALUES (?, ?)",
                [check, datetime.now().replace(microsecond=0)],
            )
        return
    if not hmac.compare_digest(recorded[0], check):
        raise PseudonymisationKeyError(
            "La clé de pseudonymisation configurée n'est pas celle avec laquelle l'entrepôt "
            "a été alimenté : les jeunes déjà intégrés recevraient de nouvelles "
            "clés et seraient comptés deux fois. Rien n'a été intégré. Remettez la clé "
            f"d'origine ({KEY_ENV_VAR} ou le fichier de clé) ; pour changer de clé, suivez "
            "docs/privacy.md (nouvelle clé, puis « ase-impact rebuild »)."
        )


def estimated_entropy_bits(text: str) -> float:
    """The key's length times the Shannon entropy of its characters' frequencies."""
    counts = Counter(text)
    length = len(text)
    return 0.0 - sum(count * math.log2(count / length) for count in counts.values())


_NEW_KEY_ADVICE = (
    "Créez une clé forte, par exemple avec « python3 -c 'import secrets; "
    "print(secrets.token_hex(32))' », et gardez-la : la changer rend les jeunes déjà intégrés "
    "impossibles à rapprocher."
)


def _checked_key(text: str, source: str) -> bytes:
    if len(text) < MIN_KEY_LENGTH:
        raise PseudonymisationKeyError(
            f"La clé de pseudonymisation lue dans {source} est trop courte : "
            f"{MIN_KEY_LENGTH} caractères au moins sont exigés. {_NEW_KEY_ADVICE}"
        )
    bits = estimated_entropy_bits(text)
    if bits < MIN_KEY_ENTROPY_BITS:
        raise PseudonymisationKeyError(
            f"La clé de pseudonymisation lue dans {source} est trop faible : ses caractères "
            f"se répètent trop (entropie estimée {bits:.0f} bits, {MIN_KEY_ENTROPY_BITS} au "
            f"moins sont exigés). {_NEW_KEY_ADVICE}"
        )
    return text.encode("utf-8")


def _read_key_file(key_file: Path) -> bytes:
    try:
        mode = shared_mode(key_file)
        if mode is not None:
            raise PseudonymisationKeyError(
                f"Le fichier de clé de pseudonymisation {key_file} est accessible à d'autres "
                f"utilisateurs (droits {mode:o}) : restreignez-le avec « chmod 600 {key_file} »."
            )
        contents = key_file.read_bytes()
    except OSError as error:
        raise PseudonymisationKeyError(
            f"Le fichier de clé de pseudonymisation {key_file} ne peut pas être lu "
            f"({error.strerror}) : vérifiez qu'il existe et qu'il appartient à l'utilisateur "
            "qui lance le pipeline."
        ) from None
    try:
        text = contents.decode("utf-8").strip()
    except UnicodeDecodeError:
        raise PseudonymisationKeyError(
            f"Le fichier de clé de pseudonymisation {key_file} ne contient pas du texte "
            "(octets illisibles en UTF-8) : une clé est une ligne de caractères, comme celle "
            f"que le pipeline crée (64 caractères hexadécimaux). {_NEW_KEY_ADVICE}"
        ) from None
    return _checked_key(text, f"le fichier {key_file}")
