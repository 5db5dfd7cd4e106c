"""The dashboard as spreadsheets: one sheet per table shown (headline figures, years,
regions, departments, calls, trainings with the current filters). CSV gives one table per
file; XLSX gives them all, one tab each.

Rates are exported in percent with one decimal, as on the page, next to their exact
numerator and denominator. Text cells go through `labelling.views.exports.neutralise`
(formula injection: training titles and organisation names come from applicants).
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook

from labelling.views.exports import csv_bytes, neutralise
from outcomes.indicators.catalogue import BY_CODE, Kind

from .figures import CallRow, Row, Shown, Tile, TrainingRow, Trend


@dataclass(frozen=True)
class Sheet:
    slug: str
    title: str
    header: list[str]
    rows: list[list]


def _pct(value: float | None):
    return None if value is None else round(value * 100, 1)


def _figure_header(code: str) -> list[str]:
    indicator = BY_CODE[code]
    label = str(indicator.label)
    if indicator.kind == Kind.COUNT:
        return [label]
    header = [
        f"{label} (%)",
        _("%(label)s : numérateur") % {"label": label},
        _("%(label)s : dénominateur") % {"label": label},
        _("%(label)s : IC 95 %% bas (%%)") % {"label": label},
        _("%(label)s : IC 95 %% haut (%%)") % {"label": label},
    ]
    if indicator.coverage is not None:
        header += [
            _("%(label)s : situations connues (%%)") % {"label": label},
            _("%(label)s : borne basse (%%)") % {"label": label},
        ]
    return header


def _figure_cells(item: Shown) -> list:
    cell = item.cell
    if not item.is_rate:
        return [item.number]
    if item.missing:
        return [None] * len(_figure_header(item.indicator.code))
    cells = [
        _pct(cell.value),
        cell.numerator,
        cell.denominator,
        _pct(cell.ci_low),
        _pct(cell.ci_high),
    ]
    if item.indicator.coverage is not None:
        cells += [_pct(getattr(cell, "coverage", None)), _pct(getattr(cell, "lower_bound", None))]
    return cells


def tiles_sheet(tiles: list[Tile]) -> Sheet:
    header = [
        _("Code"),
        _("Indicateur"),
        _("Période"),
        _("Valeur (nombre ou %)"),
        _("Numérateur"),
        _("Dénominateur"),
        _("IC 95 % bas (%)"),
        _("IC 95 % haut (%)"),
        _("Situations connues (%)"),
        _("Borne basse (%)"),
        _("Cible"),
        _("Statut par rapport à la cible"),
        _("Année en cours"),
        _("Valeur de l’année en cours"),
        _("Année précédente"),
        _("Valeur de l’année précédente"),
        _("Évolution"),
    ]
    rows = []
    for tile in tiles:
        item, cell = tile.item, tile.item.cell
        rate = item.is_rate and not item.missing
        change = tile.change
        rows.append(
            [
                tile.code,
                str(tile.label),
                tile.period_label,
                _pct(item.number) if item.is_rate else item.number,
                cell.numerator if cell is not None else None,
                cell.denominator if rate else None,
                _pct(cell.ci_low) if rate else None,
                _pct(cell.ci_high) if rate else None,
                _pct(cell.coverage) if rate else None,
                _pct(cell.lower_bound) if rate else None,
                tile.target_text or tile.target_note,
                str(tile.badge[1]) if tile.badge else "",
                change.current_label if change else "",
                change.current.text if change else "",
                change.previous_label if change else "",
                change.previous.text if change else "",
                change.delta if change else "",
            ]
        )
    return Sheet("chiffres-cles", _("Chiffres clés"), header, rows)


def trends_sheet(trends: list[Trend]) -> Sheet:
    codes = list(dict.fromkeys(series.item_code for trend in trends for series in trend.series))
    header = [_("Année")]
    for code in codes:
        header += _figure_header(code)
    by_code = {series.item_code: series for trend in trends for series in trend.series}
    years = trends[0].year_labels if trends else []
    rows = []
    for index, label in enumerate(years):
        row = [label]
        for code in codes:
            row += _figure_cells(by_code[code].points[index])
        rows.append(row)
    return Sheet("annees", _("Par année"), header, rows)


def breakdown_sheet(
    slug: str, title: str, key_label: str, period: str, rows: list[Row], total: Row, codes
) -> Sheet:
    header = [_("Code"), key_label, _("Période")]
    for code in codes:
        header += _figure_header(code)
    out = []
    for row in [*rows, total]:
        line = [row.key, row.name, period]
        for item in row.figures:
            line += _figure_cells(item)
        out.append(line)
    return Sheet(slug, title, header, out)


def calls_sheet(rows: list[CallRow], codes) -> Sheet:
    header = [_("Appel"), _("Intitulé")]
    for code in codes:
        header += _figure_header(code)
    header += [_("Dossiers décidés (délai)"), _("Délai moyen de décision (jours)")]
    out = []
    for row in rows:
        line = [row.reference, row.title]
        for item in row.figures:
            line += _figure_cells(item)
        delay = row.delay
        line += [
            delay.decided if delay else None,
            round(delay.mean_days, 1) if delay and delay.mean_days is not None else None,
        ]
        out.append(line)
    return Sheet("appels", _("Par appel"), header, out)


FLAG_TEXT = {
    "below": gettext_lazy("au-dessous"),
    "above": gettext_lazy("au-dessus"),
}


def trainings_sheet(rows: Iterable[TrainingRow], period: str) -> Sheet:
    outcome = "positive_exit_rate_m3"
    header = [
        _("Période"),
        _("Code"),
        _("Intitulé"),
        _("Organisme"),
        _("Région"),
        _("Département"),
        _("Entrées"),
        _("Sorties"),
        _("Abandons"),
        *_figure_header(outcome),
        _("Écart au taux national (intervalle hors du taux)"),
    ]
    out = [
        [
            period,
            row.code,
            row.title,
            row.organisation,
            row.region,
            row.department,
            row.entrants,
            row.exits,
            row.dropouts,
            *_figure_cells(row.outcome),
            str(FLAG_TEXT.get(row.flag, "")),
        ]
        for row in rows
    ]
    return Sheet("formations", _("Par formation"), header, out)


# --- files ----------------------------------------------------------------------------------


def csv_file(sheet: Sheet) -> bytes:
    return csv_bytes(sheet.header, sheet.rows)


def xlsx_file(sheets: list[Sheet]) -> bytes:
    workbook = Workbook(write_only=True)
    for sheet in sheets:
        tab = workbook.create_sheet(title=sheet.title[:31])
        tab.append([neutralise(cell) for cell in sheet.header])
        for row in sheet.rows:
            tab.append([neutralise(cell) for cell in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
