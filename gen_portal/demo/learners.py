"""The demo's learner records: who entered which labelled training when, their facts at
entry, their exits and follow-up situations, up to the article's date (29 June 2018).

Shares are built with exact counts (a list holding exactly the wanted number of each value,
then shuffled with the seeded generator), so the network profile computed from the rows
gives the published figures to the rounded percent at full scale, not by luck. Who gets
which value is random, with mild realistic leanings (more women in some trainings, more QPV
residents in trainings sited in a QPV, fewer follow-ups after a drop-out); the totals stay
exact whatever the leanings.
"""

from __future__ import annotations

import datetime
import random
from collections.abc import Sequence
from dataclasses import dataclass

from gen_portal.dates import add_months, milestone_cutoff
from learners.models import ExitReason, SituationAtEntry
from learners.services import EnrollmentRecord
from outcomes.situations import MILESTONE_MONTHS, POSITIVE, Milestone, Situation

from . import names
from .plan import AS_OF, apportion


@dataclass(frozen=True)
class PublishedProfile:
    """The figures of the article (29 June 2018), as shares of their "recorded" base."""

    learners: int = 11_409
    women: float = 0.24
    neet: float = 0.65
    qpv_residents: float = 0.17
    free_access: float = 0.77
    positive_m3: float = 0.74
    # Not in the article: the 2020 public audit found 27-33 % of 3-month situations unknown.
    unknown_m3: float = 0.25


PUBLISHED = PublishedProfile()

# Unpublished shares: small unknowns so each "recorded" denominator means something.
SEX_UNKNOWN = 0.02
SEX_OTHER = 0.001  # of recorded sexes
SITUATION_UNKNOWN = 0.03
QPV_UNKNOWN = 0.05
JOB_SEEKERS_AMONG_NEET = 0.78
EMPLOYED_AMONG_NOT_NEET = 0.45
# Of enrollments. Drop-outs leave early, so nearly all of them have left by the as-of date
# while many completers have not: this makes about 15 % of the recorded exits.
DROPOUTS = 0.11
# Among matured exits whose 3-month situation is unknown, the share with no row at all
# (the others have an explicit "unknown" row).
M3_MISSING_AMONG_UNKNOWN = 0.5
# Share of matured drop-outs left unknown at 3 months (the rest of the unknowns fall on
# completers): drop-outs are followed less, as the 2020 audit found.
DROPOUT_UNKNOWN_SHARE = 0.6

_POSITIVE_MIX = {
    Situation.CDI: 22,
    Situation.CDD_LONG: 12,
    Situation.CDD_SHORT: 14,
    Situation.INTERIM: 6,
    Situation.ALTERNANCE: 14,
    Situation.BUSINESS_CREATION: 5,
    Situation.SUBSIDISED_CONTRACT: 4,
    Situation.FURTHER_STUDY: 23,
}
_POSITIVE_CODES = tuple(_POSITIVE_MIX)
_REF_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: refs get read aloud
_DIPLOMAS = ("infra-bac", "bac", "bac+2", "bac+3", "bac+5", "")
_DIPLOMA_WEIGHTS = (28, 37, 18, 9, 3, 5)


@dataclass(frozen=True)
class TrainingFacts:
    """What the learner generator needs to know about one labelled training."""

    training_id: int
    organisation_id: int
    label_start: datetime.date
    duration_months: int
    is_free: bool
    department_code: str
    site_qpv: str
    women_affinity: float


@dataclass
class _Draft:
    """One enrollment while it is being made up; becomes an EnrollmentRecord at the end."""

    training: TrainingFacts
    entry: datetime.date
    sex: str = ""
    birth_year: int | None = None
    situation: str = ""
    qpv_resident: bool | None = None
    qpv_code: str = ""
    diploma: str = ""
    exit_date: datetime.date | None = None
    exit_reason: str = ""
    followups: dict[str, str] | None = None


def exact_split(total: int, share: float) -> tuple[int, int]:
    """(round(total * share), the rest): the count that rounds to `share`."""
    part = round(total * share)
    return part, total - part


def _weighted_order(indexes: Sequence[int], weight_of, rng: random.Random) -> list[int]:
    """A random permutation where heavier items tend to come first (Efraimidis-Spirakis
    keys), so "the first k" is a weighted sample without replacement of exactly k."""
    keyed = [(rng.random() ** (1.0 / weight_of(i)), i) for i in indexes]
    keyed.sort(reverse=True)
    return [i for _key, i in keyed]


def _cohort_starts(training: TrainingFacts, rng: random.Random) -> list[datetime.date]:
    """Sessions start a few weeks after the label, then every few months until the as-of
    date. Larger trainings run overlapping groups, hence intervals shorter than the
    duration."""
    start = training.label_start + datetime.timedelta(days=rng.randint(20, 110))
    start = min(start, AS_OF)
    interval = rng.choice((3, 4, 6, 6, 12))
    starts = []
    while start <= AS_OF:
        starts.append(start)
        start = add_months(start, interval) + datetime.timedelta(days=rng.randint(-7, 7))
    return starts


def _per_training(
    trainings: Sequence[TrainingFacts], total: int, rng: random.Random
) -> list[list[datetime.date]]:
    """Entry dates, per training: the free pool (77 % of learners) goes to free trainings,
    the rest to the others, in proportion to size and to how long each has been running."""
    starts = [_cohort_starts(training, rng) for training in trainings]
    size = [rng.choice((0.6, 0.8, 1.0, 1.0, 1.2, 1.5, 2.0)) for _training in trainings]
    free_ids = [i for i, training in enumerate(trainings) if training.is_free]
    paying_ids = [i for i, training in enumerate(trainings) if not training.is_free]
    free_total, paying_total = exact_split(total, PUBLISHED.free_access)
    if not paying_ids:
        free_total, paying_total = total, 0
    elif not free_ids:
        free_total, paying_total = 0, total
    counts = [0] * len(trainings)
    for pool, pool_total in ((free_ids, free_total), (paying_ids, paying_total)):
        if not pool:
            continue
        floor = min(3, pool_total // len(pool))
        months = [(AS_OF - starts[i][0]).days / 30 + 1 for i in pool]
        shares = apportion(
            pool_total - floor * len(pool), [size[i] * m for i, m in zip(pool, months, strict=True)]
        )
        for i, share in zip(pool, shares, strict=True):
            counts[i] = floor + share
    entries = []
    for training_starts, count in zip(starts, counts, strict=True):
        # The network grew: later sessions are fuller.
        per_session = apportion(count, [1 + 0.4 * k for k in range(len(training_starts))])
        entries.append(
            [day for day, n in zip(training_starts, per_session, strict=True) for _i in range(n)]
        )
    return entries


def _facts_at_entry(drafts: list[_Draft], rng: random.Random) -> None:
    n = len(drafts)
    everyone = list(range(n))

    # Sex: a few unknown; among the recorded, exactly 24 % women, placed with a lean towards
    # the trainings that attract more women.
    order = everyone[:]
    rng.shuffle(order)
    unknown, _recorded = exact_split(n, SEX_UNKNOWN)
    known = order[unknown:]
    women, others = exact_split(len(known), PUBLISHED.women)
    other_sex = round(others * SEX_OTHER)
    ranked = _weighted_order(known, lambda i: drafts[i].training.women_affinity, rng)
    for position, i in enumerate(ranked):
        if position < women:
            drafts[i].sex = "F"
        elif position < women + other_sex:
            drafts[i].sex = "X"
        else:
            drafts[i].sex = "M"

    # Situation at entry: NEET (job seekers and inactive people) is 65 % of those recorded.
    rng.shuffle(order)
    unknown, _recorded = exact_split(n, SITUATION_UNKNOWN)
    known = order[unknown:]
    neet, not_neet = exact_split(len(known), PUBLISHED.neet)
    job_seekers, inactive = exact_split(neet, JOB_SEEKERS_AMONG_NEET)
    employed, in_education = exact_split(not_neet, EMPLOYED_AMONG_NOT_NEET)
    values = [
        *[SituationAtEntry.JOB_SEEKER] * job_seekers,
        *[SituationAtEntry.INACTIVE] * inactive,
        *[SituationAtEntry.EMPLOYED] * employed,
        *[SituationAtEntry.IN_EDUCATION] * in_education,
    ]
    rng.shuffle(values)
    for i, value in zip(known, values, strict=True):
        drafts[i].situation = value.value

    # QPV residents: 17 % of those recorded, more often in trainings sited in a QPV.
    rng.shuffle(order)
    unknown, _recorded = exact_split(n, QPV_UNKNOWN)
    known = order[unknown:]
    residents, _others = exact_split(len(known), PUBLISHED.qpv_residents)
    ranked = _weighted_order(
        known, lambda i: 3.0 if drafts[i].training.site_qpv == "in" else 1.0, rng
    )
    for position, i in enumerate(ranked):
        draft = drafts[i]
        draft.qpv_resident = position < residents
        if draft.qpv_resident:
            draft.qpv_code = names.qpv_code(rng, draft.training.department_code)

    for draft in drafts:
        if rng.random() >= 0.04:  # birth year left out now and then, as organisations do
            age = rng.choices((18, 22, 26, 31, 41), weights=(20, 25, 20, 22, 13))[0]
            draft.birth_year = draft.entry.year - age - rng.randint(0, 4)
        draft.diploma = rng.choices(_DIPLOMAS, weights=_DIPLOMA_WEIGHTS)[0]


def _exits(drafts: list[_Draft], rng: random.Random) -> None:
    """Completers leave at the end of their training, drop-outs earlier; an exit after the
    as-of date has not happened yet, so it is not recorded."""
    order = list(range(len(drafts)))
    rng.shuffle(order)
    dropouts, _completers = exact_split(len(drafts), DROPOUTS)
    for position, i in enumerate(order):
        draft = drafts[i]
        planned_end = add_months(draft.entry, draft.training.duration_months)
        if position < dropouts:
            days = max(8, int((planned_end - draft.entry).days * 0.75))
            exit_date, reason = (
                draft.entry + datetime.timedelta(days=rng.randint(7, days)),
                ExitReason.DROPOUT,
            )
        else:
            exit_date = planned_end - datetime.timedelta(days=rng.randint(0, 10))
            reason = ExitReason.COMPLETED
        if exit_date <= AS_OF:
            draft.exit_date, draft.exit_reason = exit_date, reason.value


def _next_situation(previous: str | None, rng: random.Random) -> str | None:
    """The situation at the next milestone given the previous one (None: no row)."""
    roll = rng.random()
    if previous in POSITIVE:
        if roll < 0.75:
            return previous
        if roll < 0.85:
            return rng.choice(_POSITIVE_CODES).value
        if roll < 0.90:
            return Situation.JOB_SEEKING.value
        return Situation.UNKNOWN.value if roll < 0.95 else None
    if previous in (Situation.JOB_SEEKING, Situation.INACTIVE):
        if roll < 0.35:
            return rng.choice(_POSITIVE_CODES).value
        if roll < 0.80:
            return previous
        return Situation.UNKNOWN.value if roll < 0.90 else None
    if roll < 0.70:
        return None
    if roll < 0.90:
        return Situation.UNKNOWN.value
    return rng.choice((Situation.JOB_SEEKING.value, rng.choice(_POSITIVE_CODES).value))


def _followups(drafts: list[_Draft], rng: random.Random) -> None:
    """Situations at exit, 3, 6 and 12 months, each only once its date is reached. The
    3-month ones (the headline) are placed by exact counts."""
    cutoff = {m: milestone_cutoff(AS_OF, months) for m, months in MILESTONE_MONTHS.items()}
    exited = [d for d in drafts if d.exit_date is not None]
    for draft in exited:
        dropout = draft.exit_reason == ExitReason.DROPOUT
        weights = (10, 35, 10, 40, 5) if dropout else (30, 55, 5, 8, 2)
        situation = rng.choices(
            (
                rng.choice(_POSITIVE_CODES).value,
                Situation.JOB_SEEKING.value,
                Situation.INACTIVE.value,
                Situation.UNKNOWN.value,
                None,
            ),
            weights=weights,
        )[0]
        draft.followups = {} if situation is None else {Milestone.EXIT.value: situation}

    matured = [i for i, d in enumerate(exited) if d.exit_date <= cutoff[Milestone.M3]]
    unknown_total, known_total = exact_split(len(matured), PUBLISHED.unknown_m3)
    dropouts = [i for i in matured if exited[i].exit_reason == ExitReason.DROPOUT]
    completers = [i for i in matured if exited[i].exit_reason != ExitReason.DROPOUT]
    rng.shuffle(dropouts)
    rng.shuffle(completers)
    # Drop-outs are followed less (the audit's finding): most unknowns fall on them.
    unknown_dropouts = min(unknown_total, round(len(dropouts) * DROPOUT_UNKNOWN_SHARE))
    unknown_completers = unknown_total - unknown_dropouts
    unknown = dropouts[:unknown_dropouts] + completers[:unknown_completers]
    known = dropouts[unknown_dropouts:] + completers[unknown_completers:]
    missing, _explicit = exact_split(len(unknown), M3_MISSING_AMONG_UNKNOWN)
    rng.shuffle(unknown)
    m3: dict[int, str | None] = {}
    for position, i in enumerate(unknown):
        m3[i] = None if position < missing else Situation.UNKNOWN.value

    positive, not_positive = exact_split(known_total, PUBLISHED.positive_m3)
    ranked = _weighted_order(
        known, lambda i: 1.0 if exited[i].exit_reason == ExitReason.DROPOUT else 3.0, rng
    )
    positive_codes = [
        code
        for code, count in zip(
            _POSITIVE_CODES, apportion(positive, list(_POSITIVE_MIX.values())), strict=True
        )
        for _i in range(count)
    ]
    rng.shuffle(positive_codes)
    job_seeking, inactive = exact_split(not_positive, 0.85)
    other_codes = [Situation.JOB_SEEKING] * job_seeking + [Situation.INACTIVE] * inactive
    rng.shuffle(other_codes)
    for i, code in zip(ranked, positive_codes + other_codes, strict=True):
        m3[i] = code.value

    for i, situation in m3.items():
        draft = exited[i]
        if situation is not None:
            draft.followups[Milestone.M3.value] = situation
        previous = situation
        for milestone in (Milestone.M6, Milestone.M12):
            if draft.exit_date > cutoff[milestone]:
                break
            previous = _next_situation(previous, rng)
            if previous is not None:
                draft.followups[milestone.value] = previous


def _refs(count: int, rng: random.Random) -> list[str]:
    refs: list[str] = []
    seen: set[str] = set()
    while len(refs) < count:
        ref = "".join(rng.choices(_REF_ALPHABET, k=6))
        if ref not in seen:
            seen.add(ref)
            refs.append(ref)
    return refs


def learner_records(
    *, trainings: Sequence[TrainingFacts], total: int, seed: int
) -> list[EnrollmentRecord]:
    """`total` learners, one enrollment each, in `trainings` (labelled on or before the
    as-of date). Same seed, same trainings, same records."""
    rng = random.Random(f"{seed}:learners")
    drafts = [
        _Draft(training=training, entry=entry)
        for training, entries in zip(trainings, _per_training(trainings, total, rng), strict=True)
        for entry in entries
    ]
    _facts_at_entry(drafts, rng)
    _exits(drafts, rng)
    _followups(drafts, rng)
    return [
        EnrollmentRecord(
            organisation_id=draft.training.organisation_id,
            training_id=draft.training.training_id,
            learner_ref=ref,
            entry_date=draft.entry,
            sex=draft.sex,
            birth_year=draft.birth_year,
            situation_at_entry=draft.situation,
            qpv_resident=draft.qpv_resident,
            qpv_code=draft.qpv_code,
            diploma_level=draft.diploma,
            free_access=draft.training.is_free,
            exit_date=draft.exit_date,
            exit_reason=draft.exit_reason,
            followups=dict(draft.followups or {}),
        )
        for draft, ref in zip(drafts, _refs(len(drafts), rng), strict=True)
    ]
