"""Forms of the applicant journey: registration, organisation, invitations."""

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.contrib.auth import password_validation
from django.utils.translation import gettext_lazy as _

from trainings.geo import DEPARTMENT_CHOICES
from trainings.validators import validate_siret


def _helper(label) -> FormHelper:
    helper = FormHelper()
    helper.add_input(Submit("submit", label))
    return helper


class RegistrationForm(forms.Form):
    full_name = forms.CharField(label=_("Prénom et nom"), max_length=150)
    email = forms.EmailField(
        label=_("Adresse électronique"),
        help_text=_("Format attendu : nom@domaine.fr. Un lien de confirmation y sera envoyé."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    password1 = forms.CharField(
        label=_("Mot de passe"),
        help_text=_("12 caractères au moins ; ni trop courant, ni uniquement composé de chiffres."),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        strip=False,
    )
    password2 = forms.CharField(
        label=_("Confirmation du mot de passe"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        strip=False,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(_("Créer mon compte"))

    def clean(self):
        cleaned = super().clean()
        first, second = cleaned.get("password1"), cleaned.get("password2")
        if first and second and first != second:
            self.add_error("password2", _("Les deux mots de passe ne sont pas identiques."))
        if first:
            try:
                password_validation.validate_password(first)
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return cleaned


class OrganisationForm(forms.Form):
    siret = forms.CharField(
        label=_("SIRET"),
        max_length=20,
        help_text=_("14 chiffres, sur l'avis de situation INSEE de l'établissement."),
    )
    name = forms.CharField(label=_("Raison sociale"), max_length=255)
    address = forms.CharField(label=_("Adresse"), max_length=255)
    postcode = forms.CharField(label=_("Code postal"), max_length=5)
    city = forms.CharField(label=_("Commune"), max_length=120)
    department_code = forms.ChoiceField(label=_("Département"), choices=DEPARTMENT_CHOICES)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(_("Enregistrer l'organisation"))

    def clean_siret(self):
        value = self.cleaned_data["siret"].replace(" ", "")
        validate_siret(value)
        return value

    def clean_postcode(self):
        value = self.cleaned_data["postcode"].strip()
        if len(value) != 5 or not value.isdigit():
            raise forms.ValidationError(_("Le code postal compte 5 chiffres."))
        return value


class InvitationForm(forms.Form):
    email = forms.EmailField(
        label=_("Adresse électronique de votre collègue"),
        help_text=_("Format attendu : nom@domaine.fr"),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(_("Envoyer l'invitation"))
