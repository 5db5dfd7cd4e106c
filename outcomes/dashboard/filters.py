"""Filters of the dashboard's table by training (django-filter), read from the query string.

The queryset is `selectors.training_rows`: one row per training with its figures. Place
and call narrow the trainings, size and flag their figures; the page costs the same number
of queries whatever is chosen.
"""

from __future__ import annotations

import django_filters
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from gen_portal.filters import NullsLastOrderingFilter
from labelling.models import Call
from trainings.geo import DEPARTMENT_CHOICES, REGION_CHOICES
from trainings.models import Label

from .forms import QuickSelect, TrainingFilterForm
from .selectors import Flag


class FlagChoice:
    ANY = "any"
    CHOICES = [
        (ANY, _("Signalées (au-dessous ou au-dessus)")),
        (Flag.BELOW, _("Au-dessous du taux national")),
        (Flag.ABOVE, _("Au-dessus du taux national")),
    ]


class TrainingTableFilter(django_filters.FilterSet):
    region = django_filters.ChoiceFilter(
        label=_("Région"),
        choices=REGION_CHOICES,
        method="filter_region",
        widget=QuickSelect,
        empty_label=_("Toutes les régions"),
    )
    department = django_filters.ChoiceFilter(
        label=_("Département"),
        choices=DEPARTMENT_CHOICES,
        method="filter_department",
        widget=QuickSelect,
        empty_label=_("Tous les départements"),
    )
    call = django_filters.ModelChoiceFilter(
        label=_("Appel"),
        queryset=Call.objects.order_by("-opens_at", "-pk"),
        to_field_name="reference",
        method="filter_call",
        widget=QuickSelect,
        empty_label=_("Tous les appels"),
        help_text=_("Formations ayant reçu un label de cet appel."),
    )
    min_size = django_filters.NumberFilter(
        label=_("Entrées minimales"),
        method="filter_min_size",
        help_text=_("Nombre d’entrées en formation sur la période, au moins."),
    )
    flag = django_filters.ChoiceFilter(
        label=_("Écart au taux national"),
        choices=FlagChoice.CHOICES,
        method="filter_flag",
        empty_label=_("Toutes les formations"),
        help_text=_("Intervalle de confiance du taux de sorties positives à 3 mois."),
    )
    # Empty figures (no matured exit yet) go last whichever the direction.
    o = NullsLastOrderingFilter(
        tie_breaker="key",
        default=(),
        label=_("Trier par"),
        fields=[("key", "code"), ("entrants", "entrants"), ("rate", "rate"), ("known", "known")],
        field_labels={
            "code": _("Code de formation"),
            "-code": _("Code de formation (décroissant)"),
            "entrants": _("Entrées (croissant)"),
            "-entrants": _("Entrées (décroissant)"),
            "rate": _("Sorties positives à 3 mois (croissant)"),
            "-rate": _("Sorties positives à 3 mois (décroissant)"),
            "known": _("Situations connues (croissant)"),
            "-known": _("Situations connues (décroissant)"),
        },
        empty_label=_("Code de formation (par défaut)"),
    )

    class Meta:
        form = TrainingFilterForm
        fields: list[str] = []

    def __init__(self, *args, national_rate: float | None = None, **kwargs):
        self.national_rate = national_rate
        super().__init__(*args, **kwargs)
        self.filters["min_size"].field.min_value = 0
        self.filters["min_size"].field.error_messages["min_value"] = _(
            "Indiquez un nombre positif ou nul."
        )
        self.filters["min_size"].field.error_messages["invalid"] = _("Indiquez un nombre entier.")

    def filter_region(self, queryset, name, value):
        return queryset.filter(region_code=value)

    def filter_department(self, queryset, name, value):
        return queryset.filter(department_code=value)

    def filter_call(self, queryset, name, value):
        # EXISTS rather than a join: a training labelled twice by one call is one row.
        return queryset.filter(Exists(Label.objects.filter(training=OuterRef("pk"), call=value)))

    def filter_min_size(self, queryset, name, value):
        return queryset.filter(entrants__gte=value)

    def filter_flag(self, queryset, name, value):
        if self.national_rate is None:
            return queryset.none()
        below = Q(ci_high__lt=self.national_rate)
        above = Q(ci_low__gt=self.national_rate)
        condition = {Flag.BELOW: below, Flag.ABOVE: above}.get(value, below | above)
        return queryset.filter(condition)
