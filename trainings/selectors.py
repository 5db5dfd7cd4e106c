"""Reads of the public catalogue: the trainings labelled today, their search and their
counts by area; and, at the end, the sessions of the organisation space.

"Labelled today" is computed at query time from the labels' dates and withdrawal
(`LabelQuerySet.active_on`), never from the status the nightly `labels_expire` task writes:
a label that ends yesterday or is withdrawn this morning takes its training out of every
public page and file the same day, whether or not the task has run yet.
"""

from __future__ import annotations

import datetime
import re
import unicodedata

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery
from django.http import Http404
from django.utils import timezone

from .geo import DEPARTMENTS, REGIONS
from .models import Label, Organisation, Session, Training

# A search is at most this many words: each word is one more regular expression over three
# columns, and a longer text is no better a query.
MAX_SEARCH_WORDS = 8

# Letters a French reader may type with or without their accent (or with another one): each
# becomes a class of every variant, in both cases, so "developpeur" finds "Développeur" on
# PostgreSQL and SQLite alike without the `unaccent` extension.
_VARIANTS = {
    "a": "aàâä",
    "c": "cç",
    "e": "eéèêë",
    "i": "iîï",
    "o": "oôö",
    "u": "uùûü",
    "y": "yÿ",
}
_APOSTROPHES = "'’"


def today() -> datetime.date:
    return timezone.localdate()


def labelled_trainings(day: datetime.date | None = None) -> QuerySet[Training]:
    """Trainings with a label in force on `day` (today by default). One EXISTS per row
    rather than a join, so a training with two overlapping labels (a renewal) is one row
    and counts need no DISTINCT."""
    day = day or today()
    in_force = Label.objects.active_on(day).filter(training=OuterRef("pk"))
    return Training.objects.filter(Exists(in_force))


def catalogue(day: datetime.date | None = None) -> QuerySet[Training]:
    """`labelled_trainings` as the pages list them: with their organisation and the start
    date of their next session (`next_session_start`, None when none is planned)."""
    day = day or today()
    upcoming = Session.objects.filter(training=OuterRef("pk"), start_date__gte=day).order_by(
        "start_date"
    )
    return (
        labelled_trainings(day)
        .select_related("organisation")
        .annotate(next_session_start=Subquery(upcoming.values("start_date")[:1]))
    )


def with_session_between(
    trainings: QuerySet[Training], start: datetime.date, end: datetime.date
) -> QuerySet[Training]:
    """Trainings with a session starting between `start` and `end` (both included)."""
    sessions = Session.objects.filter(
        training=OuterRef("pk"), start_date__gte=start, start_date__lte=end
    )
    return trainings.filter(Exists(sessions))


def _word_pattern(word: str) -> str:
    pattern = []
    for char in word.lower():
        base = unicodedata.normalize("NFKD", char)[0]
        if base in _VARIANTS:
            variants = _VARIANTS[base]
            pattern.append(f"[{variants}{variants.upper()}]")
        elif char in _APOSTROPHES:
            pattern.append(f"[{_APOSTROPHES}]")
        elif char.isalnum():
            pattern.append(f"[{char}{char.upper()}]" if char.upper() != char else char)
        else:
            pattern.append(re.escape(char))
    return "".join(pattern)


def search(trainings: QuerySet[Training], text: str) -> QuerySet[Training]:
    """Trainings whose title, organisation name or targeted jobs contain every word of
    `text`, whatever the case and accents."""
    words = text.split()[:MAX_SEARCH_WORDS]
    for word in words:
        pattern = _word_pattern(word)
        trainings = trainings.filter(
            Q(title__regex=pattern)
            | Q(organisation__name__regex=pattern)
            | Q(targeted_jobs__regex=pattern)
        )
    return trainings


def _sort_key(name: str) -> str:
    # "Île-de-France" sorts with the I, as a French reader expects, not after "Z".
    return unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()


def area_counts(trainings: QuerySet[Training]) -> dict:
    """Trainings per region and per department, in one grouped query. Every region and
    department of the reference lists is present, with 0 where there is none, so a map can
    shade the whole country."""
    rows = (
        trainings.order_by()
        .values("region_code", "department_code")
        .annotate(total=Count("pk"))
        .values_list("region_code", "department_code", "total")
    )
    by_department: dict[str, int] = dict.fromkeys(DEPARTMENTS, 0)
    by_region: dict[str, int] = dict.fromkeys(REGIONS, 0)
    for region, department, total in rows:
        by_department[department] = by_department.get(department, 0) + total
        by_region[region] = by_region.get(region, 0) + total
    return {
        "total": sum(by_region.values()),
        "regions": [
            {"code": code, "name": REGIONS.get(code, code), "total": by_region[code]}
            for code in sorted(by_region, key=lambda c: _sort_key(REGIONS.get(c, c)))
        ],
        "departments": [
            {
                "code": code,
                "name": DEPARTMENTS[code][0] if code in DEPARTMENTS else code,
                "region": DEPARTMENTS[code][1] if code in DEPARTMENTS else "",
                "total": by_department[code],
            }
            for code in sorted(by_department)
        ],
    }


def label_in_force(training: Training, day: datetime.date | None = None) -> Label | None:
    """The label that makes `training` labelled on `day`: the one lasting longest when a
    renewal overlaps the previous label."""
    return (
        Label.objects.active_on(day or today())
        .filter(training=training)
        .select_related("call")
        .order_by("-end_date", "-pk")
        .first()
    )


def current_sessions(training: Training, day: datetime.date | None = None) -> list[Session]:
    """Sessions not finished on `day`: running ones and upcoming ones, soonest first."""
    return list(training.sessions.filter(end_date__gte=day or today()).order_by("start_date"))


def public_organisations(day: datetime.date | None = None) -> QuerySet[Organisation]:
    """Organisations with at least one training labelled on `day`: the only ones with a
    public page."""
    has_labelled = labelled_trainings(day).filter(organisation=OuterRef("pk"))
    return Organisation.objects.filter(Exists(has_labelled))


# --- organisation space: sessions -----------------------------------------------------------


def sessions_for(user) -> QuerySet[Session]:
    """The sessions `user` may see (their organisations'; every one for staff), with their
    training and the number of enrollments declared in each, latest start first; one query
    whatever the number of rows."""
    return (
        Session.objects.of_user(user)
        .select_related("training")
        .annotate(enrollment_count=Count("enrollments"))
        .order_by("-start_date", "training__code", "pk")
    )


def get_session_for(user, pk: int) -> Session:
    """The session, if `user` belongs to its training's organisation (or is staff); 404
    otherwise, whether or not it exists."""
    session = Session.objects.of_user(user).select_related("training").filter(pk=pk).first()
    if session is None:
        raise Http404
    return session
