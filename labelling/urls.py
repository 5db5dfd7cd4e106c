from django.urls import path

from .views import attachments, calls_public, calls_staff, dossiers

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
]
