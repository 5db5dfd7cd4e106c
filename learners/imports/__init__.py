"""The CSV imports of DESIGN.md §6: `learners.csv` and `trainings.csv`.

One engine for every caller (management commands, the upload pages, a Celery task):

    result = learners_import(source=path_or_file, importer=Importer.for_organisation(org))
    if not result.ok:
        print(result.report.as_text())

Each import reads its file as a stream, validates all of it and writes only when no row is
invalid; with `validate_only=True` it stops after the validation and writes nothing. The web
path (upload, confirmation, tasks, progress) is `jobs.py`. See docs/imports.md for the formats
as organisations should produce them.
"""

from .learners_csv import Importer, LearnersImportResult, learners_import
from .progress import ImportProgress
from .report import REASONS, Report, RowError
from .trainings_csv import TrainingsImportResult, trainings_import

__all__ = [
    "REASONS",
    "ImportProgress",
    "Importer",
    "LearnersImportResult",
    "Report",
    "RowError",
    "TrainingsImportResult",
    "learners_import",
    "trainings_import",
]
