from django.conf import settings


def portal(request):
    """Names every template needs: the portal's name and the user's roles for the navigation."""
    user = getattr(request, "user", None)
    is_auth = bool(user and user.is_authenticated)
    return {
        "PORTAL_NAME": "Grande école du numérique",
        "SITE_URL": settings.SITE_URL,
        "nav_roles": {
            "staff": is_auth and user.is_staff,
            "committee": is_auth and user.is_committee_member,
            "applicant": is_auth and user.memberships.exists(),
        }
        if is_auth
        else {},
    }
