"""Attachment upload, download and removal: always through the dossier access helper."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from gen_portal.errors import DomainError

from ..access import get_attachment_for, get_dossier_for
from ..forms.dossiers import AttachmentForm
from ..services import attachment_add, attachment_remove


@login_required
@require_POST
def attachment_upload(request, pk: int):
    dossier = get_dossier_for(request.user, pk, write=True)
    form = AttachmentForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            attachment_add(
                dossier=dossier,
                actor=request.user,
                kind=form.cleaned_data["kind"],
                upload=form.cleaned_data["file"],
            )
        except DomainError as refusal:
            messages.error(request, refusal.message)
        else:
            messages.success(request, _("Pièce jointe ajoutée."))
    else:
        messages.error(request, _("Choisissez le type de pièce et un fichier."))
    return redirect("labelling:dossier_step", pk=dossier.pk, step="pieces")


@login_required
def attachment_download(request, pk: int, attachment_pk: int):
    attachment = get_attachment_for(request.user, pk, attachment_pk)
    return FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=attachment.original_name,
        content_type=attachment.content_type,
    )


@login_required
@require_POST
def attachment_delete(request, pk: int, attachment_pk: int):
    attachment = get_attachment_for(request.user, pk, attachment_pk, write=True)
    try:
        attachment_remove(attachment=attachment, actor=request.user)
    except DomainError as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(request, _("Pièce jointe supprimée."))
    return redirect("labelling:dossier_step", pk=pk, step="pieces")
