"""Valid rows for every read sheet, keyed by French header, for writing test workbooks.

Names and birth dates are synthetic; callers pass distinctive ones when a test hunts for them.
"""

from __future__ import annotations

from datetime import date

from tests.workbook_factory import write_workbook


def pair_row(pair_id: str, last_name: str, first_name: str, birth_date, **changes) -> dict:
    row = {
        "Identifiant binôme": pair_id,
        "Nom du bénéficiaire": last_name,
        "Prénom du bénéficiaire": first_name,
        "Sexe": "Femme",
        "Date de naissance": birth_date,
        "Niveau scolaire": "Quatrième",
        "Type de placement": "MECS associative",
        "Territoire": "Nord",
        "Structure ASE d'origine": "MECS Les Aubépines",
        "Date de candidature": date(2026, 3, 2),
        "Date de mise en relation": date(2026, 4, 6),
        "Statut du mentorat": "En cours",
        "Objectif du mentorat": "Soutien scolaire",
        "Modalité": "Présentiel",
        "Nouveau ou reconduction": "Nouveau",
        "Identifiant mentor": f"M-{pair_id}",
        "Mentor formé": "Oui",
        "Fréquence des rencontres": "Hebdomadaire",
        "Séances prévues": 10,
        "Séances réalisées": 8,
    }
    return {**row, **changes}


def closed_pair_row(pair_id: str, last_name: str, first_name: str, birth_date, month: date) -> dict:
    return pair_row(
        pair_id,
        last_name,
        first_name,
        birth_date,
        **{
            "Statut du mentorat": "Clôturé",
            "Date de fin": month.replace(day=9),
            "Motif de fin": "Objectif atteint",
            "Objectif atteint": "Oui",
        },
    )


def end_questionnaire_row(pair_id: str, month: date) -> dict:
    answers = {
        "A repris confiance en soi": "Oui",
        "Résultats scolaires améliorés": "Non",
        "A trouvé un stage ou une formation": "Ne sait pas",
        "Plus à l'aise à l'oral": "Oui",
        "A créé des liens": "Oui",
        "A une personne sur qui compter": "Oui",
        "A fait des découvertes sur soi ou sur le monde": "Non",
    }
    return {"Identifiant binôme": pair_id, "Date de passation": month.replace(day=12), **answers}


def mispe_row(last_name: str, first_name: str, birth_date, answered_on: date) -> dict:
    row = {
        "Nom du bénéficiaire": last_name,
        "Prénom du bénéficiaire": first_name,
        "Date de naissance": birth_date,
        "Vague": "T0 (entrée)",
        "Date de passation": answered_on,
    }
    return row | {f"Q{item:02d}": item % 4 + 1 for item in range(1, 19)}


def resource_row(detail: str = "Fondation Lumière", amount: float = 12000.0) -> dict:
    return {"Catégorie": "Subvention", "Détail": detail, "Montant": amount, "Unité": "EUR"}


def activity_row(month: date, title: str = "Atelier CV") -> dict:
    return {
        "Date": month.replace(day=14),
        "Type d'activité": "Atelier collectif",
        "Intitulé ou structure": title,
        "Nombre de participants": 9,
    }


def write_submission(
    raw_dir, folder: str, association_code: str, pairs: int = 3, extra_pairs=(), **options
):
    """Write raw/<folder>/<association_code>.xlsx for the month `folder` ("YYYY-MM").

    It holds `pairs` ongoing pairs, one closed pair, extra_pairs (rows of Données) and a row in
    every other sheet. options go to write_workbook: `rows` replaces sheets, and `period`
    (default: folder) is what « Paramètres figés » declares, to test a mismatch.
    """
    month = date.fromisoformat(f"{folder}-01")
    pair_rows = [
        pair_row(f"B-{index:03d}", f"Nomtest{index}", f"Prenomtest{index}", date(2010, 1, index))
        for index in range(1, pairs + 1)
    ]
    pair_rows.append(closed_pair_row("B-900", "Nomclos", "Prenomclos", date(2009, 5, 17), month))
    pair_rows += extra_pairs
    rows = {
        "pairs": pair_rows,
        "end_questionnaires": [end_questionnaire_row("B-900", month)],
        "mispe_questionnaires": [
            mispe_row("Nomtest1", "Prenomtest1", date(2010, 1, 1), month.replace(day=5))
        ],
        "resources": [resource_row()],
        "activities": [activity_row(month)],
    }
    rows.update(options.pop("rows", {}))
    options.setdefault("period", folder)
    path = raw_dir / folder / f"{association_code}.xlsx"
    return write_workbook(path, association_code=association_code, rows=rows, **options)
