"""The dossier's step forms. Each step edits a slice of the dossier; the label rules that span
steps are checked at submission by `labelling.services.dossier_rule_errors`."""

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Fieldset, Layout, Submit
from django import forms
from django.utils.translation import gettext_lazy as _

from trainings.geo import region_of

from ..models import Attachment, Dossier


class StepForm(forms.ModelForm):
    """A step: its own fields only; blank is allowed while drafting."""

    legend: str = ""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.required = False
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(Fieldset(self.legend, *self.fields))

    def values(self) -> dict:
        """The cleaned values of this step, as the `dossier_update` service takes them."""
        return {name: self.cleaned_data.get(name) for name in self.Meta.fields}

    def valid_values(self) -> dict:
        """For autosave: the values of the fields that are valid, even if others are not, so
        nothing typed correctly is lost while the rest is being written."""
        self.is_valid()
        return {
            name: self.cleaned_data[name]
            for name in self.Meta.fields
            if name in self.cleaned_data and name not in self.errors
        }


class TrainingStepForm(StepForm):
    legend = _("La formation proposée")

    class Meta:
        model = Dossier
        fields = [
            "training_title",
            "training_description",
            "targeted_jobs",
            "duration_months",
            "hours",
            "is_free",
            "price",
            "free_justification",
            "diploma_required",
            "site_address",
            "site_postcode",
            "site_city",
            "commune_code",
            "department_code",
            "site_qpv",
            "qpv_code",
        ]
        help_texts = {
            "targeted_jobs": _("Un métier ou un code ROME par ligne."),
            "duration_months": _("Entre 3 et 24 mois."),
            "is_free": _("Une formation labellisée est gratuite pour les apprenants."),
            "free_justification": _("À remplir seulement si la formation n'est pas gratuite."),
            "diploma_required": _("Une formation labellisée n'exige aucun diplôme à l'entrée."),
            "site_postcode": _("5 chiffres, par exemple 93200."),
            "qpv_code": _("Par exemple QP093001, si le lieu est dans un quartier prioritaire."),
        }
        widgets = {
            "training_description": forms.Textarea(attrs={"rows": 4}),
            "targeted_jobs": forms.Textarea(attrs={"rows": 3}),
            "free_justification": forms.Textarea(attrs={"rows": 2}),
        }

    def clean_duration_months(self):
        value = self.cleaned_data.get("duration_months")
        if value is not None and not 3 <= value <= 24:
            raise forms.ValidationError(_("La durée doit être comprise entre 3 et 24 mois."))
        return value

    def clean_site_postcode(self):
        value = (self.cleaned_data.get("site_postcode") or "").strip()
        if value and (len(value) != 5 or not value.isdigit()):
            raise forms.ValidationError(_("Le code postal compte 5 chiffres."))
        return value

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("is_free"):
            cleaned["price"] = None
        return cleaned

    def _with_region(self, values: dict) -> dict:
        # The region always follows the department: never asked, never inconsistent.
        if "department_code" in values:
            values["region_code"] = region_of(values["department_code"] or "") or ""
        return values

    def values(self) -> dict:
        return self._with_region(super().values())

    def valid_values(self) -> dict:
        return self._with_region(super().valid_values())


class CommitmentsStepForm(StepForm):
    legend = _("Publics visés et engagements")

    class Meta:
        model = Dossier
        fields = [
            "planned_entrants_per_year",
            "women_share_commitment",
            "neet_share_commitment",
            "qpv_share_commitment",
        ]
        help_texts = {
            "women_share_commitment": _("En pourcentage ; l'objectif du réseau est de 30 %."),
            "neet_share_commitment": _(
                "Personnes ni en emploi, ni en études, ni en formation, en pourcentage ; "
                "l'objectif du réseau est de 50 %."
            ),
            "qpv_share_commitment": _("Résidents des quartiers prioritaires, en pourcentage."),
        }

    def clean(self):
        cleaned = super().clean()
        for name in ("women_share_commitment", "neet_share_commitment", "qpv_share_commitment"):
            value = cleaned.get(name)
            if value is not None and value > 100:
                self.add_error(name, _("Un pourcentage est compris entre 0 et 100."))
        return cleaned


class SupportStepForm(StepForm):
    legend = _("Accompagnement et immersion")

    class Meta:
        model = Dossier
        fields = ["support_description", "immersion_weeks"]
        widgets = {"support_description": forms.Textarea(attrs={"rows": 5})}
        help_texts = {
            "support_description": _(
                "Accompagnement socio-professionnel des apprenants pendant et après la formation."
            ),
            "immersion_weeks": _("Nombre de semaines en milieu de travail (stage, immersion)."),
        }


class PartnersStepForm(StepForm):
    legend = _("Partenaires et budget")

    class Meta:
        model = Dossier
        fields = ["partners", "budget_total"]
        widgets = {"partners": forms.Textarea(attrs={"rows": 4})}
        help_texts = {
            "partners": _("Entreprises, financeurs, prescripteurs : un par ligne."),
            "budget_total": _("Budget annuel total de la formation, en euros."),
        }


class AttachmentForm(forms.Form):
    kind = forms.ChoiceField(label=_("Type de pièce"), choices=Attachment.Kind.choices)
    file = forms.FileField(
        label=_("Fichier"),
        help_text=_("PDF, ODT, DOCX, XLSX, ODS, PNG ou JPEG ; 10 Mo au plus."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout("kind", "file", Submit("upload", _("Ajouter la pièce")))


class WithdrawForm(forms.Form):
    reason = forms.CharField(
        label=_("Motif du retrait"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout("reason")


class StartForm(forms.Form):
    """Which organisation applies, when the user belongs to several."""

    organisation = forms.ModelChoiceField(label=_("Organisation candidate"), queryset=None)

    def __init__(self, *args, organisations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = organisations
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout("organisation")
