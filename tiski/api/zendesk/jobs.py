"""Zendesk's job statuses on Tiski's API jobs: ``update_many``, ``create_many`` and merges.

A job is an ``ApiJob`` like v1's bulk job; its ``request`` holds the
Zendesk bodies and its ``result`` Zendesk's per-ticket ``results``. An
``update_many`` is one bulk change in the desk (one undo), each ticket
changed through the same code as ``PUT /tickets/{id}``; tickets the user
cannot see, or that cannot take their change (closed, open children, an
assignee outside a restricted team, an unreachable requester), are reported
as failed and left as they were, before anything is written.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from tiski.accounts.models import User
from tiski.tickets import actions
from tiski.tickets.models import Ticket, Via

from ..models import ApiJob, JobStatus
from . import changes as reading
from . import writes
from .errors import ZendeskError

UPDATE_MANY = "zd_update_many"
CREATE_MANY = "zd_create_many"
KINDS = frozenset({UPDATE_MANY, CREATE_MANY})
MERGE = "zd_merge"
# Zendesk's words for the job's state.
STATES = {
    JobStatus.QUEUED: "queued",
    JobStatus.RUNNING: "working",
    JobStatus.DONE: "completed",
    JobStatus.FAILED: "failed",
}
# What a bulk change may set, in Zendesk's field names (actions.problem_with checks them).
BULK_FIELDS = ("status", "priority", "type", "team", "assignee")


def job_status(job: ApiJob, base: str) -> dict[str, Any]:
    finished = job.status in (JobStatus.DONE, JobStatus.FAILED)
    message = job.error or None
    if job.status == JobStatus.DONE and job.finished_at is not None:
        message = _("Completed at %(when)s") % {"when": job.finished_at.isoformat()}
    return {
        "id": str(job.pk),
        "url": f"{base}/job_statuses/{job.pk}.json",
        "job_type": job.kind,
        "total": job.total,
        "progress": job.processed if finished else 0,
        "status": STATES.get(job.status, "queued"),
        "message": message,
        "results": job.result.get("results") if finished else None,
    }


def failure(key: str, value: int, action: str, error: str, details: str) -> dict[str, Any]:
    return {
        key: value,
        "action": action,
        "success": False,
        "status": "Failed",
        "error": error,
        "details": details,
    }


def _reason(exc: Exception) -> str:
    if isinstance(exc, ZendeskError):
        messages = [m for found in exc.details.values() for m in found]
        return " ".join(messages) or exc.description
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    return str(exc)


def run_job(job_id: int) -> str | None:
    """Run a queued job once (a second call for the same job does nothing)."""
    claimed = ApiJob.objects.filter(pk=job_id, status=JobStatus.QUEUED).update(
        status=JobStatus.RUNNING
    )
    if not claimed:
        return None
    job = ApiJob.objects.select_related("user").get(pk=job_id)
    try:
        if job.kind == UPDATE_MANY:
            results = _update_many(job)
        elif job.kind == CREATE_MANY:
            results = _create_many(job.user, job.request.get("tickets", []))
        else:
            raise ValueError(f"not a Zendesk job: {job.kind}")
    except (ZendeskError, ValidationError, PermissionDenied) as exc:
        # A change refused half-way rolls the whole bulk change back.
        job.status, job.error = JobStatus.FAILED, _reason(exc)
    else:
        job.status, job.result = JobStatus.DONE, {"results": results}
    job.processed = job.total
    job.finished_at = timezone.now()
    job.save()
    return job.status


def _bodies(request: dict[str, Any]) -> dict[int, dict[str, Any]]:
    """Each ticket number's body: the one ``ticket`` for all ``ids``, or each of ``tickets``."""
    if "ticket" in request:
        return {int(n): request["ticket"] for n in request.get("ids", [])}
    return {int(body["id"]): body for body in request.get("tickets", [])}


def _problem(ticket: Ticket, body: dict[str, Any], user: User) -> str | None:
    """Why this ticket cannot take its body, read before anything is written."""
    try:
        wanted = reading.read(body)
        fields = {k: v for k, v in wanted.fields.items() if k in BULK_FIELDS}
        reason = actions.problem_with(ticket, fields, via=Via.API)
        if reason is None and wanted.comment is not None:
            author = writes.comment_author(body, user, ticket.requester)
            if author.contact is None:
                writes.comment_route(ticket, wanted.comment, user)
        return reason
    except (ZendeskError, ValidationError) as exc:
        return _reason(exc)


def _update_many(job: ApiJob) -> list[dict[str, Any]]:
    bodies = _bodies(job.request)
    found = {
        t.number: t
        for t in Ticket.objects.visible_to(job.user)
        .filter(number__in=list(bodies))
        .select_related("requester", "type", "team", "assignee")
    }
    results: dict[int, dict[str, Any]] = {}
    ready: list[Ticket] = []
    for number in bodies:
        ticket = found.get(number)
        problem = _problem(ticket, bodies[number], job.user) if ticket else None
        if ticket is None:
            results[number] = failure("id", number, "update", "RecordNotFound", _("Not found"))
        elif problem:
            results[number] = failure("id", number, "update", "RecordInvalid", problem)
        else:
            ready.append(ticket)
    if ready:
        record = actions.bulk_update_tickets(
            ready,
            actor=job.user,
            via=Via.API,
            fields={},
            per_ticket=lambda t: writes.change_ticket(t, bodies[t.number], job.user),
        )
        job.bulk_change = record
    for ticket in ready:
        results[ticket.number] = {
            "id": ticket.number,
            "action": "update",
            "success": True,
            "status": "Updated",
        }
    return [results[number] for number in bodies]


def _create_many(user: User, bodies: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each ticket on its own: one refused body leaves the others created."""
    results: list[dict[str, Any]] = []
    for index, body in enumerate(bodies):
        try:
            ticket, _first = writes.open_ticket(body, user)
        except (ZendeskError, ValidationError, PermissionDenied) as exc:
            error = exc.error if isinstance(exc, ZendeskError) else "RecordInvalid"
            results.append(failure("index", index, "create", error, _reason(exc)))
        else:
            results.append(
                {
                    "index": index,
                    "id": ticket.number,
                    "action": "create",
                    "success": True,
                    "status": "Created",
                }
            )
    return results
