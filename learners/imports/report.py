"""The validation report of an import: every invalid cell, with its line, column, value and
reason.

Reasons are stored as codes with their parameters and rendered at output time, so the same
report reads in French or in English depending on the language active when it is shown
(the command, the web page and the downloadable CSV each render it for their reader).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TextIO

from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext, pgettext

# Every reason an import can give, in one place: the documentation (docs/imports.md) and the
# tests (one test per reason) follow this table.
REASONS = {
    # the file and its header
    "encoding": _("encodage non reconnu : enregistrez le fichier en UTF-8 ou en Windows-1252"),
    "empty_file": _("fichier vide : la première ligne doit donner les noms des colonnes"),
    "malformed": _("ligne illisible (guillemet non refermé ou champ trop long)"),
    "unknown_column": _("colonne inconnue"),
    "missing_column": _("colonne obligatoire absente"),
    "duplicate_column": _("colonne en double"),
    "missing_values": _(
        "il manque des valeurs : %(found)s colonnes au lieu des %(expected)s de l'en-tête"
    ),
    "unexpected_value": _("valeur hors des colonnes de l'en-tête"),
    # values
    "required": _("valeur obligatoire"),
    "too_long": _("trop long (%(max)s caractères au plus)"),
    "boolean": _("valeur inconnue (oui ou non attendu)"),
    "date_format": _("date illisible (AAAA-MM-JJ ou JJ/MM/AAAA attendu)"),
    "date_impossible": _("date impossible"),
    "integer": _("nombre entier positif attendu"),
    "sex": _("sexe inconnu (F, M ou X attendu)"),
    "birth_year": _("année de naissance invalide (entre %(min)s et %(max)s)"),
    "situation_at_entry": _(
        "situation à l'entrée inconnue (employed, job_seeker, inactive ou in_education attendu)"
    ),
    "exit_reason": _("motif de sortie inconnu (completed ou dropout attendu)"),
    "situation": _("code de situation inconnu (attendu : %(codes)s)"),
    "learner_ref_contact": _(
        "ressemble à une adresse électronique : donnez la référence pseudonyme de "
        "l'apprenant, jamais de donnée de contact"
    ),
    # learners.csv rows
    "training_unknown": _("formation inconnue"),
    "training_forbidden": _("formation inconnue ou non rattachée à votre organisme"),
    "duplicate_enrollment": _(
        "même apprenant, même formation et même date d'entrée qu'une ligne précédente"
    ),
    "sex_conflict": _("sexe différent de celui déjà donné pour cet apprenant dans le fichier"),
    "birth_year_conflict": _(
        "année de naissance différente de celle déjà donnée pour cet apprenant dans le fichier"
    ),
    "exit_before_entry": _("date de sortie antérieure à la date d'entrée"),
    "exit_reason_required": _("motif de sortie obligatoire quand une date de sortie est donnée"),
    "exit_reason_without_exit": _("motif de sortie donné sans date de sortie"),
    "situation_without_exit": _("situation de suivi donnée sans date de sortie"),
    # trainings.csv rows
    "siret": _("SIRET invalide (14 chiffres, clé de contrôle)"),
    "department": _("code département INSEE inconnu"),
    "region": _("code région INSEE inconnu"),
    "region_mismatch": _(
        "la région ne correspond pas au département %(department)s (région %(expected)s)"
    ),
    "commune": _("code commune INSEE invalide (5 caractères)"),
    "commune_mismatch": _("ce code commune n'est pas dans le département %(department)s"),
    "duration": _("durée invalide (nombre entier de mois entre %(min)s et %(max)s)"),
    "label_end_before_start": _("la fin du label doit suivre son début"),
    "qpv_code_outside": _("code QPV donné pour un lieu déclaré hors QPV"),
    "duplicate_label": _("même formation et même début de label qu'à la ligne %(first_line)s"),
    "training_conflict": _(
        "valeur différente de celle de la ligne %(first_line)s pour cette formation"
    ),
    "organisation_conflict": _(
        "raison sociale différente de celle de la ligne %(first_line)s pour ce SIRET"
    ),
    "training_other_organisation": _(
        "cette formation appartient déjà à un autre organisme (SIRET %(siret)s)"
    ),
    # writing (phase 2)
    "source_changed": _("le fichier a changé pendant l'import : rien n'a été enregistré"),
    "write_failed": _(
        "l'écriture a échoué, rien n'a été enregistré : réessayez plus tard, et prévenez "
        "l'équipe de la GEN si cela se reproduit"
    ),
}

# Reasons about the file as a whole or its header line rather than about data rows.
FILE_REASONS = frozenset({"encoding", "empty_file", "source_changed", "write_failed"})
HEADER_REASONS = frozenset({"unknown_column", "missing_column", "duplicate_column"})
# Reasons every CSV import can give: the file, its header, the shape of a row (`run.py`) and
# the value readers both imports share (`values.py`). Each import adds its own.
SHARED_REASONS = (
    FILE_REASONS
    | HEADER_REASONS
    | frozenset(
        {
            "malformed",
            "missing_values",
            "unexpected_value",
            "required",
            "too_long",
            "boolean",
            "date_format",
            "date_impossible",
        }
    )
)

# A cell longer than this is shown cut in the report: the report is for reading.
VALUE_DISPLAY_MAX = 100
# Past this many errors the report only counts: a million-row file with a wrong column would
# otherwise make a report nobody reads and hold it all in memory. Fix the first ones, retry.
DEFAULT_MAX_ERRORS = 10_000


@dataclass(frozen=True, slots=True)
class RowError:
    line: int  # physical line of the file (the header is line 1); 0 for the whole file
    column: str  # "" when the error is about the whole row or file
    value: str
    code: str
    params: tuple[tuple[str, object], ...] = ()

    @property
    def reason(self) -> str:
        message = str(REASONS[self.code])
        return message % dict(self.params) if self.params else message

    def as_text(self) -> str:
        values = {
            "line": self.line,
            "column": self.column,
            "value": self.value,
            "reason": self.reason,
        }
        if self.column and self.value:
            return (
                pgettext(
                    "import report",
                    "ligne %(line)s, colonne %(column)s, valeur « %(value)s » : %(reason)s",
                )
                % values
            )
        if self.column:
            return (
                pgettext("import report", "ligne %(line)s, colonne %(column)s : %(reason)s")
                % values
            )
        if self.line:
            return pgettext("import report", "ligne %(line)s : %(reason)s") % values
        return pgettext("import report", "fichier : %(reason)s") % values


class Report:
    """The errors of one import, in file order."""

    def __init__(self, *, max_errors: int | None = DEFAULT_MAX_ERRORS):
        self.errors: list[RowError] = []
        self.max_errors = max_errors
        self.error_count = 0
        self.invalid_lines = 0  # data rows with at least one error
        self.file_errors = 0  # errors about the file or its header
        self._last_line = -1

    @property
    def ok(self) -> bool:
        return self.error_count == 0

    @property
    def truncated(self) -> int:
        """How many errors were counted but not listed."""
        return self.error_count - len(self.errors)

    def add(self, line: int, column: str, value: str, code: str, **params) -> None:
        if code not in REASONS:  # a typo must fail in the tests, not in front of a user
            raise KeyError(code)
        self.error_count += 1
        if code in FILE_REASONS or code in HEADER_REASONS:
            self.file_errors += 1
        elif line != self._last_line:
            self.invalid_lines += 1
            self._last_line = line
        if self.max_errors is not None and len(self.errors) >= self.max_errors:
            return
        if len(value) > VALUE_DISPLAY_MAX:
            value = value[: VALUE_DISPLAY_MAX - 1] + "…"
        self.errors.append(RowError(line, column, value, code, tuple(sorted(params.items()))))

    def codes(self) -> list[str]:
        return [error.code for error in self.errors]

    # --- storage (an import job keeps its report; it is rendered when read) ----------------

    def to_data(self) -> dict:
        """The report as JSON-ready data: codes and parameters, not rendered text, so a
        stored report still reads in the language of whoever opens it."""
        return {
            "errors": [
                [error.line, error.column, error.value, error.code, dict(error.params)]
                for error in self.errors
            ],
            "error_count": self.error_count,
            "invalid_lines": self.invalid_lines,
            "file_errors": self.file_errors,
            "max_errors": self.max_errors,
        }

    @classmethod
    def from_data(cls, data: dict | None) -> Report:
        data = data or {}
        report = cls(max_errors=data.get("max_errors", DEFAULT_MAX_ERRORS))
        report.errors = [
            RowError(line, column, value, code, tuple(sorted(params.items())))
            for line, column, value, code, params in data.get("errors", [])
        ]
        report.error_count = data.get("error_count", len(report.errors))
        report.invalid_lines = data.get("invalid_lines", 0)
        report.file_errors = data.get("file_errors", 0)
        return report

    # --- renderings -----------------------------------------------------------------------

    def summary(self) -> str:
        if self.ok:
            return str(_("Aucune erreur."))
        if not self.invalid_lines:
            return str(_("Fichier refusé : rien n'a été importé."))
        return ngettext(
            "%(count)s ligne invalide : rien n'a été importé.",
            "%(count)s lignes invalides : rien n'a été importé.",
            self.invalid_lines,
        ) % {"count": self.invalid_lines}

    def iter_text(self) -> Iterator[str]:
        for error in self.errors:
            yield error.as_text()
        if self.truncated:
            yield ngettext(
                "… et %(count)s autre erreur non listée : corrigez les premières et recommencez.",
                "… et %(count)s autres erreurs non listées : corrigez les premières et recommencez.",
                self.truncated,
            ) % {"count": self.truncated}

    def as_text(self) -> str:
        return "\n".join(self.iter_text())

    def write_csv(self, stream: TextIO) -> None:
        """The report as a CSV for download (`;`-separated, as French spreadsheets expect;
        write it UTF-8 with a BOM so they open accents right)."""
        writer = csv.writer(stream, delimiter=";", lineterminator="\r\n")
        writer.writerow(
            [
                pgettext("import report column", "ligne"),
                pgettext("import report column", "colonne"),
                pgettext("import report column", "valeur"),
                pgettext("import report column", "motif"),
            ]
        )
        for error in self.errors:
            writer.writerow(
                [error.line, error.column, _neutralise_formula(error.value), error.reason]
            )
        if self.truncated:
            writer.writerow(["", "", "", list(self.iter_text())[-1]])

    def as_csv(self) -> str:
        buffer = io.StringIO()
        self.write_csv(buffer)
        return buffer.getvalue()


def reason_sentence(code: str, **params) -> str:
    """The reason of `code` as a sentence of its own, for a form field or a refused
    declaration: the screens explain a rule in the words of the import's report."""
    message = str(REASONS[code])
    if params:
        message %= params
    return capfirst(message) + "."


def _neutralise_formula(value: str) -> str:
    # A cell of the uploaded file must not become a formula when the report is opened in a
    # spreadsheet (CSV injection).
    if value and value[0] in "=+-@\t\r":
        return "'" + value
    return value


@dataclass
class ImportResult:
    """What both imports return: the report and how the file was read. The imports add
    their counts; `ok` says whether the file was accepted (no row refused)."""

    report: Report
    rows: int = 0  # data rows read (the header and blank lines not counted)
    encoding: str = ""
    delimiter: str = ""
    # A validate-only run wrote nothing: its counts are what the import will write.
    validated_only: bool = False

    @property
    def ok(self) -> bool:
        return self.report.ok

    @property
    def errors(self) -> list:
        return self.report.errors
