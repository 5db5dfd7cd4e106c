"""Forms of the trainings app: the public catalogue's filter form, and the session form and
filter of the organisation space. The staff label withdrawal form stays next to its view
(`views/staff.py`)."""

import datetime

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Layout, Row, Submit
from django import forms
from django.utils.translation import gettext_lazy as _

from gen_portal.errors import DomainError

from .models import Session

# A year outside these is a typing error (0218 for 2018), as in the CSV imports.
MIN_YEAR = 1900
MAX_YEAR = 2100


class CatalogueFilterForm(forms.Form):
    """Base form of `filters.CatalogueFilter`: django-filter adds the fields."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        helper = FormHelper()
        helper.form_tag = False
        helper.disable_csrf = True  # a GET search: the template holds the <form>
        helper.layout = Layout(
            Row(Column("q", css_class="fr-col-12 fr-col-md-8"), Column("o")),
            Row(Column("region"), Column("department"), Column("job")),
            Row(Column("duration"), Column("session")),
            Row(Column("free"), Column("qpv")),
        )
        self.helper = helper
        if "q" in self.fields:
            self.fields["q"].widget.input_type = "search"


class SessionFilterForm(forms.Form):
    """Base form of `filters.SessionFilter`: django-filter adds the fields."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_method = "get"
        self.helper.disable_csrf = True
        self.helper.layout = Layout(
            Row(
                Column("training", css_class="fr-col-12 fr-col-md-8"),
                Column("period"),
                css_class="fr-mb-3w",
            ),
            Submit("", _("Filtrer")),
        )


def _date_field(label, help_text) -> forms.DateField:
    return forms.DateField(
        label=label,
        help_text=help_text,
        input_formats=["%Y-%m-%d", "%d/%m/%Y"],
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={
            "required": _("Indiquez une date."),
            "invalid": _("Saisissez une date valide, par exemple 02/09/2024."),
        },
    )


class SessionForm(forms.Form):
    """A session (cohort) of one of the user's trainings. On creation the training is
    chosen among `trainings`; a session's training never changes afterwards."""

    training = forms.ModelChoiceField(
        label=_("Formation"),
        queryset=None,
        empty_label=_("Choisissez une formation"),
        error_messages={
            "required": _("Choisissez la formation de la session."),
            "invalid_choice": _("Formation inconnue ou non rattachée à votre organisme."),
        },
    )
    start_date = _date_field(_("Début"), _("Premier jour de la session. Format : JJ/MM/AAAA"))
    end_date = _date_field(_("Fin"), _("Dernier jour de la session. Format : JJ/MM/AAAA"))
    capacity = forms.IntegerField(
        label=_("Nombre de places"),
        help_text=_("Facultatif."),
        required=False,
        min_value=1,
        max_value=32767,  # the column's range (PositiveSmallIntegerField) on every database
        error_messages={
            "invalid": _("Indiquez un nombre entier de places, par exemple 16."),
            "min_value": _("Le nombre de places doit être d'au moins 1."),
            "max_value": _("Le nombre de places ne peut pas dépasser %(limit_value)s."),
        },
    )
    place = forms.CharField(
        label=_("Lieu"),
        help_text=_(
            "Facultatif. Adresse ou commune où se tient la session, si ce n'est pas le lieu "
            "habituel de la formation. Elle est publiée dans le catalogue."
        ),
        required=False,
        max_length=Session._meta.get_field("place").max_length,
        error_messages={"max_length": _("%(limit_value)s caractères au plus.")},
    )

    # Refusals of the services, shown next to the field they are about.
    DOMAIN_ERROR_FIELDS = {
        "dates": "end_date",
        "capacity": "capacity",
        "session_exists": "start_date",
    }

    def __init__(self, *args, trainings=None, session: Session | None = None, **kwargs):
        if session is not None:
            kwargs.setdefault(
                "initial",
                {
                    "start_date": session.start_date,
                    "end_date": session.end_date,
                    "capacity": session.capacity,
                    "place": session.place,
                },
            )
        super().__init__(*args, **kwargs)
        self.session = session
        if session is not None:
            del self.fields["training"]
        else:
            self.fields["training"].queryset = trainings
        self.fields["capacity"].widget.attrs.update({"inputmode": "numeric"})
        self.helper = FormHelper()
        self.helper.layout = Layout(
            *(["training"] if session is None else []),
            Row(Column("start_date"), Column("end_date"), css_class="fr-mb-3w"),
            "capacity",
            "place",
        )
        self.helper.add_input(
            Submit("submit", _("Enregistrer la session") if session else _("Déclarer la session"))
        )

    def _clean_year(self, name: str) -> datetime.date | None:
        value = self.cleaned_data.get(name)
        if value is not None and not MIN_YEAR <= value.year <= MAX_YEAR:
            raise forms.ValidationError(
                _("Date impossible : l'année doit être comprise entre %(min)s et %(max)s.")
                % {"min": MIN_YEAR, "max": MAX_YEAR}
            )
        return value

    def clean_start_date(self):
        return self._clean_year("start_date")

    def clean_end_date(self):
        return self._clean_year("end_date")

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start_date"), cleaned.get("end_date")
        if start and end and end < start:
            self.add_error("end_date", _("La fin de la session précède son début."))
        return cleaned

    def add_domain_error(self, error: DomainError) -> None:
        self.add_error(self.DOMAIN_ERROR_FIELDS.get(error.code), error.message)
