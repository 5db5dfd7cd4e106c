"""Filters of the public catalogue and of the organisation's sessions (django-filter), read
from the query string.

The queryset comes from `selectors.catalogue`; every filter only narrows or sorts it, so the
page costs the same number of queries whatever is chosen. A value the form refuses (an
unknown region, a hand-edited URL) shows its message next to the field and the list is not
filtered by it.
"""

from __future__ import annotations

import datetime

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from gen_portal.filters import NullsLastOrderingFilter, department_filter, region_filter

from .forms import CatalogueFilterForm, SessionFilterForm
from .jobs import JOB_CHOICES
from .models import Session, Training
from .selectors import search, today, with_session_between


class DurationRange:
    SHORT = "3-6"
    MEDIUM = "7-12"
    LONG = "13-24"
    BOUNDS = {SHORT: (3, 6), MEDIUM: (7, 12), LONG: (13, 24)}
    CHOICES = [
        (SHORT, _("De 3 à 6 mois")),
        (MEDIUM, _("De 7 à 12 mois")),
        (LONG, _("De 13 à 24 mois")),
    ]


class SessionWindow:
    """Next session starting within this many days from today."""

    DAYS = {"30": 30, "90": 90, "180": 180}
    CHOICES = [
        ("30", _("Dans les 30 prochains jours")),
        ("90", _("Dans les 3 prochains mois")),
        ("180", _("Dans les 6 prochains mois")),
    ]


SORTS = (
    ("title", "title", _("Intitulé (A à Z)")),
    ("session", "next_session_start", _("Prochaine session (la plus proche d'abord)")),
    ("duration", "duration_months", _("Durée (la plus courte d'abord)")),
    ("organisation", "organisation__name", _("Organisme (A à Z)")),
)


class CatalogueFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label=_("Rechercher"),
        method="filter_search",
        max_length=100,
        help_text=_("Intitulé, organisme ou métier visé, avec ou sans accents."),
    )
    region = region_filter()
    department = department_filter()
    job = django_filters.ChoiceFilter(
        label=_("Métier visé"),
        choices=JOB_CHOICES,
        method="filter_job",
        empty_label=_("Tous les métiers"),
    )
    duration = django_filters.ChoiceFilter(
        label=_("Durée"),
        choices=DurationRange.CHOICES,
        method="filter_duration",
        empty_label=_("Toutes les durées"),
    )
    session = django_filters.ChoiceFilter(
        label=_("Prochaine session"),
        choices=SessionWindow.CHOICES,
        method="filter_session",
        empty_label=_("Peu importe"),
    )
    free = django_filters.BooleanFilter(
        label=_("Gratuite pour l'apprenant"),
        method="filter_free",
        widget=forms.CheckboxInput,
    )
    qpv = django_filters.BooleanFilter(
        label=_("Située dans un quartier prioritaire (QPV)"),
        method="filter_qpv",
        widget=forms.CheckboxInput,
    )
    # Trainings without a planned session go last whichever the direction.
    o = NullsLastOrderingFilter(
        tie_breaker="code",
        default=("title",),
        label=_("Trier par"),
        fields=[(field, name) for name, field, _label in SORTS],
        field_labels={field: label for _name, field, label in SORTS},
        empty_label=None,
    )

    class Meta:
        model = Training
        fields: list[str] = []
        form = CatalogueFilterForm

    def filter_search(self, queryset, name, value):
        return search(queryset, value)

    def filter_job(self, queryset, name, value):
        # ROME codes are written in capitals: a case-sensitive LIKE halves the scan's cost
        # (no upper() of every training's text).
        return queryset.filter(targeted_jobs__contains=value)

    def filter_duration(self, queryset, name, value):
        low, high = DurationRange.BOUNDS[value]
        return queryset.filter(duration_months__gte=low, duration_months__lte=high)

    def filter_session(self, queryset, name, value):
        start = today()
        return with_session_between(
            queryset, start, start + datetime.timedelta(days=SessionWindow.DAYS[value])
        )

    # Unticked boxes send nothing: only a ticked box narrows the list.
    def filter_free(self, queryset, name, value):
        return queryset.filter(is_free=True) if value else queryset

    def filter_qpv(self, queryset, name, value):
        return queryset.filter(site_qpv=Training.SiteQpv.IN) if value else queryset


class SessionPeriod:
    UPCOMING = "a_venir"
    RUNNING = "en_cours"
    FINISHED = "terminees"
    CHOICES = [
        (UPCOMING, _("À venir")),
        (RUNNING, _("En cours")),
        (FINISHED, _("Terminées")),
    ]


class SessionFilter(django_filters.FilterSet):
    """The sessions list of the organisation space: by training (the user's) and period."""

    training = django_filters.ModelChoiceFilter(
        label=_("Formation"), queryset=Training.objects.none(), empty_label=_("Toutes")
    )
    period = django_filters.ChoiceFilter(
        label=_("Période"),
        choices=SessionPeriod.CHOICES,
        method="filter_period",
        empty_label=_("Toutes"),
    )

    class Meta:
        model = Session
        fields = ["training", "period"]
        form = SessionFilterForm

    def __init__(self, *args, user, today: datetime.date, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today
        self.filters["training"].queryset = Training.objects.of_user(user).order_by("code")

    def filter_period(self, queryset, name, value):
        if value == SessionPeriod.UPCOMING:
            return queryset.filter(start_date__gt=self.today)
        if value == SessionPeriod.RUNNING:
            return queryset.filter(start_date__lte=self.today, end_date__gte=self.today)
        if value == SessionPeriod.FINISHED:
            return queryset.filter(end_date__lt=self.today)
        return queryset
