import pytest
from django.contrib import admin

from learners.models import Enrollment, ImportJob, Learner
from tests.admin_checks import (
    assert_change_page_opens,
    assert_changelist_lists_a_row,
    assert_changelist_queries_do_not_grow,
    assert_every_model_registered,
    assert_sent_to_the_admin_login,
    name_of,
    url,
)
from tests.factories import EnrollmentFactory, FollowUpFactory, ImportJobFactory, LearnerFactory

pytestmark = pytest.mark.django_db

ALL = {Learner: LearnerFactory, Enrollment: EnrollmentFactory}

# A learner is known by a pseudonymous reference only: no admin column, field or search may
# ever point at a name or contact detail.
IDENTIFYING_WORDS = ("name", "nom", "email", "mail", "phone", "telephone", "address", "adresse")


def test_every_learners_model_has_an_admin_screen():
    assert_every_model_registered("learners")


@pytest.mark.parametrize("model", ALL, ids=name_of)
def test_learner_models_hold_no_identifying_field(model):
    for field in model._meta.get_fields():
        assert not any(word in field.name.lower() for word in IDENTIFYING_WORDS), field.name


@pytest.mark.parametrize("model", ALL, ids=name_of)
def test_learner_admin_shows_nothing_identifying(model, rf, superuser):
    model_admin = admin.site._registry[model]
    request = rf.get("/")
    request.user = superuser
    shown = [
        *model_admin.get_list_display(request),
        *model_admin.get_search_fields(request),
        *model_admin.get_fields(request),
    ]
    for inline in model_admin.get_inline_instances(request):
        shown += inline.get_fields(request)

    # Lookups through the organisation or the training name those, not the learner.
    own = [
        str(name) for name in shown if not str(name).startswith(("organisation__", "training__"))
    ]
    for name in own:
        assert not any(word in name.lower() for word in IDENTIFYING_WORDS), name


@pytest.mark.parametrize("model", ALL, ids=name_of)
def test_changelist_answers_200(superuser_client, model):
    assert_changelist_lists_a_row(superuser_client, model, ALL[model])


@pytest.mark.parametrize("model", ALL, ids=name_of)
def test_add_page_answers_200(superuser_client, model):
    assert superuser_client.get(url(model, "add")).status_code == 200


@pytest.mark.parametrize("model", ALL, ids=name_of)
def test_change_page_answers_200(superuser_client, model):
    assert_change_page_opens(superuser_client, model, ALL[model])


@pytest.mark.parametrize("model", ALL, ids=name_of)
def test_changelist_queries_do_not_grow_with_rows(superuser_client, model):
    assert_changelist_queries_do_not_grow(superuser_client, model, ALL[model])


def test_learner_search_matches_the_learner_ref(superuser_client):
    target = LearnerFactory(learner_ref="SIMPLON-2018-0042")
    other = LearnerFactory(learner_ref="SIMPLON-2018-0043")

    response = superuser_client.get(url(Learner, "changelist"), {"q": "2018-0042"})

    assert set(response.context["cl"].result_list) == {target}
    assert other.pk != target.pk


def test_enrollment_search_matches_the_learner_ref_and_the_training_code(superuser_client):
    target = EnrollmentFactory(learner__learner_ref="REF-A-001", training__code="GEN-77777")
    EnrollmentFactory(learner__learner_ref="REF-B-002")

    by_ref = superuser_client.get(url(Enrollment, "changelist"), {"q": "REF-A"})
    by_code = superuser_client.get(url(Enrollment, "changelist"), {"q": "GEN-77777"})

    assert list(by_ref.context["cl"].result_list) == [target]
    assert list(by_code.context["cl"].result_list) == [target]


def test_enrollment_page_edits_its_follow_ups_inline(superuser_client):
    followup = FollowUpFactory()

    response = superuser_client.get(url(Enrollment, "change", followup.enrollment.pk))

    assert 'name="followups-TOTAL_FORMS" value="1"' in response.content.decode()


def test_learner_page_lists_its_enrollments_inline(superuser_client):
    enrollment = EnrollmentFactory()

    response = superuser_client.get(url(Learner, "change", enrollment.learner.pk))

    assert 'name="enrollments-TOTAL_FORMS" value="1"' in response.content.decode()


@pytest.mark.parametrize("model", ALL, ids=name_of)
def test_non_staff_user_is_sent_to_the_admin_login(applicant_client, model):
    assert_sent_to_the_admin_login(applicant_client, model)


def test_import_jobs_are_listed_and_shown_read_only(superuser_client):
    job = ImportJobFactory(done=True, error="")

    listing = superuser_client.get(url(ImportJob, "changelist"))
    detail = superuser_client.get(url(ImportJob, "change", job.pk))

    assert listing.status_code == 200
    assert list(listing.context["cl"].result_list) == [job]
    assert detail.status_code == 200
    assert detail.context["has_change_permission"] is False
    assert superuser_client.get(url(ImportJob, "add")).status_code == 403
