"""Forms of the learner pages: list filters, follow-up declaration, CSV uploads."""

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Layout, Submit
from django import forms
from django.utils.translation import gettext_lazy as _

from outcomes.situations import Milestone, Situation

# A learners.csv of a large network is a few tens of megabytes; past this, something is wrong.
UPLOAD_MAX_BYTES = 100 * 1024 * 1024


class EnrollmentFilterForm(forms.Form):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_method = "get"
        self.helper.layout = Layout(
            "training", "state", "missing_followups", Submit("", _("Filtrer"))
        )


class FollowUpForm(forms.Form):
    milestone = forms.ChoiceField(label=_("Échéance"), choices=Milestone.choices)
    situation = forms.ChoiceField(label=_("Situation"), choices=Situation.choices)
    observed_on = forms.DateField(
        label=_("Constatée le"),
        help_text=_("Facultatif. Format : JJ/MM/AAAA"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout("milestone", "situation", "observed_on")


class CsvUploadForm(forms.Form):
    """A CSV file to import; subclasses name the file and add what they need."""

    file = forms.FileField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(*self.fields)

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > UPLOAD_MAX_BYTES:
            raise forms.ValidationError(
                _("Fichier trop volumineux (%(max)s Mo au plus).")
                % {"max": UPLOAD_MAX_BYTES // (1024 * 1024)}
            )
        return upload


class LearnersUploadForm(CsvUploadForm):
    file = forms.FileField(
        label=_("Fichier learners.csv"),
        help_text=_(
            "Fichier CSV (séparateur virgule ou point-virgule), encodé en UTF-8 ou "
            "Windows-1252, une ligne par inscription."
        ),
    )
    organisation = forms.ModelChoiceField(label=_("Organisme déclarant"), queryset=None)

    def __init__(self, *args, organisations=None, **kwargs):
        super().__init__(*args, **kwargs)
        if organisations is None:  # staff: imports for every organisation
            del self.fields["organisation"]
        else:
            self.fields["organisation"].queryset = organisations
            if organisations.count() == 1:
                self.fields["organisation"].initial = organisations.first()
        self.helper.layout = Layout(*self.fields)


class TrainingsUploadForm(CsvUploadForm):
    file = forms.FileField(
        label=_("Fichier trainings.csv"),
        help_text=_(
            "Fichier CSV (séparateur virgule ou point-virgule), encodé en UTF-8 ou "
            "Windows-1252, une ligne par label de formation."
        ),
    )
