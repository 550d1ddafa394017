"""« Toutes les associations attendues ont déposé »: what the check says, month by month."""

import dagster as dg

from ase_impact.warehouse.queries import MonthCompleteness
from orchestration.assets.completeness import (
    completeness_description,
    completeness_metadata,
    missing_file_evaluations,
)
from orchestration.assets.ingestion import ACCEPTANCE_CHECK, SUBMISSIONS_KEY

MONTHS = [
    MonthCompleteness("2026-08", 3, 3, ()),
    MonthCompleteness("2026-09", 3, 1, (("boussole-ase", "La Boussole ASE"), ("cap-avenir", None))),
    MonthCompleteness("2026-10", 3, 2, (("boussole-ase", "La Boussole ASE"),)),
]


def test_the_description_names_each_incomplete_month_and_who_is_missing():
    description = completeness_description(MONTHS)
    assert description == (
        "Fichiers attendus non reçus — 2026-09 : La Boussole ASE (`boussole-ase`), "
        "`cap-avenir` ; 2026-10 : La Boussole ASE (`boussole-ase`)."
    )
    assert "2026-08" not in description


def test_a_complete_span_says_so():
    assert completeness_description(MONTHS[:1]) == (
        "Toutes les associations attendues ont déposé (2026-08)."
    )
    complete = [MonthCompleteness("2026-09", 2, 2, ()), MonthCompleteness("2026-10", 2, 2, ())]
    assert "(2026-09 à 2026-10)" in completeness_description(complete)


def test_the_metadata_hold_one_line_per_month_newest_first():
    metadata = completeness_metadata(MONTHS)
    assert metadata["mois_incomplets"].value == "2026-09, 2026-10"
    assert metadata["associations_manquantes"].value == 3
    lines = [record.data for record in metadata["par_mois"].value.records]
    assert [line["mois"] for line in lines] == ["2026-10", "2026-09", "2026-08"]
    assert lines[1]["manquantes"] == "La Boussole ASE (boussole-ase), cap-avenir (cap-avenir)"
    assert (lines[1]["attendues"], lines[1]["recues"]) == (3, 1)


def test_each_missing_file_fails_the_acceptance_check_of_its_partition_as_a_warning():
    evaluations = missing_file_evaluations(MONTHS, known_months={"2026-09"})
    assert [evaluation.partition for evaluation in evaluations] == [
        "boussole-ase|2026-09",
        "cap-avenir|2026-09",
    ]
    first = evaluations[0]
    assert (first.asset_key, first.check_name) == (SUBMISSIONS_KEY, ACCEPTANCE_CHECK)
    assert not first.passed and first.severity == dg.AssetCheckSeverity.WARN
    assert "La Boussole ASE" in first.description and "2026-09" in first.description
