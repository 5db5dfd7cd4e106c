"""Generation of the open-data files, and the request for it that writes queue.

Every change that alters a public dataset (a label granted, withdrawn or expired, a training,
its organisation or a session changed, a trainings import) calls
`open_data_refresh_on_commit()` inside its transaction. Once that transaction commits, a task
regenerates every file from the database; a beat entry just after midnight does it too, so a
label ending yesterday leaves the files as the day changes, before anyone asks.

Requests are coalesced: a transaction asks once however many rows it changes, and a task
whose request is older than the start of the latest generation stops at once (that
generation already saw the change). Generations are serialised by a row lock on the files,
so an older snapshot never overwrites a newer one.
"""

from __future__ import annotations

import datetime
import hashlib

from django.db import transaction
from django.utils import timezone

from ..models import OpenDataFile
from .datasets import Dataset, calls_dataset, trainings_dataset

CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "json": "application/json; charset=utf-8",
}
# file name -> (dataset builder, format). The names are part of the public URLs.
FILES = {
    "calls.csv": (calls_dataset, "csv"),
    "calls.json": (calls_dataset, "json"),
    "trainings.csv": (trainings_dataset, "csv"),
    "trainings.json": (trainings_dataset, "json"),
}


def _locked_files() -> dict[str, OpenDataFile]:
    # The rows exist from the first generation on; get_or_create copes with two first
    # generations racing (the loser finds the winner's row once it commits).
    for name, (_builder, fmt) in FILES.items():
        OpenDataFile.objects.get_or_create(name=name, defaults={"content_type": CONTENT_TYPES[fmt]})
    files = (
        OpenDataFile.objects.select_for_update()
        .filter(name__in=FILES)
        .defer("content")
        .order_by("name")
    )
    return {file.name: file for file in files}


def _render(dataset: Dataset, fmt: str) -> str:
    return dataset.as_csv() if fmt == "csv" else dataset.as_json()


@transaction.atomic
def open_data_generate(
    *, now: datetime.datetime | None = None, requested_at: datetime.datetime | None = None
) -> list[str] | None:
    """Regenerate every open-data file from the database as it stands `now`. Returns the
    names of the files whose content changed, or None when skipped because a generation
    that started at or after `requested_at` already ran.

    A file whose content is unchanged keeps its modification date, so a reuser's
    conditional download (If-Modified-Since, ETag) gets "304 Not Modified"."""
    files = _locked_files()
    if requested_at is not None and all(
        file.checked_at is not None and file.checked_at >= requested_at for file in files.values()
    ):
        return None
    # Taken once the lock is held: any change committed before this instant is visible to
    # the reads below.
    started = now or timezone.now()
    day = timezone.localdate(started)
    built: dict = {}
    changed = []
    for name, (builder, fmt) in FILES.items():
        if builder not in built:
            built[builder] = builder(day)
        dataset = built[builder]
        content = _render(dataset, fmt)
        digest = hashlib.sha256(content.encode("utf-8")).hexdigest()
        file = files[name]
        fields = ["as_of", "checked_at"]
        if digest != file.sha256:
            file.content = content
            file.sha256 = digest
            file.rows = len(dataset.rows)
            file.content_type = CONTENT_TYPES[fmt]
            file.modified_at = started
            fields += ["content", "sha256", "rows", "content_type", "modified_at"]
            changed.append(name)
        file.as_of = day
        file.checked_at = started
        file.save(update_fields=fields)
    return changed


def _enqueue_refresh() -> None:
    # Imported here: the trainings and labelling services import this module.
    from outcomes.tasks import open_data_refresh

    open_data_refresh.delay(requested_at=timezone.now().isoformat())


def open_data_refresh_on_commit() -> None:
    """Ask for the open-data files to be regenerated once the current transaction commits;
    once per transaction, however many changes it holds. A rolled-back change asks
    nothing. Robust: if the broker is down, the change is kept and the midnight beat
    catches up."""
    connection = transaction.get_connection()
    # `run_on_commit` holds (savepoint ids, callback, robust) for the current transaction;
    # a callback of a rolled-back savepoint is already gone from it.
    if any(callback is _enqueue_refresh for _ids, callback, _robust in connection.run_on_commit):
        return
    transaction.on_commit(_enqueue_refresh, robust=True)
