"""Staff forms for calls: the call itself, its criteria (a formset) and deadline extensions.

Dates are typed as a date and a time in Paris time, each with its own label, and combined
here into an aware datetime: the services only ever see aware datetimes.
"""

import datetime
import re
from decimal import Decimal

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Fieldset, Layout, Row
from django import forms
from django.utils.translation import gettext_lazy as _

from ..models import Attachment, Call
from ..templatetags.labelling_tags import PARIS, paris_datetime

REFERENCE_PATTERN = re.compile(r"^[A-Za-z0-9-]+$")
REFERENCE_MAX_LENGTH = 20
MAX_CRITERIA = 30

_DATE_FORMATS = ["%Y-%m-%d", "%d/%m/%Y"]
_TIME_FORMATS = ["%H:%M", "%H:%M:%S"]


def _date_field(label) -> forms.DateField:
    return forms.DateField(
        label=label,
        input_formats=_DATE_FORMATS,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={
            "required": _("Indiquez une date."),
            "invalid": _("Saisissez une date valide, par exemple 28/06/2018."),
        },
    )


def _time_field(label) -> forms.TimeField:
    return forms.TimeField(
        label=label,
        help_text=_("Heure de Paris, par exemple 23:59."),
        input_formats=_TIME_FORMATS,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        error_messages={
            "required": _("Indiquez une heure."),
            "invalid": _("Saisissez une heure valide, par exemple 23:59."),
        },
    )


def paris_instant(day: datetime.date, time: datetime.time) -> datetime.datetime:
    """The aware instant of a date and a wall-clock time in Paris.

    The hour skipped when clocks go forward in March does not exist: refuse it rather than
    guess. In the repeated hour of October, the first (summer time) occurrence is taken.
    """
    naive = datetime.datetime.combine(day, time.replace(second=0, microsecond=0))
    aware = naive.replace(tzinfo=PARIS)
    if aware.astimezone(datetime.UTC).astimezone(PARIS).replace(tzinfo=None) != naive:
        raise forms.ValidationError(
            _("Cette heure n'existe pas à Paris ce jour-là (passage à l'heure d'été)."),
            code="nonexistent_time",
        )
    return aware


def _split(value: datetime.datetime | None) -> tuple[datetime.date | None, str | None]:
    if value is None:
        return None, None
    local = value.astimezone(PARIS)
    return local.date(), local.strftime("%H:%M")


class CallForm(forms.Form):
    """A call's own fields. `dates_locked` (the call has submitted dossiers) refuses any
    change of its opening or closing: the deadline then moves only by a recorded
    extension."""

    reference = forms.CharField(
        label=_("Référence"),
        max_length=REFERENCE_MAX_LENGTH,
        help_text=_(
            "Lettres, chiffres et tirets, 20 caractères au plus, par exemple 2018 ou 2019-QPV."
            " Elle figure dans l'adresse de la page publique et dans les numéros de dossier."
        ),
        error_messages={
            "required": _("Indiquez la référence de l'appel."),
            "max_length": _("La référence compte 20 caractères au plus."),
        },
    )
    title = forms.CharField(
        label=_("Titre"),
        max_length=255,
        error_messages={"required": _("Indiquez le titre de l'appel.")},
    )
    description = forms.CharField(
        label=_("Description"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("Présentation publique de l'appel : objectifs, public visé, calendrier."),
    )
    opens_on = _date_field(_("Date d'ouverture"))
    opens_time = _time_field(_("Heure d'ouverture"))
    closes_on = _date_field(_("Date de clôture"))
    closes_time = _time_field(_("Heure de clôture"))
    label_duration_months = forms.IntegerField(
        label=_("Durée du label (mois)"),
        initial=36,
        widget=forms.NumberInput(attrs={"min": 1, "max": 120}),
        error_messages={
            "required": _("Indiquez la durée du label."),
            "invalid": _("Saisissez un nombre entier de mois."),
        },
    )
    qpv_training_target = forms.DecimalField(
        label=_("Cible de formations situées en QPV (%)"),
        required=False,
        max_digits=4,
        decimal_places=1,
        help_text=_(
            "Part visée des formations labellisées situées dans un quartier prioritaire, entre"
            " 0 et 100, par exemple 30."
        ),
        # A text input: French decimals are typed with a comma ("30,5"), which number inputs
        # handle differently from one browser to another.
        localize=True,
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
        error_messages={
            "invalid": _("Saisissez un pourcentage, par exemple 30."),
            "max_decimal_places": _("Le pourcentage compte une décimale au plus."),
            "max_digits": _("La part doit être comprise entre 0 et 100 %."),
        },
    )
    required_attachments = forms.MultipleChoiceField(
        label=_("Pièces jointes exigées"),
        required=False,
        choices=Attachment.Kind.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Un dossier ne peut pas être déposé sans ces pièces."),
    )

    def __init__(self, *args, call: Call | None = None, dates_locked: bool = False, **kwargs):
        self.call = call
        self.dates_locked = dates_locked
        if call is not None and "initial" not in kwargs:
            kwargs["initial"] = self.initial_for(call)
        super().__init__(*args, **kwargs)
        if call is None:
            self.fields["opens_time"].initial = "09:00"
            self.fields["closes_time"].initial = "23:59"
        if call is not None and call.is_published:
            # Public addresses and dossier numbers already carry it.
            self.fields["reference"].disabled = True
            self.fields["reference"].help_text = _(
                "Un appel publié garde sa référence : elle figure dans l'adresse de sa page"
                " publique."
            )
        if dates_locked:
            self.fields["closes_on"].help_text = _(
                "Des dossiers ont été déposés : pour reporter la clôture, utilisez le"
                " report de clôture, qui est enregistré et affiché publiquement."
            )
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True  # the page template holds the <form> and its token
        self.helper.layout = Layout(
            Fieldset(
                _("L'appel"),
                "reference",
                "title",
                "description",
            ),
            Fieldset(
                _("Ouverture des candidatures"),
                Row(Column("opens_on"), Column("opens_time")),
            ),
            Fieldset(
                _("Clôture des candidatures"),
                Row(Column("closes_on"), Column("closes_time")),
            ),
            Fieldset(
                _("Label et pièces exigées"),
                "label_duration_months",
                "qpv_training_target",
                "required_attachments",
            ),
        )

    @staticmethod
    def initial_for(call: Call) -> dict:
        opens_on, opens_time = _split(call.opens_at)
        closes_on, closes_time = _split(call.closes_at)
        target = call.qpv_training_target
        return {
            "reference": call.reference,
            "title": call.title,
            "description": call.description,
            "opens_on": opens_on,
            "opens_time": opens_time,
            "closes_on": closes_on,
            "closes_time": closes_time,
            "label_duration_months": call.label_duration_months,
            "qpv_training_target": None if target is None else (target * 100).normalize(),
            "required_attachments": list(call.required_attachments),
        }

    def clean_reference(self) -> str:
        value = (self.cleaned_data.get("reference") or "").strip()
        if not REFERENCE_PATTERN.match(value):
            raise forms.ValidationError(
                _(
                    "La référence ne contient que des lettres sans accent, des chiffres et des tirets."
                )
            )
        taken = Call.objects.filter(reference__iexact=value)
        if self.call is not None:
            taken = taken.exclude(pk=self.call.pk)
        if taken.exists():
            raise forms.ValidationError(_("Un appel porte déjà cette référence."))
        return value

    def clean_label_duration_months(self) -> int:
        value = self.cleaned_data["label_duration_months"]
        if not 1 <= value <= 120:
            raise forms.ValidationError(_("La durée du label est comprise entre 1 et 120 mois."))
        return value

    def clean_qpv_training_target(self) -> Decimal | None:
        value = self.cleaned_data.get("qpv_training_target")
        if value is not None and not 0 <= value <= 100:
            raise forms.ValidationError(_("La part doit être comprise entre 0 et 100 %."))
        return value

    def clean(self):
        cleaned = super().clean()
        instants = {}
        for prefix in ("opens", "closes"):
            day, time = cleaned.get(f"{prefix}_on"), cleaned.get(f"{prefix}_time")
            if day is None or time is None:
                continue
            try:
                instants[prefix] = paris_instant(day, time)
            except forms.ValidationError as error:
                self.add_error(f"{prefix}_time", error)
        opens_at, closes_at = instants.get("opens"), instants.get("closes")
        if opens_at and closes_at and closes_at <= opens_at:
            self.add_error("closes_on", _("La clôture doit être postérieure à l'ouverture."))
        if self.dates_locked and self.call is not None:
            if opens_at and opens_at != self.call.opens_at:
                self.add_error(
                    "opens_on",
                    _(
                        "Des dossiers ont déjà été déposés : l'ouverture de l'appel ne peut"
                        " plus être modifiée."
                    ),
                )
            if closes_at and closes_at != self.call.closes_at:
                self.add_error(
                    "closes_on",
                    _(
                        "Des dossiers ont déjà été déposés : la clôture ne se modifie plus ici."
                        " Utilisez le report de clôture, qui est enregistré et affiché"
                        " publiquement."
                    ),
                )
        cleaned["opens_at"] = opens_at
        cleaned["closes_at"] = closes_at
        return cleaned

    def service_fields(self) -> dict:
        """The cleaned values as the call services take them."""
        data = self.cleaned_data
        target = data.get("qpv_training_target")
        return {
            "reference": data["reference"],
            "title": data["title"].strip(),
            "description": data.get("description", "").strip(),
            "opens_at": data["opens_at"],
            "closes_at": data["closes_at"],
            "label_duration_months": data["label_duration_months"],
            "qpv_training_target": None if target is None else target / 100,
            "required_attachments": list(data.get("required_attachments") or []),
        }


class CriterionForm(forms.Form):
    title = forms.CharField(
        label=_("Intitulé"),
        max_length=255,
        error_messages={"required": _("Indiquez l'intitulé du critère.")},
    )
    guidance = forms.CharField(
        label=_("Aide à la notation"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    weight = forms.DecimalField(
        label=_("Pondération"),
        initial=1,
        max_digits=5,
        decimal_places=2,
        localize=True,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "size": 6}),
        error_messages={
            "required": _("Indiquez la pondération."),
            "invalid": _("Saisissez un nombre, par exemple 1 ou 1,5."),
            "max_decimal_places": _("La pondération compte deux décimales au plus."),
            "max_digits": _("La pondération est inférieure à 1 000."),
            "max_whole_digits": _("La pondération est inférieure à 1 000."),
        },
    )
    max_score = forms.IntegerField(
        label=_("Note maximale"),
        initial=5,
        widget=forms.NumberInput(attrs={"min": 1, "max": 100}),
        error_messages={
            "required": _("Indiquez la note maximale."),
            "invalid": _("Saisissez un nombre entier entre 1 et 100."),
        },
    )
    eliminatory = forms.BooleanField(label=_("Éliminatoire"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Inside the table each control gets a name saying which row it belongs to.
        number = (self.prefix or "").rsplit("-", 1)[-1]
        if number.isdigit():
            row = int(number) + 1
            for name, field in self.fields.items():
                if name != "id":
                    field.label = _("%(label)s (critère %(row)d)") % {
                        "label": field.label,
                        "row": row,
                    }

    def clean_weight(self) -> Decimal:
        value = self.cleaned_data["weight"]
        if value <= 0:
            raise forms.ValidationError(_("La pondération doit être strictement positive."))
        return value

    def clean_max_score(self) -> int:
        value = self.cleaned_data["max_score"]
        if not 1 <= value <= 100:
            raise forms.ValidationError(_("La note maximale est comprise entre 1 et 100."))
        return value


class CriterionEditForm(CriterionForm):
    """A row of an existing call: it carries the id of the criterion it edits, so review
    scores keep pointing at the same criterion."""

    id = forms.IntegerField(required=False, widget=forms.HiddenInput)


class BaseCriterionFormSet(forms.BaseFormSet):
    """Rows left blank are ignored; ticked "Supprimer" rows are dropped."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True  # the page template holds the <form> and its token
        self.helper.template = "crispy_dsfr/table_inline_formset.html"
        self.helper.formset_caption = _("Critères d'évaluation")

    def add_fields(self, form, index):
        super().add_fields(form, index)
        if "DELETE" in form.fields:
            label = _("Supprimer")
            if index is not None:
                label = _("%(label)s (critère %(row)d)") % {"label": label, "row": index + 1}
            form.fields["DELETE"].label = label

    def criteria(self) -> list[dict]:
        """The kept rows, in order, as the call services take them."""
        kept = []
        for form in self.forms:
            data = form.cleaned_data
            if not data or (self.can_delete and data.get("DELETE")):
                continue
            row = {
                "title": data["title"].strip(),
                "guidance": (data.get("guidance") or "").strip(),
                "weight": data["weight"],
                "max_score": data["max_score"],
                "eliminatory": bool(data.get("eliminatory")),
            }
            if data.get("id"):
                row["id"] = data["id"]
            kept.append(row)
        return kept


CriterionCreateFormSet = forms.formset_factory(
    CriterionForm,
    formset=BaseCriterionFormSet,
    extra=3,
    max_num=MAX_CRITERIA,
    validate_max=True,
)

CriterionEditFormSet = forms.formset_factory(
    CriterionEditForm,
    formset=BaseCriterionFormSet,
    extra=2,
    can_delete=True,
    max_num=MAX_CRITERIA,
    validate_max=True,
)


def criteria_initial(call: Call) -> list[dict]:
    return [
        {
            "id": criterion.pk,
            "title": criterion.title,
            "guidance": criterion.guidance,
            "weight": criterion.weight.normalize(),
            "max_score": criterion.max_score,
            "eliminatory": criterion.eliminatory,
        }
        for criterion in call.criteria.all()
    ]


class ExtensionForm(forms.Form):
    new_closes_on = _date_field(_("Nouvelle date de clôture"))
    new_closes_time = _time_field(_("Nouvelle heure de clôture"))
    reason = forms.CharField(
        label=_("Motif du report"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Il est affiché sur la page publique de l'appel."),
        error_messages={
            "required": _("Indiquez le motif du report : il est affiché publiquement.")
        },
    )

    def __init__(self, *args, call: Call, **kwargs):
        self.call = call
        closes_on, closes_time = _split(call.closes_at)
        kwargs.setdefault("initial", {"new_closes_on": closes_on, "new_closes_time": closes_time})
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True  # the page template holds the <form> and its token
        self.helper.layout = Layout(
            Fieldset(
                _("Nouvelle clôture"),
                Row(Column("new_closes_on"), Column("new_closes_time")),
            ),
            "reason",
        )

    def clean_reason(self) -> str:
        value = self.cleaned_data.get("reason", "").strip()
        if not value:
            raise forms.ValidationError(
                _("Indiquez le motif du report : il est affiché publiquement.")
            )
        return value

    def clean(self):
        cleaned = super().clean()
        day, time = cleaned.get("new_closes_on"), cleaned.get("new_closes_time")
        if day is None or time is None:
            return cleaned
        try:
            new_closes_at = paris_instant(day, time)
        except forms.ValidationError as error:
            self.add_error("new_closes_time", error)
            return cleaned
        if new_closes_at <= self.call.closes_at:
            self.add_error(
                "new_closes_on",
                _("La nouvelle clôture doit être postérieure à l'actuelle (%(current)s).")
                % {"current": paris_datetime(self.call.closes_at)},
            )
        cleaned["new_closes_at"] = new_closes_at
        return cleaned
