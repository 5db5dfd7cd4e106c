"""The portal's public pages. Error pages use Django's default handlers with our templates."""

import datetime

from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

# Date the accessibility statement was last reviewed; update it with the statement.
ACCESSIBILITY_STATEMENT_DATE = datetime.date(2026, 11, 26)


def _page(request, template: str, title, **extra):
    context = {"page_title": title, "breadcrumb_data": {"current": title}, **extra}
    return render(request, template, context)


def home(request):
    return render(request, "home.html")


def accessibility(request):
    return _page(
        request,
        "pages/accessibility.html",
        _("Déclaration d’accessibilité"),
        statement_date=ACCESSIBILITY_STATEMENT_DATE,
    )


def legal_notice(request):
    return _page(request, "pages/legal_notice.html", _("Mentions légales"))


def personal_data(request):
    return _page(request, "pages/personal_data.html", _("Données personnelles"))
