"""Each demo role logs in and every page its navigation offers passes the axe scan.

The demo network is built by `load_demo` at a small scale: the same code path as `make run`,
with fewer rows, so the pages show real demo content (calls, dossiers, reviews).
"""

import io

import pytest
from django.core.management import call_command

from tests.browser_helpers import assert_no_axe_violations

DEMO_PASSWORD = "demo-gen-portail-2018"
ROLES = {
    "staff": "equipe@gen-demo.example",
    "committee": "comite@gen-demo.example",
    "applicant": "candidat@gen-demo.example",
}


@pytest.fixture
def demo(transactional_db):
    call_command("load_demo", "--scale", "0.02", verbosity=0, stdout=io.StringIO())


def nav_links(page) -> list[str]:
    hrefs = page.eval_on_selector_all(
        "#header-navigation a.fr-nav__link", "links => links.map(a => a.getAttribute('href'))"
    )
    return list(dict.fromkeys(hrefs))


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.parametrize("role", sorted(ROLES))
def test_each_demo_role_sees_accessible_pages(live_server, page, demo, role):
    page.goto(live_server.url + "/compte/connexion/")
    page.get_by_label("Adresse électronique").fill(ROLES[role])
    page.locator("#id_password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_load_state()
    assert "Se déconnecter" in page.content(), f"{role} could not log in"

    visited = []
    for href in nav_links(page) + ["/compte/mon-espace/"]:
        response = page.goto(live_server.url + href)
        assert response is not None and response.status == 200, (role, href)
        assert_no_axe_violations(page)
        visited.append(href)
        # One level deeper: the first dossier or review linked from the role's own list.
        for selector in ("a[href*='/candidatures/']", "a[href*='/evaluations/']"):
            link = page.locator(f"main {selector}").first
            if link.count() and href != "/":
                target = link.get_attribute("href")
                if target and target not in visited:
                    assert page.goto(live_server.url + target).status == 200, (role, target)
                    assert_no_axe_violations(page)
                    visited.append(target)
                break
    assert len(visited) >= 4, visited
