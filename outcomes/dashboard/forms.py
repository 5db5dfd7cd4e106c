"""Forms of the dashboard: what to show (run, period, map), and the recompute request.

Each form declares its crispy layout; the page template holds the `<form>` tag, the CSRF
token and the buttons.
"""

from __future__ import annotations

import datetime

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Layout, Row
from django import forms
from django.forms.utils import flatatt
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from outcomes.indicators.catalogue import ALL, BY_CODE

from .selectors import GEO_CODES, HEADLINE_OUTCOME

DEFAULT_MAP = HEADLINE_OUTCOME


class QuickSelect(forms.Select):
    """A `<select>` written in Python, same markup as Django's. Django renders each option
    through a template: the 101 departments and up to 100 as-of dates cost several
    milliseconds on every dashboard page."""

    def render(self, name, value, attrs=None, renderer=None):
        widget = self.get_context(name, value, attrs)["widget"]
        options = format_html_join(
            "",
            '<option value="{}"{}>{}</option>',
            (
                (option["value"], flatatt(option["attrs"]), option["label"])
                for _group, group_options, _index in widget["optgroups"]
                for option in group_options
            ),
        )
        return format_html(
            '<select name="{}"{}>{}</select>', widget["name"], flatatt(widget["attrs"]), options
        )


def _helper(*layout) -> FormHelper:
    helper = FormHelper()
    helper.form_tag = False
    helper.disable_csrf = True  # the page template holds the <form> and its token
    if layout:
        helper.layout = Layout(*layout)
    return helper


class DashboardViewForm(forms.Form):
    """Which published run to show, which period the detailed tables cover, and which
    indicator the map colours. Every field is optional: missing or wrong values fall back
    to the latest run, the whole period and the headline outcome, with an error shown."""

    as_of = forms.TypedChoiceField(
        label=_("Chiffres arrêtés au"),
        required=False,
        coerce=datetime.date.fromisoformat,
        empty_value=None,
        widget=QuickSelect,
        error_messages={"invalid_choice": _("Aucun calcul publié à cette date.")},
    )
    period = forms.ChoiceField(
        label=_("Période des tableaux détaillés"),
        required=False,
        widget=QuickSelect,
        error_messages={"invalid_choice": _("Cette période n’existe pas dans ce calcul.")},
    )
    carte = forms.ChoiceField(
        label=_("Indicateur de la carte"),
        required=False,
        widget=QuickSelect,
        choices=[(code, BY_CODE[code].label) for code in GEO_CODES],
        error_messages={"invalid_choice": _("Choisissez un indicateur de la liste.")},
    )

    def __init__(self, *args, dates: list[datetime.date], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["as_of"].choices = [("", _("Dernier calcul publié"))] + [
            (day.isoformat(), date_format(day, "d/m/Y")) for day in dates
        ]
        self.set_periods([])
        self.helper = _helper(Row(Column("as_of"), Column("period"), Column("carte")))

    def requested_as_of(self) -> datetime.date | None:
        """The as-of date asked for, read before the rest: the periods offered depend on the
        run it designates."""
        if not self.is_bound:
            return None
        try:
            return self.fields["as_of"].clean(self.data.get("as_of", ""))
        except forms.ValidationError:
            return None

    def set_periods(self, periods: list[str]) -> None:
        years = sorted((p for p in periods if p != ALL), reverse=True)
        self.fields["period"].choices = [(ALL, _("Depuis le début"))] + [(y, y) for y in years]

    def value(self, name: str, default):
        """The cleaned value of `name`, or `default` when it is empty or invalid."""
        if not self.is_bound or (not self.is_valid() and name in self.errors):
            return default
        return self.cleaned_data.get(name) or default


class RecomputeForm(forms.Form):
    as_of = forms.DateField(
        label=_("Date d’arrêté du calcul"),
        help_text=_(
            "Les inscriptions, sorties, situations, labels et dossiers postérieurs à cette "
            "date sont ignorés. Format : 29/06/2018."
        ),
        input_formats=["%Y-%m-%d", "%d/%m/%Y"],
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={
            "required": _("Indiquez la date d’arrêté du calcul."),
            "invalid": _("Saisissez une date valide, par exemple 29/06/2018."),
        },
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {"as_of": timezone.localdate()})
        # The page's display form has an `as_of` field too: distinct ids.
        kwargs.setdefault("auto_id", "id_recompute_%s")
        super().__init__(*args, **kwargs)
        self.helper = _helper("as_of")

    def clean_as_of(self) -> datetime.date:
        as_of = self.cleaned_data["as_of"]
        if as_of > timezone.localdate():
            raise forms.ValidationError(
                _("La date d’arrêté ne peut pas être dans le futur."), code="future"
            )
        return as_of


class TrainingFilterForm(forms.Form):
    """Base form of `filters.TrainingTableFilter`: django-filter adds the fields."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(
            Row(Column("region"), Column("department"), Column("call")),
            Row(Column("min_size"), Column("flag"), Column("o")),
        )
        if "min_size" in self.fields:
            self.fields["min_size"].widget.attrs.update({"min": 0, "step": 1})
