"""`manage.py load_demo`: load the demo network (see docs/demo.md)."""

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction
from django.test.utils import override_settings

from gen_portal.demo.builder import (
    DEMO_ACCOUNTS,
    DemoBuilder,
    conflicting_rows,
    database_is_empty,
    demo_is_loaded,
)
from gen_portal.demo.indicators import demo_indicators_publish
from gen_portal.demo.plan import CALL_2018_SHARE, DEFAULT_SEED, DEMO_PASSWORD, network_plan
from gen_portal.errors import DomainError

# Demo mail goes to Django's in-memory backend: the outbox rows are kept (and marked sent)
# without flooding the console with thousands of messages.
LOCMEM_EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
DEMO_HASHERS = [
    "gen_portal.demo.builder.DemoPasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]


@contextmanager
def _quiet_task_log() -> Iterator[None]:
    """Celery logs one line per eager task (and kombu warns that no broker is configured,
    which is the embedded mode's point): thousands of demo emails would bury the progress
    lines."""
    levels = {"celery.app.trace": logging.WARNING, "kombu.connection": logging.ERROR}
    loggers = {name: logging.getLogger(name) for name in levels}
    previous = {name: logger.level for name, logger in loggers.items()}
    for name, logger in loggers.items():
        logger.setLevel(levels[name])
    try:
        yield
    finally:
        for name, logger in loggers.items():
            logger.setLevel(previous[name])


@contextmanager
def _commits_without_flush_wait() -> Iterator[None]:
    """On PostgreSQL, let this session's commits return before the WAL reaches the disk.

    After the load commits, each queued notification task runs in its own small transaction
    (it finds the email already sent and stops, but its row lock is a write); waiting for a
    disk flush thousands of times costs more than the rest of the load. A server crash could
    only lose those last no-op commits, never corrupt anything. Session setting, reset after.
    """
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit TO OFF")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET synchronous_commit")


class Command(BaseCommand):
    help = (
        "Charge le réseau de démonstration de la GEN au 29 juin 2018 (appels 2015, 2016 et "
        "2018, organismes, comité, formations labellisées, 11 409 apprenants). Sans effet si "
        "la démo est déjà chargée."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--seed",
            type=int,
            default=DEFAULT_SEED,
            help=f"Graine du générateur (défaut : {DEFAULT_SEED}) : même graine, même réseau.",
        )
        parser.add_argument(
            "--scale",
            type=float,
            default=1.0,
            help="Taille du réseau (défaut : 1.0 ; 0.05 pour des tests rapides). Les chiffres "
            "publiés (11 409 apprenants...) ne valent qu'à 1.0.",
        )
        parser.add_argument(
            "--full-2018-call",
            action="store_true",
            help="Construire l'appel 2018 en entier (855 candidatures, 347 labellisées) au "
            "lieu de la moitié : chargement nettement plus long.",
        )
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Ne rien charger si la base contient déjà des appels ou des organisations.",
        )

    def handle(
        self, *args, seed: int, scale: float, if_empty: bool, full_2018_call: bool, **options
    ) -> None:
        if not 0 < scale <= 1.0:
            raise CommandError("--scale doit être compris entre 0 (exclu) et 1.")
        if demo_is_loaded():
            self.stdout.write("La démo est déjà chargée : rien à faire.")
            # A demo loaded before the demo published its indicators gets them now.
            self._publish_indicators()
            self._print_accounts()
            return
        if if_empty and not database_is_empty():
            self.stdout.write(
                "La base contient déjà des données : la démo n'est pas chargée (--if-empty)."
            )
            return
        problems = conflicting_rows()
        if problems:
            raise CommandError(
                "Impossible de charger la démo dans cette base : " + " ; ".join(problems) + "."
            )

        started = time.monotonic()
        self.stdout.write(f"Chargement de la démo (graine {seed}, échelle {scale:g})…")
        plan = network_plan(
            seed=seed, scale=scale, call_2018_share=1.0 if full_2018_call else CALL_2018_SHARE
        )
        # One transaction: a failure leaves the database as it was. The notifications queued
        # by the services are sent (to locmem) when it commits, which happens inside the
        # settings override because the atomic block is the inner context.
        with (
            override_settings(
                EMAIL_BACKEND=LOCMEM_EMAIL_BACKEND,
                PASSWORD_HASHERS=DEMO_HASHERS,
                # Query logging (on with DEBUG) costs an extra query per query on SQLite and
                # keeps every statement in memory: not wanted for ~200,000 statements.
                DEBUG=False,
            ),
            _quiet_task_log(),
            _commits_without_flush_wait(),
            transaction.atomic(),
        ):
            try:
                summary = DemoBuilder(plan=plan, log=self.stdout.write).build()
            except DomainError as error:
                # Existing data the pre-check cannot foresee (an applicant's email already
                # taken, say): the transaction is rolled back, nothing of the demo remains.
                raise CommandError(f"Chargement annulé, rien n'a été écrit : {error}") from error
        self.stdout.write(
            self.style.SUCCESS(
                f"Démo chargée en {time.monotonic() - started:.1f} s : "
                f"{summary.organisations} organisations, {summary.learners} apprenants, "
                f"{summary.emails} notifications dans la boîte d'envoi (marquées envoyées)."
            )
        )
        self._publish_indicators()
        self._print_accounts()

    def _publish_indicators(self) -> None:
        """After the load's transaction: the engine reads committed rows like any run, and a
        failed run leaves the demo itself in place."""
        run, computed = demo_indicators_publish()
        if not computed:
            return
        if run.status == run.Status.DONE:
            self.stdout.write(
                f"Indicateurs au {run.as_of:%d/%m/%Y} calculés et publiés (calcul n° {run.pk})."
            )
        else:
            self.stderr.write(
                f"Le calcul des indicateurs au {run.as_of:%d/%m/%Y} a échoué : {run.error}. "
                "Relancez load_demo pour le refaire (la démo elle-même est chargée)."
            )

    def _print_accounts(self) -> None:
        self.stdout.write(f"Comptes de démonstration (mot de passe : {DEMO_PASSWORD}) :")
        for account in DEMO_ACCOUNTS:
            self.stdout.write(f"  - {account.role} : {account.email}")
