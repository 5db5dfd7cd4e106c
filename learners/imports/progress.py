"""Progress of a running import, for a command's output or a Celery task's state."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

VALIDATE = "validate"
WRITE = "write"


@dataclass(frozen=True)
class ImportProgress:
    phase: str  # VALIDATE (reading the whole file, nothing written) or WRITE
    rows_done: int
    rows_total: int | None  # known once the file has been validated
    bytes_done: int
    bytes_total: int | None  # None when the source cannot tell its size

    @property
    def percent(self) -> int | None:
        """0-50 while validating (by bytes read), 50-100 while writing (by rows)."""
        if self.phase == VALIDATE:
            if not self.bytes_total:
                return None
            return min(50, self.bytes_done * 50 // self.bytes_total)
        if not self.rows_total:
            return 100
        return 50 + min(50, self.rows_done * 50 // self.rows_total)


ProgressCallback = Callable[[ImportProgress], None]
