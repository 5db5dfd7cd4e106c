"""Each named constraint of the labelling app refuses the bad row at the database level."""

import datetime
from decimal import Decimal

import pytest

from tests.factories import (
    CallFactory,
    CommitteeMemberFactory,
    ConflictDeclarationFactory,
    CriterionFactory,
    DeadlineExtensionFactory,
    DecisionFactory,
    DossierFactory,
    DraftReminderFactory,
    ReviewAssignmentFactory,
    ReviewFactory,
    ReviewScoreFactory,
    paris_now,
)

pytestmark = pytest.mark.django_db


# --- calls and their deadlines --------------------------------------------------------------


def test_call_closing_when_it_opens_is_rejected(rejected_by):
    moment = paris_now()

    with rejected_by("labelling_call_closes_after_opening"):
        CallFactory(opens_at=moment, closes_at=moment)


def test_call_closing_before_it_opens_is_rejected(rejected_by):
    moment = paris_now()

    with rejected_by("labelling_call_closes_after_opening"):
        CallFactory(opens_at=moment, closes_at=moment - datetime.timedelta(hours=1))


def test_call_qpv_target_above_one_is_rejected(rejected_by):
    with rejected_by("labelling_call_qpv_target_share"):
        CallFactory(qpv_training_target=Decimal("1.5"))


def test_call_negative_qpv_target_is_rejected(rejected_by):
    with rejected_by("labelling_call_qpv_target_share"):
        CallFactory(qpv_training_target=Decimal("-0.1"))


def test_call_without_qpv_target_or_with_the_bounds_is_accepted():
    assert CallFactory(qpv_training_target=None).pk
    assert CallFactory(qpv_training_target=Decimal("0")).pk
    assert CallFactory(qpv_training_target=Decimal("1")).pk


def test_extension_that_does_not_move_the_deadline_later_is_rejected(rejected_by):
    call = CallFactory()

    with rejected_by("labelling_extension_moves_later"):
        DeadlineExtensionFactory(
            call=call, previous_closes_at=call.closes_at, new_closes_at=call.closes_at
        )


def test_extension_without_reason_is_rejected(rejected_by):
    with rejected_by("labelling_extension_has_reason"):
        DeadlineExtensionFactory(reason="")


# --- criteria -------------------------------------------------------------------------------


def test_criterion_with_zero_weight_is_rejected(rejected_by):
    with rejected_by("labelling_criterion_weight_positive"):
        CriterionFactory(weight=Decimal("0"))


def test_criterion_with_a_zero_maximum_score_is_rejected(rejected_by):
    with rejected_by("labelling_criterion_max_positive"):
        CriterionFactory(max_score=0)


# --- dossiers -------------------------------------------------------------------------------


def test_two_dossiers_with_the_same_number_are_rejected(rejected_by):
    first = DossierFactory(submitted=True)

    with rejected_by("labelling_dossier_reference_unique"):
        DossierFactory(
            call=first.call, state="submitted", reference=first.reference, submitted_at=paris_now()
        )


def test_many_drafts_without_number_are_accepted():
    call = CallFactory()

    drafts = DossierFactory.create_batch(3, call=call)

    assert all(d.reference is None for d in drafts)


def test_dossier_with_an_unknown_state_is_rejected(rejected_by):
    with rejected_by("labelling_dossier_state_valid"):
        DossierFactory(state="archived")


def test_submitted_dossier_without_number_is_rejected(rejected_by):
    with rejected_by("labelling_dossier_submitted_has_reference"):
        DossierFactory(state="submitted", reference=None, submitted_at=paris_now())


def test_submitted_dossier_without_submission_date_is_rejected(rejected_by):
    with rejected_by("labelling_dossier_submitted_has_reference"):
        DossierFactory(state="in_review", reference="GEN-X-00001", submitted_at=None)


def test_dossier_proposing_a_two_month_training_is_rejected(rejected_by):
    with rejected_by("labelling_dossier_duration_3_24"):
        DossierFactory(duration_months=2)


def test_dossier_proposing_a_twenty_five_month_training_is_rejected(rejected_by):
    with rejected_by("labelling_dossier_duration_3_24"):
        DossierFactory(duration_months=25)


def test_draft_without_duration_yet_is_accepted():
    assert DossierFactory(duration_months=None).pk


def test_women_share_above_one_hundred_percent_is_rejected(rejected_by):
    with rejected_by("labelling_dossier_women_share_percent"):
        DossierFactory(women_share_commitment=101)


def test_neet_share_above_one_hundred_percent_is_rejected(rejected_by):
    with rejected_by("labelling_dossier_neet_share_percent"):
        DossierFactory(neet_share_commitment=101)


def test_qpv_share_above_one_hundred_percent_is_rejected(rejected_by):
    with rejected_by("labelling_dossier_qpv_share_percent"):
        DossierFactory(qpv_share_commitment=101)


def test_second_reminder_of_the_same_kind_for_a_draft_is_rejected(rejected_by):
    reminder = DraftReminderFactory(kind="48h")

    with rejected_by("labelling_reminder_once"):
        DraftReminderFactory(dossier=reminder.dossier, kind="48h")


# --- review ---------------------------------------------------------------------------------


def test_assigning_the_same_member_twice_to_a_dossier_is_rejected(rejected_by):
    assignment = ReviewAssignmentFactory()

    with rejected_by("labelling_assignment_unique"):
        ReviewAssignmentFactory(dossier=assignment.dossier, member=assignment.member)


def test_second_conflict_declaration_on_the_same_dossier_is_rejected(rejected_by):
    declaration = ConflictDeclarationFactory()

    with rejected_by("labelling_conflict_one_per_dossier"):
        ConflictDeclarationFactory(dossier=declaration.dossier, member=declaration.member)


def test_several_call_wide_declarations_by_one_member_are_accepted():
    call = CallFactory()
    member = CommitteeMemberFactory()

    ConflictDeclarationFactory(dossier=None, call=call, member=member)
    ConflictDeclarationFactory(dossier=None, call=call, member=member)

    assert member.conflict_declarations.count() == 2


def test_review_submitted_without_recommendation_is_rejected(rejected_by):
    with rejected_by("labelling_review_submitted_has_recommendation"):
        ReviewFactory(recommendation="", submitted_at=paris_now())


def test_review_draft_without_recommendation_is_accepted():
    assert ReviewFactory(draft=True).pk


def test_second_score_for_the_same_criterion_is_rejected(rejected_by):
    score = ReviewScoreFactory()

    with rejected_by("labelling_score_unique"):
        ReviewScoreFactory(review=score.review, criterion=score.criterion)


# --- decisions ------------------------------------------------------------------------------


def test_second_final_decision_on_a_dossier_is_rejected(rejected_by):
    decision = DecisionFactory(outcome="labelled")

    with rejected_by("labelling_decision_one_final_per_dossier"):
        DecisionFactory(dossier=decision.dossier, outcome="rejected")


def test_deferrals_followed_by_a_final_decision_are_accepted():
    deferral = DecisionFactory(outcome="deferred")

    DecisionFactory(dossier=deferral.dossier, outcome="deferred")
    DecisionFactory(dossier=deferral.dossier, outcome="labelled")

    assert deferral.dossier.decisions.count() == 3


def test_decision_with_an_unknown_outcome_is_rejected(rejected_by):
    with rejected_by("labelling_decision_outcome_valid"):
        DecisionFactory(outcome="maybe", reason="Sans objet.", dossier__state="in_review")


def test_rejection_without_reason_is_rejected(rejected_by):
    with rejected_by("labelling_decision_reason_required"):
        DecisionFactory(outcome="rejected", reason="")


def test_deferral_without_reason_is_rejected(rejected_by):
    with rejected_by("labelling_decision_reason_required"):
        DecisionFactory(outcome="deferred", reason="")
