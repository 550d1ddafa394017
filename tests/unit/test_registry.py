"""The registry of associations: the département's CSV, read once and refused in French when
it cannot be used."""

from __future__ import annotations

from datetime import date

import pytest

from ase_impact.core.registry import REGISTRY_COLUMNS, RegistryError, load_registry
from tests.conftest import DEMO_REGISTRY

HEADER = ",".join(REGISTRY_COLUMNS)


def _registry(tmp_path, *lines: str, header: str = HEADER):
    path = tmp_path / "registre.csv"
    path.write_text("\n".join([header, *lines]) + "\n", encoding="utf-8")
    return path


def test_the_demo_registry_is_the_default_and_reads_typed():
    registry = load_registry(DEMO_REGISTRY)
    assert "cap-avenir" in registry.codes and len(registry.codes) == 7
    cap = registry.get("cap-avenir")
    assert (cap.expected_from, cap.expected_until) == (date(2026, 1, 1), None)
    assert cap.does_mentoring and cap.does_residential_care
    assert registry.get("inconnue") is None


def test_an_edited_registry_is_read_again(tmp_path):
    path = _registry(tmp_path, "une,Une,nord,2026-01-01,,true,false")
    assert load_registry(path).codes == {"une"}
    path.write_text(path.read_text() + "deux,Deux,sud,2026-02-01,,false,true\n", encoding="utf-8")
    assert load_registry(path).codes == {"une", "deux"}


@pytest.mark.parametrize(
    ("lines", "header", "said"),
    [
        ((), "association_code,association_name", "il manque territory_code"),
        (
            ("cap,Cap,nord,2026-01-01,,true,false", "cap,Cap bis,sud,2026-01-01,,true,false"),
            HEADER,
            "inscrit plusieurs fois cap",
        ),
        (
            ("Cap Avenir,Cap,nord,2026-01-01,,true,false",),
            HEADER,
            "ligne 2 : le code « Cap Avenir »",
        ),
        (
            ("cap,Cap,nord,01/01/2026,,true,false",),
            HEADER,
            "ligne 2 : expected_from vaut « 01/01/2026 »",
        ),
        (("cap,Cap,nord,2026-01-01,,oui,false",), HEADER, "ligne 2 : does_mentoring vaut « oui »"),
        (("cap,,nord,2026-01-01,,true,false",), HEADER, "ligne 2 : le nom de l'association"),
    ],
    ids=["columns", "duplicate", "code", "date", "boolean", "name"],
)
def test_a_malformed_registry_is_refused_naming_the_line(tmp_path, lines, header, said):
    path = _registry(tmp_path, *lines, header=header)
    with pytest.raises(RegistryError) as raised:
        load_registry(path)
    assert said in raised.value.message_fr
    assert str(path) in raised.value.message_fr


def test_a_missing_registry_says_which_variable_moves_it(tmp_path):
    with pytest.raises(RegistryError, match="ASE_IMPACT_REGISTRY"):
        load_registry(tmp_path / "absent.csv")
