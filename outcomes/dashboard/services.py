"""The dashboard's one write: a recompute asked for by staff."""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gen_portal.errors import DomainError
from outcomes.indicators.runs import Trigger, indicator_run_request
from outcomes.models import IndicatorRun

from .selectors import runs_in_progress


@transaction.atomic
def indicator_run_on_demand(*, as_of: datetime.date, requested_by) -> IndicatorRun:
    """Queue a run for `as_of` and hand it to a worker once committed (the same service as
    the nightly and command runs; the task publishes it atomically, or records its error and
    leaves the previous publication in place).

    Refused while another run may still finish: two runs would compete for the workers and
    the page could follow only one. A run queued or running for longer than a task may last
    lost its worker and does not block (see `selectors.stale_after`)."""
    if as_of > timezone.localdate():
        raise DomainError(_("La date d’arrêté ne peut pas être dans le futur."), code="future")
    # The row lock serialises two staff pressing the button at the same time on the run
    # already there; two requests with no run at all may still both pass, which is harmless
    # (each run is computed and published whole).
    active = runs_in_progress().select_for_update().order_by("created_at", "pk").first()
    if active is not None:
        raise DomainError(
            _(
                "Un calcul est déjà en cours (n° %(number)s, au %(as_of)s) : attendez sa fin "
                "avant d’en demander un autre."
            )
            % {"number": active.pk, "as_of": active.as_of.strftime("%d/%m/%Y")},
            code="busy",
        )
    return indicator_run_request(as_of=as_of, requested_by=requested_by, trigger=Trigger.MANUAL)
