"""How a public page shows an indicator cell: a formatted figure, or the mark of a hidden
cell ("< 5", "n.c.") with its reason. Shared by the public indicators page and the
catalogue's training pages, so a figure reads the same wherever it appears."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .catalogue import REASON_DISPLAY, Indicator, Kind, Reason
from .selectors import Cell

REASON_TEXT = {
    Reason.COUNT_UNDER_5: gettext_lazy(
        "Effectif compris entre 1 et 4, masqué au titre du secret statistique."
    ),
    Reason.DENOMINATOR_UNDER_20: gettext_lazy(
        "Taux non communiqué : il porterait sur moins de 20 personnes ou formations."
    ),
    Reason.SECONDARY: gettext_lazy(
        "Non communiqué pour qu'une autre valeur masquée ne puisse pas être retrouvée par "
        "soustraction (secret statistique)."
    ),
}


def percent(value: float) -> str:
    # number_format truncates floats: round first.
    return f"{number_format(round(value * 100, 1), 1)}\u00a0%"


def count(value: float | int) -> str:
    return number_format(int(round(value)), 0, force_grouping=True)


@dataclass(frozen=True)
class Shown:
    """One cell as the page shows it: a figure, or a mark with its reason."""

    text: str
    hidden: bool = False
    reason: str = ""
    reason_code: str = ""
    fraction: str = ""  # "12 / 27" under a rate
    details: tuple[str, ...] = ()  # interval, coverage, lower bound
    missing: bool = False


def shown(indicator: Indicator, cell: Cell | None, *, details: bool = False) -> Shown:
    if cell is None:
        return Shown(text="—", missing=True)
    if cell.suppressed:
        return Shown(
            text=REASON_DISPLAY.get(cell.reason, "n.c."),
            hidden=True,
            reason=str(REASON_TEXT.get(cell.reason, "")),
            reason_code=cell.reason or "",
        )
    if indicator.kind == Kind.COUNT:
        return Shown(text=count(cell.numerator or 0))
    if cell.value is None:
        return Shown(text="—", missing=True)
    extra = []
    if details:
        if cell.ci_low is not None and cell.ci_high is not None:
            extra.append(
                _("intervalle de confiance à 95 %% : %(low)s – %(high)s")
                % {"low": percent(cell.ci_low), "high": percent(cell.ci_high)}
            )
        if cell.coverage is not None:
            extra.append(_("situations connues : %(value)s") % {"value": percent(cell.coverage)})
        if cell.lower_bound is not None:
            extra.append(
                _("borne basse (situations inconnues comptées non positives) : %(value)s")
                % {"value": percent(cell.lower_bound)}
            )
    return Shown(
        text=percent(cell.value),
        fraction=f"{count(cell.numerator or 0)} / {count(cell.denominator or 0)}",
        details=tuple(extra),
    )


def target_text(indicator: Indicator, target: float | None) -> str:
    if target is None:
        return ""
    if indicator.kind == Kind.RATE:
        return _("≥ %(value)s") % {"value": percent(target)}
    return count(target)


def reasons_used(figures) -> list[dict]:
    """The hidden-cell reasons appearing among `figures`, in catalogue order, for the
    legend under a table."""
    used = {figure.reason_code for figure in figures if figure.hidden}
    return [
        {"mark": REASON_DISPLAY[reason], "text": REASON_TEXT[reason]}
        for reason in Reason
        if reason in used
    ]
