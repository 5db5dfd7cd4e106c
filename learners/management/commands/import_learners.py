"""`manage.py import_learners FILE [--organisation SIRET] [--check]`: import a learners.csv.

Without --organisation the file is imported as staff (any training); with it, as that
organisation (its own trainings only). Any invalid row: the report goes to stderr, the exit
status is 1 and nothing is written. `--check` validates the whole file with the same rules and
writes nothing, even when it is valid. Messages follow `LANGUAGE` (fr by default, en).
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import translation
from django.utils.translation import gettext as _

from learners.imports import Importer, learners_import
from learners.imports.command import finish, language_from_environment, progress_printer
from trainings.models import Organisation


class Command(BaseCommand):
    help = "Importe un fichier learners.csv (un apprenant inscrit par ligne)."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="chemin du fichier CSV")
        parser.add_argument(
            "--check",
            action="store_true",
            help="vérifier le fichier en entier sans rien enregistrer",
        )
        parser.add_argument(
            "--organisation",
            metavar="SIRET",
            help="importer au nom de cet organisme (ses propres formations seulement)",
        )

    def handle(
        self, *args, file: Path, check: bool, organisation: str | None, verbosity: int, **options
    ):
        with translation.override(language_from_environment()):
            if not file.is_file():
                raise CommandError(_("Fichier introuvable : %(path)s") % {"path": file})
            importer = Importer.staff()
            if organisation is not None:
                siret = "".join(organisation.split())
                found = Organisation.objects.filter(siret=siret).first()
                if found is None:
                    raise CommandError(
                        _("Aucun organisme n'a le SIRET %(siret)s.") % {"siret": siret}
                    )
                importer = Importer.for_organisation(found)
            result = learners_import(
                source=file,
                importer=importer,
                progress=progress_printer(self) if verbosity >= 2 else None,
                validate_only=check,
            )
            finish(self, result)
