"""A small network whose every indicator is worked out by hand in test_indicator_engine.py.

As-of date 28/02/2019. Milestone cut-offs on that date (last exit date that has reached the
milestone): exit 28/02/2019, m3 30/11/2018 (30/11 + 3 months = 28/02), m6 31/08/2018,
m12 28/02/2018.

Trainings (region, department, label):
- GEN-T1: 11 / 75, free, site in a QPV; label of call 2016, 01/09/2016 → 31/08/2019.
- GEN-T2: 11 / 93, paying, site out of QPV; label of call 2016, 01/09/2016 → 30/06/2018
  (expired), renewed by call 2018 from 01/07/2018 → 30/06/2021.
- GEN-T3: 84 / 69, free, site undetermined; label of call 2016, 01/09/2016 → 31/08/2019,
  withdrawn on 15/10/2018.
- GEN-T4: 84 / 69, paying, site in a QPV; label of call 2019 starting 15/03/2019, after the
  as-of date.

Dossiers (Paris time): call 2018: D1 submitted 10/03/2018 labelled 01/06/2018; D2 submitted
12/03/2018 rejected 01/06/2018; D3 submitted 01/01/2018 at 00:30 (still 2017 in UTC),
deferred 01/06/2018 then labelled 10/03/2019 (after as-of); D4 submitted 31/12/2017 at 23:30,
no decision; D5 a draft. Call 2019: D6 submitted 28/02/2019 at 23:00, no decision; D7
submitted 01/03/2019 at 00:30 (still 28/02 in UTC: after as-of); D8 submitted 15/01/2019,
rejected 28/02/2019 at 23:30; D9 submitted 20/01/2019, labelled 01/03/2019 at 00:10.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from learners.services import EnrollmentRecord, enrollments_upsert
from tests.factories import (
    CallFactory,
    DecisionFactory,
    DossierFactory,
    LabelFactory,
    OrganisationFactory,
    StaffFactory,
    TrainingFactory,
)
from trainings.models import Label, Training

AS_OF = datetime.date(2019, 2, 28)
PARIS = ZoneInfo("Europe/Paris")
D = datetime.date

# ref, sex, training, entry, exit, exit reason, situation at entry, QPV resident, free access,
# follow-ups {milestone: situation}. J job_seeker, I inactive, E employed, S in_education.
ENROLLMENTS = [
    # GEN-T1
    ("L01", "F", "T1", D(2017, 1, 9), D(2017, 6, 30), "completed", "J", True, True,
     {"exit": "job_seeking", "m3": "cdi", "m6": "cdi", "m12": "cdi"}),  # e1
    ("L02", "M", "T1", D(2017, 1, 9), D(2017, 6, 30), "completed", "I", False, True,
     {"exit": "further_study", "m3": "cdd_short", "m6": "unknown"}),  # e2
    ("L03", "M", "T1", D(2017, 1, 9), D(2017, 3, 15), "dropout", "J", False, True, {}),  # e3
    ("L04", "F", "T1", D(2017, 9, 4), D(2018, 2, 28), "completed", "E", True, True,
     {"exit": "alternance", "m3": "alternance", "m6": "cdi", "m12": "cdi"}),  # e4
    ("L05", "X", "T1", D(2017, 9, 4), D(2018, 3, 1), "completed", "J", None, True,
     {"m3": "interim", "m6": "job_seeking", "m12": "cdi"}),  # e5: m12 not reached
    ("L06", "M", "T1", D(2017, 9, 4), D(2018, 3, 1), "completed", "", False, None,
     {"m3": "unknown", "m6": "inactive"}),  # e6
    ("L07", "F", "T1", D(2018, 1, 8), D(2018, 8, 31), "completed", "J", True, True,
     {"exit": "job_seeking", "m3": "cdd_long", "m6": "business_creation"}),  # e7
    ("L08", "M", "T1", D(2018, 1, 8), D(2018, 9, 1), "completed", "I", False, True,
     {"m3": "subsidised_contract", "m6": "cdi"}),  # e8: m6 not reached
    ("L09", "M", "T1", D(2018, 1, 8), D(2018, 11, 30), "completed", "J", False, False,
     {"m3": "further_study"}),  # e9: m3 reached on the as-of date exactly
    ("L10", "F", "T1", D(2018, 1, 8), D(2018, 12, 1), "completed", "J", True, True,
     {"exit": "cdi", "m3": "cdi"}),  # e10: m3 not reached
    ("L11", "", "T1", D(2018, 9, 3), None, "", "J", False, True, {}),  # e11
    ("L12", "M", "T1", D(2018, 9, 3), D(2019, 4, 1), "completed", "I", False, True,
     {"exit": "cdi"}),  # e12: exit after as-of, still in training
    ("L01", "F", "T1", D(2018, 9, 3), D(2019, 1, 31), "dropout", "J", True, True, {}),  # e13
    ("L29", "F", "T1", D(2019, 2, 28), None, "", "J", False, True, {}),  # e29: entry on as-of
    # GEN-T2
    ("L14", "F", "T2", D(2017, 3, 6), D(2017, 9, 29), "completed", "J", False, False,
     {"exit": "job_seeking", "m3": "job_seeking", "m6": "cdi", "m12": "cdi"}),  # e14
    ("L15", "M", "T2", D(2017, 3, 6), D(2017, 9, 29), "completed", "E", False, False,
     {"exit": "cdi", "m3": "cdi", "m6": "cdi", "m12": "cdi"}),  # e15
    ("L16", "M", "T2", D(2017, 3, 6), D(2017, 5, 12), "dropout", "J", False, False,
     {"m3": "interim"}),  # e16
    ("L17", "F", "T2", D(2018, 9, 10), D(2018, 11, 30), "dropout", "I", True, False, {}),  # e17
    ("L18", "M", "T2", D(2018, 9, 10), D(2019, 2, 28), "completed", "J", False, False,
     {"exit": "interim"}),  # e18: exit on the as-of date
    ("L19", "F", "T2", D(2018, 9, 10), None, "", "", None, None, {}),  # e19
    ("L20", "M", "T2", D(2019, 1, 14), None, "", "J", False, False, {}),  # e20
    # GEN-T3
    ("L21", "F", "T3", D(2017, 2, 13), D(2017, 12, 22), "completed", "J", True, True,
     {"exit": "further_study", "m3": "further_study", "m6": "further_study", "m12": "cdd_short"}),
    ("L22", "M", "T3", D(2017, 2, 13), D(2017, 12, 22), "completed", "I", True, True,
     {"exit": "inactive", "m3": "inactive", "m6": "unknown", "m12": "inactive"}),  # e22
    ("L23", "M", "T3", D(2017, 2, 13), D(2017, 12, 22), "completed", "J", False, True,
     {"m3": "cdi", "m12": "cdi"}),  # e23
    ("L24", "X", "T3", D(2018, 2, 12), D(2018, 8, 31), "completed", "J", False, True,
     {"exit": "job_seeking", "m3": "interim", "m6": "cdd_short"}),  # e24
    ("L25", "F", "T3", D(2018, 2, 12), D(2018, 4, 20), "dropout", "S", False, True, {}),  # e25
    ("L26", "M", "T3", D(2018, 2, 12), D(2018, 10, 19), "completed", "J", True, True,
     {"exit": "cdd_long", "m3": "cdd_long"}),  # e26
    # GEN-T4
    ("L27", "F", "T4", D(2019, 1, 7), None, "", "J", True, True, {}),  # e27: no call yet
    ("L28", "M", "T4", D(2019, 3, 4), None, "", "J", False, True, {}),  # e28: after as-of
]  # fmt: skip

SITUATIONS = {"J": "job_seeker", "I": "inactive", "E": "employed", "S": "in_education", "": ""}


def paris(*args) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=PARIS)


def build_network() -> dict[str, Training]:
    """Trainings, labels, calls and dossiers of the module docstring. Returns trainings by
    short name (T1..T4)."""
    org_a = OrganisationFactory(name="Organisme A", department_code="75", region_code="11")
    org_b = OrganisationFactory(name="Organisme B", department_code="69", region_code="84")
    call_2016 = CallFactory(
        reference="2016",
        opens_at=paris(2016, 3, 1, 9),
        closes_at=paris(2016, 5, 31, 12),
        is_historical=True,
    )
    call_2018 = CallFactory(
        reference="2018", opens_at=paris(2017, 12, 1, 9), closes_at=paris(2018, 3, 31, 12)
    )
    call_2019 = CallFactory(
        reference="2019", opens_at=paris(2019, 1, 7, 9), closes_at=paris(2019, 3, 31, 12)
    )
    trainings = {
        "T1": TrainingFactory(
            code="GEN-T1", organisation=org_a, department_code="75", region_code="11",
            is_free=True, site_qpv=Training.SiteQpv.IN,
        ),
        "T2": TrainingFactory(
            code="GEN-T2", organisation=org_a, department_code="93", region_code="11",
            is_free=False, price=Decimal("1200.00"), site_qpv=Training.SiteQpv.OUT,
        ),
        "T3": TrainingFactory(
            code="GEN-T3", organisation=org_b, department_code="69", region_code="84",
            is_free=True, site_qpv=Training.SiteQpv.UNDETERMINED,
        ),
        "T4": TrainingFactory(
            code="GEN-T4", organisation=org_b, department_code="69", region_code="84",
            is_free=False, price=Decimal("900.00"), site_qpv=Training.SiteQpv.IN,
        ),
    }  # fmt: skip
    LabelFactory(
        training=trainings["T1"], call=call_2016, start_date=D(2016, 9, 1), end_date=D(2019, 8, 31)
    )
    LabelFactory(
        training=trainings["T2"], call=call_2016, start_date=D(2016, 9, 1),
        end_date=D(2018, 6, 30), status=Label.Status.EXPIRED,
    )  # fmt: skip
    LabelFactory(
        training=trainings["T2"], call=call_2018, start_date=D(2018, 7, 1), end_date=D(2021, 6, 30)
    )
    LabelFactory(
        training=trainings["T3"], call=call_2016, start_date=D(2016, 9, 1),
        end_date=D(2019, 8, 31), withdrawn=True, withdrawn_at=paris(2018, 10, 15, 10),
    )  # fmt: skip
    LabelFactory(
        training=trainings["T4"], call=call_2019, start_date=D(2019, 3, 15), end_date=D(2022, 3, 14)
    )

    staff = StaffFactory()

    def dossier(call, submitted_at, state="submitted"):
        return DossierFactory(
            call=call, organisation=org_a, submitted=True, submitted_at=submitted_at, state=state
        )

    def decide(dossier, outcome, at):
        DecisionFactory(dossier=dossier, outcome=outcome, decided_at=at, decided_by=staff)

    decide(
        dossier(call_2018, paris(2018, 3, 10, 10), "labelled"), "labelled", paris(2018, 6, 1, 15)
    )
    decide(
        dossier(call_2018, paris(2018, 3, 12, 10), "rejected"), "rejected", paris(2018, 6, 1, 15)
    )
    d3 = dossier(call_2018, paris(2018, 1, 1, 0, 30), "labelled")
    decide(d3, "deferred", paris(2018, 6, 1, 15))
    decide(d3, "labelled", paris(2019, 3, 10, 15))
    dossier(call_2018, paris(2017, 12, 31, 23, 30))
    DossierFactory(call=call_2018, organisation=org_a)  # D5, a draft
    dossier(call_2019, paris(2019, 2, 28, 23))
    dossier(call_2019, paris(2019, 3, 1, 0, 30))
    decide(
        dossier(call_2019, paris(2019, 1, 15, 10), "rejected"),
        "rejected",
        paris(2019, 2, 28, 23, 30),
    )
    decide(
        dossier(call_2019, paris(2019, 1, 20, 10), "labelled"), "labelled", paris(2019, 3, 1, 0, 10)
    )
    return trainings


def records(trainings: dict[str, Training], *, suffix: str = "") -> list[EnrollmentRecord]:
    """The enrollments of ENROLLMENTS as import records; `suffix` makes the same people
    again under other references (for volume tests)."""
    out = []
    for ref, sex, short, entry, exit_date, reason, situation, qpv, free, followups in ENROLLMENTS:
        training = trainings[short]
        out.append(
            EnrollmentRecord(
                organisation_id=training.organisation_id,
                training_id=training.pk,
                learner_ref=ref + suffix,
                entry_date=entry,
                sex=sex,
                situation_at_entry=SITUATIONS[situation],
                qpv_resident=qpv,
                free_access=free,
                exit_date=exit_date,
                exit_reason=reason,
                followups=followups,
            )
        )
    return out


def build_dataset() -> dict[str, Training]:
    trainings = build_network()
    enrollments_upsert(records=records(trainings))
    return trainings
