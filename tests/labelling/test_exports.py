"""CSV and XLSX exports of a call's dossiers (state, scores, recommendations, decisions) and
of its declarations of interests. Text that a spreadsheet could run as a formula is
neutralised; only staff download them."""

import csv
import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from labelling.services import interests_declare, review_save
from labelling.views.exports import neutralise
from tests.factories import (
    CommitteeMemberFactory,
    CriterionFactory,
    DecisionFactory,
    DossierFactory,
    OrganisationFactory,
    ReviewAssignmentFactory,
)

pytestmark = pytest.mark.django_db

HOSTILE = ['=HYPERLINK("http://evil.example")', "+33 1 23", "-2+3", "@SUM(A1:A9)"]


def export_url(call, fmt) -> str:
    return reverse("labelling:staff_export", args=[call.pk, fmt])


def csv_rows(response) -> list[list[str]]:
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:]), delimiter=";"))


def xlsx_rows(response) -> list[list]:
    workbook = load_workbook(io.BytesIO(response.content), read_only=True)
    sheet = workbook.worksheets[0]
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    workbook.close()
    return rows


@pytest.fixture
def scored_call(open_call, dossier_a, committee_member):
    criterion = CriterionFactory(call=open_call, title="Insertion", weight=Decimal(1), max_score=4)
    assignment = dossier_a.assignments.get(member=committee_member)
    review_save(
        assignment=assignment, scores={criterion.pk: 3}, recommendation="favourable", submit=True
    )
    DecisionFactory(
        dossier=DossierFactory(call=open_call, submitted=True, state="rejected"),
        outcome="rejected",
        reason="Hors cible",
    )
    return open_call


def test_csv_export_has_states_scores_recommendations_and_decisions(
    staff_client, scored_call, dossier_a
):
    response = staff_client.get(export_url(scored_call, "csv"))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        f'attachment; filename="dossiers-{scored_call.reference}.csv"'
    )
    header, *rows = csv_rows(response)
    row = dict(zip(header, next(r for r in rows if r[0] == dossier_a.reference), strict=True))
    assert row["État"] == "Déposé"
    assert row["Note pondérée (%)"] == "75,0"
    assert row["Avis favorables"] == "1"
    assert row["Évaluations rendues"] == "1"
    assert row["Moyenne : Insertion (sur 4)"] == "3,0"
    assert "Claude Comité" in row["Noms des évaluateurs"]
    rejected = dict(zip(header, next(r for r in rows if r[0] != dossier_a.reference), strict=True))
    assert (rejected["Décision"], rejected["Motifs"]) == ("Refusé", "Hors cible")


def test_xlsx_export_keeps_numbers_typed(staff_client, scored_call, dossier_a):
    response = staff_client.get(export_url(scored_call, "xlsx"))

    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml"
    )
    header, *rows = xlsx_rows(response)
    row = dict(zip(header, next(r for r in rows if r[0] == dossier_a.reference), strict=True))
    assert row["Note pondérée (%)"] == 75.0
    assert row["Avis favorables"] == 1


@pytest.mark.parametrize("value", HOSTILE)
def test_formula_like_text_is_neutralised(value):
    assert neutralise(value) == "'" + value


def test_plain_values_are_left_alone():
    assert neutralise("Simplon") == "Simplon"
    assert neutralise(12) == 12
    assert neutralise(-3.5) == -3.5  # a number is never run as a formula
    assert neutralise(None) == ""


def test_hostile_names_reach_the_files_neutralised(staff_client, open_call):
    for number, value in enumerate(HOSTILE):
        DossierFactory(
            call=open_call,
            submitted=True,
            organisation=OrganisationFactory(name=value),
            training_title=f"{value} {number}",
        )

    csv_cells = [
        cell for row in csv_rows(staff_client.get(export_url(open_call, "csv"))) for cell in row
    ]
    xlsx_cells = [
        cell for row in xlsx_rows(staff_client.get(export_url(open_call, "xlsx"))) for cell in row
    ]

    for value in HOSTILE:
        assert "'" + value in csv_cells
        assert "'" + value in xlsx_cells
    for cells in (csv_cells, xlsx_cells):
        assert not any(isinstance(c, str) and c.startswith(("=", "+", "-", "@")) for c in cells)


def test_declarations_export_lists_every_declaration(staff_client, dossier_a, committee_member):
    interests_declare(
        call=dossier_a.call, member=committee_member, organisations="=Ancien employeur"
    )

    response = staff_client.get(
        reverse("labelling:staff_declarations_export", args=[dossier_a.call_id, "csv"])
    )

    header, *rows = csv_rows(response)
    assert len(rows) == 2
    kinds = sorted(row[header.index("Type")] for row in rows)
    assert kinds == ["Conflit sur un dossier", "Déclaration d'intérêts"]
    assert "'=Ancien employeur" in [row[header.index("Organismes déclarés")] for row in rows]
    xlsx = staff_client.get(
        reverse("labelling:staff_declarations_export", args=[dossier_a.call_id, "xlsx"])
    )
    assert len(xlsx_rows(xlsx)) == 3


def test_an_unknown_format_is_404(staff_client, open_call):
    assert staff_client.get(export_url(open_call, "ods")).status_code == 404


@pytest.mark.parametrize("persona", ["committee_client", "applicant_client", "conflicted_client"])
def test_exports_are_404_for_non_staff(request, persona, dossier_a):
    client = request.getfixturevalue(persona)

    for fmt in ("csv", "xlsx"):
        assert client.get(export_url(dossier_a.call, fmt)).status_code == 404
        assert (
            client.get(
                reverse("labelling:staff_declarations_export", args=[dossier_a.call_id, fmt])
            ).status_code
            == 404
        )


def test_exports_send_anonymous_visitors_to_login(client, open_call):
    response = client.get(export_url(open_call, "csv"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_export_query_count_does_not_grow_with_dossiers(
    staff_client, open_call, django_assert_max_num_queries
):
    criterion = CriterionFactory(call=open_call)

    def add(count):
        for _ in range(count):
            dossier = DossierFactory(call=open_call, submitted=True)
            assignment = ReviewAssignmentFactory(dossier=dossier, member=CommitteeMemberFactory())
            review_save(
                assignment=assignment,
                scores={criterion.pk: 2},
                recommendation="reserved",
                submit=True,
            )

    add(2)
    with CaptureQueriesContext(connection) as few:
        staff_client.get(export_url(open_call, "csv"))
    add(20)

    with django_assert_max_num_queries(len(few)):
        response = staff_client.get(export_url(open_call, "csv"))
    assert len(csv_rows(response)) == 23
