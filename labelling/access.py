"""The one access helper for dossiers: every dossier view and download goes through it."""

from django.core.exceptions import PermissionDenied
from django.http import Http404

from .models import Attachment, Dossier


def get_dossier_for(user, pk: int, *, write: bool = False) -> Dossier:
    """The dossier `pk` if `user` may see it, else 404 (no hint that it exists).

    With `write`, only members of the applicant organisation may go on; staff and committee
    members who can read it get 403.
    """
    dossier = (
        Dossier.objects.visible_to(user)
        .select_related("call", "organisation")
        .filter(pk=pk)
        .first()
    )
    if dossier is None:
        raise Http404
    if write and not dossier.organisation.memberships.filter(user=user).exists():
        raise PermissionDenied
    return dossier


def is_applicant_of(user, dossier: Dossier) -> bool:
    return dossier.organisation.memberships.filter(user=user).exists()


def get_attachment_for(
    user, dossier_pk: int, attachment_pk: int, *, write: bool = False
) -> Attachment:
    dossier = get_dossier_for(user, dossier_pk, write=write)
    attachment = dossier.attachments.filter(pk=attachment_pk).first()
    if attachment is None:
        raise Http404
    return attachment
