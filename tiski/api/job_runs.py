"""Running any API job so that it always ends: done, failed, or picked up again.

A job is claimed once (queued -> running) by its runner. Two things could
leave it unfinished for ever, and a client polling it would wait for ever:
an error nobody foresaw inside the runner, and a job whose task never
reached a worker (the broker was down at commit) or whose worker died. The
first ends the job as failed here; the sweep (`sweep_jobs`, from the API's
periodic sweep) runs a job still queued after a grace time and fails one
running far longer than any job takes.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta

from django.utils import timezone
from django.utils.translation import gettext as _

from . import jobs
from .models import ApiJob, JobStatus
from .zendesk import jobs as zendesk_jobs

log = logging.getLogger(__name__)

# A queued job's task is normally taken within seconds.
QUEUED_GRACE = timedelta(minutes=2)
# The largest job (1,000 tickets) takes well under a minute; a job running
# this long has lost its worker.
RUNNING_LIMIT = timedelta(hours=1)


def runner_for(kind: str) -> Callable[[int], str | None]:
    if kind in zendesk_jobs.KINDS:
        return zendesk_jobs.run_job
    return jobs.run_bulk_job


def run(job_id: int) -> str | None:
    """Run a queued job once; an unexpected error ends it as failed, logged."""
    kind = ApiJob.objects.filter(pk=job_id).values_list("kind", flat=True).first()
    if kind is None:
        return None
    try:
        return runner_for(kind)(job_id)
    except Exception:
        log.exception("API job %s stopped on an unexpected error", job_id)
        _fail(
            ApiJob.objects.filter(pk=job_id, status=JobStatus.RUNNING),
            _("The job stopped on an unexpected error. Tickets it had not reached are unchanged."),
        )
        return JobStatus.FAILED


def sweep_jobs() -> int:
    """Run the jobs whose task was lost; fail those whose worker died. How many moved."""
    now = timezone.now()
    moved = _fail(
        ApiJob.objects.filter(status=JobStatus.RUNNING, created_at__lt=now - RUNNING_LIMIT),
        _("The job did not finish: the worker running it stopped. Send it again."),
    )
    stranded = ApiJob.objects.filter(
        status=JobStatus.QUEUED, created_at__lt=now - QUEUED_GRACE
    ).values_list("pk", flat=True)
    for job_id in list(stranded):
        if run(job_id) is not None:
            moved += 1
    return moved


def _fail(jobs_query, error: str) -> int:  # type: ignore[no-untyped-def]
    return jobs_query.update(status=JobStatus.FAILED, error=error, finished_at=timezone.now())
