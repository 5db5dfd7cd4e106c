"""Filters of the staff work queue (django-filter), read from the query string.

The queryset comes from `selectors.work_queue`, already annotated; the filters below only
narrow and sort it, so the page costs the same number of queries whatever is chosen.
"""

import django_filters
from django.utils.translation import gettext_lazy as _

from gen_portal.filters import NullsLastOrderingFilter, department_filter, region_filter

from . import selectors
from .forms.committee import WorkQueueFilterForm
from .models import Dossier, Review
from .services import committee_members

QUEUE_STATES = [(value, label) for value, label in Dossier.State.choices if value != "draft"]


class AdmissibilityState:
    COMPLETE = "complete"
    INCOMPLETE = "incomplete"
    UNCHECKED = "unchecked"
    CHOICES = [
        (COMPLETE, _("Recevable (tous les points vérifiés)")),
        (INCOMPLETE, _("Points restant à vérifier")),
        (UNCHECKED, _("Jamais vérifiée")),
    ]


# Column → field sorted on. The labels name the sort for the select of the filter form.
SORTABLE = (
    ("reference", "reference", _("Numéro")),
    ("organisation", "organisation__name", _("Organisme")),
    ("training", "training_title", _("Formation")),
    ("department", "department_code", _("Département")),
    ("state", "state", _("État")),
    ("score", "weighted_score", _("Note pondérée")),
    ("reviews", "reviews_submitted", _("Évaluations rendues")),
    ("submitted", "submitted_at", _("Date de dépôt")),
)


class WorkQueueFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label=_("Recherche"),
        method="filter_search",
        help_text=_("Organisme, intitulé de la formation, numéro de dossier ou SIRET."),
    )
    state = django_filters.ChoiceFilter(
        label=_("État"), choices=QUEUE_STATES, empty_label=_("Tous les états")
    )
    region = region_filter()
    department = department_filter()
    score_min = django_filters.NumberFilter(
        label=_("Note pondérée minimale (%)"), field_name="weighted_score", lookup_expr="gte"
    )
    score_max = django_filters.NumberFilter(
        label=_("Note pondérée maximale (%)"), field_name="weighted_score", lookup_expr="lte"
    )
    recommendation = django_filters.ChoiceFilter(
        label=_("Avis"),
        choices=Review.Recommendation.choices,
        method="filter_recommendation",
        empty_label=_("Tous les avis"),
        help_text=_("Dossiers ayant reçu au moins une fois cet avis."),
    )
    reviewer = django_filters.ModelChoiceFilter(
        label=_("Évaluateur"),
        queryset=committee_members(),
        method="filter_reviewer",
        empty_label=_("Tous les évaluateurs"),
    )
    admissibility = django_filters.ChoiceFilter(
        label=_("Recevabilité"),
        choices=AdmissibilityState.CHOICES,
        method="filter_admissibility",
        empty_label=_("Toutes"),
    )
    o = NullsLastOrderingFilter(
        label=_("Trier par"),
        fields=[(field, column) for column, field, _label in SORTABLE],
        field_labels={field: label for _column, field, label in SORTABLE},
        empty_label=_("Numéro (par défaut)"),
    )

    class Meta:
        model = Dossier
        fields: list[str] = []
        form = WorkQueueFilterForm

    def filter_search(self, queryset, name, value):
        return selectors.search(queryset, value)

    def filter_recommendation(self, queryset, name, value):
        return selectors.with_recommendation(queryset, value)

    def filter_reviewer(self, queryset, name, value):
        return selectors.with_reviewer(queryset, value)

    def filter_admissibility(self, queryset, name, value):
        if value == AdmissibilityState.COMPLETE:
            return queryset.filter(admissibility_complete=True)
        if value == AdmissibilityState.INCOMPLETE:
            return queryset.filter(admissibility_complete=False)
        return queryset.filter(admissibility_complete__isnull=True)
