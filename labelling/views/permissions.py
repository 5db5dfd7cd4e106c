"""Access rules of the staff pages of the labelling app."""

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse


def staff_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Staff only. Anonymous visitors are sent to the login page; anyone else logged in gets
    404, as for a page that does not exist (deny by default, no hint that it does).

    Put it outermost, above `require_POST`: a non-staff user then learns nothing from a 405
    either.
    """

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not (user.is_active and user.is_staff):
            raise Http404
        return view(request, *args, **kwargs)

    return wrapper
