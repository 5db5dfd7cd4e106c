"""Registration with email verification, the applicant's organisation, invitations."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from gen_portal.errors import DomainError
from trainings.models import Organisation
from trainings.services import organisation_create

from .forms_registration import InvitationForm, OrganisationForm, RegistrationForm
from .services import applicant_register, email_verify, invitation_accept, invitation_send


def _absolute(path: str) -> str:
    # Links in emails use the configured public address, never the request's Host header.
    return f"{settings.SITE_URL}{path}"


@require_http_methods(["GET", "POST"])
def register(request):
    if request.user.is_authenticated:
        return redirect("accounts:my_space")
    form = RegistrationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        applicant_register(
            email=form.cleaned_data["email"],
            password=form.cleaned_data["password1"],
            full_name=form.cleaned_data["full_name"],
            verify_url=lambda token: _absolute(reverse("accounts:verify", args=[token])),
        )
        # Same page whether or not the address already had an account.
        return render(request, "accounts/register_sent.html", {"email": form.cleaned_data["email"]})
    return render(request, "accounts/register.html", {"form": form})


def verify(request, token: str):
    try:
        user = email_verify(token=token)
    except DomainError as refusal:
        return render(
            request, "accounts/verify_failed.html", {"message": refusal.message}, status=400
        )
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    messages.success(request, _("Votre adresse est confirmée : bienvenue."))
    pending = request.session.pop("pending_invitation", None)
    if pending:
        return redirect("accounts:invitation_accept", token=pending)
    return redirect("accounts:organisation_create")


@login_required
@require_http_methods(["GET", "POST"])
def organisation_create_view(request):
    form = OrganisationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            organisation_create(**form.cleaned_data, creator=request.user)
        except DomainError as refusal:
            form.add_error("siret" if refusal.code.startswith("siret") else None, refusal.message)
        else:
            messages.success(request, _("Votre organisation est enregistrée."))
            return redirect("accounts:my_space")
    return render(request, "accounts/organisation_form.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def organisation_invite(request, pk: int):
    organisation = Organisation.objects.filter(pk=pk, memberships__user=request.user).first()
    if organisation is None:
        raise Http404
    form = InvitationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            invitation_send(
                organisation=organisation,
                email=form.cleaned_data["email"],
                invited_by=request.user,
                accept_url=lambda token: _absolute(
                    reverse("accounts:invitation_accept", args=[token])
                ),
            )
        except DomainError as refusal:
            form.add_error("email", refusal.message)
        else:
            messages.success(request, _("L'invitation est envoyée."))
            return redirect("accounts:my_space")
    return render(
        request, "accounts/invitation_form.html", {"form": form, "organisation": organisation}
    )


@require_http_methods(["GET", "POST"])
def invitation_accept_view(request, token: str):
    if not request.user.is_authenticated:
        # Keep the token for after login or registration, then come back here.
        request.session["pending_invitation"] = token
        return render(request, "accounts/invitation_login.html", {"token": token})
    if request.method == "POST":
        try:
            membership = invitation_accept(token=token, user=request.user)
        except DomainError as refusal:
            messages.error(request, refusal.message)
            return redirect("accounts:my_space")
        request.session.pop("pending_invitation", None)
        messages.success(
            request,
            _("Vous avez rejoint %(org)s.") % {"org": membership.organisation.name},
        )
        return redirect("accounts:my_space")
    return render(request, "accounts/invitation_accept.html", {"token": token})
