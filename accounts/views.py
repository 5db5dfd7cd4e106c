from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from .forms import LoginForm


class PortalLoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True


@login_required
def my_space(request):
    memberships = request.user.memberships.select_related("organisation")
    return render(request, "accounts/my_space.html", {"memberships": memberships})
