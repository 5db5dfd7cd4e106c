"""Findability of the public pages: `sitemap.xml` and `robots.txt`.

The sitemap lists only what an anonymous visitor can open: the public pages, published
calls, and the trainings and organisations labelled today (the same selectors as the
catalogue, so a label that expires or is withdrawn leaves the sitemap the same day).
Addresses are built on `SITE_URL`, like the pages' canonical links, not on whatever host
the request came through.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.sitemaps import Sitemap
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.views.decorators.http import require_GET

from labelling.models import Call
from trainings.selectors import labelled_trainings, public_organisations

PUBLIC_PAGES = (
    "home",
    "labelling:call_list",
    "trainings:catalogue",
    "outcomes:indicators",
    "outcomes:open_data",
    "accessibility",
    "legal_notice",
    "personal_data",
)
# Signed-in areas: nothing there for a search engine (every page asks to log in).
PRIVATE_PREFIXES = (
    "/admin/",
    "/apprenants/",
    "/candidatures/",
    "/comite/",
    "/compte/",
    "/equipe/",
    "/imports/",
)


class _PortalSitemap(Sitemap):
    def get_protocol(self, protocol=None) -> str:
        return urlsplit(settings.SITE_URL).scheme or "https"

    def get_domain(self, site=None) -> str:
        return urlsplit(settings.SITE_URL).netloc


class PagesSitemap(_PortalSitemap):
    changefreq = "weekly"

    def items(self):
        return list(PUBLIC_PAGES)

    def location(self, item: str) -> str:
        return reverse(item)


class CallsSitemap(_PortalSitemap):
    changefreq = "weekly"

    def items(self):
        return Call.objects.filter(is_published=True).order_by("-opens_at", "reference")

    def location(self, item: Call) -> str:
        return reverse("labelling:call_detail", args=[item.reference])


class TrainingsSitemap(_PortalSitemap):
    changefreq = "daily"

    def items(self):
        return labelled_trainings().order_by("code").only("code", "updated_at")

    def location(self, item) -> str:
        return reverse("trainings:training_detail", args=[item.code])

    def lastmod(self, item):
        return item.updated_at


class OrganisationsSitemap(_PortalSitemap):
    changefreq = "weekly"

    def items(self):
        return public_organisations().order_by("pk").only("pk")

    def location(self, item) -> str:
        return reverse("trainings:organisation_detail", args=[item.pk])


SITEMAPS = {
    "pages": PagesSitemap,
    "calls": CallsSitemap,
    "trainings": TrainingsSitemap,
    "organisations": OrganisationsSitemap,
}


@require_GET
def robots_txt(request: HttpRequest) -> HttpResponse:
    lines = ["User-agent: *", *(f"Disallow: {prefix}" for prefix in PRIVATE_PREFIXES)]
    lines.append(f"Sitemap: {settings.SITE_URL}{reverse('sitemap')}")
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")
