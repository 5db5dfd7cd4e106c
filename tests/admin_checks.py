"""The checks every app's admin tests make on each model screen, written once.

Each `tests/<app>/test_admin.py` parametrizes them over its own models and factories (which
models are writable, which are audit rows), and keeps the tests specific to its screens.
"""

from __future__ import annotations

from django.apps import apps
from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse


def url(model, action: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{action}", args=args)


def name_of(model) -> str:
    return model.__name__


def assert_every_model_registered(app_label: str) -> None:
    for model in apps.get_app_config(app_label).get_models():
        assert admin.site.is_registered(model), model


def assert_changelist_lists_a_row(client, model, factory) -> None:
    factory()

    response = client.get(url(model, "changelist"))

    assert response.status_code == 200
    assert len(response.context["cl"].result_list) >= 1


def assert_change_page_opens(client, model, factory) -> None:
    row = factory()

    assert client.get(url(model, "change", row.pk)).status_code == 200


def assert_changelist_queries_do_not_grow(client, model, factory) -> None:
    """One row or five, the list costs the same queries (no N+1 in `list_display`)."""
    factory()
    client.get(url(model, "changelist"))  # warm the session
    with CaptureQueriesContext(connection) as one_row:
        client.get(url(model, "changelist"))
    factory.create_batch(4)
    with CaptureQueriesContext(connection) as more_rows:
        response = client.get(url(model, "changelist"))

    assert response.status_code == 200
    assert len(response.context["cl"].result_list) >= 5
    assert len(more_rows) == len(one_row)


def assert_no_delete_action(client, model, factory) -> None:
    factory()

    response = client.get(url(model, "changelist"))

    assert response.status_code == 200
    assert "delete_selected" not in response.content.decode()


def assert_cannot_be_deleted(client, model, factory) -> None:
    row = factory()

    response = client.post(url(model, "delete", row.pk), {"post": "yes"})

    assert response.status_code == 403
    assert model.objects.filter(pk=row.pk).exists()


def assert_sent_to_the_admin_login(client, model) -> None:
    response = client.get(url(model, "changelist"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))
