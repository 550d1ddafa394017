"""validate_workbook end to end on real workbooks: typed accepted rows, findings, speed."""

from __future__ import annotations

import time
from datetime import date

import pandas as pd
import pytest

from ase_impact.contracts.findings import FINDING_COLUMNS, MAX_FINDINGS_PER_RULE
from ase_impact.core import referentiel
from ase_impact.intake.check import file_findings as _file_findings
from ase_impact.intake.validate import FileContext, validate_workbook
from ase_impact.intake.workbook import read_workbook
from tests.unit.test_rules_mispe import BASE_MISPE, ITEM_HEADERS
from tests.unit.test_rules_pairs import BASE_PAIR, ONGOING
from tests.unit.test_rules_resources import BASE_RESOURCE, TOOL
from tests.workbook_factory import headers_of, write_workbook

PERIOD = "2026-10"
CODE = "cap-avenir"
NAME = f"{PERIOD}/{CODE}.xlsx"
CONTEXT = FileContext(NAME, PERIOD, CODE)


def _validated(tmp_path, rows, **options):
    path = tmp_path / "raw" / PERIOD / f"{CODE}.xlsx"
    write_workbook(path, association_code=CODE, period=PERIOD, rows=rows, **options)
    return validate_workbook(read_workbook(path, NAME), CONTEXT)


def _pair(pair_id: str, **overrides) -> dict:
    return {**BASE_PAIR, "Identifiant binôme": pair_id, **overrides}


def test_file_context_knows_the_month_bounds():
    context = FileContext("2028-02/x.xlsx", "2028-02", "x")
    assert (context.period_start, context.period_end) == (date(2028, 2, 1), date(2028, 2, 29))


def test_accepted_pairs_are_typed_with_canonical_labels(tmp_path):
    row = _pair(
        " B-1 ",
        **{
            "Sexe": " femme",
            "Statut du mentorat": "CLÔTURÉ",
            "Séances prévues": "12",
            "Séances réalisées": "10",
            "Date de candidature": "01/02/2026",
            "Mentor formé": "oui",
        },
    )
    accepted = _validated(tmp_path, {"pairs": [row]})["pairs"].accepted
    assert accepted.dtypes["birth_date"] == "datetime64[ns]"
    assert accepted.dtypes["application_date"] == "datetime64[ns]"
    assert str(accepted.dtypes["sessions_planned"]) == "Int64"
    assert str(accepted.dtypes["excel_row"]) == "int64"
    record = accepted.iloc[0]
    assert (record["pair_id"], record["sex"], record["status"], record["mentor_trained"]) == (
        "B-1",
        "Femme",
        "Clôturé",
        "Oui",
    )
    assert record["application_date"] == pd.Timestamp("2026-02-01")
    assert record["sessions_planned"] == 12
    assert record["referring_structure"] == "MECS Les Tilleuls"
    assert not record["has_alerts"]
    fields = [spec.field for spec in referentiel.columns("pairs")]
    assert list(accepted.columns) == ["excel_row", *fields, "has_alerts"]


def test_the_finding_message_names_file_sheet_row_and_column(tmp_path):
    rows = [_pair(f"B-{n}") for n in range(12)] + [_pair("B-14", **{"Date de fin": None})]
    validated = _validated(tmp_path, {"pairs": rows})["pairs"]
    assert list(validated.findings.columns) == FINDING_COLUMNS
    finding = validated.findings.iloc[0].to_dict()
    assert finding == {
        "sheet": "Données",
        "excel_row": 14,
        "column_header": "Date de fin",
        "value_received": "",
        "rule_code": "DON-026",
        "severity": "erreur",
        "message_fr": "Fichier 2026-10/cap-avenir.xlsx, onglet « Données », ligne 14, colonne "
        "« Date de fin » : la date de fin est obligatoire quand le statut est « Clôturé » ou "
        "« Abandonné ».",
        "pair_id": "B-14",
    }
    assert (validated.rows_received, len(validated.accepted)) == (13, 12)


def test_every_broken_rule_of_a_row_is_reported_with_the_value_received(tmp_path):
    row = _pair("B-1", **{"Sexe": "F", "Séances réalisées": 2.5, "Date de fin": "2026/10/05"})
    findings = _validated(tmp_path, {"pairs": [row]})["pairs"].findings
    assert findings[["rule_code", "column_header", "value_received"]].values.tolist() == [
        ["DON-006", "Sexe", "F"],
        ["DON-025", "Date de fin", "2026/10/05"],
        ["DON-043", "Séances réalisées", "2.5"],
    ]


def test_personal_data_never_reaches_the_findings(tmp_path):
    row = _pair(
        "B-1",
        **{
            "Nom du bénéficiaire": "Zorglub",
            "Prénom du bénéficiaire": "Ysolde",
            "Date de naissance": "1999/12/31",
        },
    )
    mispe = {**BASE_MISPE, "Nom du bénéficiaire": "Zorglub", "Date de naissance": date(2000, 1, 2)}
    validated = _validated(tmp_path, {"pairs": [row], "mispe_questionnaires": [mispe]})
    findings = pd.concat([sheet.findings for sheet in validated.values()])
    assert set(
        findings.loc[findings["column_header"] == "Date de naissance", "value_received"]
    ) == {"***"}
    text = findings.to_csv()
    for personal in ("Zorglub", "Ysolde", "1999", "2000"):
        assert personal not in text


def test_an_empty_personal_cell_stays_empty_once_findings_are_masked_again(tmp_path):
    row = _pair("B-1", **{"Nom du bénéficiaire": None, "Date de naissance": "1999/12/31"})
    findings, _ = _file_findings(_validated(tmp_path, {"pairs": [row]}))
    values = dict(zip(findings["rule_code"], findings["value_received"], strict=True))
    assert (values["DON-003"], values["DON-008"]) == ("", "***")


def test_a_duplicated_pair_id_rejects_every_row_carrying_it(tmp_path):
    rows = [_pair("B-1"), _pair("B-2"), _pair("B-1", **ONGOING), _pair("B-3")]
    validated = _validated(tmp_path, {"pairs": rows})["pairs"]
    assert validated.accepted["pair_id"].tolist() == ["B-2", "B-3"]
    assert validated.findings[["excel_row", "rule_code", "pair_id"]].values.tolist() == [
        [2, "DON-002", "B-1"],
        [4, "DON-002", "B-1"],
    ]


def test_end_questionnaires_only_attach_to_accepted_ended_pairs(tmp_path):
    answers = dict.fromkeys(headers_of("end_questionnaires")[2:], "Oui")
    questionnaires = [
        {"Identifiant binôme": pair_id, "Date de passation": date(2026, 10, 6), **answers}
        for pair_id in ("B-1", "B-2", "B-3")
    ]
    pairs = [_pair("B-1"), _pair("B-2", **{"Sexe": "?"}), _pair("B-3", **ONGOING)]
    validated = _validated(tmp_path, {"pairs": pairs, "end_questionnaires": questionnaires})
    sheet = validated["end_questionnaires"]
    assert sheet.accepted["pair_id"].tolist() == ["B-1"]
    assert sheet.findings[["pair_id", "rule_code"]].values.tolist() == [
        ["B-2", "QFM-002"],
        ["B-3", "QFM-003"],
    ]
    assert sheet.accepted.loc[0, "q_confidence"] == "Oui"


def test_mispe_rows_out_of_scope_are_kept_flagged_and_nsp_is_no_answer(tmp_path):
    in_scope = {**BASE_MISPE, ITEM_HEADERS[0]: "NSP", ITEM_HEADERS[1]: None, ITEM_HEADERS[2]: 4}
    out_of_scope = {**BASE_MISPE, "Date de naissance": date(2007, 1, 1)}  # 19 at passation
    sheet = _validated(tmp_path, {"mispe_questionnaires": [in_scope, out_of_scope]})[
        "mispe_questionnaires"
    ]
    assert sheet.accepted["has_alerts"].tolist() == [False, True]
    assert sheet.accepted["q01"].isna().tolist() == [True, False]
    assert sheet.accepted["q02"].isna().tolist() == [True, False]
    assert sheet.accepted.loc[0, "q03"] == 4
    assert str(sheet.accepted.dtypes["q03"]) == "Int64"
    assert sheet.accepted.loc[0, "wave"] == "T0 (entrée)"
    assert sheet.findings[["excel_row", "rule_code", "severity", "pair_id"]].values.tolist() == [
        [3, "MIS-006", "alerte", None]
    ]


def test_resources_keep_amounts_as_numbers_and_units_canonical(tmp_path):
    rows = [{**BASE_RESOURCE, "Montant": "1 500,50", "Unité": "eur"}, TOOL]
    accepted = _validated(tmp_path, {"resources": rows})["resources"].accepted
    assert accepted["amount"].tolist()[0] == 1500.5
    assert pd.isna(accepted["amount"].tolist()[1])
    assert accepted["unit"].tolist()[0] == "EUR"
    assert accepted["category"].tolist() == ["Subvention", "Outil"]


def test_header_findings_are_merged_into_the_sheet_findings(tmp_path):
    headers = {"resources": [*headers_of("resources"), "Remarque"]}
    rows = {"resources": [{**BASE_RESOURCE, "Montant": -5}]}
    findings = _validated(tmp_path, rows, headers=headers)["resources"].findings
    assert findings[["excel_row", "rule_code"]].values.tolist() == [[1, "ENT-001"], [2, "RES-005"]]


def test_a_boolean_and_an_equal_number_in_one_column_keep_their_own_text(tmp_path):
    # True == 1: typing each distinct cell once must not confuse them. The logical value is
    # refused for what it is (CEL-002), the number is the mentor "1".
    rows = [_pair("B-1", **{"Identifiant mentor": True}), _pair("B-2", **{"Identifiant mentor": 1})]
    pairs = _validated(tmp_path, {"pairs": rows})["pairs"]
    assert pairs.accepted["mentor_id"].tolist() == ["1"]
    assert pairs.findings[
        ["excel_row", "column_header", "value_received", "rule_code"]
    ].values.tolist() == [[2, "Identifiant mentor", "VRAI", "CEL-002"]]


def test_repeated_list_values_are_typed_like_single_ones(tmp_path):
    labels = [" femme", "HOMME", "Femme", "femme ", "Homme"]
    rows = [_pair(f"B-{n}", **{"Sexe": label}) for n, label in enumerate(labels)]
    accepted = _validated(tmp_path, {"pairs": rows})["pairs"].accepted
    assert accepted["sex"].tolist() == ["Femme", "Homme", "Femme", "Femme", "Homme"]


def test_an_empty_sheet_validates_to_nothing(tmp_path):
    validated = _validated(tmp_path, {})
    for sheet in validated.values():
        assert (sheet.rows_received, len(sheet.accepted), len(sheet.findings)) == (0, 0, 0)
    assert list(validated) == [
        "pairs",
        "end_questionnaires",
        "mispe_questionnaires",
        "resources",
        "activities",
    ]


@pytest.mark.parametrize("valid", [True, False], ids=["valid rows", "rows breaking many rules"])
def test_a_thousand_rows_validate_in_well_under_a_second(tmp_path, valid):
    broken = {"Sexe": "?", "Date de naissance": "hier", "Séances prévues": -1, "Modalité": None}
    rows = [_pair(f"B-{n}", **({} if valid else broken)) for n in range(1000)]
    path = tmp_path / "raw" / PERIOD / f"{CODE}.xlsx"
    write_workbook(path, association_code=CODE, period=PERIOD, rows={"pairs": rows})
    workbook = read_workbook(path, NAME)
    started = time.perf_counter()
    validated = validate_workbook(workbook, CONTEXT)["pairs"]
    elapsed = time.perf_counter() - started
    assert len(validated.accepted) == (1000 if valid else 0)
    # Four rules broken on every row: each counted 1,000 times, listed MAX_FINDINGS_PER_RULE times.
    assert len(validated.findings) == (0 if valid else 4 * MAX_FINDINGS_PER_RULE)
    assert validated.rule_counts["findings"].sum() == (0 if valid else 4000)
    assert elapsed < 1.0
