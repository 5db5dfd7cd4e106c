"""What a run of either import shares: the source, the report, the progress callback, the
two passes' guard and the encoding detection that opens both. Each import's `_Run` adds its
own rules (`learners_csv`, `trainings_csv`)."""

from __future__ import annotations

from .progress import WRITE, ImportProgress, ProgressCallback
from .reading import Source, UnreadableFile, detect_encoding
from .report import ImportResult, Report


class SourceChanged(Exception):
    """The second pass did not read what the first validated."""


class ImportRun:
    def __init__(
        self,
        *,
        source: Source,
        progress: ProgressCallback | None,
        max_errors: int | None,
        validate_only: bool,
        result: type[ImportResult],
    ):
        self.source = source
        self.progress = progress
        self.validate_only = validate_only
        self.report = Report(max_errors=max_errors)
        self.result = result(report=self.report)
        self.fingerprint = ""

    def notify(self, phase: str, rows_done: int, bytes_done: int) -> None:
        if self.progress is not None:
            total = self.result.rows if phase == WRITE else None
            self.progress(ImportProgress(phase, rows_done, total, bytes_done, self.source.size))

    def detect_encoding(self) -> str | None:
        """The file's encoding, also kept with its fingerprint (the second pass checks it
        read the same file); None once an unreadable file has been reported."""
        try:
            encoding, self.fingerprint = detect_encoding(self.source)
        except UnreadableFile as error:
            self.report.add(error.line, "", "", "encoding")
            return None
        self.result.encoding = encoding
        return encoding
