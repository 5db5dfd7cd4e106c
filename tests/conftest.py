"""Persona fixtures shared by the whole suite, plus clients logged in as each persona.

| fixture             | who                                                                  |
|---------------------|----------------------------------------------------------------------|
| `applicant`         | member of `org_a`                                                    |
| `other_applicant`   | member of `org_b`                                                    |
| `committee_member`  | committee member, assigned to `dossier_a`                            |
| `conflicted_member` | committee member assigned to `dossier_a` who declared a conflict on it |
| `staff`             | GEN team (`is_staff`), not a superuser                               |
| `superuser`         | administrator of the Django admin                                    |
| `anonymous`         | Django's `AnonymousUser`                                             |

`dossier_a` is a submitted dossier of `org_a` in `open_call`, assigned to both committee
members. Every `*_client` is a `django.test.Client` already logged in.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager

import pytest
from django.apps import apps
from django.contrib.auth.models import AnonymousUser
from django.db import IntegrityError, connection, transaction
from django.test import Client, override_settings

from tests.factories import (
    CallFactory,
    CommitteeMemberFactory,
    ConflictDeclarationFactory,
    DossierFactory,
    MembershipFactory,
    OrganisationFactory,
    ReviewAssignmentFactory,
    StaffFactory,
    SuperuserFactory,
)

pytest_plugins = ["tests.plugins.browser", "tests.plugins.services"]


@pytest.fixture(scope="session", autouse=True)
def _static_root_in_tmp(tmp_path_factory):
    """STATIC_ROOT points at an existing empty folder for the whole session.

    WhiteNoise warns about a missing STATIC_ROOT when its middleware starts (warnings are
    errors here), and the suite must not depend on a previous `collectstatic`. Session-wide,
    so the live server of the browser tests starts with it too. Views and the live server
    still find static files through the finders.
    """
    with override_settings(STATIC_ROOT=str(tmp_path_factory.mktemp("staticfiles"))):
        yield


@pytest.fixture(autouse=True)
def _private_media_in_tmp(settings, tmp_path):
    """Files saved by a test (attachments) go to a per-test folder, not `private_media/`."""
    storages = {**settings.STORAGES}
    storages["default"] = {
        **storages["default"],
        "OPTIONS": {**storages["default"].get("OPTIONS", {}), "location": str(tmp_path / "media")},
    }
    settings.STORAGES = storages


# --- organisations and people ---------------------------------------------------------------


@pytest.fixture
def org_a(db):
    return OrganisationFactory(name="Organisme A")


@pytest.fixture
def org_b(db):
    return OrganisationFactory(name="Organisme B")


@pytest.fixture
def applicant(org_a):
    return MembershipFactory(organisation=org_a, user__full_name="Camille Candidate").user


@pytest.fixture
def other_applicant(org_b):
    return MembershipFactory(organisation=org_b, user__full_name="Dominique Autre").user


@pytest.fixture
def committee_member(db):
    return CommitteeMemberFactory(full_name="Claude Comité")


@pytest.fixture
def _member_with_conflict(db):
    return CommitteeMemberFactory(full_name="Sacha Conflit")


@pytest.fixture
def staff(db):
    return StaffFactory(full_name="Alex Équipe")


@pytest.fixture
def superuser(db):
    return SuperuserFactory(full_name="Ada Administratrice")


@pytest.fixture
def anonymous():
    return AnonymousUser()


# --- a call and a dossier under review ------------------------------------------------------


@pytest.fixture
def open_call(db):
    return CallFactory()


@pytest.fixture
def dossier_a(org_a, applicant, open_call, committee_member, _member_with_conflict, staff):
    dossier = DossierFactory(
        submitted=True, call=open_call, organisation=org_a, created_by=applicant
    )
    for member in (committee_member, _member_with_conflict):
        ReviewAssignmentFactory(dossier=dossier, member=member, assigned_by=staff)
    ConflictDeclarationFactory(dossier=dossier, member=_member_with_conflict)
    return dossier


@pytest.fixture
def conflicted_member(dossier_a, _member_with_conflict):
    return _member_with_conflict


# --- logged-in clients ----------------------------------------------------------------------


def _logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def applicant_client(applicant):
    return _logged_in(applicant)


@pytest.fixture
def other_applicant_client(other_applicant):
    return _logged_in(other_applicant)


@pytest.fixture
def committee_client(committee_member):
    return _logged_in(committee_member)


@pytest.fixture
def conflicted_client(conflicted_member):
    return _logged_in(conflicted_member)


@pytest.fixture
def staff_client(staff):
    return _logged_in(staff)


@pytest.fixture
def superuser_client(superuser):
    return _logged_in(superuser)


# --- helpers --------------------------------------------------------------------------------


def _sqlite_unique_message(name: str) -> str:
    """What SQLite says when the unique constraint `name` fails: it names the columns, not
    the constraint."""
    for model in apps.get_models():
        for constraint in model._meta.constraints:
            if constraint.name == name:
                columns = [
                    f"{model._meta.db_table}.{model._meta.get_field(field).column}"
                    for field in constraint.fields
                ]
                return "UNIQUE constraint failed: " + ", ".join(columns)
    raise LookupError(f"no model declares a constraint named {name}")


@pytest.fixture
def rejected_by() -> Callable[[str], AbstractContextManager[None]]:
    """`with rejected_by("constraint_name"): <write>` asserts the database refuses the write
    because of that very constraint (not another one that happens to fail too).

    The write runs in its own savepoint, so the test can go on using the database.
    PostgreSQL and SQLite name a failed CHECK constraint; for a unique one, SQLite names the
    columns instead, which are checked against the constraint's declaration."""

    @contextmanager
    def check(name: str) -> Iterator[None]:
        with pytest.raises(IntegrityError) as caught, transaction.atomic():
            yield
        message = str(caught.value)
        if connection.vendor != "sqlite":
            assert f'"{name}"' in message, f"not rejected by {name}: {message}"
        elif message.startswith("UNIQUE constraint failed"):
            assert message == _sqlite_unique_message(name), f"not rejected by {name}: {message}"
        else:
            assert message == f"CHECK constraint failed: {name}", (
                f"not rejected by {name}: {message}"
            )

    return check
