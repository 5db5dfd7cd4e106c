"""Public pages: DSFR shell, French by default, English on request, DSFR error pages."""

import pytest
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.urls import reverse
from django.views.defaults import server_error

PUBLIC_PAGES = [
    ("home", "Le portail de la Grande école du numérique"),
    ("accessibility", "Déclaration d’accessibilité"),
    ("legal_notice", "Mentions légales"),
    ("personal_data", "Données personnelles"),
    ("accounts:login", "Connexion au portail"),
    ("accounts:password_reset", "Mot de passe oublié"),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("url_name", "french_heading"), PUBLIC_PAGES)
def test_public_page_answers_in_french_even_for_an_english_browser(
    client, url_name, french_heading
):
    response = client.get(reverse(url_name), HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.9")

    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="fr"' in html
    assert f"<h1>{french_heading}</h1>" in html
    assert html.count("<h1") == 1
    assert 'class="fr-header"' in html
    assert 'id="footer"' in html
    assert "Accessibilité : partiellement conforme" in html


@pytest.mark.django_db
def test_page_shell_uses_bundled_dsfr_assets_and_skip_links(client):
    html = client.get(reverse("home")).content.decode()

    assert 'href="/static/dsfr/dist/dsfr/dsfr.min.css"' in html
    assert 'src="/static/dsfr/dist/dsfr/dsfr.module.min.js"' in html
    assert "cdn" not in html.lower()
    for target in ("#content", "#header-navigation", "#footer"):
        assert f'href="{target}"' in html
    assert 'id="content"' in html
    assert 'id="header-navigation"' in html


@pytest.mark.django_db
def test_switching_to_english_through_set_language_translates_the_pages(client):
    response = client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert response.status_code == 302
    assert response["Location"] == "/"

    html = client.get(reverse("home")).content.decode()
    assert '<html lang="en"' in html
    assert "<h1>The Grande école du numérique portal</h1>" in html
    assert "Accessibility: partially compliant" in html
    assert "Accessibilité : partiellement conforme" not in html

    html = client.get(reverse("accessibility")).content.decode()
    assert "<h1>Accessibility statement</h1>" in html


@pytest.mark.django_db
def test_language_switch_is_a_post_form_back_to_the_current_page(client):
    html = client.get(reverse("legal_notice")).content.decode()

    assert f'action="{reverse("set_language")}"' in html
    assert 'name="next" value="/mentions-legales/"' in html
    assert 'name="language" value="en"' in html
    assert "fr-translate" in html


@pytest.mark.django_db
def test_navigation_marks_the_current_page(client):
    html = client.get(reverse("home")).content.decode()
    assert f'href="{reverse("home")}" target="_self" aria-current="page">Accueil<' in html


@pytest.mark.django_db
def test_anonymous_header_offers_login_and_no_role_links(client):
    html = client.get(reverse("home")).content.decode()

    assert reverse("accounts:login") in html
    assert reverse("admin:index") not in html
    assert "Se déconnecter" not in html


@pytest.mark.django_db
def test_staff_header_has_my_space_administration_and_a_post_logout(client, django_user_model):
    staff = django_user_model.objects.create_user(
        email="equipe@gen.example", password="x", full_name="Camille Équipe", is_staff=True
    )
    client.force_login(staff)

    html = client.get(reverse("home")).content.decode()

    assert f'href="{reverse("accounts:my_space")}"' in html
    assert f'href="{reverse("admin:index")}"' in html
    assert "Camille Équipe" in html
    assert f'<form method="post" action="{reverse("accounts:logout")}"' in html


@pytest.mark.django_db
def test_unknown_address_shows_the_dsfr_404_page_in_french(client):
    response = client.get("/cette-page-n-existe-pas/", HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 404
    html = response.content.decode()
    assert "<h1>Page non trouvée</h1>" in html
    assert "Erreur 404" in html
    assert 'class="fr-header"' in html
    assert "fr-btns-group" in html


def test_500_page_renders_without_any_request_context():
    html = render_to_string("500.html")

    assert "<h1>Erreur inattendue</h1>" in html
    assert "/static/dsfr/dist/dsfr/dsfr.min.css" in html


def test_server_error_handler_uses_the_dsfr_500_page():
    response = server_error(RequestFactory().get("/"))

    assert response.status_code == 500
    assert "Erreur 500" in response.content.decode()


@pytest.mark.django_db
def test_permission_denied_handler_uses_the_dsfr_403_page():
    from django.core.exceptions import PermissionDenied
    from django.views.defaults import permission_denied

    response = permission_denied(RequestFactory().get("/"), PermissionDenied())

    assert response.status_code == 403
    html = response.content.decode()
    assert "<h1>Accès refusé</h1>" in html
    assert 'class="fr-header"' in html


@pytest.mark.django_db
def test_messages_show_as_dsfr_alerts_with_their_text_escaped(rf):
    from django.contrib import messages
    from django.contrib.auth.models import AnonymousUser
    from django.contrib.messages.storage.cookie import CookieStorage
    from django.shortcuts import render

    request = rf.get("/")
    request.user = AnonymousUser()
    request._messages = CookieStorage(request)
    messages.error(request, "Organisme <b>inconnu</b>")

    html = render(request, "home.html").content.decode()

    assert 'class="fr-alert fr-alert--sm fr-alert--error' in html
    assert "Organisme &lt;b&gt;inconnu&lt;/b&gt;" in html
