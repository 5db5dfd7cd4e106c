"""Organisation space: the sessions (cohorts) of the organisation's trainings, their list and
their declaration or correction.

Members of the training's organisation, and staff (every organisation); anyone else signed
in gets 404 (`organisation_member_required`, then `get_session_for`). Thin views: parse,
authorize, call `session_create` / `session_update` / `session_delete`, respond.
"""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from accounts.access import organisation_member_required
from gen_portal.errors import DomainError

from ..filters import SessionFilter
from ..forms import SessionForm
from ..models import Training
from ..selectors import get_session_for, sessions_for
from ..services import session_create, session_delete, session_update

PAGE_SIZE = 50


def _list_url(training_id: int) -> str:
    return f"{reverse('trainings:session_list')}?training={training_id}"


@organisation_member_required
@require_GET
def session_list(request: HttpRequest) -> HttpResponse:
    session_filter = SessionFilter(
        request.GET or None,
        queryset=sessions_for(request.user),
        user=request.user,
        today=timezone.localdate(),
    )
    page = Paginator(session_filter.qs, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    # The training chosen in the filter, if valid: a new session is most likely for it.
    chosen = getattr(session_filter.form, "cleaned_data", {}).get("training")
    return render(
        request,
        "trainings/sessions/list.html",
        {
            "filter": session_filter,
            "page": page,
            "query": query.urlencode(),
            "chosen_training": chosen,
            "has_trainings": Training.objects.of_user(request.user).exists(),
        },
    )


@organisation_member_required
@require_http_methods(["GET", "POST"])
def session_create_view(request: HttpRequest) -> HttpResponse:
    trainings = Training.objects.of_user(request.user).order_by("code")
    form = SessionForm(
        request.POST or None,
        trainings=trainings,
        initial={"training": request.GET.get("training")},
    )
    if request.method == "POST" and form.is_valid():
        training = form.cleaned_data["training"]
        try:
            session_create(
                training=training,
                start_date=form.cleaned_data["start_date"],
                end_date=form.cleaned_data["end_date"],
                capacity=form.cleaned_data["capacity"],
                place=form.cleaned_data["place"],
            )
        except DomainError as error:
            form.add_domain_error(error)
        else:
            messages.success(
                request,
                _("Session de la formation %(code)s enregistrée.") % {"code": training.code},
            )
            return redirect(_list_url(training.pk))
    return render(
        request,
        "trainings/sessions/form.html",
        {"form": form, "session": None, "has_trainings": trainings.exists()},
    )


@organisation_member_required
@require_http_methods(["GET", "POST"])
def session_edit(request: HttpRequest, pk: int) -> HttpResponse:
    session = get_session_for(request.user, pk)
    form = SessionForm(request.POST or None, session=session)
    if request.method == "POST" and form.is_valid():
        try:
            session_update(
                session=session,
                start_date=form.cleaned_data["start_date"],
                end_date=form.cleaned_data["end_date"],
                capacity=form.cleaned_data["capacity"],
                place=form.cleaned_data["place"],
            )
        except DomainError as error:
            form.add_domain_error(error)
        else:
            messages.success(
                request,
                _("Session de la formation %(code)s enregistrée.")
                % {"code": session.training.code},
            )
            return redirect(_list_url(session.training_id))
    return render(
        request,
        "trainings/sessions/form.html",
        {"form": form, "session": session, "has_trainings": True},
    )


@organisation_member_required
@require_http_methods(["GET", "POST"])
def session_delete_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Asks for confirmation (GET), then deletes (POST); a session with enrollments is kept
    and the page says why."""
    session = get_session_for(request.user, pk)
    has_enrollments = session.enrollments.exists()
    if request.method == "POST":
        training_id, code = session.training_id, session.training.code
        try:
            session_delete(session=session)
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(
                request, _("Session de la formation %(code)s supprimée.") % {"code": code}
            )
            return redirect(_list_url(training_id))
        has_enrollments = True
    return render(
        request,
        "trainings/sessions/delete.html",
        {"session": session, "has_enrollments": has_enrollments},
    )
