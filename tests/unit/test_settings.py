"""Settings come from environment variables; another process given settings_environment agrees."""

from ase_impact.core.settings import PATH_SETTINGS, load_settings, settings_environment


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
