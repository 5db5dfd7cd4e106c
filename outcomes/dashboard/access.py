"""Who may see the dashboard: active staff, and nobody else."""

from collections.abc import Callable
from functools import wraps

from django.http import Http404, HttpRequest, HttpResponse


def staff_only(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Active staff only; everyone else, anonymous visitors included, gets 404.

    Unlike the labelling staff pages (which send anonymous visitors to the login page), the
    dashboard's addresses answer exactly as an address that does not exist: its figures are
    unsuppressed, so the page does not even say that it is there. Staff sign in first.

    Put it outermost, above `require_POST`: a non-staff user then learns nothing from a 405
    either.
    """

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        user = request.user
        if not (user.is_authenticated and user.is_active and user.is_staff):
            raise Http404
        return view(request, *args, **kwargs)

    return wrapper
