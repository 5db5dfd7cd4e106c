"""Filter pieces shared by the portal's lists (django-filter)."""

from __future__ import annotations

import django_filters
from django.db.models import F
from django.utils.translation import gettext_lazy as _

from trainings.geo import DEPARTMENT_CHOICES, REGION_CHOICES


class NullsLastOrderingFilter(django_filters.OrderingFilter):
    """Sorts with empty values last in both directions, on PostgreSQL and SQLite alike (their
    defaults differ: a dossier not yet scored, a training with no planned session, a figure
    with no matured exit), and breaks ties by `tie_breaker`, a unique field, so that
    pagination never shows a row twice or skips one. `default` is the ordering when none is
    chosen (None: the queryset's own)."""

    def __init__(self, *args, tie_breaker: str = "pk", default: tuple[str, ...] | None = None,
                 **kwargs):  # fmt: skip
        self.tie_breaker = tie_breaker
        self.default = default
        super().__init__(*args, **kwargs)

    def get_ordering_value(self, param):
        descending = param.startswith("-")
        name = param[1:] if descending else param
        expression = F(self.param_map.get(name, name))
        return expression.desc(nulls_last=True) if descending else expression.asc(nulls_last=True)

    def filter(self, qs, value):
        if not value:
            return qs if self.default is None else qs.order_by(*self.default, self.tie_breaker)
        return qs.order_by(*[self.get_ordering_value(param) for param in value], self.tie_breaker)


def region_filter(**kwargs) -> django_filters.ChoiceFilter:
    """The region of a training's site, on a queryset annotated or fielded `region_code`."""
    options = {"field_name": "region_code", "empty_label": _("Toutes les régions"), **kwargs}
    return django_filters.ChoiceFilter(label=_("Région"), choices=REGION_CHOICES, **options)


def department_filter(**kwargs) -> django_filters.ChoiceFilter:
    """The department of a training's site (`department_code`)."""
    options = {"field_name": "department_code", "empty_label": _("Tous les départements"), **kwargs}
    return django_filters.ChoiceFilter(
        label=_("Département"), choices=DEPARTMENT_CHOICES, **options
    )
