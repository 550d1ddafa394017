"""Deterministic benchmark workloads: many associations' monthly workbooks, ~1 % rejected rows.

Every file is drawn from its own generator seeded by (seed, period, association), so a file
never depends on another: files are written in parallel and any one can be redrawn alone (the
incremental workload redraws one without its defects). Rows are valid by construction; each
planted defect rejects exactly the rows the manifest names. Workbooks are written with openpyxl
in write-only mode: the template's sheets, headers, identity block and drop-down lists, with
cells typed as Excel stores them (dates as dates), but without the template's validations and
notes, which the pipeline does not read. Lists and labels come from the référentiel.
"""

from __future__ import annotations

import calendar
import hashlib
import json
import os
import random
import shutil
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from itertools import zip_longest
from pathlib import Path

from openpyxl import Workbook

from ase_impact.core import referentiel
from ase_impact.core.keys import period_bounds
from ase_impact.core.settings import SEEDS_DIR
from ase_impact.publish.template import (
    LIST_HEADER_ROW,
    LIST_TITLE_ROW,
    LIST_TITLES_FR,
    used_list_codes,
)
from devtools.demo_data import (
    ACTIVITIES_WITHOUT_PARTICIPANTS,
    ACTIVITY_TITLES,
    FEMALE_FIRST_NAMES,
    LAST_NAMES,
    MALE_FIRST_NAMES,
    MONTHS_FR,
    OBJECTIVE_WEIGHTS,
    OLDEST_SCHOOL_LEVELS,
    PLACEMENT_WEIGHTS,
    REFERRING_STRUCTURES,
    SCHOOL_LEVELS_BY_AGE,
    SESSIONS_PER_MONTH,
    SEX_WEIGHTS,
    UNKNOWN_TERRITORY,
    label,
)

CACHE_DIR = Path(__file__).resolve().parent / ".cache"
DEFAULT_SEED = 2026
REJECTED_SHARE = 0.01
MANIFEST_FILE_NAME = "manifest.json"
# Shares of the pairs of a file by status; ended pairs are at least as many as questionnaires.
WAITING_SHARE = 0.10
ENDED_SHARE = 0.35
CLOSED_SHARE_OF_ENDED = 0.7
NOT_IN_LIST_ANSWER = "Peut-être"
OUT_OF_RANGE_SCORE = 5


@dataclass(frozen=True)
class Workload:
    """How many files, and how many rows of each sheet in every file."""

    name: str
    association_count: int
    periods: tuple[str, ...]
    pairs_per_file: int
    end_questionnaires_per_file: int
    mispe_answers_per_file: int

    def association_codes(self) -> list[str]:
        return [f"bench-{index:03d}" for index in range(1, self.association_count + 1)]

    def submissions(self) -> list[tuple[str, str]]:
        """(period, association_code) of every file, in the order they are written."""
        return [(period, code) for period in self.periods for code in self.association_codes()]


def write_registry(workload: Workload, path: Path) -> Path:
    """The registry of the workload's associations (ASE_IMPACT_REGISTRY of its runs): the
    pipeline refuses a file from an association it does not list."""
    from ase_impact.core.registry import REGISTRY_COLUMNS

    path.parent.mkdir(parents=True, exist_ok=True)
    expected_from = f"{workload.periods[0]}-01"
    lines = [",".join(REGISTRY_COLUMNS)] + [
        f"{code},Association {code},nord,{expected_from},,true,true"
        for code in workload.association_codes()
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def months_ending(last_period: str, count: int) -> tuple[str, ...]:
    """The `count` months ending with `last_period`, oldest first ("YYYY-MM")."""
    year, month = (int(part) for part in last_period.split("-"))
    months = []
    for _ in range(count):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return tuple(reversed(months))


WORKLOADS = {
    "M": Workload("M", 50, ("2026-10",), 1000, 300, 300),
    # M's shape with 1/125 of its rows: what a build costs whatever the data (incremental-S).
    "S": Workload("S", 2, ("2026-10",), 200, 60, 60),
    "L": Workload("L", 200, months_ending("2026-10", 12), 500, 150, 150),
}


@dataclass(frozen=True)
class Correction:
    """An incremental workload: `base` loaded, then one association resubmits its corrected
    file of `period`."""

    base: str
    period: str
    association_code: str
    # Whether the benchmark also replays the build's SQL without dbt (one more correction run
    # and a copy of the warehouse: M's, not L's).
    replay_sql: bool = False


# M's and S's single month; in L, the middle one of its months: the later months' years to
# date cover it too, so their windows are rebuilt as well (and their workbooks written again
# when their figures change).
CORRECTIONS = {
    "incremental": Correction("M", WORKLOADS["M"].periods[-1], "bench-001", replay_sql=True),
    "incremental-S": Correction("S", WORKLOADS["S"].periods[-1], "bench-001"),
    "incremental-L": Correction(
        "L", WORKLOADS["L"].periods[len(WORKLOADS["L"].periods) // 2], "bench-001"
    ),
}


@dataclass(frozen=True)
class Defect:
    """A planted defect: the row at excel_row of the sheet is rejected."""

    sheet_code: str
    excel_row: int
    kind: str


@dataclass
class FileDraft:
    """One workbook before it is written: rows per sheet code, keyed by field."""

    period: str
    association_code: str
    association_name: str
    rows: dict[str, list[dict[str, object]]]
    defects: list[Defect]

    @property
    def file_name(self) -> str:
        return f"{self.period}/{self.association_code}.xlsx"

    @property
    def row_count(self) -> int:
        return sum(len(rows) for rows in self.rows.values())

    @property
    def rejected_rows(self) -> int:
        return len({(defect.sheet_code, defect.excel_row) for defect in self.defects})


@dataclass(frozen=True)
class GeneratedFile:
    file_name: str  # "2026-10/bench-001.xlsx", relative to the raw folder
    rows: dict[str, int]  # sheet code → rows written
    defects: tuple[Defect, ...]

    @property
    def row_count(self) -> int:
        return sum(self.rows.values())

    @property
    def rejected_rows(self) -> int:
        return len({(defect.sheet_code, defect.excel_row) for defect in self.defects})

    @classmethod
    def of(cls, draft: FileDraft) -> GeneratedFile:
        return cls(
            file_name=draft.file_name,
            rows={sheet_code: len(rows) for sheet_code, rows in draft.rows.items()},
            defects=tuple(draft.defects),
        )


@dataclass(frozen=True)
class GeneratedWorkload:
    """The files of a workload on disk, as raw/<YYYY-MM>/<code>.xlsx under root."""

    workload: Workload
    seed: int
    root: Path
    files: tuple[GeneratedFile, ...]

    @property
    def raw_dir(self) -> Path:
        return self.root / "raw"

    def path(self, generated: GeneratedFile) -> Path:
        return self.raw_dir / generated.file_name

    @property
    def row_count(self) -> int:
        return sum(generated.row_count for generated in self.files)

    @property
    def rejected_rows(self) -> int:
        return sum(generated.rejected_rows for generated in self.files)


# --- drawing rows ----------------------------------------------------------------------------


def _weighted(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _codes(list_code: str, categories: tuple[str, ...] = ()) -> list[str]:
    return [
        value.code
        for value in referentiel.list_values(list_code)
        if not categories or value.category_code in categories
    ]


def _years_before(day: date, years: int) -> date:
    last_day = calendar.monthrange(day.year - years, day.month)[1]
    return day.replace(year=day.year - years, day=min(day.day, last_day))


def _birth_date(rng: random.Random, age: int, reference: date) -> date:
    """A birth date that makes a youth exactly `age` years old at `reference`."""
    return _years_before(reference, age) - timedelta(days=rng.randint(0, 360))


class _FileDrawer:
    """Draws the rows of one file through the file's own generator, except what a pair keeps
    from one month's file to the next (its youth, application and match dates): those are
    drawn by the pair's own generator, from the workload's first month, so that the
    référentiel's month-to-month checks (DON-055…058) find what a real association's files
    show, the same pairs carried over."""

    def __init__(self, rng: random.Random, period: str, pairs_seed: str, first_period: str):
        self.rng = rng
        self.period_start, self.period_end = period_bounds(period)
        self.pairs_seed = pairs_seed
        self.first_period_end = period_bounds(first_period)[1]

    def _day(self, first: date, last: date) -> date:
        return first + timedelta(days=self.rng.randint(0, (last - first).days))

    def _youth(
        self, age: int, reference: date, rng: random.Random | None = None
    ) -> dict[str, object]:
        rng = rng or self.rng
        sex_code = _weighted(rng, SEX_WEIGHTS)
        first_names = {"femme": FEMALE_FIRST_NAMES, "homme": MALE_FIRST_NAMES}.get(
            sex_code, FEMALE_FIRST_NAMES + MALE_FIRST_NAMES
        )
        return {
            "last_name": rng.choice(LAST_NAMES),
            "first_name": rng.choice(first_names),
            "sex": label("sex", sex_code),
            "birth_date": _birth_date(rng, age, reference),
        }

    def pairs_and_questionnaires(
        self, count: int, answered_count: int
    ) -> tuple[list[dict[str, object]], list[dict[str, object]]]:
        rng = self.rng
        waiting = round(count * WAITING_SHARE)
        ended = min(count - waiting, max(round(count * ENDED_SHARE), answered_count))
        closed = round(ended * CLOSED_SHARE_OF_ENDED)
        statuses = (
            ["waiting"] * waiting
            + ["closed"] * closed
            + ["abandoned"] * (ended - closed)
            + ["ongoing"] * (count - waiting - ended)
        )
        rng.shuffle(statuses)
        pairs = [self._pair_row(index, status) for index, status in enumerate(statuses, 1)]
        ended_rows = [
            row
            for row, status in zip(pairs, statuses, strict=True)
            if status in ("closed", "abandoned")
        ]
        answered = rng.sample(ended_rows, answered_count)
        questionnaires = sorted(
            (self._end_questionnaire_row(row) for row in answered),
            key=lambda row: row["answered_on"],
        )
        return pairs, questionnaires

    def _pair_row(self, index: int, status_code: str) -> dict[str, object]:
        rng, month_end = self.rng, self.period_end
        pair_id = f"B{index:05d}"
        # What the pair keeps from month to month, as of the workload's first month.
        kept = random.Random(f"{self.pairs_seed}:{pair_id}")
        first_end = self.first_period_end
        age = kept.randint(12, 19)
        youth = self._youth(age, first_end, kept)
        application = first_end - timedelta(days=kept.randint(0, 540))
        match = min(application + timedelta(days=kept.randint(3, 60)), first_end)
        placement = _weighted(rng, PLACEMENT_WEIGHTS)
        structures = REFERRING_STRUCTURES.get(placement, ())
        waiting = status_code == "waiting"
        row: dict[str, object] = {
            "pair_id": pair_id,
            **youth,
            "school_level": label(
                "school_level", rng.choice(SCHOOL_LEVELS_BY_AGE.get(age, OLDEST_SCHOOL_LEVELS))
            ),
            "placement_type": label("placement_type", placement),
            "territory": label("territory", rng.choice(_codes("territory"))),
            "referring_structure": rng.choice(structures) if structures else None,
            "application_date": application,
            "status": label("status", status_code),
            "objective": label("objective", _weighted(rng, OBJECTIVE_WEIGHTS)),
            "renewal": label("renewal", "renewal" if rng.random() < 0.15 else "new"),
        }
        if waiting:
            return row
        frequency = _weighted(
            rng, {"weekly": 35, "fortnightly": 40, "monthly": 15, "irregular": 10}
        )
        row |= {
            "match_date": match,
            "mode": label("mode", _weighted(rng, {"in_person": 60, "remote": 15, "hybrid": 25})),
            "mentor_id": f"M{rng.randint(1, 600):04d}",
            "mentor_trained": label("yes_no", "yes" if rng.random() < 0.85 else "no"),
            "meeting_frequency": label("meeting_frequency", frequency),
        }
        last_day = month_end
        if status_code in ("closed", "abandoned"):
            last_day = min(match + timedelta(days=rng.randint(30, 300)), month_end)
            row["end_date"] = last_day
        if status_code == "closed":
            row["end_reason"] = label(
                "end_reason", rng.choice(_codes("end_reason", ("objective",)))
            )
            row["objective_met"] = label(
                "objective_met",
                _weighted(rng, {"yes": 50, "partly": 30, "no": 10, "not_assessed": 10}),
            )
        elif status_code == "abandoned":
            row["end_reason"] = label(
                "end_reason", rng.choice(_codes("end_reason", ("pair", "other")))
            )
        planned = ((last_day - match).days // 30 + 1) * SESSIONS_PER_MONTH[frequency]
        row["sessions_planned"] = planned
        row["sessions_held"] = round(planned * rng.uniform(0.6, 1.0))
        return row

    def _end_questionnaire_row(self, pair: dict[str, object]) -> dict[str, object]:
        rng = self.rng
        end_date = pair["end_date"]
        assert isinstance(end_date, date)
        answered_on = min(end_date + timedelta(days=rng.randint(-3, 25)), self.period_end)
        answer_fields = [column.field for column in referentiel.columns("end_questionnaires")][2:]
        return {
            "pair_id": pair["pair_id"],
            "answered_on": answered_on,
            **{
                name: label(
                    "questionnaire_answer", _weighted(rng, {"yes": 55, "no": 35, "dont_know": 10})
                )
                for name in answer_fields
            },
        }

    def mispe_rows(self, count: int) -> list[dict[str, object]]:
        rng = self.rng
        year_start = self.period_start.replace(month=1)
        rows = []
        for _ in range(count):
            answered_on = self._day(year_start, self.period_end)
            youth = self._youth(rng.randint(13, 17), answered_on)
            del youth["sex"]
            rows.append(
                {
                    **youth,
                    "wave": label("wave", _weighted(rng, {"T0": 60, "T1": 30, "T2": 10})),
                    "answered_on": answered_on,
                    **{f"q{item:02d}": self._score() for item in range(1, 19)},
                }
            )
        return sorted(rows, key=lambda row: row["answered_on"])

    def _score(self) -> int | str | None:
        draw = self.rng.random()
        return "NSP" if draw < 0.03 else None if draw < 0.05 else self.rng.randint(1, 4)

    def resource_rows(self) -> list[dict[str, object]]:
        """The year's resources, cumulated since January as the template asks."""
        rng, month = self.rng, self.period_start.month
        units = {
            value.code: value.category_code
            for value in referentiel.list_values("resource_category")
        }
        lines = (
            ("subsidy", "Conseil départemental – convention mentorat", rng.randint(60, 120) * 500),
            ("subsidy", "Fondation Avenir Solidaire", rng.randint(10, 30) * 500),
            ("fte_staff", "Coordination du programme", rng.randint(2, 4) / 2),
            ("fte_volunteers", "Mentors bénévoles", rng.randint(15, 45) / 10),
            ("annex_cost", "Locaux", rng.randint(4, 12) * 100 * month),
            ("annex_cost", "Déplacements et sorties des binômes", rng.randint(2, 8) * 100 * month),
            ("tool", "Plateforme de suivi des binômes", None),
        )
        return [
            {
                "category": label("resource_category", category),
                "detail": detail,
                "amount": amount,
                "unit": units[category],
            }
            for category, detail, amount in lines
        ]

    def activity_rows(self) -> list[dict[str, object]]:
        rng = self.rng
        rows = []
        for _ in range(rng.randint(3, 7)):
            type_code = rng.choice(list(ACTIVITY_TITLES))
            rows.append(
                {
                    "activity_date": self._day(self.period_start, self.period_end),
                    "activity_type": label("activity_type", type_code),
                    "title": rng.choice(ACTIVITY_TITLES[type_code]),
                    "participants": None
                    if type_code in ACTIVITIES_WITHOUT_PARTICIPANTS
                    else rng.randint(4, 30),
                }
            )
        return sorted(rows, key=lambda row: row["activity_date"])


def association_name(association_code: str) -> str:
    return f"Association banc d'essai {association_code.rsplit('-', 1)[-1]}"


def draft_file(
    workload: Workload, seed: int, period: str, association_code: str, corrected: bool = False
) -> FileDraft:
    """One file's rows; `corrected` draws the same rows without the planted defects."""
    drawer = _FileDrawer(
        random.Random(f"{seed}:{period}:{association_code}"),
        period,
        pairs_seed=f"{seed}:{association_code}",
        first_period=workload.periods[0],
    )
    pairs, questionnaires = drawer.pairs_and_questionnaires(
        workload.pairs_per_file, workload.end_questionnaires_per_file
    )
    draft = FileDraft(
        period=period,
        association_code=association_code,
        association_name=association_name(association_code),
        rows={
            "pairs": pairs,
            "end_questionnaires": questionnaires,
            "mispe_questionnaires": drawer.mispe_rows(workload.mispe_answers_per_file),
            "resources": drawer.resource_rows(),
            "activities": drawer.activity_rows(),
        },
        defects=[],
    )
    if not corrected:
        _DefectPlanter(draft, random.Random(f"{seed}:{period}:{association_code}:defects")).plant()
    return draft


# --- planted defects ---------------------------------------------------------------------------


class _DefectPlanter:
    """Rejects about REJECTED_SHARE of a file's rows, each defect breaking one rule of a row.

    Données defects go to ongoing pairs without an end questionnaire, so that no other row is
    rejected with them (a questionnaire whose pair is rejected is rejected too).
    """

    KINDS = {
        "pairs": (
            "unknown_territory",
            "closed_without_end_date",
            "unreadable_date",
            "duplicate_pair_id",
        ),
        "end_questionnaires": ("answer_not_in_list",),
        "mispe_questionnaires": ("score_out_of_range",),
        "resources": ("negative_amount",),
        "activities": ("date_outside_month",),
    }

    def __init__(self, draft: FileDraft, rng: random.Random):
        self.draft, self.rng = draft, rng
        answered = {row["pair_id"] for row in draft.rows["end_questionnaires"]}
        ongoing = label("status", "ongoing")
        self.candidates = {
            sheet_code: [
                index
                for index, row in enumerate(rows)
                if sheet_code != "pairs"
                or (row["status"] == ongoing and row["pair_id"] not in answered)
            ]
            for sheet_code, rows in draft.rows.items()
        }
        self.candidates["resources"] = [
            index for index, row in enumerate(draft.rows["resources"]) if row["amount"]
        ]

    def plant(self) -> None:
        target = round(self.draft.row_count * REJECTED_SHARE)
        sheets = list(self.KINDS)
        while self.draft.rejected_rows < target:
            weights = [len(self.candidates[sheet_code]) for sheet_code in sheets]
            if not any(weights):
                return
            sheet_code = self.rng.choices(sheets, weights=weights)[0]
            kind = self.rng.choice(self.KINDS[sheet_code])
            needed = 2 if kind == "duplicate_pair_id" else 1
            if needed > min(target - self.draft.rejected_rows, len(self.candidates[sheet_code])):
                continue
            indices = self.rng.sample(self.candidates[sheet_code], needed)
            for index in indices:
                self.candidates[sheet_code].remove(index)
            rows = [self.draft.rows[sheet_code][index] for index in indices]
            getattr(self, f"_{kind}")(*rows)
            self.draft.defects += [Defect(sheet_code, index + 2, kind) for index in indices]

    def _unknown_territory(self, row: dict[str, object]) -> None:
        row["territory"] = UNKNOWN_TERRITORY

    def _closed_without_end_date(self, row: dict[str, object]) -> None:
        row |= {
            "status": label("status", "closed"),
            "end_reason": label("end_reason", "planned_end"),
            "objective_met": label("objective_met", "yes"),
        }

    def _unreadable_date(self, row: dict[str, object]) -> None:
        applied = row["application_date"]
        assert isinstance(applied, date)
        row["application_date"] = f"{MONTHS_FR[applied.month - 1]} {applied.year}"

    def _duplicate_pair_id(self, first: dict[str, object], second: dict[str, object]) -> None:
        second["pair_id"] = first["pair_id"]

    def _answer_not_in_list(self, row: dict[str, object]) -> None:
        row["q_confidence"] = NOT_IN_LIST_ANSWER

    def _score_out_of_range(self, row: dict[str, object]) -> None:
        row["q07"] = OUT_OF_RANGE_SCORE

    def _negative_amount(self, row: dict[str, object]) -> None:
        row["amount"] = -row["amount"]

    def _date_outside_month(self, row: dict[str, object]) -> None:
        period_start, _ = period_bounds(self.draft.period)
        row["activity_date"] = period_start - timedelta(days=self.rng.randint(1, 12))


# --- writing -----------------------------------------------------------------------------------


def _parameters_rows(draft: FileDraft) -> list[list[object]]:
    """Identity block, then the drop-down lists under their titles, as the template lays them."""
    identity = {
        "association_name": draft.association_name,
        "association_code": draft.association_code,
        "period": draft.period,
        "template_version": referentiel.CURRENT_TEMPLATE_VERSION,
    }
    rows: list[list[object]] = [
        [label_fr, identity[field_name]]
        for label_fr, field_name in referentiel.IDENTITY_LABELS.items()
    ]
    rows += [[]] * (LIST_TITLE_ROW - 1 - len(rows))
    rows.append(["Listes des menus déroulants (ne pas modifier)"])
    codes = used_list_codes()
    rows += [[]] * (LIST_HEADER_ROW - 1 - len(rows))
    rows.append([LIST_TITLES_FR[code] for code in codes])
    labels = [referentiel.list_labels(code) for code in codes]
    rows += [
        [int(text) if text and text.isdigit() else text for text in line]
        for line in zip_longest(*labels)
    ]
    return rows


def write_workbook(path: Path, draft: FileDraft) -> Path:
    """Write the draft as an .xlsx at path (atomically: a crash never leaves half a file)."""
    book = Workbook(write_only=True)
    for spec in referentiel.sheets():
        sheet = book.create_sheet(spec.name_fr)
        if spec.sheet_code == "parameters":
            for row in _parameters_rows(draft):
                sheet.append(row)
        elif spec.is_read:
            columns = referentiel.columns(spec.sheet_code)
            sheet.append([column.header_fr for column in columns])
            for row in draft.rows[spec.sheet_code]:
                sheet.append([row.get(column.field) for column in columns])
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.partial")
    book.save(temporary)
    os.replace(temporary, path)
    return path


def _write_one(task: tuple[Workload, int, str, str, Path]) -> GeneratedFile:
    workload, seed, period, association_code, raw_dir = task
    draft = draft_file(workload, seed, period, association_code)
    write_workbook(raw_dir / draft.file_name, draft)
    return GeneratedFile.of(draft)


def _fingerprint(workload: Workload, seed: int) -> str:
    """Changes whenever the generator, the workload or the référentiel's seeds change."""
    digest = hashlib.sha256(Path(__file__).read_bytes())
    for seed_file in sorted(SEEDS_DIR.glob("*.csv")):
        digest.update(seed_file.read_bytes())
    digest.update(repr((workload, seed)).encode())
    return digest.hexdigest()


def _cached(root: Path, fingerprint: str) -> list[GeneratedFile] | None:
    manifest = root / MANIFEST_FILE_NAME
    if not manifest.exists():
        return None
    data = json.loads(manifest.read_text(encoding="utf-8"))
    if data["fingerprint"] != fingerprint:
        return None
    files = [
        GeneratedFile(
            file_name=item["file_name"],
            rows=item["rows"],
            defects=tuple(Defect(**defect) for defect in item["defects"]),
        )
        for item in data["files"]
    ]
    if not all((root / "raw" / generated.file_name).exists() for generated in files):
        return None
    return files


def generate(
    workload: Workload,
    seed: int = DEFAULT_SEED,
    cache_dir: Path = CACHE_DIR,
    workers: int | None = None,
) -> GeneratedWorkload:
    """The workload's files under cache_dir/<name>-<seed>/raw, written unless already cached.

    workers: processes writing files (default: one per core; 1 writes in this process).
    """
    root = cache_dir / f"{workload.name}-{seed}"
    fingerprint = _fingerprint(workload, seed)
    files = _cached(root, fingerprint)
    if files is None:
        shutil.rmtree(root, ignore_errors=True)
        tasks = [
            (workload, seed, period, code, root / "raw") for period, code in workload.submissions()
        ]
        workers = workers or os.cpu_count() or 1
        if workers == 1:
            files = [_write_one(task) for task in tasks]
        else:
            with ProcessPoolExecutor(max_workers=workers) as pool:
                files = list(pool.map(_write_one, tasks, chunksize=4))
        manifest = {
            "fingerprint": fingerprint,
            "workload": asdict(workload),
            "seed": seed,
            "files": [asdict(generated) for generated in files],
        }
        (root / MANIFEST_FILE_NAME).write_text(
            json.dumps(manifest, ensure_ascii=False), encoding="utf-8"
        )
    return GeneratedWorkload(workload=workload, seed=seed, root=root, files=tuple(files))


def corrected_file(generated: GeneratedWorkload, period: str, association_code: str) -> Path:
    """The file of (period, association) redrawn without its defects, as resubmitted."""
    draft = draft_file(generated.workload, generated.seed, period, association_code, corrected=True)
    return write_workbook(generated.root / "corrected" / draft.file_name, draft)
