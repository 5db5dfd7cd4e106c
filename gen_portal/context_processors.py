from django.conf import settings
from django.urls import NoReverseMatch, reverse
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext_lazy as _

# The State's name and the portal's name are proper names: never translated.
PORTAL_NAME = "Grande école du numérique"
# Shown on the legal pages; settings may override it (CONTACT_EMAIL).
DEFAULT_CONTACT_EMAIL = "contact@grandeecolenumerique.fr"

# Public sections. The catalogue, indicators and open-data pages belong to other apps; until
# their URL names exist the links point to the home page and are never marked as current.
PUBLIC_NAV = [
    ("home", _("Accueil")),
    ("labelling:call_list", _("Appels à labellisation")),
    ("trainings:catalogue", _("Formations labellisées")),
    ("outcomes:indicators", _("Indicateurs")),
    ("outcomes:open_data", _("Données ouvertes")),
]
# Shown only when the URL name exists and the user holds the role (None: any signed-in user).
ROLE_NAV = [
    ("labelling:my_dossiers", _("Mes candidatures"), "applicant"),
    ("learners:enrollment_list", _("Mes apprenants"), "applicant"),
    ("labelling:my_reviews", _("Mes évaluations"), "committee"),
    ("accounts:my_space", _("Mon espace"), None),
    ("labelling:staff_call_list", _("Gestion des appels"), "staff"),
    ("outcomes:dashboard", _("Tableau de bord"), "staff"),
    ("admin:index", _("Administration"), "staff"),
]


def _roles(user) -> dict:
    return {
        "staff": user.is_staff,
        "committee": user.is_committee_member,
        "applicant": user.memberships.exists(),
    }


def _url_or_none(name: str) -> str | None:
    try:
        return reverse(name)
    except NoReverseMatch:
        return None


def _current(path: str, url: str | None, *, section: bool) -> str:
    """Value for `aria-current`: "page" on the page itself, "true" inside its section."""
    if url is None:
        return ""
    if path == url:
        return "page"
    if section and url != "/" and path.startswith(url):
        return "true"
    return ""


def _nav(request, roles) -> list[dict]:
    path = request.path
    home_url = reverse("home")
    items = []
    for name, label in PUBLIC_NAV:
        url = _url_or_none(name)
        items.append(
            {
                "label": label,
                "url": url or home_url,
                "current": _current(path, url, section=name != "home"),
            }
        )
    if not roles:
        return items
    for name, label, role in ROLE_NAV:
        if role is not None and not roles[role]:
            continue
        url = _url_or_none(name)
        if url is not None:
            items.append({"label": label, "url": url, "current": _current(path, url, section=True)})
    return items


def portal(request):
    """Names every template needs: the portal's name, the user's roles and the navigation.

    Roles and navigation are lazy so pages that do not show them (admin, JSON) cost no query.
    """
    user = getattr(request, "user", None)
    is_auth = bool(user and user.is_authenticated)
    nav_roles = SimpleLazyObject(lambda: _roles(user)) if is_auth else {}
    return {
        "PORTAL_NAME": PORTAL_NAME,
        "SITE_URL": settings.SITE_URL,
        "CONTACT_EMAIL": getattr(settings, "CONTACT_EMAIL", DEFAULT_CONTACT_EMAIL),
        "nav_roles": nav_roles,
        "portal_nav": SimpleLazyObject(lambda: _nav(request, nav_roles)),
        "skiplinks": [
            {"link": "#content", "label": _("Contenu")},
            {"link": "#header-navigation", "label": _("Menu")},
            {"link": "#footer", "label": _("Pied de page")},
        ],
    }
