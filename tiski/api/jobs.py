"""Running a bulk job: the desk's bulk change machinery, for tickets named by number."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from tiski.accounts.models import Team, User
from tiski.tickets import actions
from tiski.tickets.models import Ticket, Via

from .models import ApiJob, JobStatus


def _fields(request: dict[str, Any]) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for name in ("status", "priority"):
        if request.get(name):
            fields[name] = request[name]
    if "team_id" in request:
        fields["team"] = (
            Team.objects.filter(pk=request["team_id"]).first() if request["team_id"] else None
        )
    if "assignee_id" in request:
        fields["assignee"] = (
            User.objects.filter(pk=request["assignee_id"], is_active=True).first()
            if request["assignee_id"]
            else None
        )
    return fields


def run_bulk_job(job_id: int) -> str | None:
    """Run a queued job once (a second call for the same job does nothing)."""
    claimed = ApiJob.objects.filter(pk=job_id, status=JobStatus.QUEUED).update(
        status=JobStatus.RUNNING
    )
    if not claimed:
        return None
    job = ApiJob.objects.select_related("user").get(pk=job_id)
    request = job.request
    numbers = list(dict.fromkeys(request.get("tickets", [])))
    # Read again now, through what the user may see now.
    tickets = list(
        Ticket.objects.visible_to(job.user).filter(number__in=numbers).order_by("number")
    )
    found = {t.number for t in tickets}
    skipped = {str(n): _("No such ticket.") for n in numbers if n not in found}
    try:
        record = actions.bulk_update_tickets(
            tickets,
            actor=job.user,
            via=Via.API,
            fields=_fields(request),
            add_tags=request.get("add_tags", []),
            remove_tags=request.get("remove_tags", []),
        )
    except (ValidationError, PermissionDenied) as exc:
        job.status, job.error = JobStatus.FAILED, " ".join(getattr(exc, "messages", [str(exc)]))
    else:
        by_id = {t.pk: t.number for t in tickets}
        skipped.update({str(by_id[int(pk)]): why for pk, why in record.skipped.items()})
        job.bulk_change = record
        job.status = JobStatus.DONE
        job.result = {
            "changed": sorted(entry["number"] for entry in record.tickets.values()),
            "skipped": skipped,
        }
    job.processed = len(numbers)
    job.finished_at = timezone.now()
    job.save()
    return job.status
