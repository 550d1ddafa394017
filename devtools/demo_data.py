"""A small, deterministic set of demo reporting files, as associations would send them.

The generator simulates each registered association month by month from September 2025
(pairs apply, get matched, end; youth in residential care answer the MIS PE questionnaire),
then writes the months 2026-08 to 2026-10 into the blank template, plants a few deliberate
errors and records them in a manifest so tests and demos know what the pipeline must report.
Names are drawn at random from fixed lists of common French first and last names: no real
person's identity is described. Everything derives from the seed, never from the clock.
"""

from __future__ import annotations

import argparse
import calendar
import copy
import json
import random
import sys
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from pathlib import Path

from openpyxl.styles import Font

from ase_impact.core import referentiel
from ase_impact.core.keys import period_bounds
from ase_impact.core.registry import RegisteredAssociation, load_registry
from ase_impact.core.settings import SEEDS_DIR, load_settings
from ase_impact.publish.template import append_data_row, build_template

DEMO_PERIODS = ("2026-08", "2026-09", "2026-10")
HISTORY_START = date(2025, 9, 1)
# Données keeps every pair not ended before the year; cumulative tabs keep the year.
YEAR_START = date(2026, 1, 1)
MIS_PE_START = date(2026, 2, 1)
# Ages are drawn at these dates so that they stay in range over the whole demo.
FIRST_DEMO_MONTH_END = period_bounds(DEMO_PERIODS[0])[1]
LAST_DEMO_MONTH_END = period_bounds(DEMO_PERIODS[-1])[1]
MANIFEST_FILE_NAME = "demo_manifest.json"
MISSING_SUBMISSIONS = (("2026-09", "boussole-ase"),)
# One youth mentored by two associations: (association, application date).
SHARED_YOUTH_APPLICATIONS = {
    "envol-mentorat": date(2026, 2, 10),
    "trait-d-union": date(2026, 5, 12),
}
UNKNOWN_TERRITORY = "Littoral"
EXTRA_COLUMN = "Commentaire"

FEMALE_FIRST_NAMES = (
    "Léa", "Manon", "Chloé", "Inès", "Jade", "Camille", "Sarah", "Lina", "Emma", "Louise",
    "Zoé", "Maëlys", "Yasmine", "Clara", "Anaïs", "Nour", "Océane", "Lou", "Amel", "Romane",
)  # fmt: skip
MALE_FIRST_NAMES = (
    "Lucas", "Nathan", "Hugo", "Enzo", "Théo", "Yanis", "Adam", "Mathis", "Rayan", "Noah",
    "Kylian", "Ethan", "Sacha", "Bilal", "Jules", "Samuel", "Dylan", "Tom", "Ilyes", "Léo",
)  # fmt: skip
LAST_NAMES = (
    "Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy",
    "Moreau", "Simon", "Laurent", "Lefebvre", "Michel", "Garcia", "David", "Bertrand", "Roux",
    "Vincent", "Fournier", "Morel", "Girard", "André", "Mercier", "Dupont", "Lambert",
    "Bonnet", "François", "Martinez", "Legrand", "Garnier", "Faure", "Rousseau", "Blanc",
    "Guérin", "Muller", "Henry", "Roussel", "Perrin", "Morin", "Mathieu", "Clément",
    "Gauthier", "Dumont", "Lopez", "Fontaine", "Chevalier", "Robin", "Benali", "Diallo",
)  # fmt: skip
MONTHS_FR = (
    "janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre",
    "octobre", "novembre", "décembre",
)  # fmt: skip

# Weights by value code of the seed lists (codes, not labels: labels come from the seeds).
SEX_WEIGHTS = {"femme": 48, "homme": 50, "autre": 2}
PLACEMENT_WEIGHTS = {
    "mecs_associative": 30, "foyer_enfance": 15, "saf_regie": 10, "saf_associatif": 12,
    "lieu_de_vie": 6, "tiers_digne_confiance": 6, "mna": 8, "structures_bs": 3,
    "milieu_ouvert": 8, "autre": 2,
}  # fmt: skip
OBJECTIVE_WEIGHTS = {
    "school_support": 35, "academic_guidance": 20, "job_integration": 25, "socio_emotional": 20,
}  # fmt: skip
SCHOOL_LEVELS_BY_AGE = {
    12: ("cm2", "sixieme"), 13: ("cinquieme", "quatrieme"), 14: ("quatrieme", "troisieme"),
    15: ("troisieme", "seconde", "cap"), 16: ("seconde", "premiere", "cap"),
    17: ("premiere", "terminale", "cap"), 18: ("terminale", "post_bac", "cap", "non_scolarise"),
}  # fmt: skip
OLDEST_SCHOOL_LEVELS = ("post_bac", "cap", "non_scolarise")
SESSIONS_PER_MONTH = {"weekly": 4, "fortnightly": 2, "monthly": 1, "irregular": 1}
REFERRING_STRUCTURES = {
    "mecs_associative": ("MECS Les Glycines", "MECS Le Phare", "Maison d'enfants Les Tilleuls"),
    "foyer_enfance": ("Foyer de l'enfance du Val",),
    "saf_regie": ("Service d'accueil familial départemental",),
    "saf_associatif": ("SAF Arc-en-ciel",),
    "lieu_de_vie": ("Lieu de vie La Clairière",),
    "mna": ("Dispositif MNA Escale",),
    "structures_bs": ("Résidence Les Ponts",),
    "milieu_ouvert": ("Service AEMO Centre",),
}
ACTIVITY_TITLES = {
    "ase_structure_contacted": REFERRING_STRUCTURES["mecs_associative"]
    + ("Foyer de l'enfance du Val", "SAF Arc-en-ciel", "Service AEMO Centre"),
    "ase_structure_met": ("MECS Les Glycines", "Lieu de vie La Clairière", "SAF Arc-en-ciel"),
    "info_meeting": ("Réunion départementale des partenaires du mentorat",),
    "awareness_action": ("Sensibilisation des éducateurs au mentorat", "Forum des associations"),
    "collective_workshop": ("Atelier CV et lettre de motivation", "Atelier confiance en soi"),
    "event": ("Sortie au musée", "Pique-nique des binômes", "Match de basket"),
    "complementary_project": ("Projet stage d'observation", "Projet bourse au permis"),
    "mentor_training": ("Formation initiale des mentors", "Échange de pratiques des mentors"),
}
RESIDENTIAL_ACTIVITY_TYPES = (
    "awareness_action", "collective_workshop", "event", "complementary_project",
)  # fmt: skip
ACTIVITIES_WITHOUT_PARTICIPANTS = ("ase_structure_contacted", "ase_structure_met")


# --- the manifest -------------------------------------------------------------------------


@dataclass(frozen=True)
class RowDefect:
    """A deliberate defect in one cell: "erreur" rejects the row, "alerte" only flags it.

    excel_row is 1 for a header defect (an unknown extra column).
    """

    file: str
    sheet: str
    excel_row: int
    column_header: str
    kind: str
    severity: str


@dataclass(frozen=True)
class FileDefect:
    """A deliberate file-level error: nothing of the file may be loaded."""

    file: str
    kind: str
    detail: str


@dataclass(frozen=True)
class NotableCell:
    """A cell written in an unusual but accepted way (text date, label typed in lowercase)."""

    file: str
    sheet: str
    excel_row: int
    column_header: str
    kind: str


@dataclass(frozen=True)
class DemoManifest:
    seed: int
    periods: tuple[str, ...]
    files: tuple[str, ...]
    missing_submissions: tuple[tuple[str, str], ...]  # (period, association_code)
    row_defects: tuple[RowDefect, ...]
    file_defects: tuple[FileDefect, ...]
    tolerated_cells: tuple[NotableCell, ...]
    shared_youth_pairs: tuple[tuple[str, str], ...]  # (association_code, pair_id)

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, indent=2) + "\n"

    @classmethod
    def from_json(cls, text: str) -> DemoManifest:
        data = json.loads(text)
        return cls(
            seed=data["seed"],
            periods=tuple(data["periods"]),
            files=tuple(data["files"]),
            missing_submissions=tuple(tuple(item) for item in data["missing_submissions"]),
            row_defects=tuple(RowDefect(**item) for item in data["row_defects"]),
            file_defects=tuple(FileDefect(**item) for item in data["file_defects"]),
            tolerated_cells=tuple(NotableCell(**item) for item in data["tolerated_cells"]),
            shared_youth_pairs=tuple(tuple(item) for item in data["shared_youth_pairs"]),
        )


# --- calendar and référentiel helpers -------------------------------------------------------


def _month_end(month_start: date) -> date:
    return month_start.replace(day=calendar.monthrange(month_start.year, month_start.month)[1])


def _next_month(month_start: date) -> date:
    return _month_end(month_start) + timedelta(days=1)


def _months_between(earlier: date, later: date) -> int:
    return (later.year - earlier.year) * 12 + later.month - earlier.month


def _random_day(rng: random.Random, first: date, last: date) -> date:
    return first + timedelta(days=rng.randint(0, (last - first).days))


def _birth_date_for_age(rng: random.Random, age: int, reference: date) -> date:
    latest = reference.replace(year=reference.year - age)
    earliest = reference.replace(year=reference.year - age - 1) + timedelta(days=1)
    return _random_day(rng, earliest, latest)


def _weighted(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def label(list_code: str, value_code: str) -> str:
    """The French label of a list value, from the seeds."""
    return next(
        value.label_fr for value in referentiel.list_values(list_code) if value.code == value_code
    )


def _codes(list_code: str, category_code: str | None = None) -> list[str]:
    return [
        value.code
        for value in referentiel.list_values(list_code)
        if category_code is None or value.category_code == category_code
    ]


# The demo files are those of the demo registry (the seed ASE_IMPACT_REGISTRY defaults to).
DEMO_REGISTRY_FILE = SEEDS_DIR / "associations.csv"


def _demo_registry() -> tuple[RegisteredAssociation, ...]:
    return load_registry(DEMO_REGISTRY_FILE).associations


def _registry(association_code: str) -> RegisteredAssociation:
    return next(r for r in _demo_registry() if r.association_code == association_code)


def _header(sheet_code: str, field_name: str) -> str:
    return next(c.header_fr for c in referentiel.columns(sheet_code) if c.field == field_name)


# --- simulated people -------------------------------------------------------------------------


@dataclass(frozen=True)
class Youth:
    last_name: str
    first_name: str
    sex_code: str
    birth_date: date
    school_level_code: str
    placement_code: str
    territory_code: str
    referring_structure: str | None


class YouthDrawer:
    """Draws synthetic youth; never twice the same name and birth date by chance."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self._seen: set[tuple[str, str, date]] = set()

    def draw(self, age: int, reference: date, home_territory: str) -> Youth:
        rng = self.rng
        while True:
            sex_code = _weighted(rng, SEX_WEIGHTS)
            first_names = {"femme": FEMALE_FIRST_NAMES, "homme": MALE_FIRST_NAMES}.get(
                sex_code, FEMALE_FIRST_NAMES + MALE_FIRST_NAMES
            )
            last_name, first_name = rng.choice(LAST_NAMES), rng.choice(first_names)
            birth_date = _birth_date_for_age(rng, age, reference)
            if (last_name, first_name, birth_date) not in self._seen:
                break
        self._seen.add((last_name, first_name, birth_date))
        placement_code = _weighted(rng, PLACEMENT_WEIGHTS)
        structures = REFERRING_STRUCTURES.get(placement_code, ())
        territories = _codes("territory")
        return Youth(
            last_name=last_name,
            first_name=first_name,
            sex_code=sex_code,
            birth_date=birth_date,
            school_level_code=rng.choice(SCHOOL_LEVELS_BY_AGE.get(age, OLDEST_SCHOOL_LEVELS)),
            placement_code=placement_code,
            territory_code=home_territory if rng.random() < 0.7 else rng.choice(territories),
            referring_structure=rng.choice(structures)
            if structures and rng.random() < 0.9
            else None,
        )


@dataclass
class Pair:
    pair_id: str
    youth: Youth
    application_date: date
    objective_code: str
    renewal_code: str
    frequency_code: str
    attendance: float
    is_pinned: bool = False  # the shared youth's pairs: matched the next month, never ended
    status_code: str = "waiting"
    match_date: date | None = None
    mode_code: str | None = None
    mentor_id: str | None = None
    end_date: date | None = None
    end_reason_code: str | None = None
    objective_met_code: str | None = None
    questionnaire: tuple[date, tuple[str, ...]] | None = None  # answered_on, answer codes


@dataclass(frozen=True)
class ResourceLine:
    """A resource of the year: a monthly amount accumulated since January, or a flat one."""

    category_code: str
    detail: str
    amount: float | None  # None for a tool
    is_monthly: bool = True
    from_month: int = 1

    def year_to_date(self, month: int) -> float | None:
        if self.amount is None:
            return None
        return self.amount * month if self.is_monthly else self.amount


@dataclass(frozen=True)
class MispeAnswer:
    youth: Youth
    wave_code: str
    answered_on: date
    scores: tuple[int | str | None, ...]


@dataclass
class Draft:
    """One demo file before it is written: rows per sheet, keyed by field name."""

    period: str
    association_code: str
    association_name: str
    identity_period: str
    rows: dict[str, list[dict[str, object]]]
    extra_headers: dict[str, list[str]] = field(default_factory=dict)

    @property
    def file_name(self) -> str:
        return f"{self.period}/{self.association_code}.xlsx"


class AssociationHistory:
    """One association's simulated activity, advanced month by month."""

    def __init__(
        self, registry_row: RegisteredAssociation, seed: int, drawer: YouthDrawer, shared: Youth
    ):
        self.code = registry_row.association_code
        self.name = registry_row.association_name
        self.territory_code = registry_row.territory_code
        self.does_mentoring = registry_row.does_mentoring
        self.is_residential = registry_row.does_residential_care
        self.rng = random.Random(f"{seed}:{self.code}")
        self.drawer = drawer
        self.shared_youth = shared
        self.prefix = "".join(part[0] for part in self.code.split("-")).upper()
        self.pairs: list[Pair] = []
        self.mentors: dict[str, str] = {}  # mentor_id → trained (yes_no code)
        self.mispe_answers: list[MispeAnswer] = []
        self.entry_answers: list[MispeAnswer] = []  # T0 of each youth in residential care
        self.followed_up: set[Youth] = set()
        self.resource_plan = self._resource_plan()

    # simulation

    def advance(self, month_start: date) -> None:
        if self.does_mentoring:
            for pair in list(self.pairs):
                self._progress(pair, month_start)
            self._new_pairs(month_start)
        if self.is_residential and month_start >= MIS_PE_START:
            self._mispe_month(month_start)

    def _progress(self, pair: Pair, month_start: date) -> None:
        rng, month_end = self.rng, _month_end(month_start)
        if pair.status_code == "waiting" and pair.application_date < month_start:
            if pair.is_pinned or rng.random() < 0.5:
                self._match(pair, _random_day(rng, month_start, month_end))
        elif pair.status_code == "ongoing" and not pair.is_pinned:
            assert pair.match_date is not None
            if _months_between(pair.match_date, month_start) >= 3 and rng.random() < 0.13:
                self._end(pair, _random_day(rng, month_start, month_end))

    def _match(self, pair: Pair, match_date: date) -> None:
        rng = self.rng
        if self.mentors and rng.random() < 0.3:
            pair.mentor_id = rng.choice(sorted(self.mentors))
        else:
            pair.mentor_id = f"{self.prefix}-M{len(self.mentors) + 1:02d}"
            self.mentors[pair.mentor_id] = "yes" if rng.random() < 0.85 else "no"
        pair.status_code, pair.match_date = "ongoing", match_date
        pair.mode_code = _weighted(rng, {"in_person": 60, "remote": 15, "hybrid": 25})

    def _end(self, pair: Pair, end_date: date) -> None:
        rng = self.rng
        pair.end_date = end_date
        if rng.random() < 0.7:
            pair.status_code = "closed"
            pair.end_reason_code = rng.choice(_codes("end_reason", "objective"))
            pair.objective_met_code = _weighted(
                rng, {"yes": 50, "partly": 30, "no": 10, "not_assessed": 10}
            )
        else:
            pair.status_code = "abandoned"
            pair.end_reason_code = rng.choice(_codes("end_reason", "pair") + ["other"])
            pair.objective_met_code = rng.choice((None, "no", "not_assessed"))
        if rng.random() < 0.8:
            answered_on = end_date + timedelta(days=rng.randint(-3, 25))
            favourable = 60 if pair.status_code == "closed" else 30
            answers = tuple(
                _weighted(rng, {"yes": favourable, "no": 90 - favourable, "dont_know": 10})
                for _ in range(7)
            )
            pair.questionnaire = (answered_on, answers)

    def _new_pairs(self, month_start: date) -> None:
        rng, month_end = self.rng, _month_end(month_start)
        for _ in range(rng.randint(1, 3)):
            age = rng.randint(13, 19)
            youth = self.drawer.draw(age, FIRST_DEMO_MONTH_END, self.territory_code)
            self._add_pair(youth, _random_day(rng, month_start, month_end))
        shared_application = SHARED_YOUTH_APPLICATIONS.get(self.code)
        if shared_application and month_start <= shared_application <= month_end:
            self._add_pair(self.shared_youth, shared_application, is_pinned=True)

    def _add_pair(self, youth: Youth, application_date: date, is_pinned: bool = False) -> None:
        rng = self.rng
        self.pairs.append(
            Pair(
                pair_id=f"{self.prefix}-{len(self.pairs) + 1:03d}",
                youth=youth,
                application_date=application_date,
                objective_code=_weighted(rng, OBJECTIVE_WEIGHTS),
                renewal_code="renewal" if rng.random() < 0.15 else "new",
                frequency_code=_weighted(
                    rng, {"weekly": 35, "fortnightly": 40, "monthly": 15, "irregular": 10}
                ),
                attendance=rng.uniform(0.6, 1.0),
                is_pinned=is_pinned,
            )
        )

    def _mispe_month(self, month_start: date) -> None:
        rng, month_end = self.rng, _month_end(month_start)
        for entry in list(self.entry_answers):
            if (
                entry.youth not in self.followed_up
                and _months_between(entry.answered_on, month_start) >= 4
                and rng.random() < 0.35
            ):
                self.followed_up.add(entry.youth)
                answered_on = _random_day(rng, month_start, month_end)
                scores = self._follow_up_scores(entry.scores)
                self.mispe_answers.append(MispeAnswer(entry.youth, "T1", answered_on, scores))
        arrivals = rng.randint(2, 4) if not self.does_mentoring else rng.randint(0, 2)
        for _ in range(arrivals):
            youth = self.drawer.draw(rng.randint(14, 17), LAST_DEMO_MONTH_END, self.territory_code)
            answered_on = _random_day(rng, month_start, month_end)
            entry = MispeAnswer(youth, "T0", answered_on, self._entry_scores(rng.uniform(1.6, 3.3)))
            self.entry_answers.append(entry)
            self.mispe_answers.append(entry)

    def _entry_scores(self, base: float) -> tuple[int | str | None, ...]:
        return tuple(
            self._maybe_unanswered(min(4, max(1, round(self.rng.gauss(base, 0.8)))))
            for _ in range(18)
        )

    def _follow_up_scores(self, entry: tuple[int | str | None, ...]) -> tuple:
        return tuple(
            self._maybe_unanswered(
                min(4, max(1, score + self.rng.choice((-1, 0, 0, 1, 1))))
                if isinstance(score, int)
                else self.rng.randint(1, 4)
            )
            for score in entry
        )

    def _maybe_unanswered(self, score: int) -> int | str | None:
        draw = self.rng.random()
        return "NSP" if draw < 0.03 else None if draw < 0.05 else score

    def _resource_plan(self) -> list[ResourceLine]:
        rng = self.rng
        if not self.does_mentoring:
            # The resources the catalogue counts are a mentoring programme's: a home without
            # one leaves « Ressources » empty (REG-001 would tell it otherwise). Its draws are
            # made all the same, so that its other rows stay as they were.
            rng.randint(90, 130), rng.randint(30, 50), rng.randint(8, 20)
            return []
        return [
            ResourceLine(
                "subsidy",
                "Conseil départemental – convention mentorat",
                rng.randint(60, 120) * 500,
                False,
            ),
            ResourceLine(
                "subsidy", "Fondation Avenir Solidaire", rng.randint(10, 30) * 500, False, 9
            ),
            ResourceLine("fte_staff", "Coordination du programme", rng.randint(2, 4) / 2, False),
            ResourceLine("fte_volunteers", "Mentors bénévoles", rng.randint(15, 45) / 10, False),
            ResourceLine("annex_cost", "Locaux", rng.randint(4, 12) * 100),
            ResourceLine(
                "annex_cost", "Déplacements et sorties des binômes", rng.randint(2, 8) * 100
            ),
            ResourceLine("tool", "Plateforme de suivi des binômes", None, False),
        ]

    # snapshot of one month, as the association would fill its workbook

    def snapshot(self, period: str) -> Draft:
        period_start, period_end = period_bounds(period)
        known_pairs = [p for p in self.pairs if p.end_date is None or p.end_date >= YEAR_START]
        questionnaires = sorted(
            (p for p in known_pairs if p.questionnaire and p.questionnaire[0] <= period_end),
            key=lambda p: p.questionnaire[0],
        )
        answers = sorted(
            (a for a in self.mispe_answers if a.answered_on <= period_end),
            key=lambda a: a.answered_on,
        )
        return Draft(
            period=period,
            association_code=self.code,
            association_name=self.name,
            identity_period=period,
            rows={
                "pairs": [self._pair_row(p, period_end) for p in known_pairs],
                "end_questionnaires": [_end_questionnaire_row(p) for p in questionnaires],
                "mispe_questionnaires": [mispe_row(a) for a in answers],
                "resources": self._resource_rows(period_start),
                "activities": self._activity_rows(period_start, period_end),
            },
        )

    def _pair_row(self, pair: Pair, period_end: date) -> dict[str, object]:
        youth, waiting = pair.youth, pair.status_code == "waiting"
        row: dict[str, object] = {
            "pair_id": pair.pair_id,
            "last_name": youth.last_name,
            "first_name": youth.first_name,
            "sex": label("sex", youth.sex_code),
            "birth_date": youth.birth_date,
            "school_level": label("school_level", youth.school_level_code),
            "placement_type": label("placement_type", youth.placement_code),
            "territory": label("territory", youth.territory_code),
            "referring_structure": youth.referring_structure,
            "application_date": pair.application_date,
            "match_date": pair.match_date,
            "status": label("status", pair.status_code),
            "end_date": pair.end_date,
            "end_reason": pair.end_reason_code and label("end_reason", pair.end_reason_code),
            "objective": label("objective", pair.objective_code),
            "renewal": label("renewal", pair.renewal_code),
            "objective_met": pair.objective_met_code
            and label("objective_met", pair.objective_met_code),
        }
        if not waiting:
            assert pair.match_date is not None and pair.mentor_id and pair.mode_code
            last_day = pair.end_date or period_end
            planned = ((last_day - pair.match_date).days // 30 + 1) * SESSIONS_PER_MONTH[
                pair.frequency_code
            ]
            row |= {
                "mode": label("mode", pair.mode_code),
                "mentor_id": pair.mentor_id,
                "mentor_trained": label("yes_no", self.mentors[pair.mentor_id]),
                "meeting_frequency": label("meeting_frequency", pair.frequency_code),
                "sessions_planned": planned,
                "sessions_held": round(planned * pair.attendance),
            }
        return row

    def _resource_rows(self, period_start: date) -> list[dict[str, object]]:
        units = {v.code: v.category_code for v in referentiel.list_values("resource_category")}
        return [
            {
                "category": label("resource_category", line.category_code),
                "detail": line.detail,
                "amount": line.year_to_date(period_start.month),
                "unit": units[line.category_code],
            }
            for line in self.resource_plan
            if period_start.month >= line.from_month
        ]

    def _activity_rows(self, period_start: date, period_end: date) -> list[dict[str, object]]:
        rng = self.rng
        types = list(ACTIVITY_TITLES) if self.does_mentoring else list(RESIDENTIAL_ACTIVITY_TYPES)
        activities = []
        for _ in range(rng.randint(3, 7)):
            type_code = rng.choice(types)
            participants = (
                None if type_code in ACTIVITIES_WITHOUT_PARTICIPANTS else rng.randint(4, 30)
            )
            activities.append(
                {
                    "activity_date": _random_day(rng, period_start, period_end),
                    "activity_type": label("activity_type", type_code),
                    "title": rng.choice(ACTIVITY_TITLES[type_code]),
                    "participants": participants,
                }
            )
        return sorted(activities, key=lambda row: row["activity_date"])


def _end_questionnaire_row(pair: Pair) -> dict[str, object]:
    assert pair.questionnaire is not None
    answered_on, answer_codes = pair.questionnaire
    fields = [c.field for c in referentiel.columns("end_questionnaires")][2:]
    return {
        "pair_id": pair.pair_id,
        "answered_on": answered_on,
        **{
            field_name: label("questionnaire_answer", code)
            for field_name, code in zip(fields, answer_codes, strict=True)
        },
    }


def mispe_row(answer: MispeAnswer) -> dict[str, object]:
    return {
        "last_name": answer.youth.last_name,
        "first_name": answer.youth.first_name,
        "birth_date": answer.youth.birth_date,
        "wave": label("wave", answer.wave_code),
        "answered_on": answer.answered_on,
        **{f"q{index:02d}": score for index, score in enumerate(answer.scores, start=1)},
    }


# --- deliberate defects -----------------------------------------------------------------------


@dataclass
class _Mark:
    draft: Draft
    sheet_code: str
    row: dict[str, object] | None  # None: the header row
    column_header: str
    kind: str
    severity: str | None = None  # None for a tolerated cell

    def position(self) -> tuple[str, str, int, str, str]:
        rows = self.draft.rows[self.sheet_code]
        excel_row = (
            1
            if self.row is None
            else 2 + next(index for index, row in enumerate(rows) if row is self.row)
        )
        sheet = referentiel.sheet(self.sheet_code).name_fr
        return self.draft.file_name, sheet, excel_row, self.column_header, self.kind


class _DefectPlanter:
    """Plants the deliberate defects into the drafts and remembers where they are."""

    def __init__(
        self,
        drafts: dict[tuple[str, str], Draft],
        rng: random.Random,
        drawer: YouthDrawer,
        protected_pair_ids: set[str],
    ):
        self.drafts, self.rng, self.drawer = drafts, rng, drawer
        self.protected_pair_ids = protected_pair_ids  # the shared youth's pairs stay clean
        self.marks: list[_Mark] = []
        self.file_defects: list[FileDefect] = []

    def plant(self) -> None:
        plan = (
            ("2026-08", "envol-mentorat", self._closed_without_end_date),
            ("2026-08", "boussole-ase", self._unknown_column),
            ("2026-09", "passerelles-jeunes", self._unknown_territory),
            ("2026-09", "cap-avenir", self._month_name_as_date),
            ("2026-09", "trait-d-union", self._negative_amount),
            ("2026-09", "envol-mentorat", self._text_dates),
            ("2026-10", "passerelles-jeunes", self._duplicate_pair_id),
            ("2026-10", "envol-mentorat", self._activity_of_last_month),
            ("2026-10", "cap-avenir", self._score_out_of_range),
            ("2026-10", "trait-d-union", self._loosely_typed_label),
            ("2026-10", "les-tilleuls", self._young_adult_answer),
        )
        for period, association_code, plant_defect in plan:
            plant_defect(self.drafts[period, association_code])
        self._resend_previous_month("2026-10", "horizons-partages")

    def _mark(
        self,
        draft: Draft,
        sheet_code: str,
        row: dict[str, object] | None,
        field_name: str,
        kind: str,
        severity: str | None = None,
    ) -> None:
        header = field_name if row is None else _header(sheet_code, field_name)
        self.marks.append(_Mark(draft, sheet_code, row, header, kind, severity))

    def _ongoing_rows(self, draft: Draft, count: int = 1) -> list[dict[str, object]]:
        """Rows of pairs "En cours" with no questionnaire, so one defect rejects one row."""
        answered = {row["pair_id"] for row in draft.rows["end_questionnaires"]}
        candidates = [
            row
            for row in draft.rows["pairs"]
            if row["status"] == label("status", "ongoing")
            and row["pair_id"] not in answered
            and row["pair_id"] not in self.protected_pair_ids
        ]
        return self.rng.sample(candidates, count)

    def _closed_without_end_date(self, draft: Draft) -> None:
        (row,) = self._ongoing_rows(draft)
        row |= {
            "status": label("status", "closed"),
            "end_reason": label("end_reason", "planned_end"),
            "objective_met": label("objective_met", "yes"),
            "end_date": None,
        }
        self._mark(draft, "pairs", row, "end_date", "closed_without_end_date", "erreur")

    def _unknown_column(self, draft: Draft) -> None:
        draft.extra_headers["pairs"] = [EXTRA_COLUMN]
        remarks = ("Relancer le mentor", "RAS", "Binôme très investi")
        for row, remark in zip(self.rng.sample(draft.rows["pairs"], 3), remarks, strict=True):
            row[EXTRA_COLUMN] = remark
        self._mark(draft, "pairs", None, EXTRA_COLUMN, "unknown_column", "alerte")

    def _unknown_territory(self, draft: Draft) -> None:
        (row,) = self._ongoing_rows(draft)
        row["territory"] = UNKNOWN_TERRITORY
        self._mark(draft, "pairs", row, "territory", "unknown_list_value", "erreur")

    def _month_name_as_date(self, draft: Draft) -> None:
        (row,) = self._ongoing_rows(draft)
        applied = row["application_date"]
        assert isinstance(applied, date)
        row["application_date"] = f"{MONTHS_FR[applied.month - 1]} {applied.year}"
        self._mark(draft, "pairs", row, "application_date", "unreadable_date", "erreur")

    def _negative_amount(self, draft: Draft) -> None:
        costs = label("resource_category", "annex_cost")
        row = self.rng.choice([r for r in draft.rows["resources"] if r["category"] == costs])
        row["amount"] = -row["amount"]
        self._mark(draft, "resources", row, "amount", "negative_amount", "erreur")

    def _text_dates(self, draft: Draft) -> None:
        row = self.rng.choice(draft.rows["activities"])
        row["activity_date"] = f"{row['activity_date']:%d/%m/%Y}"
        self._mark(draft, "activities", row, "activity_date", "text_date_dd_mm_yyyy")
        (row,) = self._ongoing_rows(draft)
        row["application_date"] = row["application_date"].isoformat()
        self._mark(draft, "pairs", row, "application_date", "text_date_iso")

    def _duplicate_pair_id(self, draft: Draft) -> None:
        first, second = self._ongoing_rows(draft, count=2)
        second["pair_id"] = first["pair_id"]
        for row in (first, second):
            self._mark(draft, "pairs", row, "pair_id", "duplicate_pair_id", "erreur")

    def _activity_of_last_month(self, draft: Draft) -> None:
        row = self.rng.choice(draft.rows["activities"])
        period_start, _ = period_bounds(draft.period)
        row["activity_date"] = period_start - timedelta(days=self.rng.randint(1, 12))
        self._mark(draft, "activities", row, "activity_date", "date_outside_month", "erreur")

    def _score_out_of_range(self, draft: Draft) -> None:
        row = self.rng.choice(draft.rows["mispe_questionnaires"])
        row["q07"] = 5
        self._mark(draft, "mispe_questionnaires", row, "q07", "score_out_of_range", "erreur")

    def _loosely_typed_label(self, draft: Draft) -> None:
        row = self.rng.choice(draft.rows["end_questionnaires"])
        row["q_confidence"] = f" {str(row['q_confidence']).lower()} "
        self._mark(draft, "end_questionnaires", row, "q_confidence", "label_case_and_spaces")

    def _young_adult_answer(self, draft: Draft) -> None:
        """A 19-year-old's entry questionnaire: kept, flagged outside the MIS PE age range."""
        rng = self.rng
        answered_on = _random_day(rng, *period_bounds(draft.period))
        youth = self.drawer.draw(19, answered_on, _registry(draft.association_code).territory_code)
        scores = tuple(rng.randint(1, 4) for _ in range(18))
        row = mispe_row(MispeAnswer(youth, "T0", answered_on, scores))
        draft.rows["mispe_questionnaires"].append(row)
        self._mark(
            draft, "mispe_questionnaires", row, "birth_date", "age_outside_mispe_scope", "alerte"
        )

    def _resend_previous_month(self, period: str, association_code: str) -> None:
        """The association drops last month's file again in this month's folder."""
        previous = DEMO_PERIODS[DEMO_PERIODS.index(period) - 1]
        resent = copy.deepcopy(self.drafts[previous, association_code])
        resent.period = period
        self.drafts[period, association_code] = resent
        self.file_defects.append(
            FileDefect(
                file=resent.file_name,
                kind="identity_period_mismatch",
                detail=f"Paramètres figés indique la période {previous}, déposé dans {period}",
            )
        )


# --- writing ---------------------------------------------------------------------------------


def write_draft(raw_dir: Path, draft: Draft) -> Path:
    """Fill the association's blank template with the draft's rows and save it under raw_dir."""
    book = build_template(draft.association_code, draft.identity_period, draft.association_name)
    for sheet_code, rows in draft.rows.items():
        sheet = book[referentiel.sheet(sheet_code).name_fr]
        fields = [column.field for column in referentiel.columns(sheet_code)]
        extra = draft.extra_headers.get(sheet_code, [])
        for offset, header in enumerate(extra, start=len(fields) + 1):
            sheet.cell(row=1, column=offset, value=header).font = Font(bold=True)
        for row in rows:
            append_data_row(sheet, [row.get(name) for name in fields + extra])
    path = raw_dir / draft.file_name
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    return path


def generate_demo_data(raw_dir: Path, seed: int = 2026) -> DemoManifest:
    """Write the demo files under raw_dir/<YYYY-MM>/ and raw_dir/demo_manifest.json."""
    drawer = YouthDrawer(random.Random(f"{seed}:youth"))
    first_follower = next(iter(SHARED_YOUTH_APPLICATIONS))
    shared_youth = drawer.draw(15, FIRST_DEMO_MONTH_END, _registry(first_follower).territory_code)
    histories = [AssociationHistory(row, seed, drawer, shared_youth) for row in _demo_registry()]
    drafts: dict[tuple[str, str], Draft] = {}
    month_start = HISTORY_START
    last_period_start, _ = period_bounds(DEMO_PERIODS[-1])
    while month_start <= last_period_start:
        for history in histories:
            history.advance(month_start)
        period = f"{month_start:%Y-%m}"
        if period in DEMO_PERIODS:
            for history in histories:
                if (period, history.code) not in MISSING_SUBMISSIONS:
                    drafts[period, history.code] = history.snapshot(period)
        month_start = _next_month(month_start)

    shared_pairs = tuple(
        (history.code, pair.pair_id)
        for history in histories
        for pair in history.pairs
        if pair.youth is shared_youth
    )
    protected = {pair_id for _, pair_id in shared_pairs}
    planter = _DefectPlanter(drafts, random.Random(f"{seed}:defects"), drawer, protected)
    planter.plant()

    for draft in drafts.values():
        write_draft(raw_dir, draft)
    manifest = DemoManifest(
        seed=seed,
        periods=DEMO_PERIODS,
        files=tuple(sorted(draft.file_name for draft in drafts.values())),
        missing_submissions=MISSING_SUBMISSIONS,
        row_defects=tuple(
            RowDefect(*mark.position(), severity=mark.severity)
            for mark in planter.marks
            if mark.severity
        ),
        file_defects=tuple(planter.file_defects),
        tolerated_cells=tuple(
            NotableCell(*mark.position()) for mark in planter.marks if not mark.severity
        ),
        shared_youth_pairs=shared_pairs,
    )
    (raw_dir / MANIFEST_FILE_NAME).write_text(manifest.to_json(), encoding="utf-8")
    return manifest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m devtools.demo_data",
        description="Génère le jeu de démonstration (noms synthétiques) dans raw/.",
    )
    parser.add_argument("--raw-dir", type=Path, default=None, help="dossier à remplir")
    args = parser.parse_args(argv)
    raw_dir = load_settings(raw_dir=args.raw_dir).raw_dir
    manifest = generate_demo_data(raw_dir)
    print(f"Jeu de démonstration écrit dans {raw_dir} ({len(manifest.files)} fichiers)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
