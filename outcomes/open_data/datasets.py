"""The open datasets besides the indicators: the trainings labelled on a day, and the
published calls with their application and label counts. Columns and fields are documented
in docs/open-data.md; their order is part of the format and only ever grows at the end.

Only public facts go in: what the catalogue pages show. Nothing from dossiers beyond what a
labelled decision made public, nothing about learners, reviews or users.
"""

from __future__ import annotations

import csv
import datetime
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Count, OuterRef, Prefetch, Q, Subquery
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from labelling.models import Call
from trainings.geo import DEPARTMENTS, REGIONS
from trainings.models import Label, Session
from trainings.selectors import labelled_trainings

# The licence's own name: files are the same whatever the language of whoever triggers them.
LICENCE_NAME = "Licence Ouverte / Open Licence version 2.0 (Etalab 2.0)"
LICENCE_URL = "https://www.etalab.gouv.fr/licence-ouverte-open-licence/"

# Each column and what it holds, in file order; shown on the open-data page (docs/open-data.md
# says the same).
TRAINING_FIELDS = {
    "code": _("code de la formation sur le portail (GEN-00042), stable"),
    "title": _("intitulé"),
    "description": _("description publiée par l'organisme"),
    "targeted_jobs": _("métiers visés (code ROME et libellé), séparés par « | » dans le CSV"),
    "duration_months": _("durée en mois (3 à 24)"),
    "hours": _("volume horaire, vide s'il n'est pas connu"),
    "is_free": _("gratuite pour l'apprenant : true ou false"),
    "price_eur": _("prix pour l'apprenant en euros, vide si gratuite ou non renseigné"),
    "organisation_name": _("raison sociale de l'organisme"),
    "organisation_siret": _("SIRET de l'organisme (14 chiffres)"),
    "site_address": _("adresse du lieu de formation"),
    "site_postcode": _("code postal du lieu de formation"),
    "site_city": _("commune du lieu de formation"),
    "commune_code": _("code commune INSEE du lieu de formation"),
    "department_code": _("code INSEE du département du lieu de formation"),
    "department_name": _("nom du département"),
    "region_code": _("code INSEE de la région du lieu de formation"),
    "region_name": _("nom de la région"),
    "site_qpv": _("lieu en quartier prioritaire : in (dans un QPV), out (hors QPV), undetermined"),
    "qpv_code": _("code du quartier prioritaire, s'il est connu"),
    "label_start": _("début du label en vigueur (AAAA-MM-JJ)"),
    "label_end": _("fin du label en vigueur (AAAA-MM-JJ), incluse"),
    "label_call": _(
        "référence de l'appel qui a accordé le label, vide pour un label importé sans appel"
    ),
    "next_session_start": _("début de la prochaine session annoncée, vide s'il n'y en a pas"),
    "upcoming_sessions": _("nombre de sessions annoncées qui n'ont pas encore commencé"),
    "url": _("adresse de la page de la formation sur le portail"),
}
CALL_FIELDS = {
    "reference": _("référence de l'appel (2018)"),
    "title": _("titre de l'appel"),
    "opens_at": _("ouverture des candidatures (date et heure, avec fuseau)"),
    "closes_at": _("clôture des candidatures (date et heure, avec fuseau), exclue"),
    "label_duration_months": _("durée des labels accordés, en mois"),
    "qpv_training_target": _(
        "part visée de formations en quartier prioritaire (0,30 = 30 %), vide sans cible"
    ),
    "applications": _("candidatures déposées (brouillons exclus), quelle qu'en soit l'issue"),
    "labels_granted": _("labels accordés par l'appel"),
    "labels_in_force": _("labels de l'appel en vigueur à la date du fichier"),
    "url": _("adresse de la page de l'appel sur le portail"),
}

# The CSV columns, in this order: part of the format, only ever extended at the end.
TRAINING_COLUMNS = tuple(TRAINING_FIELDS)
CALL_COLUMNS = tuple(CALL_FIELDS)

# Targeted jobs are one per line in the portal; in a CSV cell they are joined by this.
JOBS_SEPARATOR = " | "
# A spreadsheet opening the CSV would run a cell starting with one of these as a formula.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Dataset:
    """Rows of one dataset for one day, with what the JSON document says about itself."""

    name: str
    title: str
    as_of: datetime.date
    columns: Sequence[str]
    # Each row also goes into the JSON document whole: a training's row carries its
    # `sessions`, a list no CSV cell holds well.
    rows: list[dict]

    def as_json(self) -> str:
        document = {
            "dataset": self.name,
            "title": self.title,
            "as_of": self.as_of.isoformat(),
            "licence": LICENCE_NAME,
            "licence_url": LICENCE_URL,
            "source": settings.SITE_URL,
            "count": len(self.rows),
            "records": self.rows,
        }
        # Compact: the trainings document is several megabytes at the network's scale.
        return json.dumps(document, ensure_ascii=False, separators=(",", ":")) + "\n"

    def as_csv(self) -> str:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(self.columns)
        for row in self.rows:
            writer.writerow([_csv_cell(row[column]) for column in self.columns])
        return buffer.getvalue()


def _csv_cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        value = JOBS_SEPARATOR.join(value)
    text = str(value)
    if text.startswith(FORMULA_TRIGGERS):
        # Same rule as the staff exports: kept readable, never executed. The JSON file
        # carries the value untouched.
        return "'" + text
    return text


def _absolute(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def _date(value: datetime.date | None) -> str | None:
    return value.isoformat() if value else None


# --- labelled trainings -----------------------------------------------------------------------


def trainings_dataset(day: datetime.date) -> Dataset:
    """Every training labelled on `day`, in code order, in three queries whatever their
    number (the trainings with their label in force, and their sessions not yet over)."""
    in_force = (
        Label.objects.active_on(day).filter(training=OuterRef("pk")).order_by("-end_date", "-pk")
    )
    sessions = Session.objects.filter(end_date__gte=day).order_by("start_date", "pk")
    trainings = (
        labelled_trainings(day)
        .select_related("organisation")
        .annotate(
            label_start=Subquery(in_force.values("start_date")[:1]),
            label_end=Subquery(in_force.values("end_date")[:1]),
            label_call=Subquery(in_force.values("call__reference")[:1]),
        )
        .prefetch_related(Prefetch("sessions", queryset=sessions, to_attr="open_sessions"))
        .order_by("code")
    )
    rows = []
    for training in trainings:
        upcoming = [s for s in training.open_sessions if s.start_date >= day]
        department = DEPARTMENTS.get(training.department_code, ("", ""))[0]
        rows.append(
            {
                "code": training.code,
                "title": training.title,
                "description": training.description,
                "targeted_jobs": training.targeted_jobs_list,
                "duration_months": training.duration_months,
                "hours": training.hours,
                "is_free": training.is_free,
                "price_eur": None
                if training.is_free or training.price is None
                else str(training.price),
                "organisation_name": training.organisation.name,
                "organisation_siret": training.organisation.siret,
                "site_address": training.site_address,
                "site_postcode": training.site_postcode,
                "site_city": training.site_city,
                "commune_code": training.commune_code,
                "department_code": training.department_code,
                "department_name": department,
                "region_code": training.region_code,
                "region_name": REGIONS.get(training.region_code, ""),
                "site_qpv": training.site_qpv,
                "qpv_code": training.qpv_code,
                "label_start": _date(training.label_start),
                "label_end": _date(training.label_end),
                "label_call": training.label_call,
                "next_session_start": _date(upcoming[0].start_date) if upcoming else None,
                "upcoming_sessions": len(upcoming),
                "url": _absolute(reverse("trainings:training_detail", args=[training.code])),
                "sessions": [
                    {
                        "start": _date(session.start_date),
                        "end": _date(session.end_date),
                        "capacity": session.capacity,
                        "place": session.place,
                    }
                    for session in training.open_sessions
                ],
            }
        )
    return Dataset(
        name="formations-labellisees",
        title="Formations labellisées par la Grande école du numérique",
        as_of=day,
        columns=TRAINING_COLUMNS,
        rows=rows,
    )


# --- calls -----------------------------------------------------------------------------------


def calls_rows(day: datetime.date) -> list[dict]:
    """Published calls, latest first, with their counts, in one query: submitted
    applications, labels granted, and those of its labels still in force on `day`."""
    in_force = Label.objects.active_on(day).values("pk")
    calls = (
        Call.objects.filter(is_published=True)
        .annotate(
            applications=Count(
                "dossiers", filter=Q(dossiers__submitted_at__isnull=False), distinct=True
            ),
            labels_granted=Count("labels", distinct=True),
            labels_in_force=Count("labels", filter=Q(labels__in=in_force), distinct=True),
        )
        .order_by("-opens_at", "reference")
    )
    return [
        {
            "reference": call.reference,
            "title": call.title,
            "opens_at": call.opens_at.isoformat(),
            "closes_at": call.closes_at.isoformat(),
            "label_duration_months": call.label_duration_months,
            "qpv_training_target": None
            if call.qpv_training_target is None
            else float(call.qpv_training_target),
            "applications": call.applications,
            "labels_granted": call.labels_granted,
            "labels_in_force": call.labels_in_force,
            "url": _absolute(reverse("labelling:call_detail", args=[call.reference])),
        }
        for call in calls
    ]


def calls_dataset(day: datetime.date) -> Dataset:
    return Dataset(
        name="appels-a-labellisation",
        title="Appels à labellisation de la Grande école du numérique",
        as_of=day,
        columns=CALL_COLUMNS,
        rows=calls_rows(day),
    )
