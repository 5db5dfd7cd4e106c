"""Organisation pages on learners: enrollment list, enrollment detail with its follow-up
situations, follow-ups due, learners.csv upload, and forgetting a learner.

Thin views: parse, authorize through `selectors.get_*_for` (404 for outsiders), call a
service, respond. Organisation members see their organisations' learners; staff see all.
"""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.core.files.storage import default_storage
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from gen_portal.dates import add_months
from gen_portal.errors import DomainError
from outcomes.situations import MILESTONE_MONTHS, Milestone

from .filters import EnrollmentFilter
from .forms import FollowUpForm, LearnersUploadForm
from .imports import Importer, learners_import
from .selectors import (
    enrollments_for,
    followups_due,
    get_enrollment_for,
    get_learner_for,
    learners_csv_check,
    missing_milestones,
    organisations_of,
)
from .services import followup_declare, learner_forget

PAGE_SIZE = 50
UPLOAD_DIR = "imports"
UPLOAD_SIGNING_SALT = "learners.upload"  # noqa: S105 (a namespace, not a secret)
UPLOAD_TOKEN_MAX_AGE = 24 * 3600


def _page(request, queryset, today):
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    for enrollment in page:
        enrollment.missing = missing_milestones(enrollment, today)
    return page


def _query_without_page(request) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


@login_required
def enrollment_list(request):
    today = timezone.localdate()
    enrollment_filter = EnrollmentFilter(
        request.GET or None, queryset=enrollments_for(request.user), user=request.user, today=today
    )
    return render(
        request,
        "learners/enrollment_list.html",
        {
            "filter": enrollment_filter,
            "page": _page(request, enrollment_filter.qs, today),
            "query": _query_without_page(request),
        },
    )


@login_required
def followups_due_list(request):
    today = timezone.localdate()
    return render(
        request,
        "learners/followups_due.html",
        {
            "page": _page(request, followups_due(request.user, today=today), today),
            "query": _query_without_page(request),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def enrollment_detail(request, pk: int):
    enrollment = get_enrollment_for(request.user, pk)
    today = timezone.localdate()
    if request.method == "POST":
        form = FollowUpForm(request.POST)
        if form.is_valid():
            try:
                followup_declare(
                    enrollment=enrollment,
                    milestone=form.cleaned_data["milestone"],
                    situation=form.cleaned_data["situation"],
                    observed_on=form.cleaned_data["observed_on"],
                    actor=request.user,
                    today=today,
                )
            except DomainError as error:
                form.add_error(None, error.message)
            else:
                messages.success(request, _("Situation de suivi enregistrée."))
                return redirect("learners:enrollment_detail", pk=enrollment.pk)
    else:
        form = FollowUpForm(initial={"milestone": request.GET.get("echeance")})
    followups = {followup.milestone: followup for followup in enrollment.followups.all()}
    milestones = []
    for milestone in Milestone:
        due_on = (
            add_months(enrollment.exit_date, MILESTONE_MONTHS[milestone])
            if enrollment.exit_date
            else None
        )
        milestones.append(
            {
                "milestone": milestone,
                "due_on": due_on,
                "is_due": due_on is not None and due_on <= today,
                "followup": followups.get(milestone.value),
            }
        )
    return render(
        request,
        "learners/enrollment_detail.html",
        {"enrollment": enrollment, "milestones": milestones, "form": form},
    )


@login_required
@require_http_methods(["GET", "POST"])
def learner_forget_confirm(request, pk: int):
    learner = get_learner_for(request.user, pk)
    if request.method == "POST":
        learner_forget(learner=learner)
        messages.success(
            request,
            _("L'apprenant %(ref)s et toutes ses données ont été supprimés.")
            % {"ref": learner.learner_ref},
        )
        return redirect("learners:enrollment_list")
    return render(
        request,
        "learners/learner_forget.html",
        {"learner": learner, "enrollment_count": learner.enrollments.count()},
    )


# --- learners.csv upload ------------------------------------------------------------------
# The uploaded file is kept in private storage between validation and confirmation, named by
# a signed token bound to the user and the importing organisation: nobody else can confirm
# it, and a tampered token is a 404.


def _importer(organisation_id: int | None) -> Importer:
    return Importer(organisation_id=organisation_id)


def _upload_token(request, name: str, organisation_id: int | None) -> str:
    return signing.dumps(
        {"file": name, "user": request.user.pk, "org": organisation_id}, salt=UPLOAD_SIGNING_SALT
    )


def _upload_from_token(request, token: str) -> tuple[str, int | None]:
    try:
        data = signing.loads(token, salt=UPLOAD_SIGNING_SALT, max_age=UPLOAD_TOKEN_MAX_AGE)
    except signing.BadSignature:
        raise Http404 from None
    if data.get("user") != request.user.pk or not default_storage.exists(data["file"]):
        raise Http404
    organisation_id = data.get("org")
    # Membership may have changed since the upload.
    if organisation_id is None:
        if not request.user.is_staff:
            raise Http404
    elif not organisations_of(request.user).filter(pk=organisation_id).exists():
        raise Http404
    return data["file"], organisation_id


def _opener(name: str):
    return lambda: default_storage.open(name, "rb")


@login_required
@require_http_methods(["GET", "POST"])
def upload(request):
    organisations = None if request.user.is_staff else organisations_of(request.user)
    if organisations is not None and not organisations.exists():
        return render(request, "learners/upload.html", {"form": None})
    form = LearnersUploadForm(
        request.POST or None, request.FILES or None, organisations=organisations
    )
    if organisations is not None and organisations.count() == 1:
        form.fields["organisation"].initial = organisations.first()
    if request.method == "POST" and form.is_valid():
        organisation = form.cleaned_data.get("organisation")
        organisation_id = organisation.pk if organisation else None
        name = default_storage.save(
            f"{UPLOAD_DIR}/{uuid.uuid4().hex}.csv", form.cleaned_data["file"]
        )
        result = learners_csv_check(source=_opener(name), importer=_importer(organisation_id))
        return render(
            request,
            "learners/upload_report.html",
            {
                "result": result,
                "token": _upload_token(request, name, organisation_id),
                "organisation": organisation,
            },
        )
    return render(request, "learners/upload.html", {"form": form})


@login_required
def upload_report_csv(request, token: str):
    name, organisation_id = _upload_from_token(request, token)
    result = learners_csv_check(source=_opener(name), importer=_importer(organisation_id))
    response = HttpResponse(
        "\ufeff" + result.report.as_csv(), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = 'attachment; filename="rapport-import-apprenants.csv"'
    return response


@login_required
@require_POST
def upload_confirm(request):
    name, organisation_id = _upload_from_token(request, request.POST.get("token", ""))
    result = learners_import(source=_opener(name), importer=_importer(organisation_id))
    if not result.ok:
        # The data changed since validation (a training withdrawn...): show the new report.
        return render(
            request,
            "learners/upload_report.html",
            {"result": result, "token": request.POST["token"]},
        )
    default_storage.delete(name)
    return render(request, "learners/upload_done.html", {"result": result})
