"""Import of learners.csv: reading (encodings, delimiters, streaming), every reason a row can
be refused, all-or-nothing writes, idempotence, access, and the `import_learners` command."""

from __future__ import annotations

import csv
import datetime
import io
import itertools
from dataclasses import dataclass

import pytest
from django.core.management import ManagementUtility, call_command
from django.core.management.base import CommandError
from django.db import IntegrityError, connections
from django.utils import translation

from learners.imports import Importer, learners_import
from learners.imports import learners_csv as engine
from learners.imports.command import language_from_environment
from learners.imports.report import REASONS
from learners.models import Enrollment, Learner
from outcomes.models import FollowUp
from tests.factories import siret_for
from trainings.services import organisation_create, training_create

COLUMNS = [
    "training_code",
    "learner_ref",
    "sex",
    "birth_year",
    "qpv_resident",
    "situation_at_entry",
    "diploma_level",
    "free_access",
    "entry_date",
    "exit_date",
    "exit_reason",
    "situation_exit",
    "situation_m3",
    "situation_m6",
    "situation_m12",
]
TODAY = datetime.date(2024, 6, 1)


def row(**cells) -> dict:
    base = {
        "training_code": "GEN-00001",
        "learner_ref": "A-001",
        "sex": "F",
        "birth_year": "1995",
        "qpv_resident": "oui",
        "situation_at_entry": "job_seeker",
        "diploma_level": "4",
        "free_access": "oui",
        "entry_date": "2018-01-09",
        "exit_date": "2018-07-06",
        "exit_reason": "completed",
        "situation_exit": "job_seeking",
        "situation_m3": "",
        "situation_m6": "",
        "situation_m12": "",
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
        path = tmp_path / f"learners-{next(counter)}.csv"
        path.write_bytes(content if isinstance(content, bytes) else content.encode(encoding))
        return path

    return _write


@pytest.fixture
def org_one(db):
    return organisation_create(name="Organisme Un", siret=siret_for(101), department_code="94")


@pytest.fixture
def org_two(db):
    return organisation_create(name="Organisme Deux", siret=siret_for(102), department_code="59")


@pytest.fixture
def training_one(org_one):
    return training_create(
        organisation=org_one,
        code="GEN-00001",
        title="Développeur web",
        duration_months=6,
        department_code="94",
    )


@pytest.fixture
def training_two(org_two):
    return training_create(
        organisation=org_two,
        code="GEN-00002",
        title="Technicien réseau",
        duration_months=9,
        department_code="59",
    )


@pytest.fixture
def trainings(training_one, training_two):
    return training_one, training_two


def run(source, importer=None, **kwargs):
    return learners_import(
        source=source, importer=importer or Importer.staff(), today=TODAY, **kwargs
    )


def snapshot():
    return (
        list(Learner.objects.order_by("pk").values()),
        list(Enrollment.objects.order_by("pk").values()),
        list(FollowUp.objects.order_by("pk").values()),
    )


# --- a valid file --------------------------------------------------------------------------


def test_valid_file_writes_learners_enrollments_and_followups(trainings, write):
    path = write(
        csv_text(
            [
                row(),
                row(learner_ref="A-002", sex="M", exit_date="", exit_reason="", situation_exit=""),
                row(
                    training_code="GEN-00002",
                    learner_ref="B-001",
                    exit_reason="dropout",
                    situation_m3="cdi",
                ),
            ]
        )
    )

    result = run(path)

    assert result.ok, result.report.as_text()
    assert result.counts() == {"rows": 3, "learners": 3, "enrollments": 3, "followups": 3}
    enrollment = Enrollment.objects.get(learner__learner_ref="A-001")
    assert enrollment.training.code == "GEN-00001"
    assert enrollment.learner.organisation == trainings[0].organisation
    assert (enrollment.learner.sex, enrollment.learner.birth_year) == ("F", 1995)
    assert enrollment.entry_date == datetime.date(2018, 1, 9)
    assert enrollment.exit_date == datetime.date(2018, 7, 6)
    assert (enrollment.situation_at_entry, enrollment.exit_reason) == ("job_seeker", "completed")
    assert (enrollment.qpv_resident, enrollment.free_access) == (True, True)
    assert enrollment.diploma_level == "4"
    open_enrollment = Enrollment.objects.get(learner__learner_ref="A-002")
    assert (open_enrollment.exit_date, open_enrollment.exit_reason) == (None, "")
    assert not open_enrollment.followups.exists()
    followups = dict(
        FollowUp.objects.filter(enrollment__learner__learner_ref="B-001").values_list(
            "milestone", "situation"
        )
    )
    assert followups == {"exit": "job_seeking", "m3": "cdi"}
    assert set(FollowUp.objects.values_list("source", flat=True)) == {FollowUp.Source.IMPORT}
    assert "3 lignes lues" in result.summary()


def test_utf8_file_with_byte_order_mark(trainings, write):
    path = write("\ufeff" + csv_text([row(learner_ref="Élève-1")]), encoding="utf-8")

    result = run(path)

    assert result.ok, result.report.as_text()
    assert result.encoding == "utf-8-sig"
    assert Learner.objects.get().learner_ref == "Élève-1"


def test_semicolon_delimiter_is_detected_from_the_header(trainings, write):
    path = write(csv_text([row(), row(learner_ref="A-002")], delimiter=";"))

    result = run(path)

    assert result.ok, result.report.as_text()
    assert result.delimiter == ";"
    assert Enrollment.objects.count() == 2


def test_unix_line_endings_and_quoted_header(trainings, write):
    text = csv_text([row(), row(learner_ref="A-002")], delimiter=";").replace("\r\n", "\n")
    header, rest = text.split("\n", 1)
    quoted = ";".join(f'"{name}"' for name in header.split(";"))

    result = run(write(quoted + "\n" + rest))

    assert result.ok, result.report.as_text()
    assert (result.delimiter, Enrollment.objects.count()) == (";", 2)


def test_windows_1252_file_with_accents(trainings, write):
    text = csv_text(
        [
            row(
                learner_ref="Créteil-001",
                diploma_level="licence (équiv.)",
                situation_at_entry="études",
                exit_reason="terminée",
            )
        ],
        delimiter=";",
    )
    path = write(text, encoding="cp1252")
    assert "é".encode("cp1252") in path.read_bytes()  # really not UTF-8

    result = run(path)

    assert result.ok, result.report.as_text()
    assert result.encoding == "cp1252"
    enrollment = Enrollment.objects.get()
    assert enrollment.learner.learner_ref == "Créteil-001"
    assert enrollment.diploma_level == "licence (équiv.)"
    assert (enrollment.situation_at_entry, enrollment.exit_reason) == (
        "in_education",
        "completed",
    )


def test_french_dates(trainings, write):
    path = write(csv_text([row(entry_date="09/01/2018", exit_date="6/7/2018")]))

    result = run(path)

    assert result.ok, result.report.as_text()
    enrollment = Enrollment.objects.get()
    assert (enrollment.entry_date, enrollment.exit_date) == (
        datetime.date(2018, 1, 9),
        datetime.date(2018, 7, 6),
    )


def test_every_alias_of_the_format(trainings, write):
    aliases = [
        # (sex, qpv_resident, situation_at_entry, free_access, exit_reason)
        ("femme", "oui", "emploi", "non", "terminee"),
        ("homme", "non", "demandeur_emploi", "yes", "abandon"),
        ("H", "yes", "inactif", "no", "completed"),
        ("f", "no", "etudes", "true", "dropout"),
        ("m", "true", "employed", "false", "TERMINEE"),
        ("x", "false", "job_seeker", "1", "Abandon"),
        ("F", "1", "inactive", "0", "terminee"),
        ("M", "0", "in_education", "o", "abandon"),
        ("X", "o", "EMPLOI", "n", "terminee"),
        ("", "n", "", "", "abandon"),
        ("Femme", "", "Demandeur_Emploi", "O", "terminee"),
    ]
    rows = [
        row(
            learner_ref=f"A-{number:03d}",
            sex=sex,
            qpv_resident=qpv,
            situation_at_entry=situation,
            free_access=free,
            exit_reason=reason,
        )
        for number, (sex, qpv, situation, free, reason) in enumerate(aliases)
    ]
    result = run(write(csv_text(rows)))

    assert result.ok, result.report.as_text()
    stored = list(
        Enrollment.objects.order_by("learner__learner_ref").values_list(
            "learner__sex", "qpv_resident", "situation_at_entry", "free_access", "exit_reason"
        )
    )
    assert stored == [
        ("F", True, "employed", False, "completed"),
        ("M", False, "job_seeker", True, "dropout"),
        ("M", True, "inactive", False, "completed"),
        ("F", False, "in_education", True, "dropout"),
        ("M", True, "employed", False, "completed"),
        ("X", False, "job_seeker", True, "dropout"),
        ("F", True, "inactive", False, "completed"),
        ("M", False, "in_education", True, "dropout"),
        ("X", True, "employed", False, "completed"),
        ("", False, "", None, "dropout"),
        ("F", None, "job_seeker", True, "completed"),
    ]


def test_header_any_case_any_order_optional_columns_left_out(trainings, write):
    columns = [
        "Entry_Date",
        " LEARNER_REF ",
        "training_code",
        "Free_Access",
        "situation_at_entry",
        "qpv_resident",
        "sex",
    ]
    content = csv_text([], columns=columns) + "2018-01-09,A-001,GEN-00001,oui,inactif,non,F\r\n"

    result = run(write(content))

    assert result.ok, result.report.as_text()
    enrollment = Enrollment.objects.get()
    assert (enrollment.entry_date, enrollment.exit_date) == (datetime.date(2018, 1, 9), None)
    assert enrollment.learner.birth_year is None


def test_blank_lines_and_trailing_empty_columns_are_ignored(trainings, write):
    content = csv_text([row()], delimiter=";").replace("\r\n", ";\r\n") + ";;;\r\n\r\n"

    result = run(write(content))

    assert result.ok, result.report.as_text()
    assert result.rows == 1


def test_quotes_backslashes_and_braces_survive_the_writing(trainings, write):
    # The PostgreSQL writer sends each column as one array literal: nothing may leak.
    refs = ['A"1', "B\\2", "C{3},x", "NULL", "é ü"]
    rows = [row(learner_ref=ref, diploma_level=f'niv. "{n}" \\ {{}}') for n, ref in enumerate(refs)]

    result = run(write(csv_text(rows)))

    assert result.ok, result.report.as_text()
    stored = dict(Enrollment.objects.values_list("learner__learner_ref", "diploma_level"))
    assert stored == {ref: f'niv. "{n}" \\ {{}}' for n, ref in enumerate(refs)}


def test_upload_like_file_object_is_read_and_left_open(trainings):
    upload = io.BytesIO(csv_text([row()]).encode())

    result = run(upload)

    assert result.ok, result.report.as_text()
    assert not upload.closed
    assert Enrollment.objects.count() == 1


# --- idempotence and follow-up updates ----------------------------------------------------


def test_same_file_twice_changes_nothing(trainings, write):
    path = write(
        csv_text(
            [
                row(situation_m3="cdi"),
                row(learner_ref="A-002", sex="", birth_year=""),
                row(
                    training_code="GEN-00002",
                    learner_ref="B-001",
                    exit_date="",
                    exit_reason="",
                    situation_exit="",
                ),
            ]
        )
    )
    first = run(path)
    before = snapshot()

    second = run(path)

    assert first.ok and second.ok
    assert second.counts() == first.counts()
    assert snapshot() == before  # same rows, same values, same timestamps
    assert (Learner.objects.count(), Enrollment.objects.count(), FollowUp.objects.count()) == (
        3,
        3,
        3,
    )


def test_later_file_with_added_followups_updates_them(trainings, write):
    run(write(csv_text([row(), row(learner_ref="A-002")])))
    assert not FollowUp.objects.filter(milestone="m3").exists()
    enrollment_ids = set(Enrollment.objects.values_list("pk", flat=True))

    result = run(
        write(
            csv_text(
                [
                    row(situation_m3="cdd_long"),
                    row(learner_ref="A-002", situation_exit="cdi", situation_m3="interim"),
                ]
            )
        )
    )

    assert result.ok, result.report.as_text()
    assert set(Enrollment.objects.values_list("pk", flat=True)) == enrollment_ids
    situations = dict(
        FollowUp.objects.filter(milestone="m3").values_list(
            "enrollment__learner__learner_ref", "situation"
        )
    )
    assert situations == {"A-001": "cdd_long", "A-002": "interim"}
    assert (
        FollowUp.objects.get(enrollment__learner__learner_ref="A-002", milestone="exit").situation
        == "cdi"
    )
    assert FollowUp.objects.count() == 4


def test_empty_sex_in_a_later_file_keeps_the_known_one(trainings, write):
    run(write(csv_text([row(sex="F", birth_year="1990")])))

    result = run(write(csv_text([row(sex="", birth_year="")])))

    assert result.ok
    assert Learner.objects.values_list("sex", "birth_year").get() == ("F", 1990)


def test_sex_given_on_one_row_only_applies_to_the_learner(trainings, write):
    rows = [
        row(sex="", birth_year=""),
        row(
            training_code="GEN-00001",
            entry_date="2019-01-07",
            exit_date="",
            exit_reason="",
            situation_exit="",
            sex="M",
            birth_year="1988",
        ),
        row(
            entry_date="2020-01-06",
            exit_date="",
            exit_reason="",
            situation_exit="",
            sex="",
            birth_year="",
        ),
    ]
    result = run(write(csv_text(rows)), batch_size=1)

    assert result.ok, result.report.as_text()
    assert result.learners == 1
    assert Learner.objects.values_list("sex", "birth_year").get() == ("M", 1988)
    assert Enrollment.objects.count() == 3


def test_learner_ref_is_scoped_to_the_organisation(trainings, write):
    rows = [
        row(learner_ref="REF-1", sex="F", birth_year="1990"),
        row(training_code="GEN-00002", learner_ref="REF-1", sex="M", birth_year="1980"),
    ]
    result = run(write(csv_text(rows)))

    assert result.ok, result.report.as_text()
    assert sorted(Learner.objects.values_list("organisation__name", "sex", "birth_year")) == [
        ("Organisme Deux", "M", 1980),
        ("Organisme Un", "F", 1990),
    ]


def test_training_code_is_case_insensitive(trainings, write):
    result = run(write(csv_text([row(training_code="gen-00001")])))

    assert result.ok, result.report.as_text()
    assert Enrollment.objects.get().training == trainings[0]


# --- access --------------------------------------------------------------------------------


def test_organisation_imports_its_own_trainings(trainings, org_one, write):
    result = run(write(csv_text([row()])), Importer.for_organisation(org_one))

    assert result.ok, result.report.as_text()
    assert Enrollment.objects.get().training == trainings[0]


def test_organisation_cannot_import_for_another_organisations_training(trainings, org_one, write):
    path = write(csv_text([row(), row(training_code="GEN-00002", learner_ref="B-1")]))

    result = run(path, Importer.for_organisation(org_one))

    assert not result.ok
    [error] = result.report.errors
    assert (error.line, error.column, error.value, error.code) == (
        3,
        "training_code",
        "GEN-00002",
        "training_forbidden",
    )
    assert "GEN-00002" in result.report.as_text()
    assert not Learner.objects.exists()


def test_organisation_gets_the_same_answer_for_unknown_and_foreign_trainings(
    trainings, org_one, write
):
    path = write(csv_text([row(training_code="GEN-00002"), row(training_code="GEN-09999")]))

    result = run(path, Importer.for_organisation(org_one))

    assert [error.reason for error in result.report.errors] == [
        str(REASONS["training_forbidden"])
    ] * 2


# --- every reason a file or row can be refused ----------------------------------------------


@dataclass
class Case:
    code: str
    content: object  # rows (list of dicts) or a callable returning the file's bytes
    expected: tuple  # (line, column, value)
    importer: str = "staff"


def _bytes(text: str) -> bytes:
    return text.encode()


CASES = [
    Case(
        "encoding",
        lambda: _bytes(csv_text([row()])) + b"GEN-00001,A-\x81\x8d,F\r\n",
        (3, "", ""),
    ),
    Case("empty_file", lambda: b"", (1, "", "")),
    Case(
        "malformed",
        lambda: _bytes(csv_text([row(), row(learner_ref="A-002", diploma_level="x" * 200_000)])),
        (3, "", ""),
    ),
    Case(
        "unknown_column",
        lambda: _bytes(csv_text([row()], columns=[*COLUMNS, "Nom"])),
        (1, "Nom", ""),
    ),
    Case(
        "missing_column",
        lambda: _bytes(csv_text([row()], columns=[c for c in COLUMNS if c != "sex"])),
        (1, "sex", ""),
    ),
    Case(
        "duplicate_column",
        lambda: _bytes(csv_text([row()], columns=[*COLUMNS, "SEX"])),
        (1, "SEX", ""),
    ),
    Case(
        "missing_values",
        lambda: _bytes(csv_text([row()]) + "GEN-00001,A-002,F\r\n"),
        (3, "", ""),
    ),
    Case(
        "unexpected_value",
        lambda: _bytes(csv_text([row()]).rstrip() + ",surplus\r\n"),
        (2, "16", "surplus"),
    ),
    Case("required", [row(learner_ref="  ")], (2, "learner_ref", "")),
    Case("too_long", [row(learner_ref="R" * 65)], (2, "learner_ref", "R" * 65)),
    Case("boolean", [row(qpv_resident="peut-être")], (2, "qpv_resident", "peut-être")),
    Case("date_format", [row(entry_date="2018.01.09")], (2, "entry_date", "2018.01.09")),
    Case("date_impossible", [row(exit_date="31/02/2018")], (2, "exit_date", "31/02/2018")),
    Case("sex", [row(sex="Q")], (2, "sex", "Q")),
    Case("birth_year", [row(birth_year="1850")], (2, "birth_year", "1850")),
    Case(
        "situation_at_entry",
        [row(situation_at_entry="retraité")],
        (2, "situation_at_entry", "retraité"),
    ),
    Case("exit_reason", [row(exit_reason="exclu")], (2, "exit_reason", "exclu")),
    Case("situation", [row(situation_m3="chomage")], (2, "situation_m3", "chomage")),
    Case(
        "learner_ref_contact",
        [row(learner_ref="camille.martin@exemple.fr")],
        (2, "learner_ref", "camille.martin@exemple.fr"),
    ),
    Case("training_unknown", [row(training_code="GEN-09999")], (2, "training_code", "GEN-09999")),
    Case(
        "training_forbidden",
        [row(training_code="GEN-00002")],
        (2, "training_code", "GEN-00002"),
        importer="org_one",
    ),
    Case("duplicate_enrollment", [row(), row(situation_m3="cdi")], (3, "learner_ref", "A-001")),
    Case(
        "sex_conflict",
        [row(sex="F"), row(sex="homme", entry_date="2018-03-05")],
        (3, "sex", "M"),
    ),
    Case(
        "birth_year_conflict",
        [row(birth_year="1990"), row(birth_year="1991", entry_date="2018-03-05")],
        (3, "birth_year", "1991"),
    ),
    Case("exit_before_entry", [row(exit_date="08/01/2018")], (2, "exit_date", "08/01/2018")),
    Case("exit_reason_required", [row(exit_reason="")], (2, "exit_reason", "")),
    Case(
        "exit_reason_without_exit",
        [row(exit_date="", situation_exit="")],
        (2, "exit_reason", "completed"),
    ),
    Case(
        "situation_without_exit",
        [row(exit_date="", exit_reason="", situation_exit="", situation_m6="cdi")],
        (2, "situation_m6", "cdi"),
    ),
]
# Refusals that need more than a file: tested below.
SEPARATELY_TESTED = {"source_changed", "write_failed"}


def test_every_reason_of_the_learners_import_has_a_case():
    assert {case.code for case in CASES} | SEPARATELY_TESTED == engine.REASONS
    assert set(REASONS) >= engine.REASONS


@pytest.mark.parametrize("case", CASES, ids=[case.code for case in CASES])
def test_invalid_file_is_refused_with_its_reason(case, trainings, org_one, write):
    content = case.content() if callable(case.content) else _bytes(csv_text(case.content))
    importer = Importer.for_organisation(org_one) if case.importer == "org_one" else None

    result = run(write(content), importer)

    assert not result.ok
    assert [(e.line, e.column, e.value, e.code) for e in result.report.errors] == [
        (*case.expected, case.code)
    ]
    assert result.report.errors[0].reason  # renders (its parameters are all there)
    assert not Learner.objects.exists()
    assert not Enrollment.objects.exists()


def test_header_errors_are_all_reported_and_no_row_is_read(trainings, write):
    columns = [c for c in COLUMNS if c not in ("sex", "entry_date")] + ["nom", "email"]
    content = csv_text([row(nom="Martin", email="c.martin@exemple.fr")], columns=columns)

    result = run(write(content))

    assert [(e.line, e.column, e.code) for e in result.report.errors] == [
        (1, "nom", "unknown_column"),
        (1, "email", "unknown_column"),
        (1, "sex", "missing_column"),
        (1, "entry_date", "missing_column"),
    ]
    assert result.report.summary() == "Fichier refusé : rien n'a été importé."
    assert "ligne 1, colonne nom : colonne inconnue" in result.report.as_text()
    assert not Learner.objects.exists()


def test_two_bad_rows_import_nothing_and_the_report_names_both_lines(trainings, write):
    rows = [
        row(),
        row(learner_ref="A-002", sex="Q"),
        row(learner_ref="A-003"),
        row(learner_ref="A-004", entry_date="31/02/2018"),
    ]

    result = run(write(csv_text(rows)))

    assert not result.ok
    assert [(e.line, e.column) for e in result.report.errors] == [
        (3, "sex"),
        (5, "entry_date"),
    ]
    text = result.report.as_text()
    assert "ligne 3, colonne sex, valeur « Q » : sexe inconnu (F, M ou X attendu)" in text
    assert "ligne 5, colonne entry_date, valeur « 31/02/2018 » : date impossible" in text
    assert result.report.summary() == "2 lignes invalides : rien n'a été importé."
    assert not Learner.objects.exists()
    assert not Enrollment.objects.exists()
    assert not FollowUp.objects.exists()


def test_every_error_of_a_row_is_listed(trainings, write):
    result = run(write(csv_text([row(sex="Q", birth_year="19x5", free_access="peut-être")])))

    assert [(e.line, e.code) for e in result.report.errors] == [
        (2, "sex"),
        (2, "birth_year"),
        (2, "boolean"),
    ]
    assert result.report.invalid_lines == 1


def test_report_lines_are_physical_lines_of_the_file(trainings, write):
    # A quoted cell spanning two lines: the next record starts on line 4, not 3.
    content = csv_text([row(diploma_level="niveau 4\nbac pro"), row(learner_ref="A-2", sex="Q")])

    result = run(write(content))

    assert [(e.line, e.column) for e in result.report.errors] == [(4, "sex")]


def test_file_changed_between_validation_and_writing_writes_nothing(trainings):
    good = csv_text([row(), row(learner_ref="A-002")]).encode()
    changed = csv_text([row(), row(learner_ref="A-002", sex="M")]).encode()
    opened = itertools.count()

    def opener():
        # Opened for the encoding check, the validation, then the writing.
        return io.BytesIO(good if next(opened) < 2 else changed)

    result = run(opener)

    assert result.report.codes() == ["source_changed"]
    assert not Learner.objects.exists()


def test_failed_write_is_reported_and_rolled_back(trainings, write, monkeypatch, caplog):
    real = engine._Run.complete
    batches = itertools.count()

    def failing_on_the_second_batch(self, batch):
        if next(batches) == 1:
            raise IntegrityError("concurrent change")
        return real(self, batch)

    monkeypatch.setattr(engine._Run, "complete", failing_on_the_second_batch)

    result = run(write(csv_text([row(), row(learner_ref="A-002")])), batch_size=1)

    assert result.report.codes() == ["write_failed"]
    assert "concurrent change" not in result.report.as_text()  # for the logs only
    assert "concurrent change" in caplog.text
    assert not Learner.objects.exists()


def test_report_as_csv_for_download(trainings, write):
    result = run(write(csv_text([row(sex="Q"), row(learner_ref="A-002", exit_reason="")])))

    lines = list(csv.reader(io.StringIO(result.report.as_csv()), delimiter=";"))

    assert lines == [
        ["ligne", "colonne", "valeur", "motif"],
        ["2", "sex", "Q", "sexe inconnu (F, M ou X attendu)"],
        [
            "3",
            "exit_reason",
            "",
            "motif de sortie obligatoire quand une date de sortie est donnée",
        ],
    ]


def test_report_neutralises_formulas_in_values(trainings, write):
    result = run(write(csv_text([row(sex="=cmd|'/c calc'!A0")])))

    [_header, line] = list(csv.reader(io.StringIO(result.report.as_csv()), delimiter=";"))

    assert line[2] == "'=cmd|'/c calc'!A0"


def test_report_stops_listing_after_max_errors_but_counts_all(trainings, write):
    rows = [row(learner_ref=f"A-{n}", sex="Q") for n in range(5)]

    result = run(write(csv_text(rows)), max_errors=2)

    assert len(result.report.errors) == 2
    assert result.report.error_count == 5
    assert result.report.invalid_lines == 5
    assert "3 autres erreurs non listées" in result.report.as_text()


# --- streaming ------------------------------------------------------------------------------


class GeneratorStream:
    """A binary stream fed by a generator, one line at a time, that records every read."""

    def __init__(self, lines):
        self._lines = iter(lines)
        self._pending = b""
        self.reads: list[int | None] = []
        self.lines_produced = 0

    def read(self, size=-1):
        self.reads.append(size)
        if size is None or size < 0:
            raise AssertionError("the whole file was asked for")
        while len(self._pending) < size:
            try:
                self._pending += next(self._lines)
            except StopIteration:
                break
            self.lines_produced += 1
        data, self._pending = self._pending[:size], self._pending[size:]
        return data


def _lines(count: int):
    yield csv_text([]).encode()
    for number in range(count):
        yield csv_text([row(learner_ref=f"S-{number:05d}")]).split("\r\n", 1)[1].encode()


def test_reading_streams_the_file_in_bounded_chunks(trainings):
    from learners.imports.reading import CHUNK_SIZE, Source, open_table

    stream = GeneratorStream(_lines(1000))
    with open_table(Source(lambda: stream), "utf-8-sig") as table:
        first_line, _fields = next(table.rows())
        produced_at_first_row = stream.lines_produced
        rows = sum(1 for _row in table.rows())

    assert first_line == 2
    assert rows == 999
    # After one row only the first buffer was pulled from the generator, not the file.
    assert produced_at_first_row < 1000
    assert all(0 < size <= CHUNK_SIZE for size in stream.reads)


def test_import_of_1000_rows_never_reads_the_whole_file(trainings):
    streams = []

    def opener():
        streams.append(GeneratorStream(_lines(1000)))
        return streams[-1]

    result = run(opener, batch_size=300)

    assert result.ok, result.report.as_text()
    assert result.counts() == {
        "rows": 1000,
        "learners": 1000,
        "enrollments": 1000,
        "followups": 1000,
    }
    assert len(streams) == 3  # encoding check, validation, writing
    assert all(size is not None and size > 0 for stream in streams for size in stream.reads)
    assert Enrollment.objects.count() == 1000


def test_progress_is_reported_while_validating_then_writing(trainings, write):
    events = []
    path = write(csv_text([row(learner_ref=f"P-{n}") for n in range(7)]))

    result = run(path, progress=events.append, batch_size=3)

    assert result.ok
    phases = [event.phase for event in events]
    assert phases[0] == "validate" and phases[-1] == "write"
    writes = [(e.rows_done, e.rows_total) for e in events if e.phase == "write"]
    assert writes == [(3, 7), (6, 7), (7, 7)]
    assert events[-1].percent == 100
    assert all(e.percent is not None and 0 <= e.percent <= 100 for e in events)


# --- the command ----------------------------------------------------------------------------


def test_command_prints_the_counts(trainings, write):
    out = io.StringIO()

    call_command("import_learners", str(write(csv_text([row()]))), stdout=out)

    assert "1 lignes lues : 1 apprenants, 1 inscriptions et 1 situations de suivi" in (
        out.getvalue()
    )
    assert Enrollment.objects.count() == 1


def test_command_shows_progress_when_verbose(trainings, write):
    err = io.StringIO()

    call_command(
        "import_learners",
        str(write(csv_text([row()]))),
        verbosity=2,
        stdout=io.StringIO(),
        stderr=err,
    )

    assert "vérification : 1 lignes lues" in err.getvalue()
    assert "écriture : 1 / 1 lignes" in err.getvalue()


def test_command_with_organisation_imports_as_that_organisation(trainings, org_one, write):
    path = write(csv_text([row(training_code="GEN-00002")]))
    err = io.StringIO()

    with pytest.raises(CommandError):
        call_command("import_learners", str(path), organisation=org_one.siret, stderr=err)

    assert "formation inconnue ou non rattachée à votre organisme" in err.getvalue()
    assert not Enrollment.objects.exists()


def test_command_refuses_an_unknown_organisation(trainings, write):
    with pytest.raises(CommandError, match="Aucun organisme"):
        call_command("import_learners", str(write(csv_text([row()]))), organisation=siret_for(999))


def test_command_exits_non_zero_and_prints_the_report_on_stderr(
    trainings, write, capsys, monkeypatch
):
    # run_from_argv closes the connections when done; the test's transaction needs its own.
    monkeypatch.setattr(connections, "close_all", lambda: None)
    path = write(csv_text([row(), row(learner_ref="A-002", sex="Q"), row(birth_year="20")]))

    with pytest.raises(SystemExit) as exited:
        ManagementUtility(["manage.py", "import_learners", str(path)]).execute()

    assert exited.value.code == 1
    err = capsys.readouterr().err
    assert "ligne 3, colonne sex, valeur « Q » : sexe inconnu (F, M ou X attendu)" in err
    assert "ligne 4, colonne birth_year, valeur « 20 »" in err
    assert "2 lignes invalides : rien n'a été importé." in err
    assert not Enrollment.objects.exists()


def test_command_report_follows_the_language_environment(trainings, write, monkeypatch):
    # The English strings come from the project catalogue (locale/en/LC_MESSAGES/django.mo).
    monkeypatch.setenv("LANGUAGE", "en_GB:en")
    path = write(csv_text([row(), row(learner_ref="A-002", sex="Q"), row(exit_reason="")]))
    err = io.StringIO()

    with pytest.raises(CommandError) as failed:
        call_command("import_learners", str(path), stderr=err)

    assert err.getvalue().splitlines() == [
        "line 3, column sex, value “Q”: unknown sex (F, M or X expected)",
        "line 4, column exit_reason: exit reason required when an exit date is given",
    ]
    assert str(failed.value) == "2 invalid rows: nothing was imported."


def test_every_reason_has_an_english_translation():
    with translation.override("fr"):
        french = {code: str(text) for code, text in REASONS.items()}
    with translation.override("en"):
        english = {code: str(text) for code, text in REASONS.items()}

    assert [code for code in REASONS if english[code] == french[code]] == []


@pytest.mark.parametrize(
    ("value", "language"),
    [("en", "en"), ("en_GB:en", "en"), ("en_US.UTF-8", "en"), ("de:fr", "fr"), ("", "fr")],
)
def test_language_is_read_from_the_environment(value, language):
    assert language_from_environment({"LANGUAGE": value}) == language


# --- validate-only mode (the web check, `--check`) ------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=[case.code for case in CASES])
def test_validate_only_refuses_with_the_same_report_as_the_import(case, trainings, org_one, write):
    content = case.content() if callable(case.content) else _bytes(csv_text(case.content))
    importer = Importer.for_organisation(org_one) if case.importer == "org_one" else None
    path = write(content)

    checked = run(path, importer, validate_only=True)
    imported = run(path, importer)

    assert not checked.ok
    assert checked.report.errors == imported.report.errors
    assert checked.report.summary() == imported.report.summary()


def test_validate_only_writes_nothing_and_gives_the_counts_of_the_import(
    trainings, write, django_assert_num_queries
):
    rows = [
        row(),
        row(learner_ref="A-002", sex="", situation_m3="cdi", situation_m6="cdd_long"),
        row(entry_date="2018-09-03", exit_date="", exit_reason="", situation_exit=""),
    ]
    path = write(csv_text(rows))

    with django_assert_num_queries(1):  # the trainings, read once; nothing written
        checked = run(path, validate_only=True)

    assert checked.ok
    assert checked.validated_only
    assert not Learner.objects.exists()
    imported = run(path)
    assert imported.ok and not imported.validated_only
    assert (
        checked.counts()
        == imported.counts()
        == {
            "rows": 3,
            "learners": 2,
            "enrollments": 3,
            "followups": 4,
        }
    )
    assert "vérification seule" in checked.summary()
    assert "l'import enregistrera 2 apprenants, 3 inscriptions et 4 situations" in (
        checked.summary()
    )


def test_validate_only_reports_every_invalid_row_of_a_long_file(trainings, write):
    rows = [row(learner_ref=f"A-{n:04d}", sex="Q" if n % 100 == 0 else "F") for n in range(1000)]

    result = run(write(csv_text(rows)), validate_only=True)

    assert [error.line for error in result.report.errors] == [n + 2 for n in range(0, 1000, 100)]
    assert result.rows == 1000
    assert not Learner.objects.exists()


def test_validate_only_reports_progress_of_the_validation_only(trainings, write):
    events = []

    run(write(csv_text([row()])), validate_only=True, progress=events.append)

    assert {event.phase for event in events} == {"validate"}


def test_command_check_validates_without_writing(trainings, write):
    out = io.StringIO()

    call_command("import_learners", str(write(csv_text([row()]))), check=True, stdout=out)

    assert "Fichier valide, rien n'a été enregistré (vérification seule)." in out.getvalue()
    assert not Enrollment.objects.exists()


def test_command_check_prints_the_report_of_an_invalid_file(trainings, write):
    err = io.StringIO()
    path = write(csv_text([row(), row(learner_ref="A-002", sex="Q")]))

    with pytest.raises(CommandError, match="1 ligne invalide"):
        call_command("import_learners", str(path), "--check", stderr=err)

    assert "ligne 3, colonne sex, valeur « Q » : sexe inconnu" in err.getvalue()


# --- indicators after an import (issue 6: "runs start after a successful import") -----------


def test_a_successful_import_asks_for_one_indicator_run(
    trainings, write, django_capture_on_commit_callbacks, monkeypatch
):
    from outcomes.indicators import runs
    from outcomes.models import IndicatorRun

    monkeypatch.setattr(runs, "_enqueue", lambda run_id, countdown=None: None)
    path = write(csv_text([row(), row(learner_ref="A-002")]))
    with django_capture_on_commit_callbacks(execute=True):
        result = run(path)
    assert result.ok
    with django_capture_on_commit_callbacks(execute=True):
        assert run(path).ok  # a second import close behind joins the queued run
    queued = IndicatorRun.objects.get()
    assert queued.trigger == runs.Trigger.IMPORT
    assert queued.status == IndicatorRun.Status.QUEUED


def test_a_refused_or_checked_file_asks_for_no_indicator_run(
    trainings, write, django_capture_on_commit_callbacks
):
    from outcomes.models import IndicatorRun

    with django_capture_on_commit_callbacks(execute=True):
        assert not run(write(csv_text([row(sex="Z")]))).ok
        assert run(write(csv_text([row()])), validate_only=True).ok
    assert not IndicatorRun.objects.exists()
