"""`manage.py compute_indicators [--as-of DATE]`: compute and publish the indicators, printing
progress; exits non-zero when the run fails."""

import argparse
import datetime
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from outcomes.indicators.runs import Trigger, indicator_run_execute, indicator_run_request
from outcomes.models import IndicatorRun


def parse_date(text: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(
            f"date invalide : {text!r} (attendu : AAAA-MM-JJ)"
        ) from error


class Command(BaseCommand):
    help = (
        "Calcule les indicateurs à une date d'arrêté (par défaut aujourd'hui) et les publie. "
        "Avec un broker Celery, la tâche part à un worker et la commande suit son avancement ; "
        "sans broker, le calcul se fait dans ce processus."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--as-of", type=parse_date, default=None, help="Date d'arrêté (AAAA-MM-JJ)."
        )
        parser.add_argument(
            "--timeout",
            type=float,
            default=float(settings.CELERY_TASK_TIME_LIMIT) + 120,
            help="Attente maximale d'un worker, en secondes (avec un broker).",
        )
        parser.add_argument(
            "--poll-interval", type=float, default=1.0, help=("Intervalle de suivi, en secondes.")
        )

    def handle(self, *args, as_of, timeout, poll_interval, **options) -> None:
        as_of = as_of or timezone.localdate()
        if as_of > timezone.localdate():
            raise CommandError("La date d'arrêté ne peut pas être dans le futur.")
        started = time.monotonic()
        if settings.CELERY_TASK_ALWAYS_EAGER:
            run = indicator_run_request(as_of=as_of, trigger=Trigger.COMMAND, enqueue=False)
            self.stdout.write(f"Calcul n° {run.pk} au {as_of:%Y-%m-%d} (dans ce processus)")
            run = indicator_run_execute(run_id=run.pk, on_progress=self._print_progress)
        else:
            run = indicator_run_request(as_of=as_of, trigger=Trigger.COMMAND)
            self.stdout.write(f"Calcul n° {run.pk} au {as_of:%Y-%m-%d} confié à un worker")
            run = self._wait(run, timeout=timeout, poll_interval=poll_interval)
        elapsed = time.monotonic() - started
        if run.status != IndicatorRun.Status.DONE:
            raise CommandError(f"Échec du calcul n° {run.pk} : {run.error or run.status}")
        self.stdout.write(
            self.style.SUCCESS(
                f"Calcul n° {run.pk} publié : {run.cells} valeurs en {elapsed:.1f} s "
                f"(définitions v{run.definition_version})."
            )
        )

    def _print_progress(self, percent: int) -> None:
        self.stdout.write(f"  {percent:3d} %")

    def _wait(self, run: IndicatorRun, *, timeout: float, poll_interval: float) -> IndicatorRun:
        deadline = time.monotonic() + timeout
        shown = None
        while True:
            run.refresh_from_db()
            if (run.status, run.progress) != shown:
                shown = (run.status, run.progress)
                self.stdout.write(f"  {run.progress:3d} % ({run.get_status_display()})")
            if run.status in (IndicatorRun.Status.DONE, IndicatorRun.Status.FAILED):
                return run
            if time.monotonic() > deadline:
                raise CommandError(
                    f"Le calcul n° {run.pk} n'est pas terminé après {timeout:.0f} s "
                    f"(statut : {run.get_status_display()}). Un worker Celery tourne-t-il ?"
                )
            time.sleep(poll_interval)
