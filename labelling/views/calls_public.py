"""Public pages of the calls for labelling: the list and one call's page. Only published
calls exist here; anything else is a 404."""

from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from ..models import Attachment, Call
from ..templatetags.labelling_tags import CallPhase, call_status


@require_GET
def call_list(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    calls = Call.objects.filter(is_published=True).annotate(extension_count=Count("extensions"))
    current, closed = [], []
    for call in calls:
        status = call_status(call, now)
        (closed if status.phase == CallPhase.CLOSED else current).append(
            {"call": call, "status": status}
        )
    # Open calls first, soonest deadline first; then upcoming ones, soonest opening first.
    current.sort(
        key=lambda row: (
            row["status"].phase != CallPhase.OPEN,
            row["call"].closes_at
            if row["status"].phase == CallPhase.OPEN
            else row["call"].opens_at,
        )
    )
    closed.sort(key=lambda row: row["call"].closes_at, reverse=True)
    title = _("Appels à labellisation")
    return render(
        request,
        "labelling/calls/list.html",
        {
            "current_calls": current,
            "closed_calls": closed,
            "page_title": title,
            "breadcrumb_data": {"current": title},
        },
    )


@require_GET
def call_detail(request: HttpRequest, reference: str) -> HttpResponse:
    call = get_object_or_404(Call, reference=reference, is_published=True)
    kinds = dict(Attachment.Kind.choices)
    required_attachments = [kinds[kind] for kind in call.required_attachments if kind in kinds]
    return render(
        request,
        "labelling/calls/detail.html",
        {
            "call": call,
            "status": call_status(call),
            "extensions": list(call.extensions.all()),
            "criteria": list(call.criteria.all()),
            "required_attachments": required_attachments,
            "page_title": call.title,
            "breadcrumb_data": {
                "links": [
                    {"url": reverse("labelling:call_list"), "title": _("Appels à labellisation")}
                ],
                "current": call.title,
            },
        },
    )
