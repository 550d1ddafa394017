"""The blank monthly reporting workbook that associations fill, built from the référentiel.

Every sheet, header, help note and drop-down list comes from the seeds (through
`ase_impact.core.referentiel`), so the template always matches what the pipeline checks.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time
from pathlib import Path

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, Protection
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from ase_impact.core import referentiel
from ase_impact.core.keys import ASSOCIATION_CODE, PERIOD, period_bounds
from ase_impact.core.registry import load_registry
from ase_impact.core.settings import load_settings
from ase_impact.publish.layout import fit_row_heights, print_on_page_width

# Last Excel row covered by the drop-downs, validations and unlocked data cells.
LAST_DATA_ROW = 2000
DATE_FORMAT = "DD/MM/YYYY"
# Lists sit on "Paramètres figés" below the identity block (rows 1–4): a title, then headers.
LIST_TITLE_ROW = 6
LIST_HEADER_ROW = 7
# The list of MIS PE answers also offers the "no answer" value the rules accept.
LIST_EXTRAS = {"mispe_answer": "mispe_no_answer"}
# Earliest date accepted by the date validations (birth dates of the oldest youth included).
EARLIEST_DATE = date(1990, 1, 1)


# French title of each drop-down list, shown above its column on "Paramètres figés".
LIST_TITLES_FR = {
    "sex": "Sexe",
    "school_level": "Niveau scolaire",
    "placement_type": "Type de placement",
    "territory": "Territoire",
    "status": "Statut du mentorat",
    "end_reason": "Motif de fin",
    "objective": "Objectif du mentorat",
    "mode": "Modalité",
    "renewal": "Nouveau ou reconduction",
    "yes_no": "Oui / Non",
    "meeting_frequency": "Fréquence des rencontres",
    "objective_met": "Objectif atteint",
    "questionnaire_answer": "Réponse au questionnaire de fin",
    "wave": "Vague",
    "mispe_answer": "Réponse MIS PE (1 à 4, NSP)",
    "resource_category": "Catégorie de ressource",
    "activity_type": "Type d'activité",
}

UNREAD_SHEET_NOTE = (
    "Cet onglet appartient à votre association : utilisez-le librement pour vos propres "
    "synthèses et graphiques. Le pipeline du Département ne le lit pas."
)

BOLD = Font(bold=True)
TITLE = Font(bold=True, size=14)
WRAPPED = Alignment(wrap_text=True, vertical="top")
UNLOCKED = Protection(locked=False)


def write_template(
    path: Path, association_code: str, period: str, association_name: str | None = None
) -> Path:
    """Write the blank reporting workbook of one association for one month to `path`."""
    book = build_template(association_code, period, association_name)
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    return path


def build_template(
    association_code: str, period: str, association_name: str | None = None
) -> Workbook:
    """The blank reporting workbook, in memory (the demo generator fills it before saving)."""
    if not ASSOCIATION_CODE.fullmatch(association_code):
        raise ValueError(
            f"Code association « {association_code} » invalide : lettres minuscules, chiffres "
            "et tirets uniquement (par exemple cap-avenir)."
        )
    if not PERIOD.fullmatch(period):
        raise ValueError(f"Période « {period} » invalide : format attendu AAAA-MM (ex. 2026-10).")
    name = association_name or registry_name(association_code) or association_code

    book = Workbook()
    book.remove(book.active)
    book.properties.creator = "ase-impact"
    book.properties.title = f"Reporting mensuel {period} — {name}"
    for spec in referentiel.sheets():
        sheet = book.create_sheet(spec.name_fr)
        if spec.sheet_code == "explanations":
            _write_explanations(sheet)
        elif spec.sheet_code == "parameters":
            _write_parameters(book, sheet, name, association_code, period)
        elif spec.is_read:
            _write_data_sheet(sheet, spec.sheet_code, period)
        else:
            _write_unread_note(sheet)
        # Data sheets print whatever rows the association adds: no print area there.
        print_on_page_width(sheet, print_area=not spec.is_read)
    book.active = 0
    return book


def build_prefilled_template(
    association_code: str,
    period: str,
    pair_rows: Sequence[dict[str, object]],
    association_name: str | None = None,
) -> Workbook:
    """The month's workbook with « Données » holding pair_rows (field → value), so that an
    officer updates last month's pairs instead of typing them again.

    The rows come from the association's own last accepted file and hold the youth's names:
    the workbook goes to that association only, and is never logged nor kept.
    """
    book = build_template(association_code, period, association_name)
    sheet = book[referentiel.sheet("pairs").name_fr]
    fields = [column.field for column in referentiel.columns("pairs")]
    for row in pair_rows:
        append_data_row(sheet, [_typed_cell(row.get(field)) for field in fields])
    return book


def _typed_cell(value: object) -> object:
    """A value read back from a workbook as it is written again: 3.0 as 3, a datetime at
    midnight as its date."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, datetime) and value.time() == time.min:
        return value.date()
    return value


def registry_name(association_code: str) -> str | None:
    """The association's name in the registry (ASE_IMPACT_REGISTRY), if the code is registered."""
    registered = load_registry(load_settings().registry).get(association_code)
    return registered.association_name if registered else None


def list_range_name(list_code: str) -> str:
    """Workbook-level defined name of a drop-down list's cells on "Paramètres figés"."""
    return f"liste_{list_code}"


def used_list_codes() -> tuple[str, ...]:
    """Every list behind a column of a read sheet, in sheet and column order."""
    codes: list[str] = []
    for spec in referentiel.sheets():
        for column in referentiel.columns(spec.sheet_code) if spec.is_read else ():
            if column.list_code and column.list_code not in codes:
                codes.append(column.list_code)
    return tuple(codes)


def append_data_row(sheet: Worksheet, values: Sequence[object]) -> int:
    """Append one row under the data already in `sheet`, as typed in Excel; returns its row.

    Cells are left unlocked like the template's empty data cells, and dates get the
    JJ/MM/AAAA display format.
    """
    sheet.append(list(values))
    excel_row = sheet.max_row
    for cell in sheet[excel_row]:
        cell.protection = UNLOCKED
        if isinstance(cell.value, date):
            cell.number_format = DATE_FORMAT
    return excel_row


def _excel_date(value: date) -> str:
    return f"DATE({value.year},{value.month},{value.day})"


def _write_explanations(sheet: Worksheet) -> None:
    sheet.column_dimensions["A"].width = 110
    sheet["A1"] = "Reporting mensuel de l'association — mode d'emploi"
    sheet["A1"].font = TITLE
    for offset, (text, is_heading) in enumerate(_explanation_lines(), start=3):
        cell = sheet.cell(row=offset, column=1, value=text)
        cell.font = BOLD if is_heading else Font()
        cell.alignment = WRAPPED
    fit_row_heights(sheet)


def _explanation_lines() -> list[tuple[str, bool]]:
    names = {spec.sheet_code: spec.name_fr for spec in referentiel.sheets()}
    (no_answer,) = referentiel.list_labels(LIST_EXTRAS["mispe_answer"])
    return [
        ("Un fichier par mois", True),
        (
            "Remplissez ce classeur une fois par mois : il décrit la situation de votre "
            "association au dernier jour du mois indiqué dans l'onglet "
            f"« {names['parameters']} ». Le fichier est déposé dans le dossier du mois sous le "
            "nom AAAA-MM/<code>.xlsx, par exemple 2026-10/cap-avenir.xlsx. Le code association "
            "et la période inscrits dans l'identité du fichier doivent correspondre à ce nom ; "
            "sinon le fichier entier est refusé.",
            False,
        ),
        (
            "Ne renommez pas les onglets et ne modifiez pas les en-têtes (ligne 1, verrouillée). "
            "Saisissez vos lignes sous les en-têtes, une ligne par enregistrement. Un onglet "
            "qui ne vous concerne pas reste simplement vide. Une colonne que vous ajoutez n'est "
            "pas lue (un avertissement le signale). Chaque en-tête porte une note qui rappelle "
            "la règle de la colonne.",
            False,
        ),
        ("À quoi sert chaque onglet", True),
        (
            f"« {names['pairs']} » : une ligne par binôme de mentorat (jeune et mentor), y compris "
            "les binômes en attente et ceux terminés depuis le 1er janvier. Gardez chaque mois le "
            "même identifiant de binôme et mettez à jour son statut.",
            False,
        ),
        (
            f"« {names['end_questionnaires']} » : une ligne par questionnaire de fin de mentorat, "
            "pour les binômes clôturés ou abandonnés. L'onglet est cumulatif : gardez tous les "
            "questionnaires de l'année.",
            False,
        ),
        (
            f"« {names['mispe_questionnaires']} » : pour les structures d'accueil, une ligne par "
            "questionnaire rempli par un jeune (vague T0 à l'entrée, T1 en suivi, T2 à la "
            "sortie). Réponses de 1 (Pas du tout d'accord) à 4 (Tout à fait d'accord) ; laissez "
            f"vide ou saisissez {no_answer} quand le jeune n'a pas répondu. L'onglet est "
            "cumulatif.",
            False,
        ),
        (
            f"« {names['resources']} » : les ressources de l'année civile en cours, en cumul "
            "depuis le 1er janvier (subventions et coûts annexes en EUR, ETP salariés et "
            "bénévoles en ETP, outils sans montant).",
            False,
        ),
        (f"« {names['activities']} » : les activités du mois uniquement.", False),
        (
            f"« {names['parameters']} » : l'identité du fichier (association, code, période, "
            "version du modèle), à ne pas modifier, et les listes des menus déroulants.",
            False,
        ),
        (
            f"« {names['summary']} » et « {names['dashboard']} » : à l'usage de votre "
            "association ; le pipeline ne les lit pas.",
            False,
        ),
        ("Comment saisir", True),
        (
            "Dates : au format JJ/MM/AAAA, par exemple 15/09/2026. Listes : choisissez la valeur "
            "dans le menu déroulant de la cellule ; une valeur hors liste entraîne le rejet de "
            "la ligne. Séances et participants : nombres entiers positifs ou nuls. Identifiant "
            "mentor : le code interne du mentor, jamais son nom.",
            False,
        ),
        ("Données personnelles", True),
        (
            "Les noms, prénoms et dates de naissance des jeunes servent uniquement à reconnaître "
            "un même jeune d'un mois à l'autre et d'une association à l'autre. Ils sont "
            "remplacés par un pseudonyme dès l'import et ne sont jamais conservés. N'ajoutez "
            "aucune autre information qui permettrait d'identifier un jeune (adresse, téléphone, "
            "commentaire sur sa situation).",
            False,
        ),
        ("Que se passe-t-il en cas d'erreur ?", True),
        (
            "Une erreur sur une ligne (valeur hors liste, date illisible, champ obligatoire "
            "vide…) écarte cette ligne seulement : les autres lignes sont prises en compte. Une "
            "erreur sur le fichier (onglet manquant, colonne obligatoire absente, code ou "
            "période qui ne correspondent pas au dépôt, version du modèle non reconnue) fait "
            "refuser tout le fichier ; la version acceptée précédemment, s'il y en a une, reste "
            "en vigueur. Vous recevez un retour en français qui indique pour chaque erreur "
            "l'onglet, la ligne, la colonne et la correction attendue. Corrigez puis déposez de "
            "nouveau le fichier du mois : la nouvelle version remplace l'ancienne.",
            False,
        ),
    ]


def _write_unread_note(sheet: Worksheet) -> None:
    sheet.column_dimensions["A"].width = 110
    sheet["A1"] = UNREAD_SHEET_NOTE
    sheet["A1"].alignment = WRAPPED


def _write_parameters(
    book: Workbook, sheet: Worksheet, name: str, association_code: str, period: str
) -> None:
    identity_values = {
        "association_name": name,
        "association_code": association_code,
        "period": period,
        "template_version": referentiel.CURRENT_TEMPLATE_VERSION,
    }
    for excel_row, (label, field) in enumerate(referentiel.IDENTITY_LABELS.items(), start=1):
        sheet.cell(row=excel_row, column=1, value=label).font = BOLD
        value_cell = sheet.cell(row=excel_row, column=2, value=identity_values[field])
        value_cell.number_format = "@"  # kept as text: "2026-10" must not become a date

    sheet.cell(
        row=LIST_TITLE_ROW,
        column=1,
        value="Listes des menus déroulants (ne pas modifier)",
    ).font = BOLD
    for column, list_code in enumerate(used_list_codes(), start=1):
        _write_list_column(book, sheet, column, list_code)
    sheet.column_dimensions["A"].width = 28
    sheet.column_dimensions["B"].width = 28
    sheet.protection.sheet = True


def _write_list_column(book: Workbook, sheet: Worksheet, column: int, list_code: str) -> None:
    letter = get_column_letter(column)
    sheet.cell(row=LIST_HEADER_ROW, column=column, value=LIST_TITLES_FR[list_code]).font = BOLD
    labels = referentiel.list_labels(list_code)
    if list_code in LIST_EXTRAS:
        labels += referentiel.list_labels(LIST_EXTRAS[list_code])
    first_row = LIST_HEADER_ROW + 1
    for excel_row, label in enumerate(labels, start=first_row):
        # MIS PE answers are numbers in cells: list them as numbers so typed answers match.
        sheet.cell(row=excel_row, column=column, value=int(label) if label.isdigit() else label)
    last_row = first_row + len(labels) - 1
    reference = f"{quote_sheetname(sheet.title)}!${letter}${first_row}:${letter}${last_row}"
    name = list_range_name(list_code)
    book.defined_names[name] = DefinedName(name, attr_text=reference)
    width = max(len(LIST_TITLES_FR[list_code]), *(len(label) for label in labels)) + 2
    if column > 2:  # A and B also hold the identity block and get their width there
        sheet.column_dimensions[letter].width = width


def _write_data_sheet(sheet: Worksheet, sheet_code: str, period: str) -> None:
    period_start, period_end = period_bounds(period)
    for index, column in enumerate(referentiel.columns(sheet_code), start=1):
        letter = get_column_letter(index)
        header = sheet.cell(row=1, column=index, value=column.header_fr)
        header.font = BOLD
        header.alignment = Alignment(wrap_text=True, vertical="center")
        header.comment = _header_note(column)
        dimension = sheet.column_dimensions[letter]
        dimension.width = _column_width(column)
        dimension.protection = UNLOCKED  # empty data cells stay editable under protection
        if column.data_type == "date":
            dimension.number_format = DATE_FORMAT
        earliest = period_start if column.field == "activity_date" else EARLIEST_DATE
        validation = _validation_for(column, earliest, period_end)
        if validation is not None:
            validation.add(f"{letter}2:{letter}{LAST_DATA_ROW}")
            sheet.add_data_validation(validation)
    sheet.freeze_panes = "A2"
    sheet.row_dimensions[1].height = 32
    protection = sheet.protection
    protection.sheet = True
    # Locked header row only: users may still resize, insert and delete data rows, and sort.
    protection.formatColumns = protection.formatRows = False
    protection.insertRows = protection.deleteRows = False
    protection.sort = protection.autoFilter = False


def _header_note(column: referentiel.ColumnSpec) -> Comment:
    lines = [column.help_fr] if column.help_fr else []
    if column.list_code:
        lines.append("Choisissez une valeur dans la liste déroulante.")
    if "obligatoire" not in column.help_fr.casefold():  # else the help states when it is
        lines.append("Obligatoire." if column.is_required else "Facultatif.")
    note = Comment("\n".join(lines), "ase-impact")
    note.width, note.height = 260, 110
    return note


def _column_width(column: referentiel.ColumnSpec) -> float:
    if column.data_type == "score":
        return 7
    if column.data_type == "date":
        return max(14, min(len(column.header_fr) + 2, 24))
    return max(12, min(len(column.header_fr) + 4, 40))


def _validation_for(
    column: referentiel.ColumnSpec, earliest: date, latest: date
) -> DataValidation | None:
    if column.list_code:
        return _list_validation(column.list_code)
    if column.data_type == "date":
        return DataValidation(
            type="date",
            operator="between",
            formula1=_excel_date(earliest),
            formula2=_excel_date(latest),
            allow_blank=True,
            showErrorMessage=True,
            errorTitle="Date invalide",
            error=(
                "Saisissez une date au format JJ/MM/AAAA, entre le "
                f"{earliest:%d/%m/%Y} et le {latest:%d/%m/%Y}."
            ),
        )
    if column.data_type in ("integer", "number"):
        return DataValidation(
            type="whole" if column.data_type == "integer" else "decimal",
            operator="greaterThanOrEqual",
            formula1="0",
            allow_blank=True,
            showErrorMessage=True,
            errorTitle="Nombre invalide",
            error=(
                "Saisissez un nombre entier positif ou nul."
                if column.data_type == "integer"
                else "Saisissez un nombre positif ou nul."
            ),
        )
    return None


def _list_validation(list_code: str) -> DataValidation:
    return DataValidation(
        type="list",
        formula1=list_range_name(list_code),
        allow_blank=True,
        showErrorMessage=True,
        errorTitle="Valeur hors liste",
        error="Choisissez une valeur dans la liste déroulante.",
    )
