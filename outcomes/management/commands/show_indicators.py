"""`manage.py show_indicators --format json|csv [--as-of DATE] [--public]`: print a published
run (DESIGN.md §6 gives the JSON shape)."""

import csv
import json

from django.core.management.base import BaseCommand, CommandError, CommandParser

from outcomes.indicators.selectors import Cell, cells_for, latest_published_run

from .compute_indicators import parse_date

CSV_COLUMNS = [
    "code",
    "period",
    "breakdown_dimension",
    "breakdown_key",
    "numerator",
    "denominator",
    "value",
    "ci_low",
    "ci_high",
    "coverage",
    "lower_bound",
    "target",
    "suppressed",
    "reason",
]


def cell_json(cell: Cell) -> dict:
    breakdown = {"dimension": cell.dimension, "key": cell.key} if cell.dimension else {}
    return {
        "code": cell.code,
        "period": cell.period,
        "breakdown": breakdown,
        "numerator": cell.numerator,
        "denominator": cell.denominator,
        "value": cell.value,
        "ci_low": cell.ci_low,
        "ci_high": cell.ci_high,
        "coverage": cell.coverage,
        "lower_bound": cell.lower_bound,
        "target": cell.target,
        "suppressed": cell.suppressed,
        "reason": cell.reason,
    }


def _csv_field(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class Command(BaseCommand):
    help = (
        "Affiche le dernier calcul d'indicateurs publié (ou le dernier à une date d'arrêté) "
        "en JSON ou en CSV ; --public applique le secret statistique."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--format", choices=["json", "csv"], default="json")
        parser.add_argument(
            "--as-of", type=parse_date, default=None, help="Date d'arrêté (AAAA-MM-JJ)."
        )
        parser.add_argument(
            "--public",
            action="store_true",
            help="Secret statistique : une cellule masquée ne porte que son motif.",
        )

    def handle(self, *args, format, as_of, public, **options) -> None:
        run = latest_published_run(as_of=as_of)
        if run is None:
            when = f" au {as_of:%Y-%m-%d}" if as_of else ""
            raise CommandError(
                f"Aucun calcul d'indicateurs publié{when}. Lancez d'abord : "
                "manage.py compute_indicators" + (f" --as-of {as_of:%Y-%m-%d}" if as_of else "")
            )
        cells = cells_for(run, public=public)
        if format == "json":
            payload = {
                "as_of": run.as_of.isoformat(),
                "definition_version": run.definition_version,
                "indicators": [cell_json(cell) for cell in cells],
            }
            self.stdout.write(json.dumps(payload, ensure_ascii=False, indent=2))
            return
        writer = csv.writer(self.stdout, lineterminator="\n")
        writer.writerow(CSV_COLUMNS)
        for cell in cells:
            data = cell_json(cell)
            breakdown = data.pop("breakdown")
            data["breakdown_dimension"] = breakdown.get("dimension", "")
            data["breakdown_key"] = breakdown.get("key", "")
            writer.writerow([_csv_field(data[column]) for column in CSV_COLUMNS])
