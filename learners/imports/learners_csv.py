"""Import of `learners.csv` (DESIGN.md §6): one row per enrollment.

Two passes over the file, both streaming. The first validates every row and collects every
error while writing nothing; only a file without a single error gets the second pass, which
feeds `learners.services.enrollments_upsert` (one transaction, batched writes).

Memory does not grow with the rows beyond two compact tables, needed to find what only
shows across rows (the same enrollment twice, a learner with two sexes): 64-bit digests of
the keys, not the keys. Two different keys share a digest with a probability of about
n²/2⁶⁵ (3·10⁻⁸ for a million rows); the cost of such a collision would be one row wrongly
reported, never a wrong write.
"""

from __future__ import annotations

import datetime
import hashlib
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from functools import partial

from django.db import DatabaseError, connections, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gen_portal.errors import DomainError
from outcomes.indicators.runs import indicator_run_after_import
from outcomes.models import FollowUp
from trainings.models import Training

from ..models import Learner
from ..services import BATCH_SIZE, EnrollmentRecord, enrollments_upsert
from . import values
from .progress import VALIDATE, WRITE, ProgressCallback
from .reading import (
    Source,
    as_source,
    check_shape,
    map_header,
    open_table,
)
from .report import DEFAULT_MAX_ERRORS, SHARED_REASONS, ImportResult, Report
from .run import ImportRun, SourceChanged

logger = logging.getLogger(__name__)

REQUIRED_COLUMNS = (
    "training_code",
    "learner_ref",
    "sex",
    "qpv_resident",
    "situation_at_entry",
    "free_access",
    "entry_date",
)
OPTIONAL_COLUMNS = (
    "birth_year",
    "diploma_level",
    "exit_date",
    "exit_reason",
    "situation_exit",
    "situation_m3",
    "situation_m6",
    "situation_m12",
)
MILESTONE_COLUMNS = (
    ("situation_exit", "exit"),
    ("situation_m3", "m3"),
    ("situation_m6", "m6"),
    ("situation_m12", "m12"),
)
_MILESTONE_COLUMN = {milestone: column for column, milestone in MILESTONE_COLUMNS}

# Every reason this import can give (the tests hold one case per reason).
REASONS = SHARED_REASONS | frozenset(
    {
        "sex",
        "birth_year",
        "situation_at_entry",
        "exit_reason",
        "situation",
        "learner_ref_contact",
        "training_unknown",
        "training_forbidden",
        "duplicate_enrollment",
        "sex_conflict",
        "birth_year_conflict",
        "exit_before_entry",
        "exit_reason_required",
        "exit_reason_without_exit",
        "situation_without_exit",
    }
)

_LEARNER_REF_MAX = Learner._meta.get_field("learner_ref").max_length
_TRAINING_CODE_MAX = Training._meta.get_field("code").max_length
_DIPLOMA_MAX = 20  # Enrollment.diploma_level
_SEX_INDEX = {"": 0, "F": 1, "M": 2, "X": 3}
_SEX_OF_INDEX = ("", "F", "M", "X")
PROGRESS_EVERY = 5000


@dataclass(frozen=True)
class Importer:
    """Who imports: staff (every training) or one organisation (its own trainings only)."""

    organisation_id: int | None

    @classmethod
    def staff(cls) -> Importer:
        return cls(organisation_id=None)

    @classmethod
    def for_organisation(cls, organisation) -> Importer:
        if organisation is None or organisation.pk is None:
            raise ValueError("an organisation importer needs a saved organisation")
        return cls(organisation_id=organisation.pk)

    @property
    def is_staff(self) -> bool:
        return self.organisation_id is None


@dataclass
class LearnersImportResult(ImportResult):
    learners: int = 0  # distinct learners written (created or updated)
    enrollments: int = 0
    followups: int = 0  # follow-up situations written

    def counts(self) -> dict[str, int]:
        return {
            "rows": self.rows,
            "learners": self.learners,
            "enrollments": self.enrollments,
            "followups": self.followups,
        }

    def summary(self) -> str:
        if not self.ok:
            return self.report.summary()
        if self.validated_only:
            return (
                _(
                    "Fichier valide, rien n'a été enregistré (vérification seule). %(rows)s lignes "
                    "lues : l'import enregistrera %(learners)s apprenants, %(enrollments)s "
                    "inscriptions et %(followups)s situations de suivi."
                )
                % self.counts()
            )
        return (
            _(
                "%(rows)s lignes lues : %(learners)s apprenants, %(enrollments)s inscriptions et "
                "%(followups)s situations de suivi enregistrés."
            )
            % self.counts()
        )


def _forget_debug_queries() -> None:
    # With DEBUG on, Django keeps the SQL of the last 9,000 queries, and the SQL of one
    # batch insert is hundreds of kilobytes: a long import would hold gigabytes of it. Kept
    # when someone is capturing queries on purpose (a test's query count).
    for connection in connections.all(initialized_only=True):
        if not connection.force_debug_cursor:
            connection.queries_log.clear()


def _digest(text: str) -> int:
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big")


@dataclass(slots=True)
class _Row:
    line: int
    training_id: int
    organisation_id: int
    learner_ref: str
    entry_date: datetime.date
    sex: str
    birth_year: int | None
    situation_at_entry: str
    qpv_resident: bool | None
    diploma_level: str
    free_access: bool | None
    exit_date: datetime.date | None
    exit_reason: str
    followups: dict[str, str] = field(default_factory=dict)


class _Trainings:
    """Training code -> (training id, organisation id), loaded once: a few thousand
    trainings at most, whatever the size of the file."""

    def __init__(self, importer: Importer):
        queryset = Training.objects.all()
        if not importer.is_staff:
            # An organisation sees only its own: another's training is "unknown to you",
            # with the same message as a code that does not exist (no existence leak).
            queryset = queryset.filter(organisation_id=importer.organisation_id)
        self.exact: dict[str, tuple[int, int]] = {}
        self.folded: dict[str, tuple[int, int]] = {}
        for code, pk, organisation_id in queryset.values_list("code", "pk", "organisation_id"):
            self.exact[code] = (pk, organisation_id)
            self.folded.setdefault(code.lower(), (pk, organisation_id))

    def get(self, code: str) -> tuple[int, int] | None:
        return self.exact.get(code) or self.folded.get(code.lower())


class _Run(ImportRun):
    def __init__(
        self,
        *,
        source: Source,
        importer: Importer,
        progress: ProgressCallback | None,
        batch_size: int,
        max_errors: int | None,
        today: datetime.date | None,
        validate_only: bool = False,
    ):
        super().__init__(
            source=source,
            progress=progress,
            max_errors=max_errors,
            validate_only=validate_only,
            result=LearnersImportResult,
        )
        self.importer = importer
        self.batch_size = batch_size
        self.today = today
        self.trainings = _Trainings(importer)
        self.unknown_training = "training_unknown" if importer.is_staff else "training_forbidden"
        # Across rows: digests of (training, learner_ref, entry date) seen, and per learner
        # (organisation, learner_ref) the sex and birth year known so far, packed in one
        # small int (sex index in the low 2 bits, year above; 0 = unknown).
        self.seen_enrollments: set[int] = set()
        self.followups_given = 0  # situations in valid rows: what the import will write
        self.learners: dict[int, int] = {}
        self._packed: dict[int, int] = {}  # one int object per distinct packed value

    # --- per row -------------------------------------------------------------------------

    def plan(self, columns) -> None:
        """Fix, once per file, where each cell is and how it is read: a row is then one
        loop, not a lookup per cell (a million rows are read twice)."""
        latest = (self.today or timezone.localdate()).year
        readers = (
            ("training_code", partial(values.text, max_length=_TRAINING_CODE_MAX, required=True)),
            ("learner_ref", partial(values.learner_ref, max_length=_LEARNER_REF_MAX)),
            ("sex", values.sex),
            ("birth_year", partial(values.birth_year, latest=latest)),
            ("qpv_resident", values.boolean),
            ("situation_at_entry", values.situation_at_entry),
            ("diploma_level", partial(values.text, max_length=_DIPLOMA_MAX)),
            ("free_access", values.boolean),
            ("entry_date", partial(values.date, required=True)),
            ("exit_date", values.date),
            ("exit_reason", values.exit_reason),
            *((column, values.situation) for column, _milestone in MILESTONE_COLUMNS),
        )
        self.columns = columns
        # An optional column left out of the file reads as an empty cell.
        self.readers = [(name, columns.index.get(name), read) for name, read in readers]

    def parse(self, line: int, fields: list[str], report: Report) -> _Row | None:
        """Read one row; every problem goes to `report`. None when the row is invalid."""
        if not check_shape(line, fields, self.columns, report):
            return None
        errors_before = report.error_count
        cells = []
        for name, position, read in self.readers:
            raw = "" if position is None else fields[position]
            try:
                cells.append(read(raw))
            except values.Invalid as problem:
                report.add(line, name, raw.strip(), problem.code, **problem.params)
                cells.append(None)
        (
            code,
            learner_ref,
            sex,
            birth_year,
            qpv_resident,
            situation_at_entry,
            diploma_level,
            free_access,
            entry_date,
            exit_date,
            exit_reason,
            *situations,
        ) = cells

        training = None
        if code:
            training = self.trainings.get(code)
            if training is None:
                report.add(line, "training_code", code, self.unknown_training)
        followups = {}
        for (_column, milestone), situation in zip(MILESTONE_COLUMNS, situations, strict=True):
            if situation is not None:
                followups[milestone] = situation

        # Rules between cells of the row (the declaration forms check the same ones).
        index = self.columns.index
        exit_cell = fields[index["exit_date"]].strip() if "exit_date" in index else ""
        for name, reason in values.enrollment_problems(
            entry_date=entry_date,
            exit_date=exit_date,
            exit_given=bool(exit_cell),
            exit_reason=exit_reason,
            milestones=followups,
        ):
            column = _MILESTONE_COLUMN.get(name, name)
            raw = fields[index[column]].strip() if column in index else ""
            report.add(line, column, raw, reason)

        if report.error_count != errors_before:
            return None
        return _Row(
            line=line,
            training_id=training[0],
            organisation_id=training[1],
            learner_ref=learner_ref,
            entry_date=entry_date,
            sex=sex,
            birth_year=birth_year,
            situation_at_entry=situation_at_entry,
            qpv_resident=qpv_resident,
            diploma_level=diploma_level,
            free_access=free_access,
            exit_date=exit_date,
            exit_reason=exit_reason,
            followups=followups,
        )

    def check_across_rows(self, row: _Row) -> None:
        """The rules only visible across rows; remembers the row for the next ones."""
        key = _digest(f"{row.training_id}\x1f{row.learner_ref}\x1f{row.entry_date.toordinal()}")
        if key in self.seen_enrollments:
            self.report.add(row.line, "learner_ref", row.learner_ref, "duplicate_enrollment")
        else:
            self.seen_enrollments.add(key)

        # learner_ref is unique per organisation, not across them.
        learner = _digest(f"{row.organisation_id}\x1f{row.learner_ref}")
        sex_index = _SEX_INDEX[row.sex]
        year = row.birth_year or 0
        known = self.learners.get(learner)
        if known is not None:
            known_sex, known_year = known & 3, known >> 2
            conflict = False
            if sex_index and known_sex and sex_index != known_sex:
                self.report.add(row.line, "sex", row.sex, "sex_conflict")
                conflict = True
            if year and known_year and year != known_year:
                self.report.add(row.line, "birth_year", str(year), "birth_year_conflict")
                conflict = True
            if conflict:
                return
            # An empty cell is "unknown", not a different value: the known one stays.
            sex_index = sex_index or known_sex
            year = year or known_year
        packed = sex_index | (year << 2)
        self.learners[learner] = self._packed.setdefault(packed, packed)

    def merged_learner(self, row: _Row) -> tuple[str, int | None]:
        packed = self.learners[_digest(f"{row.organisation_id}\x1f{row.learner_ref}")]
        return _SEX_OF_INDEX[packed & 3], (packed >> 2) or None

    # --- the two passes ------------------------------------------------------------------

    def run(self) -> LearnersImportResult:
        encoding = self.detect_encoding()
        if encoding is None:
            return self.result
        if not self.validate(encoding):
            return self.result
        if self.validate_only:
            # What the write would give, known from validation alone: every valid row is one
            # enrollment (a duplicate is an error), each given situation one follow-up.
            self.result.validated_only = True
            self.result.learners = len(self.learners)
            self.result.enrollments = self.result.rows
            self.result.followups = self.followups_given
            return self.result
        self.seen_enrollments = set()  # no longer needed: give the memory back to writing
        try:
            upserted = enrollments_upsert(
                records=self.records(encoding),
                followup_source=FollowUp.Source.IMPORT,
                batch_size=self.batch_size,
            )
        except SourceChanged:
            self.report.add(0, "", "", "source_changed")
            return self.result
        except (DatabaseError, DomainError):
            # A concurrent change (a training deleted meanwhile...): the transaction rolled
            # back, nothing was written. Database details go to the logs, not to the screen.
            logger.exception("learners import rolled back while writing")
            self.report.add(0, "", "", "write_failed")
            return self.result
        # The indicators follow the new records: one debounced run (several imports close
        # together give one), asked for once the import has committed.
        transaction.on_commit(indicator_run_after_import)
        self.result.learners = len(self.learners)
        self.result.enrollments = upserted.enrollments
        self.result.followups = upserted.followups
        self.notify(WRITE, self.result.rows, self.source.size or 0)
        return self.result

    def validate(self, encoding: str) -> bool:
        with open_table(self.source, encoding) as table:
            if table is None:
                self.report.add(1, "", "", "empty_file")
                return False
            self.result.delimiter = table.delimiter
            columns = map_header(
                table.header,
                required=REQUIRED_COLUMNS,
                optional=OPTIONAL_COLUMNS,
                report=self.report,
            )
            if columns is None:
                return False
            self.plan(columns)
            rows = 0
            for line, fields in table.rows():
                rows += 1
                if fields is None:
                    self.report.add(line, "", "", "malformed")
                    continue
                row = self.parse(line, fields, self.report)
                if row is not None:
                    self.check_across_rows(row)
                    self.followups_given += len(row.followups)
                if rows % PROGRESS_EVERY == 0:
                    self.notify(VALIDATE, rows, table.bytes_read)
            self.result.rows = rows
            self.notify(VALIDATE, rows, table.bytes_read)
        return self.report.ok

    def records(self, encoding: str) -> Iterator[EnrollmentRecord]:
        """The validated file again, as records, a batch at a time."""
        with open_table(self.source, encoding) as table:
            if table is None or table.delimiter != self.result.delimiter:
                raise SourceChanged
            if (
                map_header(
                    table.header,
                    required=REQUIRED_COLUMNS,
                    optional=OPTIONAL_COLUMNS,
                    report=Report(),
                )
                != self.columns
            ):
                raise SourceChanged
            scratch = Report(max_errors=1)
            batch: list[_Row] = []
            done = 0
            for line, fields in table.rows():
                row = None if fields is None else self.parse(line, fields, scratch)
                if row is None:
                    raise SourceChanged
                batch.append(row)
                if len(batch) == self.batch_size:
                    _forget_debug_queries()  # of the batch written before this one
                    yield from self.complete(batch)
                    done += len(batch)
                    self.notify(WRITE, done, table.bytes_read)
                    batch = []
            # Raised inside the writer's transaction, so everything written rolls back.
            if done + len(batch) != self.result.rows or table.fingerprint() != self.fingerprint:
                raise SourceChanged
            if batch:
                yield from self.complete(batch)

    def complete(self, batch: list[_Row]) -> list[EnrollmentRecord]:
        records = []
        missing: dict[int, list[str]] = {}
        for row in batch:
            try:
                sex, birth_year = self.merged_learner(row)
            except KeyError:
                raise SourceChanged from None
            if not sex or birth_year is None:
                missing.setdefault(row.organisation_id, []).append(row.learner_ref)
            records.append(
                EnrollmentRecord(
                    organisation_id=row.organisation_id,
                    training_id=row.training_id,
                    learner_ref=row.learner_ref,
                    entry_date=row.entry_date,
                    sex=sex,
                    birth_year=birth_year,
                    situation_at_entry=row.situation_at_entry,
                    qpv_resident=row.qpv_resident,
                    diploma_level=row.diploma_level,
                    free_access=row.free_access,
                    exit_date=row.exit_date,
                    exit_reason=row.exit_reason,
                    followups=row.followups,
                )
            )
        if not missing:
            return records
        # A learner's sex or birth year left empty in this file keeps what an earlier file
        # or screen recorded: an unknown never erases a known fact. One query per batch; a
        # ref known in another organisation of the batch is simply not used.
        refs = {ref for refs in missing.values() for ref in refs}
        rows = Learner.objects.filter(
            organisation_id__in=missing, learner_ref__in=refs
        ).values_list("organisation_id", "learner_ref", "sex", "birth_year")
        known = {(organisation, ref): (sex, year) for organisation, ref, sex, year in rows}
        completed = []
        for record in records:
            previous = known.get((record.organisation_id, record.learner_ref))
            if previous is not None:
                record = replace(
                    record,
                    sex=record.sex or previous[0],
                    birth_year=record.birth_year or previous[1],
                )
            completed.append(record)
        return completed


def learners_import(
    *,
    source,
    importer: Importer,
    progress: ProgressCallback | None = None,
    batch_size: int = BATCH_SIZE,
    max_errors: int | None = DEFAULT_MAX_ERRORS,
    today: datetime.date | None = None,
    validate_only: bool = False,
) -> LearnersImportResult:
    """Validate `source` (a learners.csv) completely, then, only if no row is invalid, write
    it. Returns the counts and the report; `result.ok` tells which happened.

    `validate_only=True`: the same reading and the same rules, and nothing is written (not
    even in a transaction rolled back); the counts are those the import would give.

    `source`: a path, a seekable binary file (an upload) or a callable opening the file.
    `importer`: `Importer.staff()` or `Importer.for_organisation(org)`.
    `progress`: called now and then with an `ImportProgress` (for a task's state).
    `today`: the date birth years are checked against (tests).
    """
    run = _Run(
        source=as_source(source),
        importer=importer,
        progress=progress,
        batch_size=batch_size,
        max_errors=max_errors,
        today=today,
        validate_only=validate_only,
    )
    return run.run()
