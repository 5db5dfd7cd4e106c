"""Indicator catalogue, version 1 (DESIGN.md §5), with everything a reader needs to judge a
figure in one module: definitions, targets, breakdowns, disclosure thresholds and the
definition version.

Each indicator names the counts the engine computes (`numerator`, `denominator`, `base`, and
for outcome rates the pairs behind `coverage` and `lower_bound`); the engine produces those
counts by SQL aggregation and never decides what an indicator means.

Conventions, decided where DESIGN.md is silent:
- Periods are the calendar years in which something happened on or before the as-of date (an
  entry, an exit or a submitted dossier), plus `all` (everything up to the as-of date).
- Stock indicators (`in_training`, `labelled_trainings` and the two training shares) are
  taken at the end of the period: 31 December, or the as-of date for `all` and for the
  as-of date's own year.
- The `year` breakdown is given for period `all` only: its cell for year Y holds the figure
  of period Y (a table of years whose total is the `all` figure).
- Breakdown cells are written only where their base population is not empty (a department
  without any entrant that year has no row); national cells are written for every period.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from django.conf import settings
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from outcomes.situations import DEFINITION_VERSION, Milestone

__all__ = [
    "ALL",
    "CATALOGUE",
    "DEFINITION_VERSION",
    "Dimension",
    "Indicator",
    "Kind",
    "MIN_COUNT",
    "MIN_DENOMINATOR",
    "REASON_DISPLAY",
    "Reason",
    "entrants_target",
    "target_for",
]

ALL = "all"  # the period covering everything up to the as-of date


class Kind(StrEnum):
    COUNT = "count"
    RATE = "rate"


class Dimension(StrEnum):
    """Breakdowns. National cells have an empty dimension and key."""

    NATIONAL = ""
    YEAR = "year"
    REGION = "region"  # INSEE code of the training site's region
    DEPARTMENT = "department"  # INSEE code of the training site's department
    TRAINING = "training"  # training code (GEN-00042)
    CALL = "call"  # reference of the call of the training's label (see engine)
    SEX = "sex"  # F / M / X, outcome rates only


ENTRY_DIMENSIONS = (
    Dimension.NATIONAL,
    Dimension.YEAR,
    Dimension.REGION,
    Dimension.DEPARTMENT,
    Dimension.TRAINING,
    Dimension.CALL,
)
EXIT_DIMENSIONS = (*ENTRY_DIMENSIONS, Dimension.SEX)
TRAINING_DIMENSIONS = (
    Dimension.NATIONAL,
    Dimension.YEAR,
    Dimension.REGION,
    Dimension.DEPARTMENT,
    Dimension.CALL,
)
CALL_DIMENSIONS = (Dimension.NATIONAL, Dimension.YEAR, Dimension.CALL)


# --- targets ------------------------------------------------------------------------------

# Entrants targeted per calendar year. GEN announced 5,000 entrants for 2019; other years
# can be set with the INDICATOR_ENTRANT_TARGETS setting ({year: entrants}).
ENTRANT_TARGETS: dict[int, int] = {2019: 5000}

WOMEN_SHARE_TARGET = 0.30
NEET_SHARE_TARGET = 0.50
POSITIVE_EXIT_TARGET = 0.70
FOLLOWUP_COVERAGE_TARGET = 0.80
QPV_TRAINING_TARGET = 0.30


def entrant_targets() -> dict[int, int]:
    return {**ENTRANT_TARGETS, **getattr(settings, "INDICATOR_ENTRANT_TARGETS", {})}


def entrants_target(period: str) -> float | None:
    """The entrants target of a calendar-year period (none for `all`)."""
    if not period.isdigit():
        return None
    target = entrant_targets().get(int(period))
    return float(target) if target is not None else None


# --- disclosure control (public views and open data only; staff see everything) -----------

MIN_COUNT = 5  # a count between 1 and MIN_COUNT - 1 is shown as "< 5"
MIN_DENOMINATOR = 20  # a rate on a smaller denominator is not published ("n.c.")


class Reason(StrEnum):
    COUNT_UNDER_5 = "count_under_5"
    DENOMINATOR_UNDER_20 = "denominator_under_20"
    # Hidden so that another hidden cell of the same table cannot be recovered by subtracting
    # the visible cells from the total.
    SECONDARY = "secondary"


REASON_DISPLAY = {
    Reason.COUNT_UNDER_5: "< 5",
    Reason.DENOMINATOR_UNDER_20: "n.c.",
    Reason.SECONDARY: "n.c.",
}


# --- the catalogue ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Indicator:
    code: str
    label: str
    kind: Kind
    numerator_definition: str
    denominator_definition: str | None
    # Names of the counts the engine computes for every cell (see engine.COUNT_NAMES).
    numerator: str
    denominator: str | None
    # Breakdown cells are written only when this count is not zero.
    base: str
    dimensions: tuple[Dimension, ...]
    target: float | None = None
    coverage: tuple[str, str] | None = None
    lower_bound: tuple[str, str] | None = None
    # True when numerators and denominators of the yearly cells add up to the `all` cell
    # (cohort indicators). Stocks and distinct counts do not: disclosure control treats the
    # years of a cohort indicator as one more table.
    additive_over_years: bool = True
    headline: bool = False


def _milestone_suffix(milestone: Milestone) -> str:
    return milestone.value  # exit, m3, m6, m12


# (code prefix, situation group of outcomes.situations.GROUPS, label, group in words, target)
OUTCOME_GROUPS = (
    (
        "positive_exit_rate",
        "positive",
        _("Taux de sorties positives"),
        _("sortie positive (emploi, alternance, création d'entreprise, études)"),
        POSITIVE_EXIT_TARGET,
    ),
    ("employment_rate", "employment", _("Taux d'emploi"), _("emploi"), None),
    (
        "durable_employment_rate",
        "durable",
        _("Taux d'emploi durable"),
        _("emploi durable (CDI, CDD de 6 mois ou plus, création d'entreprise)"),
        None,
    ),
    (
        "further_study_rate",
        "further_study",
        _("Taux de poursuite d'études"),
        _("poursuite d'études ou formation qualifiante"),
        None,
    ),
)
HEADLINE_MILESTONE = Milestone.M3


def _outcome_indicators() -> list[Indicator]:
    indicators = []
    for prefix, group, label, in_words, target in OUTCOME_GROUPS:
        for milestone in Milestone:
            m = _milestone_suffix(milestone)
            indicators.append(
                Indicator(
                    code=f"{prefix}_{m}",
                    label=format_lazy("{} ({})", label, milestone.label),
                    kind=Kind.RATE,
                    numerator_definition=format_lazy(
                        # Translators: "label : detail"; English drops the space before ":".
                        _("{} : {}"),
                        _(
                            "sortants de la cohorte dont l'échéance est atteinte, en "
                            "situation à l'échéance"
                        ),
                        in_words,
                    ),
                    denominator_definition=_(
                        "sortants de la cohorte dont l'échéance est atteinte et dont la "
                        "situation à l'échéance est connue"
                    ),
                    numerator=f"{group}_{m}",
                    denominator=f"known_{m}",
                    base=f"matured_{m}",
                    dimensions=EXIT_DIMENSIONS,
                    target=target,
                    coverage=(f"known_{m}", f"matured_{m}"),
                    lower_bound=(f"{group}_{m}", f"matured_{m}"),
                    headline=group == "positive" and milestone == HEADLINE_MILESTONE,
                )
            )
    for milestone in Milestone:
        m = _milestone_suffix(milestone)
        indicators.append(
            Indicator(
                code=f"followup_coverage_{m}",
                label=format_lazy("{} ({})", _("Taux de situations connues"), milestone.label),
                kind=Kind.RATE,
                numerator_definition=_(
                    "sortants de la cohorte dont l'échéance est atteinte et dont la situation "
                    "à l'échéance est connue"
                ),
                denominator_definition=_("sortants de la cohorte dont l'échéance est atteinte"),
                numerator=f"known_{m}",
                denominator=f"matured_{m}",
                base=f"matured_{m}",
                dimensions=EXIT_DIMENSIONS,
                target=FOLLOWUP_COVERAGE_TARGET,
            )
        )
    return indicators


CATALOGUE: tuple[Indicator, ...] = (
    Indicator(
        code="learners_total",
        label=_("Apprenants formés ou en formation"),
        kind=Kind.COUNT,
        numerator_definition=_("apprenants distincts entrés en formation dans la période"),
        denominator_definition=None,
        numerator="learners",
        denominator=None,
        base="learners",
        dimensions=ENTRY_DIMENSIONS,
        additive_over_years=False,
        headline=True,
    ),
    Indicator(
        code="entrants",
        label=_("Entrées en formation"),
        kind=Kind.COUNT,
        numerator_definition=_("inscriptions de la cohorte d'entrée"),
        denominator_definition=None,
        numerator="entrants",
        denominator=None,
        base="entrants",
        dimensions=ENTRY_DIMENSIONS,
    ),
    Indicator(
        code="in_training",
        label=_("Apprenants en formation"),
        kind=Kind.COUNT,
        numerator_definition=_(
            "inscriptions entrées et non sorties à la fin de la période (à la date d'arrêté "
            "pour l'année en cours et « all »)"
        ),
        denominator_definition=None,
        numerator="in_training",
        denominator=None,
        base="in_training",
        dimensions=ENTRY_DIMENSIONS,
        additive_over_years=False,
    ),
    Indicator(
        code="women_share",
        label=_("Part de femmes"),
        kind=Kind.RATE,
        numerator_definition=_("cohorte d'entrée, sexe F"),
        denominator_definition=_("cohorte d'entrée, sexe renseigné"),
        numerator="women",
        denominator="sex_known",
        base="entrants",
        dimensions=ENTRY_DIMENSIONS,
        target=WOMEN_SHARE_TARGET,
        headline=True,
    ),
    Indicator(
        code="neet_share",
        label=_("Part de NEET à l'entrée"),
        kind=Kind.RATE,
        numerator_definition=_("cohorte d'entrée, demandeurs d'emploi ou inactifs à l'entrée"),
        denominator_definition=_("cohorte d'entrée, situation à l'entrée renseignée"),
        numerator="neet",
        denominator="situation_known",
        base="entrants",
        dimensions=ENTRY_DIMENSIONS,
        target=NEET_SHARE_TARGET,
        headline=True,
    ),
    Indicator(
        code="qpv_resident_share",
        label=_("Part de résidents en QPV"),
        kind=Kind.RATE,
        numerator_definition=_("cohorte d'entrée, résidant en QPV"),
        denominator_definition=_("cohorte d'entrée, statut QPV renseigné"),
        numerator="qpv",
        denominator="qpv_known",
        base="entrants",
        dimensions=ENTRY_DIMENSIONS,
        headline=True,
    ),
    Indicator(
        code="free_access_share",
        label=_("Part d'accès gratuit"),
        kind=Kind.RATE,
        numerator_definition=_("cohorte d'entrée, accès gratuit"),
        denominator_definition=_("cohorte d'entrée, gratuité renseignée"),
        numerator="free",
        denominator="free_known",
        base="entrants",
        dimensions=ENTRY_DIMENSIONS,
        headline=True,
    ),
    Indicator(
        code="dropout_rate",
        label=_("Taux d'abandon"),
        kind=Kind.RATE,
        numerator_definition=_("cohorte de sortie, motif de sortie « abandon »"),
        denominator_definition=_("cohorte de sortie"),
        numerator="dropouts",
        denominator="exits",
        base="exits",
        dimensions=EXIT_DIMENSIONS,
    ),
    *_outcome_indicators(),
    Indicator(
        code="labelled_trainings",
        label=_("Formations labellisées"),
        kind=Kind.COUNT,
        numerator_definition=_("formations sous label à la fin de la période"),
        denominator_definition=None,
        numerator="labelled",
        denominator=None,
        base="labelled",
        dimensions=TRAINING_DIMENSIONS,
        additive_over_years=False,
        headline=True,
    ),
    Indicator(
        code="free_training_share",
        label=_("Part de formations gratuites"),
        kind=Kind.RATE,
        numerator_definition=_("formations labellisées gratuites pour les apprenants"),
        denominator_definition=_("formations labellisées"),
        numerator="labelled_free",
        denominator="labelled",
        base="labelled",
        dimensions=TRAINING_DIMENSIONS,
        additive_over_years=False,
    ),
    Indicator(
        code="qpv_training_share",
        label=_("Part de formations implantées en QPV"),
        kind=Kind.RATE,
        numerator_definition=_("formations labellisées dont le lieu est en QPV"),
        denominator_definition=_(
            "formations labellisées dont le lieu est en QPV ou hors QPV (statut déterminé)"
        ),
        numerator="labelled_qpv_in",
        denominator="labelled_qpv_known",
        base="labelled",
        dimensions=TRAINING_DIMENSIONS,
        target=QPV_TRAINING_TARGET,
        additive_over_years=False,
    ),
    Indicator(
        code="applications",
        label=_("Candidatures déposées"),
        kind=Kind.COUNT,
        numerator_definition=_("dossiers déposés dans la période"),
        denominator_definition=None,
        numerator="applications",
        denominator=None,
        base="applications",
        dimensions=CALL_DIMENSIONS,
    ),
    Indicator(
        code="acceptance_rate",
        label=_("Taux de labellisation"),
        kind=Kind.RATE,
        numerator_definition=_("dossiers déposés dans la période et labellisés"),
        denominator_definition=_(
            "dossiers déposés dans la période et ayant reçu une décision (labellisé, refusé "
            "ou ajourné)"
        ),
        numerator="accepted",
        denominator="decided",
        base="applications",
        dimensions=CALL_DIMENSIONS,
    ),
)


def target_for(indicator: Indicator, *, period: str, dimension: str, key: str) -> float | None:
    """The target of one cell. Rate targets hold for every breakdown; the entrants target
    is a national figure per year (the national cell of that year, or the cell of that year
    in the `year` table)."""
    if indicator.code != "entrants":
        return indicator.target
    if dimension == Dimension.NATIONAL:
        return entrants_target(period)
    if dimension == Dimension.YEAR:
        return entrants_target(key)
    return None


BY_CODE: dict[str, Indicator] = {indicator.code: indicator for indicator in CATALOGUE}

# The headline national figures, in the order every page shows them: the article's figures
# (learners, entrants, women, NEET, QPV residents, free access, positive exits), then the
# network (labelled trainings, trainings in a QPV). The public page and the staff
# dashboard both read this list.
HEADLINE_CODES: tuple[str, ...] = (
    "learners_total",
    "entrants",
    "women_share",
    "neet_share",
    "qpv_resident_share",
    "free_access_share",
    "positive_exit_rate_m3",
    "labelled_trainings",
    "qpv_training_share",
)
ORDER: dict[str, int] = {indicator.code: index for index, indicator in enumerate(CATALOGUE)}
DIMENSION_ORDER: dict[str, int] = {
    dimension.value: index for index, dimension in enumerate(Dimension)
}

if len(BY_CODE) != len(CATALOGUE):
    raise RuntimeError("indicator codes must be unique")
