"""Pseudonymisation: name normalisation, HMAC keys, and where the key comes from."""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import stat
from datetime import date

import pandas as pd
import pytest

from ase_impact.core.identifiers import has_letter
from ase_impact.core.secret_files import DEPLOYMENT_ENV_VAR
from ase_impact.core.settings import load_settings
from ase_impact.intake.pseudonymise import (
    KEY_ENV_VAR,
    MIN_KEY_ENTROPY_BITS,
    PseudonymisationKeyError,
    estimated_entropy_bits,
    load_key,
    normalise_name,
    pseudonymise_frame,
    youth_key,
)

KEY = b"0123456789abcdef0123456789abcdef"
OTHER_KEY = b"fedcba9876543210fedcba9876543210"
BORN = date(2011, 7, 23)


@pytest.fixture
def settings(tmp_path, monkeypatch):
    monkeypatch.delenv(KEY_ENV_VAR, raising=False)
    monkeypatch.delenv(DEPLOYMENT_ENV_VAR, raising=False)
    return load_settings(secrets_dir=tmp_path / "secrets")


@pytest.mark.parametrize(
    "spelling",
    [
        "Le Gall-Kérouac",
        "le gall kerouac",
        "LEGALL KEROUAC",
        " Le  Gall – Kerouac ",
        "Le’Gall-Kerouac",
    ],
)
def test_spaces_hyphens_apostrophes_and_accents_are_removed(spelling):
    assert normalise_name(spelling) == "legallkerouac"


@pytest.mark.parametrize(
    ("spelling", "normalised"),
    [("N'Diaye", "ndiaye"), ("NDIAYE", "ndiaye"), ("Lœtitia", "loetitia"), ("ZOË", "zoe")],
)
def test_other_spellings_normalise_alike(spelling, normalised):
    assert normalise_name(spelling) == normalised


def test_letters_are_kept_when_not_latin():
    assert normalise_name("Ярослава") == "ярослава"


def test_youth_key_is_the_hmac_of_the_normalised_identity():
    expected = hmac.new(KEY, b"legallkerouac|anne|2011-07-23", hashlib.sha256).hexdigest()
    assert youth_key(KEY, "Le Gall-Kérouac", "Anne", BORN) == expected


def test_two_spellings_of_one_youth_share_a_key():
    assert youth_key(KEY, "Le Gall-Kérouac", "Anne-Lise", BORN) == youth_key(
        KEY, "LEGALL KEROUAC", "anne lise", BORN
    )


def test_another_birth_date_gives_another_key():
    assert youth_key(KEY, "Zorglub", "Anne", BORN) != youth_key(
        KEY, "Zorglub", "Anne", date(2011, 7, 24)
    )


def test_name_fields_are_not_interchangeable():
    assert youth_key(KEY, "Anne", "Zorglub", BORN) != youth_key(KEY, "Zorglub", "Anne", BORN)


def test_another_secret_key_gives_another_hash():
    assert youth_key(KEY, "Zorglub", "Anne", BORN) != youth_key(OTHER_KEY, "Zorglub", "Anne", BORN)


def _youth_rows(**extra):
    return pd.DataFrame(
        {
            "excel_row": [2, 3],
            "pair_id": ["B-1", "B-2"],
            "last_name": ["Le Gall-Kérouac", "Quetzalix"],
            "first_name": ["Anne", "Zorglubienne"],
            "birth_date": pd.to_datetime(["2011-07-23", "2008-12-01"]),
            **extra,
        }
    )


def test_frame_loses_names_and_birth_dates_and_gains_key_month_and_age():
    result = pseudonymise_frame(_youth_rows(), KEY, date(2026, 10, 31), "age_at_period_end")
    assert list(result.columns) == [
        "excel_row",
        "pair_id",
        "youth_key",
        "birth_month",
        "age_at_period_end",
    ]
    assert result["youth_key"].tolist() == [
        youth_key(KEY, "Le Gall-Kérouac", "Anne", BORN),
        youth_key(KEY, "Quetzalix", "Zorglubienne", date(2008, 12, 1)),
    ]
    assert result["birth_month"].tolist() == ["2011-07", "2008-12"]
    assert result["age_at_period_end"].tolist() == [15, 17]


def test_frame_age_can_be_taken_at_each_row_answer_date():
    rows = _youth_rows(answered_on=pd.to_datetime(["2026-07-22", "2026-07-23"]))
    result = pseudonymise_frame(rows, KEY, rows["answered_on"], "age_at_answer")
    assert result["age_at_answer"].tolist() == [14, 17]


def test_frame_with_a_missing_birth_date_is_refused():
    rows = _youth_rows()
    rows.loc[1, "birth_date"] = pd.NaT
    with pytest.raises(ValueError, match="lacks"):
        pseudonymise_frame(rows, KEY, date(2026, 10, 31), "age_at_period_end")


def test_key_from_the_environment_wins_over_the_key_file(settings, monkeypatch):
    monkeypatch.setenv(KEY_ENV_VAR, KEY.decode())
    assert load_key(settings) == KEY
    assert not settings.key_file.exists()


def test_a_short_key_is_refused(settings, monkeypatch):
    monkeypatch.setenv(KEY_ENV_VAR, "trop-court")
    with pytest.raises(PseudonymisationKeyError, match="trop courte"):
        load_key(settings)


def test_key_file_is_created_once_readable_by_its_owner_only(settings):
    key = load_key(settings)
    assert stat.S_IMODE(settings.key_file.stat().st_mode) == 0o600
    assert len(key) == 64 and int(key, 16) >= 0
    assert load_key(settings) == key


def test_a_key_file_readable_by_others_is_refused(settings):
    settings.key_file.parent.mkdir(parents=True)
    settings.key_file.write_text(KEY.decode())
    os.chmod(settings.key_file, 0o644)
    with pytest.raises(PseudonymisationKeyError, match="chmod 600"):
        load_key(settings)


def test_production_never_creates_a_key(settings, monkeypatch):
    monkeypatch.setenv(DEPLOYMENT_ENV_VAR, "production")
    with pytest.raises(PseudonymisationKeyError, match="production"):
        load_key(settings)
    assert not settings.key_file.exists()


def test_production_uses_an_existing_key_file(settings, monkeypatch):
    settings.key_file.parent.mkdir(parents=True)
    settings.key_file.write_text(KEY.decode() + "\n")
    os.chmod(settings.key_file, 0o600)
    monkeypatch.setenv(DEPLOYMENT_ENV_VAR, "production")
    assert load_key(settings) == KEY


@pytest.mark.parametrize(
    "spelling",
    ["Du\u00adpont", "Du\u200bpont", "\ufeffDupont", "Dupont\u200d", "Du\u2060pont\u200e"],
    ids=["soft hyphen", "zero-width space", "byte-order mark", "zero-width joiner", "marks"],
)
def test_invisible_format_characters_do_not_make_another_youth(spelling):
    assert normalise_name(spelling) == "dupont"
    assert youth_key(KEY, spelling, "Lina", BORN) == youth_key(KEY, "Dupont", "Lina", BORN)


@pytest.mark.parametrize("name", ["-", "'", " ' - ", "\u00ad", "12"])
def test_a_name_without_a_letter_names_nobody(name):
    # Two youths born the same day would share one key: the contracts reject such a name.
    assert not has_letter(name)
    assert has_letter("N'Diaye") and has_letter("Ø")


def test_a_key_file_of_random_bytes_is_refused_in_french(settings):
    settings.key_file.parent.mkdir(parents=True)
    settings.key_file.write_bytes(bytes(range(128, 256)) * 2)
    os.chmod(settings.key_file, 0o600)
    with pytest.raises(PseudonymisationKeyError) as raised:
        load_key(settings)
    assert "ne contient pas du texte" in raised.value.message_fr
    assert raised.value.__cause__ is None and raised.value.__suppress_context__


@pytest.mark.parametrize("weak", ["a" * 32, "ab" * 20, "abc" * 11, "0" * 64])
def test_a_long_but_repetitive_key_is_refused(settings, monkeypatch, weak):
    monkeypatch.setenv(KEY_ENV_VAR, weak)
    with pytest.raises(PseudonymisationKeyError, match="trop faible"):
        load_key(settings)


@pytest.mark.parametrize("strong", [secrets.token_hex(16), secrets.token_hex(32), KEY.decode()])
def test_random_keys_are_strong_enough(settings, monkeypatch, strong):
    monkeypatch.setenv(KEY_ENV_VAR, strong)
    assert estimated_entropy_bits(strong) >= MIN_KEY_ENTROPY_BITS
    assert load_key(settings) == strong.encode()
