"""Builders shared by the labelling service tests (plain functions, through the services)."""

import datetime
import zoneinfo

from accounts.services import user_create
from labelling.services import call_create, dossier_create
from trainings.services import organisation_create

PARIS = zoneinfo.ZoneInfo("Europe/Paris")

COMPLETE = {
    "training_title": "Développeur web et web mobile",
    "duration_months": 9,
    "is_free": True,
    "site_address": "12 rue des Lilas",
    "site_postcode": "93200",
    "site_city": "Saint-Denis",
    "department_code": "93",
    "region_code": "11",
}


def open_call(
    *, closes_in: datetime.timedelta = datetime.timedelta(days=10), reference="2026", **extra
):
    now = datetime.datetime.now(tz=PARIS)
    return call_create(
        reference=reference,
        title=f"Appel {reference}",
        opens_at=now - datetime.timedelta(days=30),
        closes_at=now + closes_in,
        published=True,
        **extra,
    )


def draft_for(call, *, email="candidate@orga.example", siret="73282932000074"):
    applicant = user_create(email=email, password="motdepasse-solide-123")
    organisation = organisation_create(
        name="Code pour tous", siret=siret, department_code="93", creator=applicant
    )
    dossier = dossier_create(call=call, organisation=organisation, actor=applicant, **COMPLETE)
    return dossier, applicant
