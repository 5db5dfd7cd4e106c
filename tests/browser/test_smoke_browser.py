"""The home page opens in a real browser, in French, and passes the WCAG A/AA scan."""

import pytest

from tests.browser_helpers import assert_no_axe_violations


@pytest.mark.browser
def test_home_page_is_titled_in_french_and_accessible(live_server, page):
    response = page.goto(live_server.url + "/")

    assert response is not None
    assert response.status == 200
    assert "Grande école du numérique" in page.title()
    assert (page.get_attribute("html", "lang") or "").startswith("fr")
    assert_no_axe_violations(page)
