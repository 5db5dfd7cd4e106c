"""Presentation helpers for calls: their phase (draft, upcoming, open, closed), the time left
in words, and dates in Paris time.

The functions are plain Python so views and tests use them directly; the template tags and
filters below wrap them. Durations are floored, never rounded up: a page must not promise
more time than is left.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal
from zoneinfo import ZoneInfo

from django import template
from django.db import models
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from ..models import Call

register = template.Library()

# Deadlines are legal instants in French time, whatever the server or the visitor's zone.
PARIS = ZoneInfo("Europe/Paris")


class CallPhase(models.TextChoices):
    DRAFT = "draft", gettext_lazy("Non publié")
    UPCOMING = "upcoming", gettext_lazy("À venir")
    OPEN = "open", gettext_lazy("Ouvert")
    CLOSED = "closed", gettext_lazy("Clos")


# DSFR badge variants. The badge always carries its label: colour is never the only cue.
BADGE_CLASSES = {
    CallPhase.DRAFT: "fr-badge--warning",
    CallPhase.UPCOMING: "fr-badge--info",
    CallPhase.OPEN: "fr-badge--success",
    CallPhase.CLOSED: "",
}


def phase_by_dates(call: Call, now: datetime.datetime) -> CallPhase:
    """Where `now` falls in the call's window, publication aside (same bounds as
    `Call.is_open`: opening included, closing excluded)."""
    if now < call.opens_at:
        return CallPhase.UPCOMING
    if now < call.closes_at:
        return CallPhase.OPEN
    return CallPhase.CLOSED


def call_phase(call: Call, now: datetime.datetime) -> CallPhase:
    if not call.is_published:
        return CallPhase.DRAFT
    return phase_by_dates(call, now)


def paris_datetime(value: datetime.datetime) -> str:
    """ "28/06/2018 à 23:59", in Paris time."""
    local = value.astimezone(PARIS)
    return _("%(date)s à %(time)s") % {
        "date": local.strftime("%d/%m/%Y"),
        "time": local.strftime("%H:%M"),
    }


def duration_text(delta: datetime.timedelta) -> str:
    """The two largest units, floored: "3 jours et 4 heures", "5 heures et 12 minutes",
    "7 minutes"."""
    minutes_total = int(delta.total_seconds() // 60)
    if minutes_total < 1:
        return _("moins d'une minute")
    days, rest = divmod(minutes_total, 24 * 60)
    hours, minutes = divmod(rest, 60)

    def days_text(n: int) -> str:
        return ngettext("%(count)d jour", "%(count)d jours", n) % {"count": n}

    def hours_text(n: int) -> str:
        return ngettext("%(count)d heure", "%(count)d heures", n) % {"count": n}

    def minutes_text(n: int) -> str:
        return ngettext("%(count)d minute", "%(count)d minutes", n) % {"count": n}

    if days:
        first, second = days_text(days), hours_text(hours) if hours else ""
    elif hours:
        first, second = hours_text(hours), minutes_text(minutes) if minutes else ""
    else:
        first, second = minutes_text(minutes), ""
    if not second:
        return first
    return _("%(first)s et %(second)s") % {"first": first, "second": second}


def time_left_text(call: Call, now: datetime.datetime) -> str:
    """The call's deadline in words, judged on its dates only."""
    phase = phase_by_dates(call, now)
    if phase == CallPhase.UPCOMING:
        return _("Ouvre le %(date)s (dans %(duration)s)") % {
            "date": paris_datetime(call.opens_at),
            "duration": duration_text(call.opens_at - now),
        }
    if phase == CallPhase.OPEN:
        return _("Clôture dans %(duration)s") % {"duration": duration_text(call.closes_at - now)}
    return _("Clos depuis le %(date)s") % {"date": paris_datetime(call.closes_at)}


@dataclass(frozen=True)
class CallStatus:
    phase: CallPhase
    label: str
    badge_class: str
    time_left: str

    @property
    def is_open(self) -> bool:
        return self.phase == CallPhase.OPEN


def call_status(call: Call, now: datetime.datetime | None = None) -> CallStatus:
    now = now or timezone.now()
    phase = call_phase(call, now)
    return CallStatus(
        phase=phase,
        label=str(phase.label),
        badge_class=BADGE_CLASSES[phase],
        time_left=time_left_text(call, now),
    )


# --- template tags and filters ------------------------------------------------------------


@register.simple_tag(name="call_status")
def call_status_tag(call: Call, now: datetime.datetime | None = None) -> CallStatus:
    """`{% call_status call now as status %}` then `status.label`, `status.time_left`..."""
    return call_status(call, now)


@register.filter(name="paris_datetime")
def paris_datetime_filter(value) -> str:
    if not isinstance(value, datetime.datetime):
        return ""
    return paris_datetime(value)


@register.filter
def iso_datetime(value) -> str:
    """For `<time datetime="...">`: the instant with its offset."""
    if not isinstance(value, datetime.datetime):
        return ""
    return value.astimezone(PARIS).isoformat(timespec="minutes")


@register.filter(name="duration_text")
def duration_text_filter(value) -> str:
    if not isinstance(value, datetime.timedelta):
        return ""
    return duration_text(value)


@register.filter
def share_as_percent(value) -> str:
    """0.305 → "30,5" (localised number, without the % sign)."""
    if value is None or value == "":
        return ""
    return plain_number(Decimal(value) * 100)


@register.filter
def plain_number(value) -> str:
    """1.50 → "1,5", 2.00 → "2": a decimal without its trailing zeros, localised."""
    if value is None or value == "":
        return ""
    number = Decimal(value).normalize()
    if number == number.to_integral():
        number = number.quantize(Decimal(1))
    return formats.number_format(number, use_l10n=True)
