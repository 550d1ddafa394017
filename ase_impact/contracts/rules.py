"""The rule registry: every check the pipeline applies to a workbook, with a stable code.

Codes never change meaning once published: a new rule takes the next free number of its
prefix. Prefixes: FIC (the file as a whole), ENT (headers), REG (a sheet against the
association's line of the registry), CEL (a cell of any column of any read sheet, judged as
Excel holds it: an error, a logical value, a percentage, a text too long), PAR (identity in
« Paramètres figés »), DON (Données), QFM (Questionnaire fin de mentorat), MIS (Questionnaire
MIS PE), RES (Ressources), ACT (Activités).

Messages are French sentence tails, or whole sentences for file-level rules; placeholders in
braces are filled when a finding is reported ({period}, {period_end}, {file}, …). Every rule
has a firing and a passing example in tests/unit/test_rules_*.py.
"""

from __future__ import annotations

from dataclasses import dataclass

from ase_impact.core import referentiel
from ase_impact.core.vocabulary import ALERTE, CONTRACT, ERREUR, QUERY

# Kinds of rule. Generic kinds are checked the same way on every column they apply to;
# "row" rules have their own check in contracts/schemas.py.
REQUIRED = "required"
IN_LIST = "in_list"
DATE = "date"
NON_NEGATIVE_INTEGER = "non_negative_integer"
INTEGER_AT_MOST = "integer_at_most"
NUMBER = "number"
SCORE = "score"
ROW = "row"
IDENTITY = "identity"
HEADER = "header"
FILE = "file"
# A rule comparing a row with the same pair (or resource) in the association's previous file
# in force: checked at reception, against the warehouse (contracts/history.py).
HISTORY = "history"
CELL = "cell"
# A rule on a sheet as a whole, against the association's line of the registry.
POPULATION = "population"

# The largest whole number a count column (sessions, participants) accepts: far above any real
# count, far below what the warehouse's INTEGER holds (2,147,483,647).
MAX_INTEGER = 1_000_000
# The largest amount a resource row accepts (euros or FTE): far above any association's budget
# line, far below what the warehouse's exact sums of amounts hold (DECIMAL(38, 12): 10^26), so
# that no file can make a total overflow and stop the build of every association.
MAX_AMOUNT = 1_000_000_000
# The longest text a cell may hold (Excel itself allows 32,767 characters).
MAX_TEXT_LENGTH = 500
# Ages in whole years, bounds included: a pair's youth at the month's last day (DON-009), a
# MIS PE respondent at the answer (MIS-005), and the MIS PE's own scope, outside which an
# answer is kept, flagged (MIS-006) and counted in no MIS PE figure.
PAIR_AGES = (6, 25)
MISPE_AGES = (11, 21)
MISPE_SCOPE_AGES = (13, 18)
# An end questionnaire may be answered up to this many days before the pair's end (QFM-007).
END_QUESTIONNAIRE_LEAD_DAYS = 31
# Plausibility queries: a youth applies from 6 (DON-051), is matched within a year of applying
# (DON-053); an amount moves by at most this factor from the previous file (RES-010).
MINIMUM_APPLICATION_AGE = 6
LONGEST_MATCHING_DELAY_DAYS = 365
AMOUNT_MOVE_FACTOR = 10
# A volume moves implausibly when its ratio to the previous one leaves these bounds (a move of
# more than ±50 %): the pairs a file declares against the previous file's (DON-058, from
# VOLUME_FLOOR pairs on either side), the youth an association accompanies month over month
# (the publication gate's volume suite).
VOLUME_RATIO_BOUNDS = (0.5, 1.5)
VOLUME_FLOOR = 10
VOLUME_GAP_PERCENT = round((VOLUME_RATIO_BOUNDS[1] - 1) * 100)


@dataclass(frozen=True)
class Rule:
    code: str
    sheet_code: str | None  # None: the file as a whole, or any read sheet (ENT)
    column: str | None  # the field whose header and received value a finding shows
    reads: tuple[str, ...]  # every field the rule reads
    kind: str
    severity: str
    message_fr: str
    column_header_fr: str | None = None  # for rules that point at several columns
    # rule_categories: a rule of the contract, or a plausibility query (« À vérifier »).
    category: str = CONTRACT

    @property
    def header_fr(self) -> str | None:
        """The French header a finding of this rule shows."""
        if self.column_header_fr or not self.column:
            return self.column_header_fr
        return column_spec(self.sheet_code, self.column).header_fr


def column_spec(sheet_code: str, field: str) -> referentiel.ColumnSpec:
    return next(spec for spec in referentiel.columns(sheet_code) if spec.field == field)


def _label(list_code: str, value_code: str) -> str:
    return next(v.label_fr for v in referentiel.list_values(list_code) if v.code == value_code)


def quoted_list(labels: tuple[str, ...] | list[str]) -> str:
    """« a », « b » et « c »: labels as a French sentence quotes them."""
    quoted = [f"« {label} »" for label in labels]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " et " + quoted[-1]


STATUS_WAITING = _label("status", "waiting")
STATUS_CLOSED = _label("status", "closed")
STATUS_ABANDONED = _label("status", "abandoned")
ENDED_STATUSES = (STATUS_CLOSED, STATUS_ABANDONED)
RESOURCE_TOOL = _label("resource_category", "tool")
# Unit each resource category requires (the seed's category code); None: the unit stays empty.
UNIT_BY_RESOURCE_CATEGORY = {
    value.label_fr: value.category_code for value in referentiel.list_values("resource_category")
}
(NO_ANSWER,) = referentiel.list_labels("mispe_no_answer")  # an MIS PE item left unanswered
QUESTIONNAIRE_ANSWER_FIELDS = tuple(
    spec.field for spec in referentiel.columns("end_questionnaires") if spec.list_code
)
MISPE_ITEM_FIELDS = tuple(
    spec.field for spec in referentiel.columns("mispe_questionnaires") if spec.data_type == "score"
)

_KEPT_FLAGGED = "la ligne est conservée mais signalée"


def _required(code: str, sheet_code: str, field: str) -> Rule:
    message = "cette information est obligatoire et la cellule est vide."
    return Rule(code, sheet_code, field, (field,), REQUIRED, ERREUR, message)


def _in_list(code: str, sheet_code: str, field: str) -> Rule:
    labels = referentiel.list_labels(column_spec(sheet_code, field).list_code)
    message = f"la valeur n'est pas dans la liste ; valeurs admises : {quoted_list(labels)}."
    return Rule(code, sheet_code, field, (field,), IN_LIST, ERREUR, message)


def _date(code: str, sheet_code: str, field: str) -> Rule:
    message = "la date est illisible ; saisissez une date Excel ou une date au format JJ/MM/AAAA."
    return Rule(code, sheet_code, field, (field,), DATE, ERREUR, message)


def _non_negative_integer(code: str, sheet_code: str, field: str) -> Rule:
    message = "la valeur doit être un nombre entier positif ou nul (0, 1, 2…)."
    return Rule(code, sheet_code, field, (field,), NON_NEGATIVE_INTEGER, ERREUR, message)


def _at_most(code: str, sheet_code: str, field: str) -> Rule:
    message = f"la valeur dépasse {_thousands(MAX_INTEGER)}, le maximum admis pour ce nombre."
    return Rule(code, sheet_code, field, (field,), INTEGER_AT_MOST, ERREUR, message)


def _thousands(number: int) -> str:
    """1000000 → "1 000 000", as French writes it."""
    return f"{number:,}".replace(",", " ")


def _row(
    code: str,
    sheet_code: str,
    column: str | None,
    reads: tuple[str, ...],
    message: str,
    severity: str = ERREUR,
    column_header_fr: str | None = None,
) -> Rule:
    return Rule(code, sheet_code, column, reads, ROW, severity, message, column_header_fr)


# Row rules that recur (checked by _not_after, _required_unless_waiting and _required_if_ended
# in contracts/schemas.py); subject: how the message names the field ("la date de fin").


def _not_after_period(code: str, sheet_code: str, field: str, subject: str) -> Rule:
    limit = "ne peut pas être postérieure au dernier jour du mois du fichier ({period_end})"
    return _row(code, sheet_code, field, (field,), f"{subject} {limit}.")


def _required_unless_waiting(code: str, sheet_code: str, field: str, subject: str) -> Rule:
    message = f"{subject} est obligatoire sauf quand le statut est « {STATUS_WAITING} »."
    return _row(code, sheet_code, field, (field, "status"), message)


def _required_if_ended(code: str, sheet_code: str, field: str, subject: str) -> Rule:
    message = (
        f"{subject} est obligatoire quand le statut est « {STATUS_CLOSED} » ou "
        f"« {STATUS_ABANDONED} »."
    )
    return _row(code, sheet_code, field, (field, "status"), message)


def _no_letter(code: str, sheet_code: str, field: str, subject: str) -> Rule:
    message = (
        f"{subject} ne contient aucune lettre (seulement des tirets, apostrophes, espaces ou "
        "chiffres) : le jeune ne peut pas être identifié ; saisissez son vrai nom."
    )
    return _row(code, sheet_code, field, (field,), message)


def _pairs_rules() -> list[Rule]:
    s = "pairs"
    return [
        _required("DON-001", s, "pair_id"),
        _row(
            "DON-002",
            s,
            "pair_id",
            ("pair_id",),
            "l'identifiant du binôme figure sur plusieurs lignes du fichier ; chaque binôme ne "
            "doit apparaître qu'une fois, toutes ces lignes sont rejetées.",
        ),
        _required("DON-003", s, "last_name"),
        _required("DON-004", s, "first_name"),
        _required("DON-005", s, "sex"),
        _in_list("DON-006", s, "sex"),
        _required("DON-007", s, "birth_date"),
        _date("DON-008", s, "birth_date"),
        _row(
            "DON-009",
            s,
            "birth_date",
            ("birth_date",),
            "l'âge au dernier jour du mois ({period_end}) doit être compris entre "
            f"{PAIR_AGES[0]} et {PAIR_AGES[1]} ans.",
        ),
        _required("DON-010", s, "school_level"),
        _in_list("DON-011", s, "school_level"),
        _required("DON-012", s, "placement_type"),
        _in_list("DON-013", s, "placement_type"),
        _required("DON-014", s, "territory"),
        _in_list("DON-015", s, "territory"),
        _required("DON-016", s, "application_date"),
        _date("DON-017", s, "application_date"),
        _not_after_period("DON-018", s, "application_date", "la date de candidature"),
        _date("DON-019", s, "match_date"),
        _required_unless_waiting("DON-020", s, "match_date", "la date de mise en relation"),
        _row(
            "DON-021",
            s,
            "match_date",
            ("match_date", "application_date"),
            "la date de mise en relation ne peut pas être antérieure à la date de candidature.",
        ),
        _not_after_period("DON-022", s, "match_date", "la date de mise en relation"),
        _required("DON-023", s, "status"),
        _in_list("DON-024", s, "status"),
        _date("DON-025", s, "end_date"),
        _required_if_ended("DON-026", s, "end_date", "la date de fin"),
        _row(
            "DON-027",
            s,
            "end_date",
            ("end_date", "status"),
            f"la date de fin doit rester vide tant que le statut n'est pas « {STATUS_CLOSED} » "
            f"ou « {STATUS_ABANDONED} ».",
        ),
        _row(
            "DON-028",
            s,
            "end_date",
            ("end_date", "match_date"),
            "la date de fin ne peut pas être antérieure à la date de mise en relation.",
        ),
        _not_after_period("DON-029", s, "end_date", "la date de fin"),
        _in_list("DON-030", s, "end_reason"),
        _required_if_ended("DON-031", s, "end_reason", "le motif de fin"),
        _required("DON-032", s, "objective"),
        _in_list("DON-033", s, "objective"),
        _in_list("DON-034", s, "mode"),
        _required_unless_waiting("DON-035", s, "mode", "la modalité"),
        _required("DON-036", s, "renewal"),
        _in_list("DON-037", s, "renewal"),
        _required_unless_waiting("DON-038", s, "mentor_id", "l'identifiant du mentor"),
        _in_list("DON-039", s, "mentor_trained"),
        _required_unless_waiting("DON-040", s, "mentor_trained", "l'information « Mentor formé »"),
        _in_list("DON-041", s, "meeting_frequency"),
        _non_negative_integer("DON-042", s, "sessions_planned"),
        _non_negative_integer("DON-043", s, "sessions_held"),
        _in_list("DON-044", s, "objective_met"),
        _row(
            "DON-045",
            s,
            "objective_met",
            ("objective_met", "status"),
            f"l'objectif atteint est obligatoire quand le statut est « {STATUS_CLOSED} ».",
        ),
        _no_letter("DON-046", s, "last_name", "le nom"),
        _no_letter("DON-047", s, "first_name", "le prénom"),
        _at_most("DON-048", s, "sessions_planned"),
        _at_most("DON-049", s, "sessions_held"),
    ]


def _end_questionnaire_rules() -> list[Rule]:
    s = "end_questionnaires"
    rules = [
        _required("QFM-001", s, "pair_id"),
        _row(
            "QFM-002",
            s,
            "pair_id",
            ("pair_id",),
            "ce binôme ne figure pas parmi les lignes acceptées de l'onglet « Données » de ce "
            "fichier (absent ou rejeté) : le questionnaire ne peut pas lui être rattaché.",
        ),
        _row(
            "QFM-003",
            s,
            "pair_id",
            ("pair_id",),
            f"ce binôme n'est ni « {STATUS_CLOSED} » ni « {STATUS_ABANDONED} » dans l'onglet "
            "« Données » : le questionnaire de fin ne concerne que les binômes terminés.",
        ),
        _row(
            "QFM-004",
            s,
            "pair_id",
            ("pair_id",),
            "ce binôme a plusieurs questionnaires de fin dans l'onglet ; un seul est admis par "
            "binôme, toutes ces lignes sont rejetées.",
        ),
        _required("QFM-005", s, "answered_on"),
        _date("QFM-006", s, "answered_on"),
        _row(
            "QFM-007",
            s,
            "answered_on",
            ("answered_on", "pair_id"),
            "la date de passation ne peut pas précéder de plus de "
            f"{END_QUESTIONNAIRE_LEAD_DAYS} jours la date de fin du "
            "binôme indiquée dans l'onglet « Données ».",
        ),
        _not_after_period("QFM-008", s, "answered_on", "la date de passation"),
    ]
    for offset, field in enumerate(QUESTIONNAIRE_ANSWER_FIELDS):
        rules.append(_required(f"QFM-{9 + 2 * offset:03d}", s, field))
        rules.append(_in_list(f"QFM-{10 + 2 * offset:03d}", s, field))
    return rules


def _mispe_rules() -> list[Rule]:
    s = "mispe_questionnaires"
    rules = [
        _required("MIS-001", s, "last_name"),
        _required("MIS-002", s, "first_name"),
        _required("MIS-003", s, "birth_date"),
        _date("MIS-004", s, "birth_date"),
        _row(
            "MIS-005",
            s,
            "birth_date",
            ("birth_date", "answered_on"),
            "l'âge à la date de passation doit être compris entre "
            f"{MISPE_AGES[0]} et {MISPE_AGES[1]} ans.",
        ),
        _row(
            "MIS-006",
            s,
            "birth_date",
            ("birth_date", "answered_on"),
            "l'âge à la date de passation est hors du champ MIS PE "
            f"({MISPE_SCOPE_AGES[0]} à {MISPE_SCOPE_AGES[1]} ans) : "
            f"{_KEPT_FLAGGED}.",
            severity=ALERTE,
        ),
        _required("MIS-007", s, "wave"),
        _in_list("MIS-008", s, "wave"),
        _required("MIS-009", s, "answered_on"),
        _date("MIS-010", s, "answered_on"),
        _not_after_period("MIS-011", s, "answered_on", "la date de passation"),
        _row(
            "MIS-012",
            s,
            None,
            MISPE_ITEM_FIELDS,
            f"aucune réponse aux questions : {_KEPT_FLAGGED} et ne compte dans aucun score.",
            severity=ALERTE,
            column_header_fr=f"{column_spec(s, MISPE_ITEM_FIELDS[0]).header_fr} à "
            f"{column_spec(s, MISPE_ITEM_FIELDS[-1]).header_fr}",
        ),
    ]
    rules += [
        _no_letter("MIS-031", s, "last_name", "le nom"),
        _no_letter("MIS-032", s, "first_name", "le prénom"),
    ]
    score_message = (
        f"la réponse doit être 1, 2, 3 ou 4 ; laissez la cellule vide ou saisissez "
        f"« {NO_ANSWER} » en l'absence de réponse."
    )
    for offset, field in enumerate(MISPE_ITEM_FIELDS):
        code = f"MIS-{13 + offset:03d}"
        rules.append(Rule(code, s, field, (field,), SCORE, ERREUR, score_message))
    return rules


def _categories_with_unit(unit: str | None) -> tuple[str, ...]:
    return tuple(label for label, u in UNIT_BY_RESOURCE_CATEGORY.items() if u == unit)


def _resources_rules() -> list[Rule]:
    s = "resources"
    unit_rules = [
        _row(
            f"RES-{7 + offset:03d}",
            s,
            "unit",
            ("unit", "category"),
            f"l'unité doit être « {unit} » pour les catégories "
            f"{quoted_list(_categories_with_unit(unit))}.",
        )
        for offset, unit in enumerate(("EUR", "ETP"))
    ]
    return [
        _required("RES-001", s, "category"),
        _in_list("RES-002", s, "category"),
        _required("RES-003", s, "detail"),
        Rule(
            "RES-004", s, "amount", ("amount",), NUMBER, ERREUR, "le montant doit être un nombre."
        ),
        _row("RES-005", s, "amount", ("amount",), "le montant doit être positif ou nul."),
        _row(
            "RES-006",
            s,
            "amount",
            ("amount", "category"),
            f"le montant est obligatoire pour toutes les catégories sauf « {RESOURCE_TOOL} ».",
        ),
        *unit_rules,
        _row(
            "RES-009",
            s,
            "unit",
            ("unit", "category"),
            "l'unité doit rester vide pour la catégorie "
            f"{quoted_list(_categories_with_unit(None))}.",
        ),
        _row(
            "RES-011",
            s,
            "amount",
            ("amount",),
            f"le montant dépasse {_thousands(MAX_AMOUNT)}, le maximum admis ; vérifiez la "
            "valeur saisie (un montant s'écrit en euros, un effectif en ETP).",
        ),
    ]


def _activities_rules() -> list[Rule]:
    s = "activities"
    return [
        _required("ACT-001", s, "activity_date"),
        _date("ACT-002", s, "activity_date"),
        _row(
            "ACT-003",
            s,
            "activity_date",
            ("activity_date",),
            "la date doit être dans le mois du fichier ({period}) ; une activité d'un autre mois "
            "se déclare dans le fichier de ce mois-là.",
        ),
        _required("ACT-004", s, "activity_type"),
        _in_list("ACT-005", s, "activity_type"),
        _required("ACT-006", s, "title"),
        _non_negative_integer("ACT-007", s, "participants"),
        _at_most("ACT-008", s, "participants"),
    ]


_IDENTITY_HEADER = {field: label for label, field in referentiel.IDENTITY_LABELS.items()}
_IN_PARAMETERS = "Fichier {file}, onglet « " + referentiel.sheet("parameters").name_fr + " » : "


def _identity(code: str, field: str, message: str) -> Rule:
    return Rule(
        code,
        "parameters",
        field,
        (field,),
        IDENTITY,
        ERREUR,
        _IN_PARAMETERS + message,
        column_header_fr=_IDENTITY_HEADER[field],
    )


def _identity_rules() -> list[Rule]:
    name, code, period, version = (
        _IDENTITY_HEADER[field]
        for field in ("association_name", "association_code", "period", "template_version")
    )
    return [
        _identity(
            "PAR-001",
            "association_name",
            f"la cellule « {name} » est vide ; indiquez le nom de l'association.",
        ),
        _identity(
            "PAR-002",
            "association_code",
            f"la cellule « {code} » est vide ; indiquez le code de l'association ({{expected}}).",
        ),
        _identity(
            "PAR-003",
            "association_code",
            "le fichier indique le code association {found} mais a été déposé pour "
            "l'association {expected}.",
        ),
        _identity(
            "PAR-004",
            "period",
            f"la cellule « {period} » doit contenir le mois du fichier au format AAAA-MM "
            "(valeur lue : « {found} »).",
        ),
        _identity(
            "PAR-005",
            "period",
            "le fichier indique la période {found} mais a été déposé dans {expected}.",
        ),
        _identity(
            "PAR-006",
            "template_version",
            f"la cellule « {version} » est vide ou introuvable (son libellé en colonne A, la "
            "version en colonne B) ; utilisez le modèle de classeur fourni par le département.",
        ),
        _identity(
            "PAR-007",
            "template_version",
            "la version du modèle {found} n'est pas prise en charge (versions acceptées : "
            "{supported}) ; utilisez le modèle de classeur à jour.",
        ),
    ]


def _file_rules() -> list[Rule]:
    def file_rule(code: str, message: str) -> Rule:
        return Rule(code, None, None, (), FILE, ERREUR, message)

    return [
        file_rule(
            "FIC-001",
            "Fichier {file} : le fichier n'est pas rangé au bon endroit ; déposez chaque "
            "classeur dans le dossier de son mois, sous la forme AAAA-MM/code-association.xlsx "
            "(par exemple 2026-10/cap-avenir.xlsx).",
        ),
        file_rule(
            "FIC-002",
            "Fichier {file} : le dossier « {folder} » n'est pas un mois valide ; il doit être "
            "nommé AAAA-MM (par exemple 2026-10).",
        ),
        file_rule(
            "FIC-003",
            "Fichier {file} : le nom du fichier doit être le code de l'association suivi de "
            ".xlsx, en minuscules sans accent, chiffres et tirets (2 à 41 caractères, par "
            "exemple cap-avenir.xlsx).",
        ),
        file_rule(
            "FIC-004",
            "Fichier {file} : ce n'est pas un classeur Excel au format .xlsx (ancien format "
            ".xls, fichier protégé par un mot de passe ou autre fichier renommé) ; "
            "enregistrez-le depuis Excel au format « Classeur Excel (.xlsx) », sans mot de "
            "passe, puis déposez-le à nouveau.",
        ),
        file_rule(
            "FIC-005",
            "Fichier {file} : le classeur est endommagé et ne peut pas être lu ; ouvrez-le dans "
            "Excel, enregistrez-le à nouveau au format .xlsx puis déposez-le.",
        ),
        file_rule(
            "FIC-006",
            "Fichier {file} : {missing} ; rien n'a été chargé. Utilisez le modèle de classeur "
            "sans renommer ni supprimer ses onglets.",
        ),
        file_rule(
            "FIC-007",
            "Fichier {file}, onglet « {sheet} » : {missing}{hint} ; rien n'a été chargé. Les "
            "en-têtes doivent rester ceux du modèle, sur la première ligne.",
        ),
        file_rule(
            "FIC-008",
            "Fichier {file} : le fichier est vide (0 octet), son dépôt a sans doute été "
            "interrompu ; déposez à nouveau le classeur enregistré depuis Excel.",
        ),
        file_rule(
            "FIC-009",
            "Fichier {file} : c'est un classeur Excel à l'ancien format .xls (Excel 97-2003), "
            "renommé en .xlsx ; ouvrez-le dans Excel, enregistrez-le au format « Classeur Excel "
            "(.xlsx) » puis déposez-le à nouveau.",
        ),
        file_rule(
            "FIC-010",
            "Fichier {file} : le classeur est protégé par un mot de passe et ne peut pas être "
            "lu ; ouvrez-le dans Excel, retirez le mot de passe (Fichier > Informations > "
            "Protéger le classeur), enregistrez-le au format « Classeur Excel (.xlsx) » puis "
            "déposez-le à nouveau.",
        ),
        file_rule(
            "FIC-011",
            "Fichier {file} : c'est un fichier texte (par exemple un export CSV) renommé en "
            ".xlsx, pas un classeur Excel ; recopiez les données dans le modèle de classeur, "
            "enregistrez-le au format « Classeur Excel (.xlsx) » puis déposez-le à nouveau.",
        ),
        file_rule(
            "FIC-012",
            "Fichier {file} : {reason} ; par sécurité, le classeur n'a pas été ouvert. "
            "Enregistrez à nouveau le modèle rempli depuis Excel, sans données superflues, "
            "puis déposez-le.",
        ),
        file_rule(
            "FIC-013",
            "Fichier {file}, onglet « {sheet} » : la cellule {cell} contient une valeur "
            "au-delà de la limite de {max_rows} lignes de données et {max_columns} colonnes ; "
            "rien n'a été chargé. Supprimez les lignes et colonnes superflues puis déposez le "
            "fichier à nouveau.",
        ),
        file_rule(
            "FIC-014",
            "Fichier {file}, onglet « {sheet} » : {cells} une formule dont le résultat n'a pas "
            "été enregistré ; rien n'a été chargé. Ouvrez le classeur dans Excel ou LibreOffice "
            "et enregistrez-le (les résultats des formules sont alors enregistrés), ou "
            "remplacez les formules par leurs valeurs, puis déposez-le à nouveau.",
        ),
        file_rule(
            "FIC-015",
            "Fichier {file} : {count} fichiers ont été déposés pour la même association et le "
            "même mois ({files}) ; aucun n'a été chargé et la version déjà intégrée, "
            "s'il y en a une, reste en vigueur. Ne laissez que {expected} puis relancez.",
        ),
        file_rule(
            "FIC-016",
            "Fichier {file} : le mois {period} est hors de la période prise en charge ({first} "
            "à {last}) ; rien n'a été chargé. {advice}",
        ),
        file_rule(
            "FIC-017",
            "Fichier {file} : l'association « {association} » n'est pas inscrite au registre des "
            "associations du département ; rien n'a été chargé. Vérifiez le nom du fichier (le "
            "code de l'association suivi de .xlsx) ; {how_to_register}.",
        ),
        file_rule(
            "FIC-018",
            "Fichier {file} : {sheets} ; rien n'a été chargé, car on ne peut pas savoir lequel "
            "lire. Supprimez les onglets en trop (y compris masqués : clic droit sur un onglet "
            "> Afficher) pour ne garder qu'un onglet de chaque nom, puis déposez le fichier à "
            "nouveau.",
        ),
        file_rule(
            "FIC-019",
            "Fichier {file} : l'onglet « {sheet} » ne contient aucune ligne alors que la version "
            "en vigueur (version {version} reçue le {received_at}) en compte {rows_in_force} ; "
            "c'est sans doute un modèle vierge déposé par erreur. Rien n'a été chargé et la "
            "version {version} reste prise en compte. Déposez le fichier rempli ; l'onglet "
            "garde chaque mois tous les binômes, y compris ceux terminés (statut "
            f"« {STATUS_CLOSED} » ou « {STATUS_ABANDONED} »).",
        ),
        file_rule(
            "FIC-020",
            "Fichier {file} : le classeur contient des macros (format « Classeur Excel prenant "
            "en charge les macros », .xlsm) ; rien n'a été chargé, et un tel fichier ne doit pas "
            "circuler sous le nom .xlsx. Enregistrez-le depuis Excel au format « Classeur Excel "
            "(.xlsx) », sans macros, puis déposez-le à nouveau.",
        ),
    ]


def _cell_rules() -> list[Rule]:
    """Rules on a cell of any column of a read sheet, judged as Excel holds it; {detail} is that
    cell's error, logical value, percentage or length (never a value of a personal column)."""

    def cell_rule(code: str, message: str) -> Rule:
        return Rule(code, None, None, (), CELL, ERREUR, message)

    return [
        cell_rule(
            "CEL-001",
            "la cellule affiche l'erreur Excel « {detail} » au lieu d'une valeur ; corrigez la "
            "formule ou saisissez la valeur elle-même.",
        ),
        cell_rule(
            "CEL-002",
            "la cellule contient la valeur logique {detail} (par exemple une case à cocher ou le "
            "résultat d'une comparaison) au lieu d'une valeur de la colonne ; saisissez la "
            "valeur attendue.",
        ),
        cell_rule(
            "CEL-003",
            "le nombre est au format pourcentage ({detail}) : Excel l'enregistre divisé par 100. "
            "Saisissez la valeur elle-même dans une cellule au format Nombre.",
        ),
        cell_rule(
            "CEL-004",
            "le texte compte {detail} caractères, au-delà de la limite de "
            f"{_thousands(MAX_TEXT_LENGTH)} ; raccourcissez-le.",
        ),
        cell_rule(
            "CEL-005",
            "la cellule fait partie des cellules fusionnées {detail} : Excel y affiche la "
            "valeur de la première, mais elle est vide ; annulez la fusion (Accueil > "
            "Fusionner et centrer) et saisissez la valeur sur chaque ligne.",
        ),
    ]


def _header_rules() -> list[Rule]:
    def header_rule(code: str, message: str) -> Rule:
        return Rule(code, None, None, (), HEADER, ALERTE, message)

    return [
        header_rule("ENT-001", "colonne inconnue, ignorée.{hint}"),
        header_rule(
            "ENT-002",
            "colonne absente du fichier : elle est lue comme vide sur toutes les lignes.",
        ),
        header_rule("ENT-003", "colonne en double : seule la première de ces colonnes est lue."),
    ]


def _registry_rules() -> list[Rule]:
    return [
        Rule(
            "REG-001",
            None,
            None,
            (),
            POPULATION,
            ALERTE,
            "les lignes de cet onglet ({rows}) sont gardées, mais aucune ne compte dans un "
            "indicateur : le registre des associations du Département ne range pas "
            "l'association parmi les « {population} », les seules dont ces lignes sont "
            "comptées. Si elle en fait partie, demandez au Département de corriger sa ligne du "
            "registre, puis déposez le fichier à nouveau ; sinon, laissez cet onglet vide.",
        )
    ]


# --- Plausibility: impossible values are errors; possible but unusual ones are queries ------
_TO_CHECK = "à vérifier"


def _query(
    code: str, sheet_code: str, column: str, reads: tuple[str, ...], message: str, kind: str = ROW
) -> Rule:
    """A plausibility query: the row is kept, flagged « À vérifier » (category query)."""
    return Rule(code, sheet_code, column, reads, kind, ALERTE, message, category=QUERY)


def _plausibility_rules() -> list[Rule]:
    s = "pairs"
    return [
        _query(
            "DON-050",
            s,
            "sessions_held",
            ("sessions_held", "sessions_planned"),
            f"plus de séances réalisées que de séances prévues : {_TO_CHECK} ; les séances de "
            "ce binôme ne comptent pas dans le taux de réalisation des séances tant que la "
            "ligne n'est pas corrigée.",
        ),
        _query(
            "DON-051",
            s,
            "application_date",
            ("application_date", "birth_date"),
            f"la date de candidature précède les {MINIMUM_APPLICATION_AGE} ans du jeune : "
            f"{_TO_CHECK}.",
        ),
        _row(
            "DON-052",
            s,
            "application_date",
            ("application_date", "birth_date"),
            "la date de candidature ne peut pas être antérieure à la date de naissance du jeune.",
        ),
        _query(
            "DON-053",
            s,
            "match_date",
            ("match_date", "application_date"),
            f"plus de {LONGEST_MATCHING_DELAY_DAYS} jours entre la candidature et la mise en "
            f"relation : {_TO_CHECK}.",
        ),
        _query(
            "DON-054",
            s,
            "school_level",
            ("school_level", "birth_date"),
            "le niveau scolaire est inhabituel pour l'âge du jeune au dernier jour du mois "
            f"({{period_end}}) : {_TO_CHECK}.",
        ),
        _query(
            "DON-055",
            s,
            "sex",
            ("pair_id", "sex"),
            f"le sexe diffère de celui déclaré pour ce binôme dans le fichier de {{previous}} : "
            f"{_TO_CHECK}.",
            kind=HISTORY,
        ),
        _query(
            "DON-056",
            s,
            "match_date",
            ("pair_id", "match_date"),
            "la date de mise en relation diffère de celle déclarée pour ce binôme dans le "
            f"fichier de {{previous}} ({{previous_value}}) : {_TO_CHECK}.",
            kind=HISTORY,
        ),
        _query(
            "DON-057",
            s,
            "birth_date",
            ("pair_id", "last_name", "first_name", "birth_date"),
            "la date de naissance (ou le nom) du jeune diffère de celle déclarée pour ce binôme "
            f"dans le fichier de {{previous}} : {_TO_CHECK}.",
            kind=HISTORY,
        ),
        _query(
            "DON-058",
            s,
            "pair_id",
            ("pair_id",),
            f"le fichier compte plus de {VOLUME_GAP_PERCENT} % de binômes en plus ou en moins "
            f"que celui de {{previous}} ({{previous_value}} binômes) : {_TO_CHECK} ; l'onglet "
            "liste tous les binômes que l'association connaît (en attente, en cours ou "
            "terminés), sans doublon ni binôme d'une autre structure.",
            kind=HISTORY,
        ),
        _query(
            "RES-010",
            "resources",
            "amount",
            ("category", "detail", "amount"),
            f"le montant a été multiplié ou divisé par plus de {AMOUNT_MOVE_FACTOR} depuis le "
            "fichier de "
            f"{{previous}} ({{previous_value}}) pour la même catégorie et le même détail : "
            f"{_TO_CHECK}.",
            kind=HISTORY,
        ),
    ]


RULES: dict[str, Rule] = {
    registered.code: registered
    for registered in (
        _file_rules()
        + _header_rules()
        + _registry_rules()
        + _cell_rules()
        + _identity_rules()
        + _pairs_rules()
        + _end_questionnaire_rules()
        + _mispe_rules()
        + _resources_rules()
        + _activities_rules()
        + _plausibility_rules()
    )
}


def rule(code: str) -> Rule:
    return RULES[code]


def rules_of(sheet_code: str) -> tuple[Rule, ...]:
    return tuple(registered for registered in RULES.values() if registered.sheet_code == sheet_code)


def is_query(code: str) -> bool:
    """Whether a finding's rule is a plausibility query (« À vérifier »)."""
    found = RULES.get(code)
    return found is not None and found.category == QUERY
