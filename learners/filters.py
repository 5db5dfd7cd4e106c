"""Filters of the enrollment list."""

from __future__ import annotations

import datetime

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from trainings.models import Session, Training

from .forms import EnrollmentFilterForm
from .models import Enrollment, ExitReason
from .selectors import missing_followups_q


class EnrollmentState:
    IN_TRAINING = "en_formation"
    EXITED = "sorti"
    DROPPED_OUT = "abandon"

    choices = (
        (IN_TRAINING, _("En formation")),
        (EXITED, _("Sorti (formation terminée)")),
        (DROPPED_OUT, _("Abandon")),
    )


class EnrollmentFilter(django_filters.FilterSet):
    training = django_filters.ModelChoiceFilter(
        label=_("Formation"), queryset=Training.objects.none(), empty_label=_("Toutes")
    )
    session = django_filters.ModelChoiceFilter(
        label=_("Session"),
        queryset=Session.objects.none(),
        empty_label=_("Toutes"),
    )
    state = django_filters.ChoiceFilter(
        label=_("État"),
        choices=EnrollmentState.choices,
        method="filter_state",
        empty_label=_("Tous"),
    )
    missing_followups = django_filters.BooleanFilter(
        label=_("Situations de suivi manquantes uniquement"),
        method="filter_missing_followups",
        widget=forms.CheckboxInput,
    )

    class Meta:
        model = Enrollment
        fields = ["training", "session", "state", "missing_followups"]
        form = EnrollmentFilterForm

    def __init__(self, *args, user, today: datetime.date, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today
        self.filters["training"].queryset = Training.objects.of_user(user).order_by("code")
        sessions = Session.objects.of_user(user).select_related("training")
        training = (self.data or {}).get("training", "")
        if training.isdigit():
            # A long network has thousands of sessions: once a training is chosen, only its
            # own are offered.
            sessions = sessions.filter(training_id=int(training))
        self.filters["session"].queryset = sessions.order_by("training__code", "-start_date")

    def filter_state(self, queryset, name, value):
        if value == EnrollmentState.IN_TRAINING:
            return queryset.filter(exit_date__isnull=True)
        if value == EnrollmentState.EXITED:
            return queryset.filter(exit_reason=ExitReason.COMPLETED)
        if value == EnrollmentState.DROPPED_OUT:
            return queryset.filter(exit_reason=ExitReason.DROPOUT)
        return queryset

    def filter_missing_followups(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.filter(missing_followups_q(self.today))
