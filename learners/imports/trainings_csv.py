"""Import of `trainings.csv` (DESIGN.md §6), for staff: the labelled trainings that predate
the portal, with their organisations, labels and calls.

Same two passes as the learners import: validate everything, write only a file without
errors, in one transaction. A training may take several rows, one per label (a renewal is a
second label); its other cells must then agree from row to row.

Update rules (so that the same file twice changes nothing):
- organisation, by SIRET: created with the first row's department; afterwards only its name
  follows the file;
- training, by code (case-insensitive): created, or its fields updated; an optional column
  left out of the file leaves that field as it is, present but empty clears it;
- label, by (training, start date): created, or its end date (and call, if given) updated;
- call, by reference: a reference the portal does not know creates a closed, unpublished,
  historical call just before the earliest label start that names it.
"""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import DatabaseError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from gen_portal.dates import add_months
from gen_portal.errors import DomainError
from labelling.models import Call
from labelling.services import call_create
from outcomes.indicators.runs import indicator_run_after_import
from outcomes.open_data.services import open_data_refresh_on_commit
from trainings.geo import region_of
from trainings.models import Label, Organisation, Training
from trainings.services import label_grant, organisation_create, training_create

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
    "code",
    "title",
    "organisation_siret",
    "organisation_name",
    "region_code",
    "department_code",
    "free",
    "duration_months",
    "label_start",
)
OPTIONAL_COLUMNS = ("commune_code", "site_qpv", "qpv_code", "hours", "label_end", "call")

REASONS = SHARED_REASONS | frozenset(
    {
        "integer",
        "siret",
        "department",
        "region",
        "region_mismatch",
        "commune",
        "commune_mismatch",
        "duration",
        "label_end_before_start",
        "qpv_code_outside",
        "duplicate_label",
        "training_conflict",
        "organisation_conflict",
        "training_other_organisation",
    }
)

DEFAULT_LABEL_MONTHS = 36
# A historical call created by the import closes just before the first label it gave and
# is shown as open for this long before that.
HISTORICAL_CALL_DAYS = 90

_CODE_MAX = Training._meta.get_field("code").max_length
_TITLE_MAX = Training._meta.get_field("title").max_length
_NAME_MAX = Organisation._meta.get_field("name").max_length
_QPV_CODE_MAX = Training._meta.get_field("qpv_code").max_length
_CALL_MAX = Call._meta.get_field("reference").max_length
PROGRESS_EVERY = 500

# Training fields set from a row, with the column each comes from. Columns marked optional
# only touch their field when the file has the column.
_TRAINING_FIELDS = (
    ("title", "title"),
    ("department_code", "department_code"),
    ("region_code", "region_code"),
    ("commune_code", "commune_code"),
    ("is_free", "free"),
    ("site_qpv", "site_qpv"),
    ("qpv_code", "qpv_code"),
    ("duration_months", "duration_months"),
    ("hours", "hours"),
)


@dataclass
class TrainingsImportResult(ImportResult):
    organisations_created: int = 0
    organisations_updated: int = 0
    trainings_created: int = 0
    trainings_updated: int = 0
    labels_created: int = 0
    labels_updated: int = 0
    calls_created: int = 0
    # Distinct in the file (known after validation, whether or not anything is written).
    organisations: int = 0
    trainings: int = 0
    labels: int = 0
    # After a validate-only run, `*_created` say what the import would create (labels and
    # updates are only known while writing).

    def counts(self) -> dict[str, int]:
        return {
            "rows": self.rows,
            "organisations_created": self.organisations_created,
            "organisations_updated": self.organisations_updated,
            "trainings_created": self.trainings_created,
            "trainings_updated": self.trainings_updated,
            "labels_created": self.labels_created,
            "labels_updated": self.labels_updated,
            "calls_created": self.calls_created,
            "organisations": self.organisations,
            "trainings": self.trainings,
            "labels": self.labels,
        }

    def summary(self) -> str:
        if not self.ok:
            return self.report.summary()
        if self.validated_only:
            return (
                _(
                    "Fichier valide, rien n'a été enregistré (vérification seule). %(rows)s lignes "
                    "lues : %(organisations)s organismes (dont %(organisations_created)s à "
                    "créer), %(trainings)s formations (dont %(trainings_created)s à créer), "
                    "%(labels)s labels et %(calls_created)s appels historiques à créer."
                )
                % self.counts()
            )
        return (
            _(
                "%(rows)s lignes lues. Organismes : %(organisations_created)s créés, "
                "%(organisations_updated)s mis à jour. Formations : %(trainings_created)s "
                "créées, %(trainings_updated)s mises à jour. Labels : %(labels_created)s créés, "
                "%(labels_updated)s mis à jour. Appels historiques créés : %(calls_created)s."
            )
            % self.counts()
        )


@dataclass(frozen=True, slots=True)
class _Row:
    line: int
    code: str
    siret: str
    organisation_name: str
    training: dict  # model field -> value, for the columns the file has
    label_start: datetime.date
    label_end: datetime.date
    call: str


class _Run(ImportRun):
    def __init__(
        self,
        *,
        source: Source,
        progress: ProgressCallback | None,
        max_errors,
        validate_only: bool = False,
    ):
        super().__init__(
            source=source,
            progress=progress,
            max_errors=max_errors,
            validate_only=validate_only,
            result=TrainingsImportResult,
        )
        # Trainings are counted in thousands at most: their codes are loaded once.
        self.existing = {
            code.lower(): (pk, siret)
            for code, pk, siret in Training.objects.values_list("code", "pk", "organisation__siret")
        }
        self.calls = dict(Call.objects.values_list("reference", "pk"))
        # Across rows (small: one entry per training, organisation or label of the file).
        self.first_training: dict[str, tuple[int, dict]] = {}
        self.first_organisation: dict[str, tuple[int, str]] = {}
        self.labels: dict[tuple[str, datetime.date], int] = {}
        self.new_calls: dict[str, datetime.date] = {}  # reference -> earliest label start

    # --- per row -------------------------------------------------------------------------

    def parse(self, line: int, fields: list[str], report: Report) -> _Row | None:
        columns = self.columns
        if not check_shape(line, fields, columns, report):
            return None
        index = columns.index
        errors_before = report.error_count

        def cell(name: str) -> str:
            position = index.get(name)
            return "" if position is None else fields[position]

        def read(name: str, parser, *args, **kwargs):
            raw = cell(name)
            try:
                return parser(raw, *args, **kwargs)
            except values.Invalid as problem:
                report.add(line, name, raw.strip(), problem.code, **problem.params)
                return None

        code = read("code", values.text, max_length=_CODE_MAX, required=True)
        title = read("title", values.text, max_length=_TITLE_MAX, required=True)
        siret = read("organisation_siret", values.siret)
        name = read("organisation_name", values.text, max_length=_NAME_MAX, required=True)
        region = read("region_code", values.region)
        department = read("department_code", values.department)
        commune = read("commune_code", values.commune)
        is_free = read("free", values.boolean, required=True)
        site_qpv = read("site_qpv", values.boolean)
        qpv_code = read("qpv_code", values.text, max_length=_QPV_CODE_MAX)
        duration = read("duration_months", values.duration_months)
        hours = read("hours", values.integer)
        label_start = read("label_start", values.date, required=True)
        label_end = read("label_end", values.date)
        call = read("call", values.text, max_length=_CALL_MAX)

        if region and department and region_of(department) != region:
            report.add(
                line,
                "region_code",
                region,
                "region_mismatch",
                department=department,
                expected=region_of(department),
            )
        if commune and department and not values.commune_in_department(commune, department):
            report.add(line, "commune_code", commune, "commune_mismatch", department=department)
        if qpv_code and site_qpv is False:
            report.add(line, "qpv_code", qpv_code, "qpv_code_outside")
        if label_start and label_end and label_end <= label_start:
            report.add(line, "label_end", cell("label_end").strip(), "label_end_before_start")
        if report.error_count != errors_before:
            return None

        site = {True: "in", False: "out", None: "undetermined"}[site_qpv]
        training = {
            "title": title,
            "department_code": department,
            "region_code": region,
            "is_free": is_free,
            "duration_months": duration,
        }
        for field, column, value in (
            ("commune_code", "commune_code", commune),
            ("site_qpv", "site_qpv", site),
            ("qpv_code", "qpv_code", qpv_code),
            ("hours", "hours", hours),
        ):
            if column in index:
                training[field] = value
        return _Row(
            line=line,
            code=code,
            siret=siret,
            organisation_name=name,
            training=training,
            label_start=label_start,
            label_end=label_end or add_months(label_start, DEFAULT_LABEL_MONTHS),
            call=call,
        )

    def check_across_rows(self, row: _Row, fields: list[str]) -> None:
        key = row.code.lower()
        existing = self.existing.get(key)
        if existing is not None and existing[1] != row.siret:
            self.report.add(
                row.line,
                "organisation_siret",
                row.siret,
                "training_other_organisation",
                siret=existing[1],
            )
        first = self.first_training.get(key)
        if first is None:
            self.first_training[key] = (row.line, {**row.training, "siret": row.siret})
        else:
            first_line, first_values = first
            for field, column in (*_TRAINING_FIELDS, ("siret", "organisation_siret")):
                value = row.siret if field == "siret" else row.training.get(field)
                if field in first_values and first_values[field] != value:
                    raw = fields[self.columns.index[column]].strip()
                    self.report.add(
                        row.line, column, raw, "training_conflict", first_line=first_line
                    )
        label = (key, row.label_start)
        if label in self.labels:
            self.report.add(
                row.line,
                "label_start",
                row.label_start.isoformat(),
                "duplicate_label",
                first_line=self.labels[label],
            )
        else:
            self.labels[label] = row.line
        organisation = self.first_organisation.get(row.siret)
        if organisation is None:
            self.first_organisation[row.siret] = (row.line, row.organisation_name)
        elif organisation[1] != row.organisation_name:
            self.report.add(
                row.line,
                "organisation_name",
                row.organisation_name,
                "organisation_conflict",
                first_line=organisation[0],
            )
        if row.call and row.call not in self.calls:
            earliest = self.new_calls.get(row.call)
            if earliest is None or row.label_start < earliest:
                self.new_calls[row.call] = row.label_start

    # --- the two passes ------------------------------------------------------------------

    def run(self) -> TrainingsImportResult:
        encoding = self.detect_encoding()
        if encoding is None:
            return self.result
        if not self.validate(encoding):
            return self.result
        self.result.organisations = len(self.first_organisation)
        self.result.trainings = len(self.first_training)
        self.result.labels = len(self.labels)
        if self.validate_only:
            self.plan_creations()
            return self.result
        counts = TrainingsImportResult(
            report=self.report,
            rows=self.result.rows,
            organisations=self.result.organisations,
            trainings=self.result.trainings,
            labels=self.result.labels,
        )
        try:
            with transaction.atomic():
                self.write(encoding, counts)
        except SourceChanged:
            self.report.add(0, "", "", "source_changed")
            return self.result
        except (DatabaseError, DomainError):
            # Database details are for the logs, not for the importer's screen.
            logger.exception("trainings import rolled back while writing")
            self.report.add(0, "", "", "write_failed")
            return self.result
        counts.encoding, counts.delimiter = self.result.encoding, self.result.delimiter
        self.result = counts
        return self.result

    def plan_creations(self) -> None:
        """Validate-only: what the import would create, from what validation collected."""
        self.result.validated_only = True
        sirets = list(self.first_organisation)
        known = set(Organisation.objects.filter(siret__in=sirets).values_list("siret", flat=True))
        self.result.organisations_created = len(set(sirets) - known)
        self.result.trainings_created = sum(
            1 for code in self.first_training if code not in self.existing
        )
        self.result.calls_created = len(self.new_calls)

    def validate(self, encoding: str) -> bool:
        with open_table(self.source, encoding) as table:
            if table is None:
                self.report.add(1, "", "", "empty_file")
                return False
            self.result.delimiter = table.delimiter
            self.columns = map_header(
                table.header,
                required=REQUIRED_COLUMNS,
                optional=OPTIONAL_COLUMNS,
                report=self.report,
            )
            if self.columns is None:
                return False
            rows = 0
            for line, fields in table.rows():
                rows += 1
                if fields is None:
                    self.report.add(line, "", "", "malformed")
                    continue
                row = self.parse(line, fields, self.report)
                if row is not None:
                    self.check_across_rows(row, fields)
                if rows % PROGRESS_EVERY == 0:
                    self.notify(VALIDATE, rows, table.bytes_read)
            self.result.rows = rows
            self.notify(VALIDATE, rows, table.bytes_read)
        return self.report.ok

    def write(self, encoding: str, counts: TrainingsImportResult) -> None:
        # Trainings, organisations and labels may change in place below: the open-data files
        # are regenerated once the import commits (nothing is asked if it rolls back).
        open_data_refresh_on_commit()
        # Labels count in the indicators (labelled trainings, shares of trainings in a QPV).
        transaction.on_commit(indicator_run_after_import)
        organisations: dict[str, Organisation] = {}
        trainings: dict[str, Training] = {}
        calls: dict[str, Call | None] = {"": None}
        with open_table(self.source, encoding) as table:
            if (
                table is None
                or map_header(
                    table.header,
                    required=REQUIRED_COLUMNS,
                    optional=OPTIONAL_COLUMNS,
                    report=Report(),
                )
                != self.columns
            ):
                raise SourceChanged
            scratch = Report(max_errors=1)
            done = 0
            for line, fields in table.rows():
                row = None if fields is None else self.parse(line, fields, scratch)
                if row is None:
                    raise SourceChanged
                organisation = organisations.get(row.siret)
                if organisation is None:
                    organisation = organisations[row.siret] = self.write_organisation(row, counts)
                key = row.code.lower()
                training = trainings.get(key)
                if training is None:
                    training = trainings[key] = self.write_training(row, organisation, counts)
                if row.call not in calls:
                    calls[row.call] = self.write_call(row.call, counts)
                self.write_label(row, training, calls[row.call], counts)
                done += 1
                if done % PROGRESS_EVERY == 0:
                    self.notify(WRITE, done, table.bytes_read)
            if done != self.result.rows or table.fingerprint() != self.fingerprint:
                raise SourceChanged
        self.notify(WRITE, done, self.source.size or 0)

    # --- writes (inside the import's transaction) ----------------------------------------

    def write_organisation(self, row: _Row, counts: TrainingsImportResult) -> Organisation:
        organisation = Organisation.objects.filter(siret=row.siret).first()
        if organisation is None:
            counts.organisations_created += 1
            return organisation_create(
                name=row.organisation_name,
                siret=row.siret,
                department_code=row.training["department_code"],
            )
        if organisation.name != row.organisation_name:
            organisation.name = row.organisation_name
            organisation.save(update_fields=["name"])
            counts.organisations_updated += 1
        return organisation

    def write_training(
        self, row: _Row, organisation: Organisation, counts: TrainingsImportResult
    ) -> Training:
        existing = self.existing.get(row.code.lower())
        if existing is None:
            counts.trainings_created += 1
            return training_create(organisation=organisation, code=row.code, **row.training)
        training = Training.objects.select_for_update().get(pk=existing[0])
        changed = [
            field for field, value in row.training.items() if getattr(training, field) != value
        ]
        if row.training["is_free"] and training.price:
            changed.append("price")  # a free training has no price (database constraint)
            training.price = None
        if changed:
            for field in changed:
                if field != "price":
                    setattr(training, field, row.training[field])
            training.save(update_fields=[*changed, "updated_at"])
            counts.trainings_updated += 1
        return training

    def write_call(self, reference: str, counts: TrainingsImportResult) -> Call:
        if reference in self.calls:
            return Call.objects.get(pk=self.calls[reference])
        first_label = datetime.datetime.combine(
            self.new_calls[reference], datetime.time.min, tzinfo=ZoneInfo(settings.TIME_ZONE)
        )
        closes_at = min(first_label, timezone.now())
        # Stored text is French, whatever the language of whoever runs the import.
        with translation.override(settings.LANGUAGE_CODE):
            title = _("Appel %(reference)s (antérieur au portail)") % {"reference": reference}
        counts.calls_created += 1
        return call_create(
            reference=reference,
            title=title,
            opens_at=closes_at - datetime.timedelta(days=HISTORICAL_CALL_DAYS),
            closes_at=closes_at,
            historical=True,
            published=False,
        )

    def write_label(
        self, row: _Row, training: Training, call: Call | None, counts: TrainingsImportResult
    ) -> None:
        label = (
            Label.objects.filter(training=training, start_date=row.label_start)
            .order_by("pk")
            .first()
        )
        if label is None:
            label_grant(
                training=training,
                start_date=row.label_start,
                end_date=row.label_end,
                call=call,
            )
            counts.labels_created += 1
            return
        changed = []
        if label.end_date != row.label_end:
            label.end_date = row.label_end
            changed.append("end_date")
        if call is not None and label.call_id != call.pk:
            label.call = call
            changed.append("call")
        if changed:
            label.save(update_fields=changed)
            counts.labels_updated += 1


def trainings_import(
    *,
    source,
    progress: ProgressCallback | None = None,
    max_errors: int | None = DEFAULT_MAX_ERRORS,
    validate_only: bool = False,
) -> TrainingsImportResult:
    """Validate `source` (a trainings.csv) completely, then, only if no row is invalid,
    create or update its organisations, trainings, labels and calls. Staff only: the caller
    checks who runs it.

    `source`: a path, a seekable binary file (an upload) or a callable opening the file.
    `validate_only=True`: the same reading and rules, nothing written; the result tells what
    the import would create.
    """
    return _Run(
        source=as_source(source),
        progress=progress,
        max_errors=max_errors,
        validate_only=validate_only,
    ).run()
