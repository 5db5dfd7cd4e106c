"""Tasks of the learners app: the two steps of a web import, and the hourly upkeep of import
jobs (purge of uploads and reports, resumption of lost jobs).

Thin on purpose: each loads by primary key and calls a function of `imports/jobs.py`, where
the rules (claiming, progress, retention) live and are tested.
"""

from celery import shared_task

from .imports import jobs


@shared_task(acks_late=True)
def import_job_validate(job_id: int) -> str:
    job = jobs.import_job_validate(job_id=job_id)
    return job.state if job else "missing"


@shared_task(acks_late=True)
def import_job_import(job_id: int) -> str:
    job = jobs.import_job_import(job_id=job_id)
    return job.state if job else "missing"


@shared_task(acks_late=True)
def import_jobs_purge() -> dict[str, int]:
    """Hourly: apply the retention rules (docs/privacy.md), then queue again the jobs whose
    message or worker was lost."""
    purged = jobs.import_jobs_purge()
    return {**purged, "resumed": jobs.import_jobs_resume()}
