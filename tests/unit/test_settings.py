"""Settings come from environment variables; another process given settings_environment agrees."""

import pytest

from ase_impact.core.settings import (
    DEFAULT_MIN_CELL,
    MIN_CELL_FLOOR,
    MIN_CELL_VARIABLE,
    PATH_SETTINGS,
    SettingsError,
    load_settings,
    settings_environment,
)


def test_every_path_setting_moves_with_its_variable(tmp_path, monkeypatch):
    for field, (variable, _) in PATH_SETTINGS.items():
        monkeypatch.setenv(variable, str(tmp_path / field))
    settings = load_settings()
    assert {field: getattr(settings, field) for field in PATH_SETTINGS} == {
        field: tmp_path / field for field in PATH_SETTINGS
    }


def test_settings_environment_reproduces_the_settings(tmp_path, monkeypatch):
    chosen = load_settings(warehouse=tmp_path / "ailleurs" / "entrepot.duckdb", min_cell=5)
    for variable, value in settings_environment(chosen).items():
        monkeypatch.setenv(variable, value)
    assert load_settings() == chosen


@pytest.mark.parametrize("value", ["abc", "11.5", "onze", "1e3"])
def test_a_threshold_that_is_not_a_whole_number_is_refused_in_french(monkeypatch, value):
    monkeypatch.setenv(MIN_CELL_VARIABLE, value)
    with pytest.raises(SettingsError) as raised:
        load_settings()
    assert raised.value.message_fr.startswith(f"La variable {MIN_CELL_VARIABLE} vaut « {value} »")
    assert "nombre entier" in raised.value.message_fr


@pytest.mark.parametrize("value", ["0", "-5", str(MIN_CELL_FLOOR - 1)])
def test_a_threshold_below_the_floor_is_refused(monkeypatch, value):
    # 0 would publish every count unmasked in the shared workbook.
    monkeypatch.setenv(MIN_CELL_VARIABLE, value)
    with pytest.raises(SettingsError, match=f"d'au moins {MIN_CELL_FLOOR}"):
        load_settings()


def test_the_floor_and_the_default_are_accepted(monkeypatch):
    monkeypatch.setenv(MIN_CELL_VARIABLE, f" {MIN_CELL_FLOOR} ")
    assert load_settings().min_cell == MIN_CELL_FLOOR
    monkeypatch.delenv(MIN_CELL_VARIABLE)
    assert load_settings().min_cell == DEFAULT_MIN_CELL
    with pytest.raises(SettingsError):
        load_settings(min_cell=0)
