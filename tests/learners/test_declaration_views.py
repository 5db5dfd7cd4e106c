"""Declaring a learner and their enrollment, then their exit, from the organisation's pages:
access per persona, one test per rule the forms enforce (each with its message, the values
kept), and the rows written."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from gen_portal.dates import add_months
from learners.models import Enrollment, Learner
from outcomes.models import FollowUp
from tests.factories import (
    EnrollmentFactory,
    FollowUpFactory,
    LearnerFactory,
    SessionFactory,
    TrainingFactory,
)

pytestmark = pytest.mark.django_db

DECLARE = reverse("learners:enrollment_declare")


def _today() -> datetime.date:
    return timezone.localdate()


@pytest.fixture
def training_a(org_a):
    return TrainingFactory(organisation=org_a, code="GEN-00101")


@pytest.fixture
def training_b(org_b):
    return TrainingFactory(organisation=org_b, code="GEN-00202")


@pytest.fixture
def session_a(training_a):
    return SessionFactory(training=training_a, start_date=_today() - datetime.timedelta(days=60))


def _declaration(training, /, **changes) -> dict:
    data = {
        "learner_ref": "A-2025-001",
        "sex": "F",
        "birth_year": "1998",
        "training": training.pk,
        "session": "",
        "entry_date": (_today() - datetime.timedelta(days=30)).isoformat(),
        "situation_at_entry": "job_seeker",
        "diploma_level": "bac",
        "qpv_resident": "oui",
        "qpv_code": "QP059001",
        "free_access": "oui",
    }
    return data | changes


def _errors(response) -> dict:
    assert response.status_code == 200
    return response.context["form"].errors


@pytest.fixture
def enrollment_a(training_a):
    return EnrollmentFactory(
        learner=LearnerFactory(organisation=training_a.organisation, learner_ref="A-1"),
        training=training_a,
        entry_date=_today() - datetime.timedelta(days=200),
    )


@pytest.fixture
def enrollment_b(training_b):
    return EnrollmentFactory(
        learner=LearnerFactory(organisation=training_b.organisation, learner_ref="B-1"),
        training=training_b,
        entry_date=_today() - datetime.timedelta(days=200),
    )


def _detail(enrollment) -> str:
    return reverse("learners:enrollment_detail", args=[enrollment.pk])


def _exit(**changes) -> dict:
    data = {
        "action": "exit",
        "exit-exit_date": (_today() - datetime.timedelta(days=10)).isoformat(),
        "exit-exit_reason": "completed",
        "exit-situation": "job_seeking",
    }
    return data | changes


def _exit_errors(response) -> dict:
    assert response.status_code == 200
    return response.context["exit_form"].errors


# --- access -------------------------------------------------------------------------------


def test_anonymous_is_sent_to_login(client, enrollment_a):
    for url in (DECLARE, _detail(enrollment_a)):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("accounts:login")), url
        assert client.post(url, _exit()).status_code == 302, url


def test_member_opens_the_declaration_form(applicant_client, training_a):
    response = applicant_client.get(DECLARE)

    assert response.status_code == 200
    assert list(response.context["form"].fields["training"].queryset) == [training_a]


def test_committee_member_gets_404(committee_client, training_a, enrollment_a):
    assert committee_client.get(DECLARE).status_code == 404
    assert committee_client.post(DECLARE, _declaration(training_a)).status_code == 404
    assert committee_client.post(_detail(enrollment_a), _exit()).status_code == 404
    assert Enrollment.objects.count() == 1
    enrollment_a.refresh_from_db()
    assert enrollment_a.exit_date is None


def test_other_organisation_gets_404_on_the_exit(other_applicant_client, enrollment_a):
    url = _detail(enrollment_a)

    assert other_applicant_client.get(url).status_code == 404
    assert other_applicant_client.post(url, _exit()).status_code == 404
    enrollment_a.refresh_from_db()
    assert enrollment_a.exit_date is None


def test_member_cannot_declare_in_another_organisations_training(applicant_client, training_b):
    errors = _errors(applicant_client.post(DECLARE, _declaration(training_b)))

    assert errors["training"] == ["Formation inconnue ou non rattachée à votre organisme."]
    assert not Learner.objects.exists()


def test_member_is_not_offered_another_organisations_sessions(
    applicant_client, session_a, training_b
):
    other = SessionFactory(training=training_b)

    form = applicant_client.get(DECLARE).context["form"]

    offered = set(form.sessions)
    assert session_a.pk in offered
    assert other.pk not in offered
    errors = _errors(
        applicant_client.post(DECLARE, _declaration(session_a.training, session=other.pk))
    )
    assert errors["session"] == ["Cette session n'est pas une session de la formation choisie."]


def test_staff_declare_for_any_organisation_and_record_its_exit(staff_client, training_b):
    response = staff_client.post(DECLARE, _declaration(training_b, learner_ref="B-9"))

    assert response.status_code == 302
    enrollment = Enrollment.objects.get()
    assert enrollment.learner.organisation == training_b.organisation

    response = staff_client.post(_detail(enrollment), _exit())

    assert response.status_code == 302
    enrollment.refresh_from_db()
    assert enrollment.exit_reason == "completed"


# --- declaring a learner ----------------------------------------------------------------------


def test_member_declares_a_learner_and_their_enrollment(applicant_client, session_a):
    training = session_a.training
    data = _declaration(training, session=session_a.pk)

    response = applicant_client.post(DECLARE, data)

    enrollment = Enrollment.objects.get()
    assert response.status_code == 302
    assert response["Location"] == _detail(enrollment)
    learner = enrollment.learner
    assert (learner.organisation, learner.learner_ref) == (training.organisation, "A-2025-001")
    assert (learner.sex, learner.birth_year) == ("F", 1998)
    assert (enrollment.training, enrollment.session) == (training, session_a)
    assert enrollment.entry_date == _today() - datetime.timedelta(days=30)
    assert (enrollment.situation_at_entry, enrollment.diploma_level) == ("job_seeker", "bac")
    assert (enrollment.qpv_resident, enrollment.qpv_code, enrollment.free_access) == (
        True,
        "QP059001",
        True,
    )
    assert (enrollment.exit_date, enrollment.exit_reason) == (None, "")


def test_not_known_answers_are_stored_as_unknown(applicant_client, training_a):
    data = _declaration(
        training_a,
        sex="inconnu",
        birth_year="",
        situation_at_entry="inconnu",
        diploma_level="",
        qpv_resident="inconnu",
        qpv_code="",
        free_access="inconnu",
    )

    assert applicant_client.post(DECLARE, data).status_code == 302

    enrollment = Enrollment.objects.get()
    assert (enrollment.learner.sex, enrollment.learner.birth_year) == ("", None)
    assert (enrollment.situation_at_entry, enrollment.qpv_resident) == ("", None)
    assert enrollment.free_access is None


def test_the_form_preselects_the_training_and_session_of_a_link(applicant_client, session_a):
    query = {"training": session_a.training_id, "session": session_a.pk}

    form = applicant_client.get(DECLARE, query).context["form"]

    assert form.initial == {"training": str(session_a.training_id), "session": str(session_a.pk)}


def test_a_duplicate_enrollment_gets_a_message_not_an_error_page(applicant_client, training_a):
    applicant_client.post(DECLARE, _declaration(training_a))

    response = applicant_client.post(DECLARE, _declaration(training_a, diploma_level="bac+2"))

    [message] = _errors(response)["learner_ref"]
    assert message.startswith("L'apprenant A-2025-001 est déjà inscrit à cette formation")
    assert Enrollment.objects.get().diploma_level == "bac"


def test_a_known_learner_with_another_sex_gets_a_message(applicant_client, training_a, org_a):
    LearnerFactory(organisation=org_a, learner_ref="A-2025-001", sex="M", birth_year=1998)

    [message] = _errors(applicant_client.post(DECLARE, _declaration(training_a)))["sex"]

    assert "enregistré avec le sexe « Homme »" in message
    assert not Enrollment.objects.exists()


def test_a_known_learner_with_another_birth_year_gets_a_message(
    applicant_client, training_a, org_a
):
    LearnerFactory(organisation=org_a, learner_ref="A-2025-001", sex="F", birth_year=1990)

    [message] = _errors(applicant_client.post(DECLARE, _declaration(training_a)))["birth_year"]

    assert "né en 1990" in message
    assert not Enrollment.objects.exists()


def test_an_invalid_declaration_keeps_every_value(applicant_client, session_a):
    data = _declaration(
        session_a.training,
        session=session_a.pk,
        learner_ref="camille@example.org",
        diploma_level="bac+3",
        sex="X",
    )

    response = applicant_client.post(DECLARE, data)

    assert "learner_ref" in _errors(response)
    content = response.content.decode()
    assert 'value="camille@example.org"' in content
    assert 'value="bac+3"' in content
    assert 'value="X" id="id_sex_2" required checked' in content
    assert f'<option value="{session_a.pk}" selected>' in content
    assert not Learner.objects.exists()


# One case per rule of the form, each with its message (the import's words where the import
# has the rule).
DECLARATION_RULES = [
    ("learner_ref", {"learner_ref": ""}, "Indiquez la référence de l'apprenant."),
    (
        "learner_ref",
        {"learner_ref": "camille@example.org"},
        "Ressemble à une adresse électronique : donnez la référence pseudonyme de "
        "l'apprenant, jamais de donnée de contact.",
    ),
    ("learner_ref", {"learner_ref": "R" * 65}, "Trop long (64 caractères au plus)."),
    ("sex", {"sex": ""}, "Indiquez le sexe de l'apprenant, ou « Non renseigné »."),
    ("sex", {"sex": "Q"}, "Sexe inconnu (F, M ou X attendu)."),
    ("birth_year", {"birth_year": "1899"}, "BIRTH_YEAR"),
    ("birth_year", {"birth_year": "98"}, "BIRTH_YEAR"),
    ("training", {"training": ""}, "Choisissez la formation."),
    ("entry_date", {"entry_date": ""}, "Indiquez la date d'entrée en formation."),
    (
        "entry_date",
        {"entry_date": "le 2 septembre"},
        "Date illisible (AAAA-MM-JJ ou JJ/MM/AAAA attendu).",
    ),
    ("entry_date", {"entry_date": "31/02/2025"}, "Date impossible."),
    ("entry_date", {"entry_date": "2025-13-01"}, "Date impossible."),
    ("entry_date", {"entry_date": "FUTURE"}, "FUTURE"),
    (
        "situation_at_entry",
        {"situation_at_entry": "student"},
        "Situation à l'entrée inconnue (employed, job_seeker, inactive ou in_education attendu).",
    ),
    (
        "situation_at_entry",
        {"situation_at_entry": ""},
        "Indiquez la situation à l'entrée, ou « Non renseignée ».",
    ),
    ("qpv_resident", {"qpv_resident": "peut-être"}, "Valeur inconnue (oui ou non attendu)."),
    (
        "qpv_code",
        {"qpv_resident": "non"},
        "Un code QPV ne se donne que pour un apprenant qui réside en QPV (« Oui »).",
    ),
    ("qpv_code", {"qpv_code": "QP" + "0" * 9}, "Trop long (10 caractères au plus)."),
    ("diploma_level", {"diploma_level": "d" * 21}, "Trop long (20 caractères au plus)."),
    ("free_access", {"free_access": ""}, "Indiquez si l'accès est gratuit, ou « Non renseigné »."),
]


@pytest.mark.parametrize(
    ("field", "changes", "message"),
    DECLARATION_RULES,
    ids=[f"{field}-{index}" for index, (field, _c, _m) in enumerate(DECLARATION_RULES)],
)
def test_each_declaration_rule_has_its_message(
    applicant_client, training_a, field, changes, message
):
    today = _today()
    if changes.get("entry_date") == "FUTURE":
        changes = {"entry_date": (today + datetime.timedelta(days=1)).isoformat()}
        message = f"La date d'entrée ne peut pas être postérieure à aujourd'hui ({today:%d/%m/%Y})."
    if message == "BIRTH_YEAR":
        message = f"Année de naissance invalide (entre 1900 et {today.year})."

    errors = _errors(applicant_client.post(DECLARE, _declaration(training_a, **changes)))

    assert errors[field] == [message]
    assert not Learner.objects.exists()


# --- declaring the exit -----------------------------------------------------------------------


def test_member_declares_the_exit_with_the_situation_at_exit(applicant_client, enrollment_a):
    response = applicant_client.post(_detail(enrollment_a), _exit())

    assert response.status_code == 302
    assert response["Location"] == _detail(enrollment_a)
    enrollment_a.refresh_from_db()
    assert enrollment_a.exit_date == _today() - datetime.timedelta(days=10)
    assert enrollment_a.exit_reason == "completed"
    followup = FollowUp.objects.get(enrollment=enrollment_a)
    assert (followup.milestone, followup.situation) == ("exit", "job_seeking")
    assert followup.source == FollowUp.Source.DECLARED


def test_the_situation_at_exit_may_come_later(applicant_client, enrollment_a):
    response = applicant_client.post(_detail(enrollment_a), _exit(**{"exit-situation": ""}))

    assert response.status_code == 302
    enrollment_a.refresh_from_db()
    assert enrollment_a.exit_reason == "completed"
    assert not FollowUp.objects.exists()


def test_an_exit_is_corrected_from_a_form_filled_with_it(applicant_client, enrollment_a):
    applicant_client.post(_detail(enrollment_a), _exit())

    form = applicant_client.get(_detail(enrollment_a)).context["exit_form"]
    assert form.initial["exit_reason"] == "completed"
    assert form.initial["situation"] == "job_seeking"

    dropout = (_today() - datetime.timedelta(days=40)).isoformat()
    data = _exit(**{"exit-exit_date": dropout, "exit-exit_reason": "dropout"})
    assert applicant_client.post(_detail(enrollment_a), data).status_code == 302
    enrollment_a.refresh_from_db()
    assert (enrollment_a.exit_date.isoformat(), enrollment_a.exit_reason) == (dropout, "dropout")


def test_the_follow_up_form_still_works_beside_the_exit_form(applicant_client, training_a):
    exit_date = add_months(_today(), -4)
    enrollment = EnrollmentFactory(
        learner=LearnerFactory(organisation=training_a.organisation),
        training=training_a,
        entry_date=exit_date - datetime.timedelta(days=180),
        exit_date=exit_date,
        exit_reason="completed",
    )

    response = applicant_client.post(_detail(enrollment), {"milestone": "m3", "situation": "cdi"})

    assert response.status_code == 302
    assert FollowUp.objects.get(enrollment=enrollment, milestone="m3").situation == "cdi"
    enrollment.refresh_from_db()
    assert enrollment.exit_date == exit_date


def test_an_invalid_exit_keeps_its_values(applicant_client, enrollment_a):
    data = _exit(**{"exit-exit_reason": "", "exit-situation": "interim"})

    response = applicant_client.post(_detail(enrollment_a), data)

    assert "exit_reason" in _exit_errors(response)
    content = response.content.decode()
    assert f'value="{data["exit-exit_date"]}"' in content
    assert '<option value="interim" selected>' in content


EXIT_RULES = [
    ("exit_date", {"exit-exit_date": ""}, "Indiquez la date de sortie."),
    (
        "exit_date",
        {"exit-exit_date": "BEFORE_ENTRY"},
        "Date de sortie antérieure à la date d'entrée.",
    ),
    ("exit_date", {"exit-exit_date": "FUTURE"}, "FUTURE"),
    ("exit_date", {"exit-exit_date": "30/02/2025"}, "Date impossible."),
    (
        "exit_reason",
        {"exit-exit_reason": ""},
        "Motif de sortie obligatoire quand une date de sortie est donnée.",
    ),
    (
        "exit_reason",
        {"exit-exit_reason": "finished"},
        "Motif de sortie inconnu (completed ou dropout attendu).",
    ),
    ("situation", {"exit-situation": "employed"}, "SITUATION"),
]


@pytest.mark.parametrize(
    ("field", "changes", "message"),
    EXIT_RULES,
    ids=[f"{field}-{index}" for index, (field, _c, _m) in enumerate(EXIT_RULES)],
)
def test_each_exit_rule_has_its_message(applicant_client, enrollment_a, field, changes, message):
    today = _today()
    if changes.get("exit-exit_date") == "BEFORE_ENTRY":
        changes = {"exit-exit_date": (enrollment_a.entry_date - datetime.timedelta(days=1))}
    if changes.get("exit-exit_date") == "FUTURE":
        changes = {"exit-exit_date": (today + datetime.timedelta(days=1)).isoformat()}
        message = (
            f"La date de sortie ne peut pas être postérieure à aujourd'hui ({today:%d/%m/%Y})."
        )
    if message == "SITUATION":
        message = (
            "Code de situation inconnu (attendu : cdi, cdd_long, cdd_short, interim, "
            "alternance, business_creation, subsidised_contract, further_study, job_seeking, "
            "inactive, unknown)."
        )

    errors = _exit_errors(applicant_client.post(_detail(enrollment_a), _exit(**changes)))

    assert errors[field] == [message]
    enrollment_a.refresh_from_db()
    assert enrollment_a.exit_date is None
    assert not FollowUp.objects.exists()


def test_moving_an_exit_past_a_declared_milestone_is_refused_at_the_exit_date(
    applicant_client, training_a
):
    exit_date = add_months(_today(), -4)
    enrollment = EnrollmentFactory(
        learner=LearnerFactory(organisation=training_a.organisation),
        training=training_a,
        entry_date=exit_date - datetime.timedelta(days=180),
        exit_date=exit_date,
        exit_reason="completed",
    )
    FollowUpFactory(enrollment=enrollment, milestone="m3")
    later = (_today() - datetime.timedelta(days=10)).isoformat()

    response = applicant_client.post(_detail(enrollment), _exit(**{"exit-exit_date": later}))

    [message] = _exit_errors(response)["exit_date"]
    assert message.startswith("Une situation « À 3 mois » est déjà déclarée")
    enrollment.refresh_from_db()
    assert enrollment.exit_date == exit_date


# --- the way there ----------------------------------------------------------------------------


def test_member_reaches_declarations_from_the_navigation_and_the_lists(
    applicant_client, training_a
):
    home = applicant_client.get(reverse("home")).content.decode()
    assert f'href="{reverse("learners:enrollment_list")}"' in home

    enrollments = applicant_client.get(reverse("learners:enrollment_list")).content.decode()
    assert f'href="{DECLARE}"' in enrollments
    assert f'href="{reverse("trainings:session_list")}"' in enrollments

    space = applicant_client.get(reverse("accounts:my_space")).content.decode()
    assert f'href="{reverse("trainings:session_list")}"' in space


def test_committee_member_is_not_offered_the_learners(committee_client):
    home = committee_client.get(reverse("home")).content.decode()

    assert f'href="{reverse("learners:enrollment_list")}"' not in home


def test_enrollment_list_filters_by_session(applicant_client, session_a, training_a):
    EnrollmentFactory(
        learner=LearnerFactory(organisation=training_a.organisation, learner_ref="IN-SESSION"),
        training=training_a,
        session=session_a,
    )
    EnrollmentFactory(
        learner=LearnerFactory(organisation=training_a.organisation, learner_ref="NO-SESSION"),
        training=training_a,
    )

    response = applicant_client.get(
        reverse("learners:enrollment_list"), {"training": training_a.pk, "session": session_a.pk}
    )

    assert [row.learner.learner_ref for row in response.context["page"]] == ["IN-SESSION"]


def test_session_filter_offers_only_the_chosen_trainings_sessions(
    applicant_client, session_a, org_a
):
    other = SessionFactory(training=TrainingFactory(organisation=org_a))
    url = reverse("learners:enrollment_list")

    offered = applicant_client.get(url).context["filter"].form.fields["session"].queryset
    assert set(offered) == {session_a, other}
    narrowed = applicant_client.get(url, {"training": session_a.training_id})
    assert list(narrowed.context["filter"].form.fields["session"].queryset) == [session_a]


def test_session_filter_offers_no_other_organisations_session(
    applicant_client, session_a, training_b
):
    foreign = SessionFactory(training=training_b)

    response = applicant_client.get(reverse("learners:enrollment_list"), {"session": foreign.pk})

    assert foreign not in response.context["filter"].form.fields["session"].queryset
    assert "session" in response.context["filter"].form.errors
