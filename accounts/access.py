"""Access rule of the organisation space: the pages where a training organisation declares
its sessions and learners."""

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse


def organisation_member_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Members of a training organisation, and staff (who act for every organisation).
    Anonymous visitors are sent to the login page; anyone else signed in (a committee
    member, an account not attached to an organisation yet) gets 404: there is nothing of
    theirs here, and the page does not say it exists.

    Put it outermost, above `require_http_methods`, so a 405 tells an outsider nothing
    either. Each object is then fetched through its scoped selector, which gives 404 outside
    the user's organisations.
    """

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not (user.is_active and (user.is_staff or user.is_applicant)):
            raise Http404
        return view(request, *args, **kwargs)

    return wrapper
