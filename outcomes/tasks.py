import datetime

from celery import shared_task

from outcomes.indicators.runs import indicator_run_execute, indicator_run_nightly
from outcomes.open_data.services import open_data_generate


@shared_task(acks_late=True)
def indicators_compute(run_id: int) -> str:
    run = indicator_run_execute(run_id=run_id)
    return run.status if run else "missing"


@shared_task(acks_late=True)
def indicators_nightly() -> int | None:
    run = indicator_run_nightly()
    return run.pk if run else None


@shared_task(acks_late=True)
def open_data_refresh(requested_at: str | None = None) -> list[str] | None:
    """Regenerate the open-data files. With `requested_at` (ISO time, set when a change
    committed), skipped if a generation started since; without it (the midnight beat),
    always run."""
    when = datetime.datetime.fromisoformat(requested_at) if requested_at else None
    return open_data_generate(requested_at=when)
