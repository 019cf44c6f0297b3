"""Bulk updates of up to 100 tickets as a job, and the job's progress."""

from __future__ import annotations

from django.db import transaction
from django.http import Http404, HttpRequest, JsonResponse
from django.utils.translation import gettext as _
from ninja import Router

from tiski.core.tasks import enqueue

from ..models import ApiJob
from ..schemas import BulkIn, Error, JobOut

router = Router(tags=["bulk"])


def job_dict(job: ApiJob) -> dict:
    return {
        "id": job.pk,
        "status": job.status,
        "total": job.total,
        "processed": job.processed,
        "changed": job.result.get("changed", []),
        "skipped": job.result.get("skipped", {}),
        "error": job.error,
        "created_at": job.created_at,
        "finished_at": job.finished_at,
    }


@router.post("/tickets/bulk", response={202: JobOut, 422: Error})
def bulk_update(request: HttpRequest, payload: BulkIn):
    """Queue one change (status, priority, team, assignee, tags) for up to 100 tickets.

    Answers 202 at once with the job; poll ``/jobs/{id}``. The tickets are
    read again through what the user may see when the job runs, and the
    whole change is one bulk change, undone as one in the desk.
    """
    numbers = list(dict.fromkeys(payload.tickets))
    job = ApiJob.objects.create(
        user=request.user,
        request=payload.model_dump(mode="json", exclude_unset=True),
        total=len(numbers),
    )
    transaction.on_commit(lambda: enqueue("tiski.api.bulk_update", job.pk))
    response = JsonResponse(JobOut.model_validate(job_dict(job)).model_dump(), status=202)
    response["Location"] = request.path.replace("/tickets/bulk", f"/jobs/{job.pk}")
    return response


@router.get("/jobs/{int:job_id}", response={200: JobOut, 404: Error})
def read_job(request: HttpRequest, job_id: int):
    job = ApiJob.objects.filter(pk=job_id, user=request.user).first()
    if job is None:
        raise Http404(_("No such job."))
    return job_dict(job)
