"""`manage.py load_demo` at a small scale: idempotent, complete, deterministic, usable."""

import io
import random
import re

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command
from django.urls import reverse

from accounts.models import User
from gen_portal.demo import names
from gen_portal.demo.calls import paris
from gen_portal.demo.plan import AS_OF, network_plan
from gen_portal.demo.renewal import RENEWED_AT_FULL_SCALE, renewal_reference
from labelling.models import (
    Call,
    CommitteeMeeting,
    ConflictDeclaration,
    Dossier,
    ReviewAssignment,
)
from labelling.services import call_create
from learners.models import Learner
from outcomes.selectors import network_profile
from tests.factories import paris_today
from trainings.geo import OVERSEAS_REGIONS, REGIONS, region_of
from trainings.models import Label, Training
from trainings.selectors import labelled_trainings
from trainings.services import organisation_create

SCALE = "0.05"


def load(*args: str) -> str:
    out = io.StringIO()
    call_command("load_demo", "--scale", SCALE, *args, stdout=out)
    return out.getvalue()


def row_counts() -> dict[str, int]:
    return {model._meta.label: model._default_manager.count() for model in apps.get_models()}


def labelled_on_article_date():
    return Training.objects.filter(
        labels__start_date__lte=AS_OF, labels__end_date__gte=AS_OF
    ).distinct()


@pytest.mark.django_db
def test_loading_twice_creates_nothing_the_second_time():
    load()
    before = row_counts()

    again = load()
    if_empty = load("--if-empty")

    assert row_counts() == before
    assert before["labelling.Dossier"] > 0 and before["learners.Enrollment"] > 0
    assert "déjà chargée" in again and "déjà chargée" in if_empty
    assert "equipe@gen-demo.example" in again


@pytest.mark.django_db
def test_if_empty_leaves_a_database_with_other_data_alone():
    organisation_create(
        name="Organisme déjà inscrit",
        siret=names.siret(random.Random(1), set()),
        department_code="75",
    )

    out = load("--if-empty")

    assert "déjà des données" in out
    assert not Call.objects.exists()


@pytest.mark.django_db
def test_a_call_with_a_demo_reference_stops_the_load_before_anything_is_written():
    call_create(
        reference="2018",
        title="Appel réel",
        opens_at=paris(2018, 1, 8),
        closes_at=paris(2018, 2, 1),
    )
    before = row_counts()

    with pytest.raises(CommandError, match="2018"):
        load()

    assert row_counts() == before


@pytest.mark.django_db
def test_demo_has_every_dossier_state_and_a_labelled_training_in_every_region():
    load()

    assert set(Dossier.objects.values_list("state", flat=True)) == set(Dossier.State.values)
    assert Dossier.objects.filter(state="in_review", correction_requested=True).exists()
    regions = set(labelled_on_article_date().values_list("region_code", flat=True))
    assert regions == set(REGIONS)
    assert regions >= OVERSEAS_REGIONS
    for department, region in Training.objects.values_list("department_code", "region_code"):
        assert region_of(department) == region
    # Every label of 2015–2018 has ended by now, so the final labels_expire marked them all;
    # the recent renewal call's labels are in force.
    renewal = Call.objects.get(reference=renewal_reference(paris_today()))
    assert set(Label.objects.exclude(call=renewal).values_list("status", flat=True)) == {"expired"}
    assert set(Label.objects.filter(call=renewal).values_list("status", flat=True)) == {"active"}


@pytest.mark.django_db
def test_calls_committee_and_reviews_follow_the_rules():
    load()

    call_2018 = Call.objects.get(reference="2018")
    assert call_2018.closes_at.isoformat() == "2018-06-28T22:00:00+00:00"  # midnight, Paris
    assert float(call_2018.qpv_training_target) == 0.30
    for call in Call.objects.all():
        assert 4 <= call.criteria.count() <= 6
        assert call.required_attachments
        assert call.label_duration_months == 36
    for meeting in CommitteeMeeting.objects.all():
        assert meeting.members_present.count() >= meeting.quorum
    in_review = Dossier.objects.filter(state="in_review")
    assert in_review.exists()
    for dossier in in_review:
        assert dossier.assignments.count() == 2
    for assignment in ReviewAssignment.objects.select_related("dossier__organisation"):
        dossier, member = assignment.dossier, assignment.member
        assert not ConflictDeclaration.objects.filter(member=member, dossier=dossier).exists()
        declared = ConflictDeclaration.objects.filter(
            member=member, call=dossier.call_id, dossier__isnull=True
        ).values_list("sirets", flat=True)
        assert all(dossier.organisation.siret not in sirets for sirets in declared)
        assert not member.memberships.filter(organisation=dossier.organisation).exists()
    assert ConflictDeclaration.objects.filter(dossier__isnull=False).exists()


@pytest.mark.django_db
def test_the_printed_demo_accounts_can_log_in_with_their_roles(client):
    out = load()
    password = re.search(r"mot de passe : (\S+)\)", out).group(1)
    emails = re.findall(r"^\s+- .+ : (\S+@gen-demo\.example)$", out, re.MULTILINE)

    assert len(emails) == 4
    for email in emails:
        assert client.login(email=email, password=password), email
        client.logout()
    staff, member, applicant, admin = (User.objects.get(email=email) for email in emails)
    assert staff.is_staff and not staff.is_superuser
    assert member.is_committee_member and member.assignments.exists()
    assert admin.is_superuser
    organisation = applicant.memberships.get().organisation
    assert organisation.trainings.filter(labels__isnull=False).exists()
    assert Dossier.objects.filter(organisation=organisation, call__reference="2018").count() >= 3


@pytest.mark.django_db
def test_a_recent_renewal_call_labels_trainings_for_today_with_their_sessions(client):
    load()

    today = paris_today()
    renewal = Call.objects.get(reference=renewal_reference(today))
    labelled = labelled_trainings(today)
    assert labelled.count() == max(1, round(RENEWED_AT_FULL_SCALE * float(SCALE)))
    assert set(labelled) == {label.training for label in renewal.labels.all()}
    # Renewals of existing trainings, decided through the committee, for three years.
    for label in renewal.labels.select_related("decision__dossier"):
        assert label.decision.dossier.existing_training_id == label.training_id
        assert label.decision.meeting is not None
        assert label.start_date < today < label.end_date
        assert (label.end_date - label.start_date).days >= 3 * 365
    assert Dossier.objects.filter(call=renewal, state="rejected").exists()
    assert labelled.filter(sessions__start_date__gt=today).exists()
    # The public catalogue shows them.
    response = client.get(reverse("trainings:catalogue"))
    assert response.context["total"] == labelled.count()


@pytest.mark.django_db
def test_the_renewal_leaves_the_2018_network_as_it_was():
    load()

    plan = network_plan(scale=float(SCALE))
    for reference in ("2015", "2016", "2018"):
        assert Dossier.objects.filter(call__reference=reference).count() == len(
            plan.dossiers[reference]
        )
    profile = network_profile(as_of=AS_OF)
    assert profile.learners == round(11_409 * float(SCALE))
    assert profile.labelled_trainings == labelled_on_article_date().count()
    renewal = Call.objects.get(reference=renewal_reference(paris_today()))
    assert not renewal.labels.filter(start_date__lte=AS_OF).exists()
    assert not Learner.objects.filter(enrollments__entry_date__gt=AS_OF).exists()


def snapshot() -> dict:
    return {
        "profile": network_profile(as_of=AS_OF),
        "learner_refs": sorted(Learner.objects.values_list("learner_ref", flat=True)),
        "trainings": sorted(
            Training.objects.values_list(
                "code", "title", "organisation__siret", "department_code", "is_free", "site_qpv"
            )
        ),
        "dossiers": sorted(
            Dossier.objects.values_list("reference", "state", "organisation__siret"), key=repr
        ),
    }


@pytest.mark.django_db(transaction=True)
def test_two_loads_in_fresh_databases_are_identical():
    call_command("flush", interactive=False, verbosity=0)
    load()
    first = snapshot()
    call_command("flush", interactive=False, verbosity=0)

    load()

    assert snapshot() == first
    assert first["profile"].learners == round(11_409 * float(SCALE))
