"""`manage.py import_trainings FILE [--check]`: import a trainings.csv (staff: existing labelled
trainings, their organisations, labels and calls).

Any invalid row: the report goes to stderr, the exit status is 1 and nothing is written.
`--check` validates the whole file with the same rules and writes nothing, even when valid.
Messages follow `LANGUAGE` (fr by default, en).
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import translation
from django.utils.translation import gettext as _

from learners.imports import trainings_import
from learners.imports.command import finish, language_from_environment, progress_printer


class Command(BaseCommand):
    help = "Importe un fichier trainings.csv (formations labellisées, organismes, labels)."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="chemin du fichier CSV")
        parser.add_argument(
            "--check",
            action="store_true",
            help="vérifier le fichier en entier sans rien enregistrer",
        )

    def handle(self, *args, file: Path, check: bool, verbosity: int, **options):
        with translation.override(language_from_environment()):
            if not file.is_file():
                raise CommandError(_("Fichier introuvable : %(path)s") % {"path": file})
            result = trainings_import(
                source=file,
                progress=progress_printer(self) if verbosity >= 2 else None,
                validate_only=check,
            )
            finish(self, result)
