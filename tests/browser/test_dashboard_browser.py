"""The staff indicator dashboard in a real Chromium, with a real Celery worker on Redis: staff
change the data, ask for a recompute, watch the progress (through a reload) reach 100 %, then
see the new figure; the public indicators page shows no small cell. Every page passes the
axe scan.

The run is slowed down (each progress step waits a little) so the progress can be watched:
on the test's tiny network the engine would otherwise finish before the first poll.
"""

from __future__ import annotations

import datetime
import re
import time

import pytest
from playwright.sync_api import expect

from accounts.services import user_create
from learners.services import EnrollmentRecord, enrollments_upsert
from outcomes.indicators import runs
from outcomes.indicators.runs import indicator_run_execute, indicator_run_request
from outcomes.models import IndicatorRun
from tests.browser_helpers import assert_no_axe_violations
from tests.outcomes.indicator_dataset import AS_OF, build_dataset

PASSWORD = "motdepasse-solide-123"
STAFF_EMAIL = "equipe@exemple.example"
STEP_DELAY = 0.4  # seconds per progress step: a run takes ~7 s


@pytest.fixture
def network(transactional_db):
    trainings = build_dataset()
    first = indicator_run_execute(run_id=indicator_run_request(as_of=AS_OF, enqueue=False).pk)
    assert first.status == IndicatorRun.Status.DONE
    user_create(email=STAFF_EMAIL, password=PASSWORD, full_name="Alex Équipe", verified=True,
                is_staff=True)  # fmt: skip
    return trainings


def log_in(page, base: str) -> None:
    page.goto(base + "/compte/connexion/")
    page.get_by_label("Adresse électronique").fill(STAFF_EMAIL)
    page.locator("#id_password").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("button", name="Se déconnecter")).to_be_visible()


@pytest.mark.browser
@pytest.mark.services
def test_staff_recompute_and_watch_the_new_figures_arrive(
    live_server, page, network, celery_worker_thread, monkeypatch
):
    record_progress = runs._record_progress

    def slowly(run, percent):
        record_progress(run, percent)
        time.sleep(STEP_DELAY)

    monkeypatch.setattr(runs, "_record_progress", slowly)
    base = live_server.url
    log_in(page, base)

    page.goto(base + "/equipe/indicateurs/")
    learners = page.locator('[data-figure="learners_total"]')
    expect(learners).to_have_text("27")
    assert_no_axe_violations(page)

    # One more learner entering before the as-of date: 28 after the recompute.
    t1 = network["T1"]
    enrollments_upsert(
        records=[
            EnrollmentRecord(
                organisation_id=t1.organisation_id, training_id=t1.pk, learner_ref="NOUVEAU",
                entry_date=datetime.date(2019, 1, 21), sex="F", situation_at_entry="job_seeker",
                qpv_resident=True, free_access=True,
            )
        ]
    )  # fmt: skip

    page.locator("#id_recompute_as_of").fill(AS_OF.isoformat())
    page.get_by_role("button", name="Recalculer les indicateurs").click()

    panel = page.locator("#indicator-run")
    expect(panel).to_be_visible()
    number = IndicatorRun.objects.latest("created_at").pk  # sequences are not reset between tests
    expect(page.get_by_text(f"Calcul n° {number} au 28/02/2019 demandé.")).to_be_visible()
    expect(learners).to_have_text("27")  # the previous publication stays meanwhile
    assert_no_axe_violations(page)

    # The progress moves, and survives leaving the page and coming back.
    percent = page.locator("#indicator-run-percent")
    expect(percent).to_have_text(re.compile(r"^[1-9]\d?$"), timeout=20_000)
    page.reload()
    expect(panel).to_be_visible()
    expect(page.locator("#indicator-run-progress")).to_have_attribute(
        "value", re.compile(r"^[1-9]\d?$")
    )

    # 100 %, then the page loads the new publication by itself.
    expect(percent).to_have_text("100", timeout=30_000)
    expect(page.locator("#indicator-run-message")).to_contain_text("Calcul terminé et publié")
    expect(learners).to_have_text("28", timeout=15_000)
    expect(panel).to_have_count(0)
    expect(
        page.get_by_text(
            re.compile(rf"Dernier calcul : n° {number} au 28/02/2019, terminé à 100 %")
        )
    ).to_be_visible()
    run = IndicatorRun.objects.latest("created_at")
    assert (run.status, run.as_of, run.trigger) == ("done", AS_OF, "manual")
    assert_no_axe_violations(page)

    # The definitions the figures link to.
    page.locator("#tuile-learners_total a").click()
    expect(page).to_have_url(re.compile(r"/indicateurs/definitions/#learners_total$"))
    expect(page.locator("#learners_total")).to_contain_text("Apprenants formés ou en formation")
    assert_no_axe_violations(page)


SMALL_COUNT = re.compile(r"^[1-4]$")
FRACTION = re.compile(r"^(\d[\d\s\u00a0\u202f]*) / (\d[\d\s\u00a0\u202f]*)$")


def _number(text: str) -> int:
    return int(re.sub(r"\D", "", text))


@pytest.mark.browser
def test_public_indicators_show_no_small_cell(live_server, page, network):
    response = page.goto(live_server.url + "/indicateurs/")
    assert response is not None and response.status == 200

    cells = page.locator("main table td").all_inner_texts()
    assert cells, "no figure on the public page"
    marks = 0
    for text in cells:
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        if not lines:
            continue
        if lines[0].startswith(("< 5", "n.c.")):
            marks += 1
            continue
        assert not SMALL_COUNT.match(lines[0]), f"a count under 5 is shown: {text!r}"
        for line in lines[1:]:
            fraction = FRACTION.match(line)
            if fraction:
                assert _number(fraction.group(2)) >= 20, f"a rate on fewer than 20: {text!r}"
    # The test network is tiny: many of its cells are small and must be hidden, such as the
    # 3 learners who entered in 2019.
    assert marks >= 5
    learners = page.locator("main table tr", has_text="Apprenants formés ou en formation")
    expect(learners.locator("td").first).to_contain_text("< 5")
    assert_no_axe_violations(page)
