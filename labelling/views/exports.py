"""CSV and XLSX exports for staff: a call's dossiers (state, scores, recommendations,
decisions) and its declarations of interests.

Every text cell that a spreadsheet could read as a formula (starting with =, +, - or @, or
with a tab or carriage return that some programs skip first) is prefixed with an apostrophe:
names and titles come from applicants and must never run in the reader's spreadsheet.
"""

import csv
import datetime
import io
from collections.abc import Iterable

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET
from openpyxl import Workbook

from .. import selectors
from ..models import AdmissibilityCheck, Call
from .permissions import staff_required

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def neutralise(value):
    """The cell as exported: strings that could start a formula get a leading apostrophe;
    numbers and dates stay typed (a spreadsheet never evaluates those)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return _("oui") if value else _("non")
    if isinstance(value, datetime.datetime):
        return timezone.localtime(value).strftime("%d/%m/%Y %H:%M")
    if isinstance(value, datetime.date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, int | float):
        return value
    text = str(value)
    if text.startswith(FORMULA_TRIGGERS):
        return "'" + text
    return text


def _csv_cell(value):
    value = neutralise(value)
    # French spreadsheets read "72,5" as a number, "72.5" as text.
    return str(value).replace(".", ",") if isinstance(value, float) else value


def csv_bytes(header: list[str], rows: Iterable[list]) -> bytes:
    # Semicolons and a BOM: what French spreadsheet programs open without an import dialog.
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow([_csv_cell(cell) for cell in header])
    for row in rows:
        writer.writerow([_csv_cell(cell) for cell in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def xlsx_bytes(title: str, header: list[str], rows: Iterable[list]) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31])
    sheet.append([neutralise(cell) for cell in header])
    for row in rows:
        sheet.append([neutralise(cell) for cell in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _respond(fmt: str, filename: str, title: str, header: list[str], rows: list[list]):
    if fmt not in FORMATS:
        raise Http404
    body = csv_bytes(header, rows) if fmt == "csv" else xlsx_bytes(title, header, rows)
    response = HttpResponse(body, content_type=FORMATS[fmt])
    response["Content-Disposition"] = f'attachment; filename="{filename}.{fmt}"'
    return response


def _percent(value: float | None):
    return None if value is None else round(value, 1)


def dossier_table(call: Call) -> tuple[list[str], list[list]]:
    criteria = list(call.criteria.all())
    averages = selectors.criterion_averages(call)
    item_count = len(AdmissibilityCheck.Item.values)
    header = [
        _("Numéro"),
        _("État"),
        _("Correction demandée"),
        _("Organisme"),
        _("SIRET"),
        _("Formation"),
        _("Région"),
        _("Département"),
        _("Déposé le"),
        _("Recevabilité"),
        _("Évaluateurs"),
        _("Évaluations rendues"),
        _("Note pondérée (%)"),
        _("Avis favorables"),
        _("Avis réservés"),
        _("Avis défavorables"),
        *[
            _("Moyenne : %(title)s (sur %(max)d)") % {"title": c.title, "max": c.max_score}
            for c in criteria
        ],
        _("Décision"),
        _("Motifs"),
        _("Décidé le"),
        _("Noms des évaluateurs"),
    ]
    rows = []
    for dossier in selectors.export_dossiers(call):
        decision = dossier.decision_list[-1] if dossier.decision_list else None
        if dossier.admissibility_complete is None:
            admissibility = _("non vérifiée")
        elif dossier.admissibility_complete:
            admissibility = _("recevable (%(n)d/%(n)d)") % {"n": item_count}
        else:
            admissibility = _("incomplète")
        rows.append(
            [
                dossier.reference,
                dossier.get_state_display(),
                dossier.correction_requested,
                dossier.organisation.name,
                dossier.organisation.siret,
                dossier.training_title,
                dossier.get_region_code_display(),
                dossier.get_department_code_display(),
                dossier.submitted_at,
                admissibility,
                dossier.reviewers_count,
                dossier.reviews_submitted,
                _percent(dossier.weighted_score),
                dossier.favourable_count,
                dossier.reserved_count,
                dossier.unfavourable_count,
                *[_percent(averages.get((dossier.pk, criterion.pk))) for criterion in criteria],
                decision.get_outcome_display() if decision else "",
                decision.reason if decision else "",
                decision.decided_at if decision else None,
                ", ".join(a.member.get_full_name() for a in dossier.reviewer_list),
            ]
        )
    return header, rows


@staff_required
@require_GET
def staff_export(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    call = get_object_or_404(Call, pk=pk)
    header, rows = dossier_table(call)
    return _respond(fmt, f"dossiers-{call.reference}", _("Dossiers"), header, rows)


@staff_required
@require_GET
def staff_declarations_export(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    call = get_object_or_404(Call, pk=pk)
    header = [
        _("Déclaré le"),
        _("Membre"),
        _("Adresse électronique"),
        _("Type"),
        _("Dossier"),
        _("Organisme du dossier"),
        _("Organismes déclarés"),
        _("SIRET déclarés"),
        _("Précisions"),
    ]
    rows = [
        [
            declaration.declared_at,
            declaration.member.get_full_name(),
            declaration.member.email,
            _("Conflit sur un dossier") if declaration.dossier_id else _("Déclaration d'intérêts"),
            declaration.dossier.reference if declaration.dossier_id else "",
            declaration.dossier.organisation.name if declaration.dossier_id else "",
            declaration.organisations,
            declaration.sirets.replace("\n", ", "),
            declaration.comment,
        ]
        for declaration in selectors.call_declarations(call)
    ]
    return _respond(fmt, f"declarations-{call.reference}", _("Déclarations"), header, rows)
