from celery import shared_task

from outcomes.indicators.runs import indicator_run_execute, indicator_run_nightly


@shared_task(acks_late=True)
def indicators_compute(run_id: int) -> str:
    run = indicator_run_execute(run_id=run_id)
    return run.status if run else "missing"


@shared_task(acks_late=True)
def indicators_nightly() -> int | None:
    run = indicator_run_nightly()
    return run.pk if run else None
