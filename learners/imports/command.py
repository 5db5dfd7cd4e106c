"""What the two import commands share: the language of their output, the report on
stderr, the progress lines."""

from __future__ import annotations

import os

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from .progress import VALIDATE, ImportProgress


def language_from_environment(environ=os.environ) -> str:
    """The first language of `LANGUAGE` (as GNU gettext reads it, `en_GB:en`) the portal
    offers; else the portal's default, French."""
    offered = {code for code, _name in settings.LANGUAGES}
    for item in environ.get("LANGUAGE", "").split(":"):
        code = item.strip().split(".")[0].replace("_", "-").lower()
        for candidate in (code, code.split("-")[0]):
            if candidate in offered:
                return candidate
    return settings.LANGUAGE_CODE


def progress_printer(command: BaseCommand):
    def show(event: ImportProgress) -> None:
        if event.phase == VALIDATE:
            message = _("vérification : %(rows)s lignes lues") % {"rows": event.rows_done}
        else:
            message = _("écriture : %(done)s / %(total)s lignes") % {
                "done": event.rows_done,
                "total": event.rows_total,
            }
        command.stderr.write(message)

    return show


def finish(command: BaseCommand, result) -> None:
    """Print the counts, or the report and fail (exit status 1, nothing written)."""
    if result.ok:
        command.stdout.write(result.summary())
        return
    command.stderr.write(result.report.as_text())
    raise CommandError(result.report.summary())
