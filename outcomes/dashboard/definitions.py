"""The definitions page: the catalogue (outcomes.indicators.catalogue) and the situation
groups (outcomes.situations) laid out for readers. Nothing is restated by hand: labels,
numerators, denominators, targets and breakdowns are read from the catalogue, so the page
cannot drift from what the engine computes."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from outcomes.indicators.catalogue import (
    CATALOGUE,
    DEFINITION_VERSION,
    MIN_COUNT,
    MIN_DENOMINATOR,
    Dimension,
    Indicator,
    Kind,
    entrant_targets,
)
from outcomes.situations import GROUPS, MILESTONE_MONTHS, Milestone, Situation

from .figures import count, target_text

DIMENSION_LABELS = {
    Dimension.NATIONAL: gettext_lazy("France entière"),
    Dimension.YEAR: gettext_lazy("année"),
    Dimension.REGION: gettext_lazy("région du lieu de formation"),
    Dimension.DEPARTMENT: gettext_lazy("département du lieu de formation"),
    Dimension.TRAINING: gettext_lazy("formation"),
    Dimension.CALL: gettext_lazy("appel du label"),
    Dimension.SEX: gettext_lazy("sexe"),
}

# Sections of the page (see _family).
FAMILIES = (
    ("apprenants", gettext_lazy("Apprenants et entrées")),
    ("profil", gettext_lazy("Profil des entrants")),
    ("sorties", gettext_lazy("Sorties et devenir des apprenants")),
    ("formations", gettext_lazy("Formations labellisées")),
    ("labellisation", gettext_lazy("Candidatures à la labellisation")),
)
GROUP_COLUMNS = (
    ("positive", gettext_lazy("Sortie positive")),
    ("employment", gettext_lazy("Emploi")),
    ("durable", gettext_lazy("Emploi durable")),
    ("further_study", gettext_lazy("Poursuite d’études")),
    ("known", gettext_lazy("Situation connue")),
)


def _family(indicator: Indicator) -> str:
    base = indicator.base
    if base in ("learners", "in_training") or indicator.code == "entrants":
        return "apprenants"
    if base == "entrants":
        return "profil"
    if base == "exits" or base.startswith("matured_"):
        return "sorties"
    if base == "labelled":
        return "formations"
    return "labellisation"


def cohort(indicator: Indicator) -> str:
    base = indicator.base
    if base == "learners":
        return _(
            "Apprenants distincts ayant au moins une entrée en formation dans la période (au "
            "plus tard à la date d’arrêté)."
        )
    if base == "entrants":
        return _(
            "Cohorte d’entrée : inscriptions dont la date d’entrée tombe dans la période (au "
            "plus tard à la date d’arrêté)."
        )
    if base == "in_training":
        return _(
            "Stock : inscriptions entrées et non sorties à la fin de la période (31 décembre, "
            "ou date d’arrêté pour l’année en cours et « depuis le début »)."
        )
    if base == "exits":
        return _(
            "Cohorte de sortie : inscriptions dont la date de sortie tombe dans la période, "
            "abandons compris."
        )
    if base.startswith("matured_"):
        milestone = Milestone(base.removeprefix("matured_"))
        months = MILESTONE_MONTHS[milestone]
        if months == 0:
            return _("Cohorte de sortie (abandons compris), situation observée à la sortie.")
        return _(
            "Cohorte de sortie (abandons compris) dont l’échéance est atteinte : date de "
            "sortie + %(months)s mois au plus tard à la date d’arrêté."
        ) % {"months": months}
    if base == "labelled":
        return _(
            "Stock : formations sous label à la fin de la période (31 décembre, ou date "
            "d’arrêté), label retiré exclu à partir de son retrait."
        )
    return _("Dossiers déposés dans la période (heure de Paris), au plus tard à la date d’arrêté.")


def _target(indicator: Indicator) -> str:
    if indicator.code == "entrants":
        return ", ".join(
            _("%(target)s en %(year)s") % {"target": count(target), "year": year}
            for year, target in sorted(entrant_targets().items())
        )
    return target_text(indicator, indicator.target)


@dataclass(frozen=True)
class Entry:
    indicator: Indicator
    cohort: str
    target: str
    breakdowns: str

    @property
    def code(self) -> str:
        return self.indicator.code

    @property
    def is_rate(self) -> bool:
        return self.indicator.kind == Kind.RATE


def page() -> dict:
    entries = {slug: [] for slug, _label in FAMILIES}
    for indicator in CATALOGUE:
        entries[_family(indicator)].append(
            Entry(
                indicator=indicator,
                cohort=cohort(indicator),
                target=_target(indicator),
                breakdowns=", ".join(str(DIMENSION_LABELS[d]) for d in indicator.dimensions),
            )
        )
    situations = [
        (situation, [situation in GROUPS[group] for group, _label in GROUP_COLUMNS])
        for situation in Situation
    ]
    return {
        "definition_version": DEFINITION_VERSION,
        "families": [(slug, label, entries[slug]) for slug, label in FAMILIES],
        "group_columns": [label for _group, label in GROUP_COLUMNS],
        "situations": situations,
        "min_count": MIN_COUNT,
        "max_hidden_count": MIN_COUNT - 1,
        "min_denominator": MIN_DENOMINATOR,
    }
