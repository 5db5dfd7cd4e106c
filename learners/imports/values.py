"""Parsers for the cells of the import files (DESIGN.md §6).

Each parser takes the raw cell, trims it, reads it case-insensitively and returns the value
to store, or raises `Invalid` with a reason code of `report.REASONS`. An empty cell means
"unknown" wherever the field allows it.
"""

from __future__ import annotations

import datetime
import re

from django.utils import timezone

from outcomes.situations import Situation
from trainings.geo import DEPARTMENTS, REGIONS
from trainings.models import MAX_DURATION_MONTHS, MIN_DURATION_MONTHS
from trainings.validators import siret_is_valid


class Invalid(ValueError):
    """A cell that cannot be read; `code` names the reason in `report.REASONS`."""

    def __init__(self, code: str, **params):
        super().__init__(code)
        self.code = code
        self.params = params


BOOLEANS = {
    "oui": True,
    "non": False,
    "yes": True,
    "no": False,
    "true": True,
    "false": False,
    "1": True,
    "0": False,
    "o": True,
    "n": False,
    # What a French spreadsheet writes for its own booleans.
    "vrai": True,
    "faux": False,
}

SEXES = {"f": "F", "m": "M", "x": "X", "femme": "F", "homme": "M", "h": "M"}

SITUATIONS_AT_ENTRY = {
    "employed": "employed",
    "job_seeker": "job_seeker",
    "inactive": "inactive",
    "in_education": "in_education",
    "emploi": "employed",
    "demandeur_emploi": "job_seeker",
    "inactif": "inactive",
    "etudes": "in_education",
    "études": "in_education",  # the same word with its accent, as people type it
}

EXIT_REASONS = {
    "completed": "completed",
    "dropout": "dropout",
    "terminee": "completed",
    "terminée": "completed",
    "abandon": "dropout",
}

SITUATIONS = {situation.value: situation.value for situation in Situation}
SITUATION_CODES = ", ".join(SITUATIONS)

MIN_BIRTH_YEAR = 1900
# Dates outside these years are typing errors (0018 for 2018), not history.
MIN_YEAR = 1900
MAX_YEAR = 2100

_ISO_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
_FRENCH_DATE = re.compile(r"([0-9]{1,2})/([0-9]{1,2})/([0-9]{4})")
_YEAR = re.compile(r"[0-9]{4}")
_INTEGER = re.compile(r"[0-9]{1,9}")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_COMMUNE = re.compile(r"(?:[0-9]{5}|2[AB][0-9]{3})")
_SPACES = re.compile(r"\s+")


def text(raw: str, *, max_length: int, required: bool = False) -> str:
    value = raw.strip()
    if not value and required:
        raise Invalid("required")
    if len(value) > max_length:
        raise Invalid("too_long", max=max_length)
    return value


def boolean(raw: str, *, required: bool = False) -> bool | None:
    value = raw.strip().lower()
    if not value:
        if required:
            raise Invalid("required")
        return None
    try:
        return BOOLEANS[value]
    except KeyError:
        raise Invalid("boolean") from None


def date(raw: str, *, required: bool = False) -> datetime.date | None:
    value = raw.strip()
    if not value:
        if required:
            raise Invalid("required")
        return None
    if match := _ISO_DATE.fullmatch(value):
        year, month, day = match.groups()
    elif match := _FRENCH_DATE.fullmatch(value):
        day, month, year = match.groups()
    else:
        raise Invalid("date_format")
    year = int(year)
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise Invalid("date_impossible")
    try:
        return datetime.date(year, int(month), int(day))
    except ValueError:  # 31/02, 00/01, 12/13...
        raise Invalid("date_impossible") from None


def integer(raw: str, *, required: bool = False) -> int | None:
    value = raw.strip()
    if not value:
        if required:
            raise Invalid("required")
        return None
    if not _INTEGER.fullmatch(value) or int(value) == 0:
        raise Invalid("integer")
    return int(value)


def sex(raw: str) -> str:
    value = raw.strip().lower()
    if not value:
        return ""
    try:
        return SEXES[value]
    except KeyError:
        raise Invalid("sex") from None


def birth_year(
    raw: str, *, today: datetime.date | None = None, latest: int | None = None
) -> int | None:
    """A year of birth up to this year (`latest`, else the year of `today`, else now's)."""
    value = raw.strip()
    if not value:
        return None
    if latest is None:
        latest = (today or timezone.localdate()).year
    if not _YEAR.fullmatch(value) or not MIN_BIRTH_YEAR <= int(value) <= latest:
        raise Invalid("birth_year", min=MIN_BIRTH_YEAR, max=latest)
    return int(value)


def situation_at_entry(raw: str) -> str:
    value = raw.strip().lower()
    if not value:
        return ""
    try:
        return SITUATIONS_AT_ENTRY[value]
    except KeyError:
        raise Invalid("situation_at_entry") from None


def exit_reason(raw: str) -> str:
    value = raw.strip().lower()
    if not value:
        return ""
    try:
        return EXIT_REASONS[value]
    except KeyError:
        raise Invalid("exit_reason") from None


def situation(raw: str) -> str | None:
    """A follow-up situation code of DESIGN.md §4; None when the cell is empty (nothing
    declared for that milestone, which is not the same as the `unknown` code)."""
    value = raw.strip().lower()
    if not value:
        return None
    try:
        return SITUATIONS[value]
    except KeyError:
        raise Invalid("situation", codes=SITUATION_CODES) from None


def learner_ref(raw: str, *, max_length: int) -> str:
    value = text(raw, max_length=max_length, required=True)
    if _EMAIL.search(value):
        raise Invalid("learner_ref_contact")
    return value


def siret(raw: str) -> str:
    value = _SPACES.sub("", raw)
    if not value:
        raise Invalid("required")
    if not siret_is_valid(value):
        raise Invalid("siret")
    return value


def department(raw: str) -> str:
    value = raw.strip().upper()
    if not value:
        raise Invalid("required")
    if len(value) == 1 and value.isdigit():  # a spreadsheet ate the leading zero of 01..09
        value = "0" + value
    if value not in DEPARTMENTS:
        raise Invalid("department")
    return value


def region(raw: str) -> str:
    value = raw.strip()
    if not value:
        raise Invalid("required")
    if len(value) == 1 and value.isdigit():
        value = "0" + value
    if value not in REGIONS:
        raise Invalid("region")
    return value


def commune(raw: str) -> str:
    value = raw.strip().upper()
    if not value:
        return ""
    if len(value) == 4 and value.isdigit():  # 01053 read as a number by a spreadsheet
        value = "0" + value
    if not _COMMUNE.fullmatch(value):
        raise Invalid("commune")
    return value


def commune_in_department(commune_code: str, department_code: str) -> bool:
    return commune_code.startswith(department_code)


def duration_months(raw: str) -> int:
    value = raw.strip()
    if not value:
        raise Invalid("required")
    if not _INTEGER.fullmatch(value) or not (
        MIN_DURATION_MONTHS <= int(value) <= MAX_DURATION_MONTHS
    ):
        raise Invalid("duration", min=MIN_DURATION_MONTHS, max=MAX_DURATION_MONTHS)
    return int(value)


# --- rules between the values of one enrollment ---------------------------------------------
# The learners.csv import checks them between the cells of a row, the declaration forms
# (learners/forms.py) and services between their fields: one definition for both.


def enrollment_problems(
    *,
    entry_date: datetime.date | None,
    exit_date: datetime.date | None,
    exit_given: bool,
    exit_reason: str | None,
    milestones=(),
) -> list[tuple[str, str]]:
    """The (field, reason code) pairs an enrollment breaks, in the order the report lists
    them. `field` is `exit_date`, `exit_reason` or a milestone code of `milestones` (those
    given a situation). A None value was unreadable and is not judged again; `exit_given`
    says whether an exit date was given at all, readable or not."""
    problems = []
    if exit_date and entry_date and exit_date < entry_date:
        problems.append(("exit_date", "exit_before_entry"))
    if exit_date and exit_reason == "":
        problems.append(("exit_reason", "exit_reason_required"))
    if not exit_given:
        if exit_reason:
            problems.append(("exit_reason", "exit_reason_without_exit"))
        problems.extend((milestone, "situation_without_exit") for milestone in milestones)
    return problems
