"""Import of trainings.csv (staff): organisations, trainings, labels and historical calls,
every reason a row can be refused, idempotence, and the `import_trainings` command."""

from __future__ import annotations

import csv
import datetime
import io
import itertools
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import pytest
from django.core.management import ManagementUtility, call_command
from django.db import IntegrityError, connections
from django.utils import timezone

from labelling.models import Call
from labelling.services import call_create
from learners.imports import learners_csv, trainings_import
from learners.imports import trainings_csv as engine
from learners.imports.report import REASONS
from tests.factories import siret_for
from trainings.models import Label, Organisation, Training
from trainings.services import label_grant, organisation_create, training_create

PARIS = ZoneInfo("Europe/Paris")
SIRET = siret_for(201)
OTHER_SIRET = siret_for(202)
COLUMNS = [
    "code",
    "title",
    "organisation_siret",
    "organisation_name",
    "region_code",
    "department_code",
    "commune_code",
    "free",
    "site_qpv",
    "qpv_code",
    "duration_months",
    "hours",
    "label_start",
    "label_end",
    "call",
]


def row(**cells) -> dict:
    base = {
        "code": "GEN-00101",
        "title": "Développeur web et web mobile",
        "organisation_siret": SIRET,
        "organisation_name": "Simplon Créteil",
        "region_code": "11",
        "department_code": "94",
        "commune_code": "94028",
        "free": "oui",
        "site_qpv": "oui",
        "qpv_code": "QP094023",
        "duration_months": "7",
        "hours": "800",
        "label_start": "2016-09-01",
        "label_end": "",
        "call": "2016",
    }
    base.update(cells)
    return base


def csv_text(rows, *, columns=COLUMNS, delimiter=",") -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(columns)
    for cells in rows:
        writer.writerow([cells.get(name, "") for name in columns])
    return buffer.getvalue()


@pytest.fixture
def write(tmp_path):
    counter = itertools.count()

    def _write(content: str | bytes, *, encoding: str = "utf-8"):
        path = tmp_path / f"trainings-{next(counter)}.csv"
        path.write_bytes(content if isinstance(content, bytes) else content.encode(encoding))
        return path

    return _write


def snapshot():
    return (
        list(Organisation.objects.order_by("pk").values()),
        list(Training.objects.order_by("pk").values()),
        list(Label.objects.order_by("pk").values()),
        list(Call.objects.order_by("pk").values()),
    )


# --- a valid file --------------------------------------------------------------------------


def test_valid_file_creates_organisations_trainings_labels_and_historical_call(db, write):
    path = write(
        csv_text(
            [
                row(),
                row(
                    code="GEN-00102",
                    title="Technicien support",
                    organisation_siret=OTHER_SIRET,
                    organisation_name="Webforce Lille",
                    region_code="32",
                    department_code="59",
                    commune_code="59350",
                    free="non",
                    site_qpv="non",
                    qpv_code="",
                    duration_months="12",
                    hours="",
                    label_start="15/01/2017",
                    label_end="14/01/2019",
                    call="",
                ),
            ]
        )
    )

    result = trainings_import(source=path)

    assert result.ok, result.report.as_text()
    assert result.counts() == {
        "rows": 2,
        "organisations_created": 2,
        "organisations_updated": 0,
        "trainings_created": 2,
        "trainings_updated": 0,
        "labels_created": 2,
        "labels_updated": 0,
        "calls_created": 1,
        "organisations": 2,
        "trainings": 2,
        "labels": 2,
    }
    training = Training.objects.get(code="GEN-00101")
    assert training.organisation.siret == SIRET
    assert training.organisation.name == "Simplon Créteil"
    assert (training.organisation.department_code, training.organisation.region_code) == (
        "94",
        "11",
    )
    assert training.title == "Développeur web et web mobile"
    assert (training.department_code, training.region_code, training.commune_code) == (
        "94",
        "11",
        "94028",
    )
    assert (training.is_free, training.site_qpv, training.qpv_code) == (True, "in", "QP094023")
    assert (training.duration_months, training.hours) == (7, 800)
    label = training.labels.get()
    # No end date given: start + 36 months.
    assert (label.start_date, label.end_date) == (
        datetime.date(2016, 9, 1),
        datetime.date(2019, 9, 1),
    )
    assert label.status == Label.Status.ACTIVE
    call = label.call
    assert call.reference == "2016"
    assert call.is_historical and not call.is_published
    assert call.closes_at <= datetime.datetime(2016, 9, 1, tzinfo=PARIS)
    assert call.opens_at < call.closes_at
    assert call.title == "Appel 2016 (antérieur au portail)"
    other = Training.objects.get(code="GEN-00102")
    assert (other.is_free, other.site_qpv, other.hours) == (False, "out", None)
    assert other.labels.get().end_date == datetime.date(2019, 1, 14)
    assert other.labels.get().call is None
    assert "2 lignes lues" in result.summary()


def test_site_qpv_empty_is_undetermined_and_absent_column_leaves_it(db, write):
    trainings_import(source=write(csv_text([row(site_qpv="", qpv_code="")])))
    training = Training.objects.get()
    assert training.site_qpv == Training.SiteQpv.UNDETERMINED
    training.site_qpv = Training.SiteQpv.IN
    training.save()

    columns = [c for c in COLUMNS if c not in ("site_qpv", "qpv_code")]
    result = trainings_import(source=write(csv_text([row()], columns=columns)))

    assert result.ok, result.report.as_text()
    training.refresh_from_db()
    assert training.site_qpv == Training.SiteQpv.IN
    assert result.trainings_updated == 0


def test_windows_1252_file_with_semicolons(db, write):
    content = csv_text([row(title="Développeur à Créteil", commune_code="94028")], delimiter=";")
    path = write(content, encoding="cp1252")
    assert "é".encode("cp1252") in path.read_bytes()

    result = trainings_import(source=path)

    assert result.ok, result.report.as_text()
    assert (result.encoding, result.delimiter) == ("cp1252", ";")
    assert Training.objects.get().title == "Développeur à Créteil"
    assert Organisation.objects.get().name == "Simplon Créteil"


def test_utf8_file_with_byte_order_mark_and_french_dates(db, write):
    content = "\ufeff" + csv_text([row(label_start="01/09/2016", label_end="31/08/2018")])

    result = trainings_import(source=write(content))

    assert result.ok, result.report.as_text()
    label = Label.objects.get()
    assert (label.start_date, label.end_date) == (
        datetime.date(2016, 9, 1),
        datetime.date(2018, 8, 31),
    )


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("oui", True),
        ("non", False),
        ("yes", True),
        ("no", False),
        ("true", True),
        ("false", False),
        ("1", True),
        ("0", False),
        ("o", True),
        ("n", False),
        (" OUI ", True),
    ],
)
def test_boolean_aliases_for_free_and_site_qpv(db, write, raw, expected):
    result = trainings_import(source=write(csv_text([row(free=raw, site_qpv=raw, qpv_code="")])))

    assert result.ok, result.report.as_text()
    training = Training.objects.get()
    assert training.is_free is expected
    assert training.site_qpv == ("in" if expected else "out")


def test_known_call_reference_is_used_not_created(db, write):
    call = call_create(
        reference="2018",
        title="Appel 2018",
        opens_at=datetime.datetime(2018, 3, 1, tzinfo=PARIS),
        closes_at=datetime.datetime(2018, 5, 1, tzinfo=PARIS),
        published=True,
    )

    result = trainings_import(source=write(csv_text([row(call="2018")])))

    assert result.ok, result.report.as_text()
    assert result.calls_created == 0
    assert Label.objects.get().call == call
    assert Call.objects.count() == 1


def test_historical_call_closes_before_its_earliest_label(db, write):
    rows = [
        row(label_start="2017-03-01", call="H1"),
        row(code="GEN-00103", label_start="2016-11-15", call="H1"),
    ]

    result = trainings_import(source=write(csv_text(rows)))

    assert result.ok, result.report.as_text()
    call = Call.objects.get(reference="H1")
    assert call.closes_at == datetime.datetime(2016, 11, 15, tzinfo=PARIS)
    assert Label.objects.filter(call=call).count() == 2


def test_historical_call_for_a_future_label_is_closed_already(db, write):
    start = timezone.localdate() + datetime.timedelta(days=30)

    result = trainings_import(source=write(csv_text([row(label_start=start.isoformat())])))

    assert result.ok, result.report.as_text()
    call = Call.objects.get()
    assert call.closes_at <= timezone.now()
    assert not call.is_open(timezone.now())


def test_renewed_training_takes_one_row_per_label(db, write):
    rows = [row(), row(label_start="2019-09-01", label_end="2022-08-31", call="2019")]

    result = trainings_import(source=write(csv_text(rows)))

    assert result.ok, result.report.as_text()
    assert (result.trainings_created, result.labels_created, result.calls_created) == (1, 2, 2)
    assert list(
        Training.objects.get()
        .labels.order_by("start_date")
        .values_list("start_date", "call__reference")
    ) == [(datetime.date(2016, 9, 1), "2016"), (datetime.date(2019, 9, 1), "2019")]


def test_existing_organisation_is_found_by_siret(db, write):
    organisation = organisation_create(
        name="Simplon Créteil", siret="732 829 320 00074", department_code="75"
    )

    result = trainings_import(source=write(csv_text([row(organisation_siret="73282932000074")])))

    assert result.ok, result.report.as_text()
    assert (result.organisations_created, result.organisations_updated) == (0, 0)
    assert Training.objects.get().organisation == organisation
    organisation.refresh_from_db()
    assert organisation.department_code == "75"  # the organisation's own seat stays


# --- idempotence and updates ---------------------------------------------------------------


def test_same_file_twice_changes_nothing(db, write):
    path = write(csv_text([row(), row(code="GEN-00102", call="", label_end="2018-06-30")]))
    first = trainings_import(source=path)
    before = snapshot()

    second = trainings_import(source=path)

    assert first.ok and second.ok
    assert second.counts() == {
        "rows": 2,
        "organisations_created": 0,
        "organisations_updated": 0,
        "trainings_created": 0,
        "trainings_updated": 0,
        "labels_created": 0,
        "labels_updated": 0,
        "calls_created": 0,
        "organisations": 1,
        "trainings": 2,
        "labels": 2,
    }
    assert snapshot() == before


def test_later_file_updates_organisation_training_and_label(db, write):
    trainings_import(source=write(csv_text([row()])))
    ids = snapshot()

    result = trainings_import(
        source=write(
            csv_text(
                [
                    row(
                        organisation_name="Simplon.co Créteil",
                        title="Développeur web",
                        hours="900",
                        label_end="2018-08-31",
                    )
                ]
            )
        )
    )

    assert result.ok, result.report.as_text()
    assert (
        result.organisations_updated,
        result.trainings_updated,
        result.labels_updated,
    ) == (1, 1, 1)
    assert (result.trainings_created, result.labels_created) == (0, 0)
    training = Training.objects.get()
    assert training.pk == ids[1][0]["id"]
    assert (training.title, training.hours) == ("Développeur web", 900)
    assert training.organisation.name == "Simplon.co Créteil"
    assert training.labels.get().end_date == datetime.date(2018, 8, 31)


def test_free_training_loses_its_price(db, write):
    organisation = organisation_create(name="Simplon Créteil", siret=SIRET, department_code="94")
    training_create(
        organisation=organisation,
        code="GEN-00101",
        title="Développeur web et web mobile",
        duration_months=7,
        department_code="94",
        is_free=False,
        price=1200,
    )

    result = trainings_import(source=write(csv_text([row(free="oui")])))

    assert result.ok, result.report.as_text()
    training = Training.objects.get()
    assert (training.is_free, training.price) == (True, None)


def test_existing_label_of_the_same_start_is_updated_not_duplicated(db, write):
    organisation = organisation_create(name="Simplon Créteil", siret=SIRET, department_code="94")
    training = training_create(
        organisation=organisation,
        code="GEN-00101",
        title="Développeur web et web mobile",
        duration_months=7,
        department_code="94",
    )
    label_grant(training=training, start_date=datetime.date(2016, 9, 1))

    result = trainings_import(source=write(csv_text([row(label_end="2020-12-31")])))

    assert result.ok, result.report.as_text()
    assert result.labels_updated == 1
    label = Label.objects.get()
    assert label.end_date == datetime.date(2020, 12, 31)
    assert label.call.reference == "2016"


# --- every reason a file or row can be refused ----------------------------------------------


@dataclass
class Case:
    code: str
    content: object  # rows (list of dicts) or a callable returning the file's bytes
    expected: tuple  # (line, column, value)


def _bytes(text: str) -> bytes:
    return text.encode()


CASES = [
    Case("encoding", lambda: _bytes(csv_text([row()])) + b"GEN-9,\x81\x8d\r\n", (3, "", "")),
    Case("empty_file", lambda: b"\r\n", (1, "", "")),
    Case(
        "malformed",
        lambda: _bytes(csv_text([row(), row(code="GEN-2", title="x" * 200_000)])),
        (3, "", ""),
    ),
    Case(
        "unknown_column",
        lambda: _bytes(csv_text([row()], columns=[*COLUMNS, "price"])),
        (1, "price", ""),
    ),
    Case(
        "missing_column",
        lambda: _bytes(csv_text([row()], columns=[c for c in COLUMNS if c != "label_start"])),
        (1, "label_start", ""),
    ),
    Case(
        "duplicate_column",
        lambda: _bytes(csv_text([row()], columns=[*COLUMNS, "Code"])),
        (1, "Code", ""),
    ),
    Case(
        "missing_values",
        lambda: _bytes(csv_text([row()]) + "GEN-00102,Titre\r\n"),
        (3, "", ""),
    ),
    Case(
        "unexpected_value",
        lambda: _bytes(csv_text([row()]).rstrip() + ",,en trop\r\n"),
        (2, "17", "en trop"),
    ),
    Case("required", [row(title="")], (2, "title", "")),
    Case("too_long", [row(code="GEN-" + "0" * 17)], (2, "code", "GEN-" + "0" * 17)),
    Case("boolean", [row(free="gratuit")], (2, "free", "gratuit")),
    Case("date_format", [row(label_start="sept. 2016")], (2, "label_start", "sept. 2016")),
    Case("date_impossible", [row(label_end="31/02/2019")], (2, "label_end", "31/02/2019")),
    Case("integer", [row(hours="700h")], (2, "hours", "700h")),
    Case(
        "siret",
        [row(organisation_siret="73282932000075")],
        (2, "organisation_siret", "73282932000075"),
    ),
    Case("department", [row(department_code="99")], (2, "department_code", "99")),
    Case("region", [row(region_code="12")], (2, "region_code", "12")),
    Case("region_mismatch", [row(region_code="32")], (2, "region_code", "32")),
    Case("commune", [row(commune_code="940")], (2, "commune_code", "940")),
    Case("commune_mismatch", [row(commune_code="75056")], (2, "commune_code", "75056")),
    Case("duration", [row(duration_months="36")], (2, "duration_months", "36")),
    Case(
        "label_end_before_start",
        [row(label_end="2016-09-01")],
        (2, "label_end", "2016-09-01"),
    ),
    Case("qpv_code_outside", [row(site_qpv="non")], (2, "qpv_code", "QP094023")),
    Case(
        "duplicate_label",
        [row(), row(label_start="01/09/2016")],
        (3, "label_start", "2016-09-01"),
    ),
    Case(
        "training_conflict",
        [row(), row(duration_months="8", label_start="2019-09-01")],
        (3, "duration_months", "8"),
    ),
    Case(
        "organisation_conflict",
        [row(), row(code="GEN-00102", organisation_name="Autre nom")],
        (3, "organisation_name", "Autre nom"),
    ),
    Case(
        "training_other_organisation",
        [row(code="GEN-00500")],
        (2, "organisation_siret", SIRET),
    ),
]
SEPARATELY_TESTED = {"source_changed", "write_failed"}


def test_every_reason_of_the_trainings_import_has_a_case():
    assert {case.code for case in CASES} | SEPARATELY_TESTED == engine.REASONS


def test_every_reason_of_the_report_is_given_by_an_import():
    assert set(REASONS) == engine.REASONS | learners_csv.REASONS


@pytest.fixture
def foreign_training(db):
    organisation = organisation_create(
        name="Autre organisme", siret=OTHER_SIRET, department_code="59"
    )
    return training_create(
        organisation=organisation,
        code="GEN-00500",
        title="Formation d'un autre",
        duration_months=6,
        department_code="59",
    )


@pytest.mark.parametrize("case", CASES, ids=[case.code for case in CASES])
def test_invalid_file_is_refused_with_its_reason(case, foreign_training, write):
    content = case.content() if callable(case.content) else _bytes(csv_text(case.content))
    before = snapshot()

    result = trainings_import(source=write(content))

    assert not result.ok
    assert [(e.line, e.column, e.value, e.code) for e in result.report.errors] == [
        (*case.expected, case.code)
    ]
    assert result.report.errors[0].reason
    assert snapshot() == before


def test_training_of_another_organisation_names_its_siret(foreign_training, write):
    result = trainings_import(source=write(csv_text([row(code="gen-00500")])))

    assert f"(SIRET {OTHER_SIRET})" in result.report.as_text()


def test_two_bad_rows_import_nothing_and_the_report_names_both_lines(db, write):
    rows = [
        row(),
        row(code="GEN-00102", department_code="2C"),
        row(code="GEN-00103"),
        row(code="GEN-00104", label_start="30/02/2017"),
    ]

    result = trainings_import(source=write(csv_text(rows)))

    assert not result.ok
    assert [(e.line, e.column) for e in result.report.errors] == [
        (3, "department_code"),
        (5, "label_start"),
    ]
    text = result.report.as_text()
    assert "ligne 3, colonne department_code, valeur « 2C » : code département INSEE inconnu" in (
        text
    )
    assert "ligne 5, colonne label_start, valeur « 30/02/2017 » : date impossible" in text
    assert not Organisation.objects.exists()
    assert not Training.objects.exists()
    assert not Call.objects.exists()


def test_file_changed_between_validation_and_writing_writes_nothing(db):
    good = csv_text([row(), row(code="GEN-00102")]).encode()
    changed = csv_text([row(), row(code="GEN-00102", title="Autre")]).encode()
    opened = itertools.count()

    def opener():
        return io.BytesIO(good if next(opened) < 2 else changed)

    result = trainings_import(source=opener)

    assert result.report.codes() == ["source_changed"]
    assert not Training.objects.exists()
    assert not Organisation.objects.exists()


def test_failed_write_is_reported_and_rolled_back(db, write, monkeypatch):
    real = engine._Run.write_label
    labels = itertools.count()

    def failing_on_the_second_label(self, *args):
        if next(labels) == 1:
            raise IntegrityError("concurrent change")
        return real(self, *args)

    monkeypatch.setattr(engine._Run, "write_label", failing_on_the_second_label)

    result = trainings_import(source=write(csv_text([row(), row(code="GEN-00102")])))

    assert result.report.codes() == ["write_failed"]
    assert not Training.objects.exists()
    assert not Organisation.objects.exists()
    assert not Call.objects.exists()


def test_progress_is_reported(db, write):
    events = []

    result = trainings_import(source=write(csv_text([row()])), progress=events.append)

    assert result.ok
    assert [event.phase for event in events] == ["validate", "write"]
    assert events[-1].percent == 100


# --- the command ----------------------------------------------------------------------------


def test_command_prints_the_counts(db, write):
    out = io.StringIO()

    call_command("import_trainings", str(write(csv_text([row()]))), stdout=out)

    assert "Formations : 1 créées" in out.getvalue()
    assert Training.objects.count() == 1


def test_command_exits_non_zero_and_prints_the_report_on_stderr(db, write, capsys, monkeypatch):
    monkeypatch.setattr(connections, "close_all", lambda: None)
    path = write(csv_text([row(free="peut-être"), row(code="GEN-00102", duration_months="2")]))

    with pytest.raises(SystemExit) as exited:
        ManagementUtility(["manage.py", "import_trainings", str(path)]).execute()

    assert exited.value.code == 1
    err = capsys.readouterr().err
    assert "ligne 2, colonne free, valeur « peut-être » : valeur inconnue (oui ou non attendu)" in (
        err
    )
    assert "ligne 3, colonne duration_months, valeur « 2 » : durée invalide" in err
    assert "2 lignes invalides : rien n'a été importé." in err
    assert not Training.objects.exists()


def test_command_refuses_a_missing_file(db, tmp_path):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="Fichier introuvable"):
        call_command("import_trainings", str(tmp_path / "absent.csv"))


def test_conflicting_rows_of_a_training_name_the_first_line(db, write):
    rows = [row(), row(code="GEN-00102"), row(title="Autre titre", label_start="2019-09-01")]

    result = trainings_import(source=write(csv_text(rows)))

    assert result.report.as_text() == (
        "ligne 4, colonne title, valeur « Autre titre » : valeur différente de celle de la "
        "ligne 2 pour cette formation"
    )


# --- validate-only mode (the web check, `--check`) ------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=[case.code for case in CASES])
def test_validate_only_refuses_with_the_same_report_as_the_import(case, foreign_training, write):
    content = case.content() if callable(case.content) else _bytes(csv_text(case.content))
    path = write(content)

    checked = trainings_import(source=path, validate_only=True)
    imported = trainings_import(source=path)

    assert not checked.ok
    assert checked.report.errors == imported.report.errors


def test_validate_only_writes_nothing_and_tells_what_the_import_would_create(db, write):
    organisation_create(name="Déjà là", siret=OTHER_SIRET, department_code="59")
    path = write(
        csv_text(
            [
                row(),
                row(label_start="2019-09-01", label_end=""),  # a renewal: second label
                row(
                    code="GEN-00102",
                    organisation_siret=OTHER_SIRET,
                    organisation_name="Déjà là",
                    region_code="32",
                    department_code="59",
                    commune_code="",
                    call="",
                ),
            ]
        )
    )
    before = snapshot()

    checked = trainings_import(source=path, validate_only=True)

    assert checked.ok and checked.validated_only
    assert snapshot() == before
    assert not Call.objects.exists()
    assert checked.counts() == {
        "rows": 3,
        "organisations_created": 1,
        "organisations_updated": 0,
        "trainings_created": 2,
        "trainings_updated": 0,
        "labels_created": 0,
        "labels_updated": 0,
        "calls_created": 1,
        "organisations": 2,
        "trainings": 2,
        "labels": 3,
    }
    imported = trainings_import(source=path)
    assert (imported.organisations_created, imported.trainings_created) == (1, 2)
    assert (imported.labels_created, imported.calls_created) == (3, 1)


def test_command_check_validates_without_writing(db, write):
    out = io.StringIO()

    call_command("import_trainings", str(write(csv_text([row()]))), check=True, stdout=out)

    assert "vérification seule" in out.getvalue()
    assert not Training.objects.exists()
