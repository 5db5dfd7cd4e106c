from django.urls import path

from .views import (
    assignments,
    attachments,
    calls_public,
    calls_staff,
    conflicts,
    dossiers,
    exports,
    meetings,
    reviews,
    staff_queue,
)

app_name = "labelling"

urlpatterns = [
    # Public call pages.
    path("appels/", calls_public.call_list, name="call_list"),
    path("appels/<str:reference>/", calls_public.call_detail, name="call_detail"),
    # Staff: calls.
    path("equipe/appels/", calls_staff.call_admin_list, name="staff_call_list"),
    path("equipe/appels/nouveau/", calls_staff.call_create_view, name="staff_call_create"),
    path("equipe/appels/<int:pk>/", calls_staff.call_edit, name="staff_call_edit"),
    path("equipe/appels/<int:pk>/publier/", calls_staff.call_publish, name="staff_call_publish"),
    path("equipe/appels/<int:pk>/report/", calls_staff.call_extend, name="staff_call_extend"),
    # Applicants: dossiers.
    path("candidatures/", dossiers.my_dossiers, name="my_dossiers"),
    path("appels/<str:reference>/candidater/", dossiers.dossier_start, name="dossier_start"),
    path("candidatures/<int:pk>/", dossiers.dossier_detail, name="dossier_detail"),
    path("candidatures/<int:pk>/etape/<slug:step>/", dossiers.dossier_step, name="dossier_step"),
    path(
        "candidatures/<int:pk>/etape/<slug:step>/autosave/",
        dossiers.dossier_autosave,
        name="dossier_autosave",
    ),
    path("candidatures/<int:pk>/deposer/", dossiers.dossier_submit_view, name="dossier_submit"),
    path("candidatures/<int:pk>/recu/", dossiers.dossier_receipt, name="dossier_receipt"),
    path(
        "candidatures/<int:pk>/recu.pdf", dossiers.dossier_receipt_pdf, name="dossier_receipt_pdf"
    ),
    path("candidatures/<int:pk>/retirer/", dossiers.dossier_withdraw_view, name="dossier_withdraw"),
    path("candidatures/<int:pk>/pieces/", attachments.attachment_upload, name="attachment_upload"),
    path(
        "candidatures/<int:pk>/pieces/<int:attachment_pk>/",
        attachments.attachment_download,
        name="attachment_download",
    ),
    path(
        "candidatures/<int:pk>/pieces/<int:attachment_pk>/supprimer/",
        attachments.attachment_delete,
        name="attachment_delete",
    ),
    # Staff: the committee's work on a call (queue, assignments, declarations, meetings).
    path("equipe/appels/<int:pk>/dossiers/", staff_queue.staff_queue, name="staff_queue"),
    path(
        "equipe/appels/<int:pk>/dossiers/export.<str:fmt>",
        exports.staff_export,
        name="staff_export",
    ),
    path(
        "equipe/appels/<int:pk>/attributions/",
        assignments.staff_assign_auto,
        name="staff_assign_auto",
    ),
    path(
        "equipe/appels/<int:pk>/declarations/",
        conflicts.staff_declarations,
        name="staff_declarations",
    ),
    path(
        "equipe/appels/<int:pk>/declarations/export.<str:fmt>",
        exports.staff_declarations_export,
        name="staff_declarations_export",
    ),
    path("equipe/appels/<int:pk>/seances/", meetings.staff_meeting_list, name="staff_meeting_list"),
    path(
        "equipe/appels/<int:pk>/seances/nouvelle/",
        meetings.staff_meeting_create,
        name="staff_meeting_create",
    ),
    path("equipe/dossiers/<int:pk>/", staff_queue.staff_dossier, name="staff_dossier"),
    path(
        "equipe/dossiers/<int:pk>/recevabilite/",
        staff_queue.staff_admissibility,
        name="staff_admissibility",
    ),
    path(
        "equipe/dossiers/<int:pk>/correction/",
        staff_queue.staff_request_correction,
        name="staff_request_correction",
    ),
    path(
        "equipe/dossiers/<int:pk>/instruction/",
        staff_queue.staff_start_review,
        name="staff_start_review",
    ),
    path("equipe/dossiers/<int:pk>/attributions/", assignments.staff_assign, name="staff_assign"),
    path(
        "equipe/dossiers/<int:pk>/attributions/<int:assignment_pk>/retirer/",
        assignments.staff_unassign,
        name="staff_unassign",
    ),
    path("equipe/seances/<int:pk>/", meetings.staff_meeting_detail, name="staff_meeting_detail"),
    path(
        "equipe/seances/<int:pk>/modifier/", meetings.staff_meeting_edit, name="staff_meeting_edit"
    ),
    path(
        "equipe/seances/<int:pk>/proces-verbal/",
        meetings.staff_meeting_minutes,
        name="staff_meeting_minutes",
    ),
    path(
        "equipe/seances/<int:pk>/proces-verbal.pdf",
        meetings.staff_meeting_minutes_pdf,
        name="staff_meeting_minutes_pdf",
    ),
    path(
        "equipe/seances/<int:pk>/dossiers/<int:dossier_pk>/decision/",
        meetings.staff_decision_record,
        name="staff_decision_record",
    ),
    # Committee members: their reviews and declarations of interests.
    path("comite/evaluations/", reviews.my_reviews, name="my_reviews"),
    path("comite/evaluations/<int:pk>/", reviews.review_edit, name="review_edit"),
    path("comite/appels/<int:pk>/interets/", conflicts.member_interests, name="member_interests"),
    path(
        "comite/appels/<int:pk>/dossiers/<int:dossier_pk>/conflit/",
        conflicts.member_conflict,
        name="member_conflict",
    ),
    # Applicants: the committee's decision and its letter.
    path("candidatures/<int:pk>/decision/", meetings.decision_detail, name="decision_detail"),
    path("candidatures/<int:pk>/decision.pdf", meetings.decision_letter, name="decision_letter"),
]
