"""Many tickets at once: ``update_many``, ``create_many``, merges, deletes, job statuses.

``update_many`` and ``create_many`` are queued as API jobs and answer
Zendesk's ``job_status`` at once; a merge is done in the request (it is
checked whole first, so it cannot half succeed) and answers a completed
``job_status``, as Zendesk's clients poll for one.

Deleting is refused: Tiski keeps every ticket and its conversation (a
Zendesk delete hides the ticket for 30 days and then destroys it, and Tiski
has no such recoverable bin yet). The answer is Zendesk's own for a role
without the "delete tickets" permission, 403 ``Forbidden``, so a script
sees plainly that nothing was deleted; a ticket the user cannot see is
still "not found", as everywhere.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from tiski.core.tasks import enqueue
from tiski.tickets import actions
from tiski.tickets.lookup import get_visible_ticket
from tiski.tickets.models import Ticket, Via

from ..models import ApiJob, JobStatus
from . import changes as reading
from . import jobs, writes
from .endpoint import api_base, endpoint, ids_param, json_body
from .errors import ZendeskError, bad_parameter, invalid, not_found

MAX_BULK = 100
MAX_MERGE_SOURCES = 5  # Zendesk's own limit


def delete_refused() -> ZendeskError:
    return ZendeskError(
        403,
        "Forbidden",
        _(
            "Tiski does not delete tickets: it keeps every conversation. "
            "Close the ticket, or merge it into another, instead."
        ),
    )


def refuse_delete(request: HttpRequest, number: int) -> None:
    get_visible_ticket(request.user, number)  # an unseen ticket stays "not found"
    raise delete_refused()


@endpoint("DELETE")
def destroy_many(request: HttpRequest):
    ids_param(request)  # a malformed list is still a 400
    raise delete_refused()


def _queued(request: HttpRequest, kind: str, payload: dict[str, Any], total: int) -> JsonResponse:
    job = ApiJob.objects.create(user=request.user, kind=kind, request=payload, total=total)
    transaction.on_commit(lambda: enqueue("tiski.api.zendesk_job", job.pk))
    return JsonResponse({"job_status": jobs.job_status(job, api_base(request))})


def _checked_bodies(raw: Any, name: str, limit: int = MAX_BULK) -> list[dict[str, Any]]:
    if not isinstance(raw, list) or not all(isinstance(b, dict) for b in raw):
        raise invalid(name, _("Give a list of ticket objects."))
    if not raw or len(raw) > limit:
        raise invalid(name, _("Give from 1 to %(n)s tickets.") % {"n": limit})
    return raw


@endpoint("PUT")
def update_many(request: HttpRequest):
    """``?ids=`` with one ``ticket`` for all, or a ``tickets`` list each with its ``id``."""
    raw = json_body(request)
    if isinstance(raw.get("ticket"), dict):
        numbers = list(dict.fromkeys(ids_param(request)))
        if not numbers:
            raise bad_parameter("ids", _("Give the ids of the tickets to change."))
        reading.read(raw["ticket"])  # a malformed body is refused now, not in the job
        payload: dict[str, Any] = {"ids": numbers, "ticket": raw["ticket"]}
    else:
        bodies = _checked_bodies(raw.get("tickets"), "tickets")
        for body in bodies:
            reading.whole_number(body.get("id"), "tickets.id")
            reading.read(body)
        numbers = list(dict.fromkeys(int(body["id"]) for body in bodies))
        payload = {"tickets": bodies}
    return _queued(request, jobs.UPDATE_MANY, payload, len(numbers))


@endpoint("POST")
def create_many(request: HttpRequest):
    bodies = _checked_bodies(json_body(request).get("tickets"), "tickets")
    return _queued(request, jobs.CREATE_MANY, {"tickets": bodies}, len(bodies))


def _flag(raw: dict[str, Any], name: str) -> bool:
    # Private unless asked: a merge mails nobody by surprise.
    return raw.get(name) is True


def _merge_comment(
    raw: dict[str, Any], name: str, *, may_be_public: bool
) -> reading.NewComment | None:
    text = raw.get(name)
    if text in (None, ""):
        return None
    if not isinstance(text, str):
        raise invalid(name, _("The comment is text."))
    public = may_be_public and _flag(raw, f"{name}_is_public")
    return reading.NewComment(text=text, html="", public=public)


@endpoint("POST")
def merge(request: HttpRequest, number: int):
    """Merge the tickets in ``ids`` into this one, with optional comments on both sides."""
    target = get_visible_ticket(request.user, number)
    raw = json_body(request)
    ids = raw.get("ids")
    if not isinstance(ids, list) or not ids or len(ids) > MAX_MERGE_SOURCES:
        raise invalid("ids", _("Give from 1 to %(n)s ticket ids.") % {"n": MAX_MERGE_SOURCES})
    numbers = list(dict.fromkeys(reading.whole_number(n, "ids") for n in ids))
    found = {
        t.number: t for t in Ticket.objects.visible_to(request.user).filter(number__in=numbers)
    }
    missing = [n for n in numbers if n not in found]
    if missing:
        raise invalid("ids", _("No such ticket: %(ids)s.") % {"ids": ", ".join(map(str, missing))})
    sources = [found[n] for n in numbers]
    for source in sources:
        actions.check_can_merge(request.user, source, target)  # all or nothing
    target_comment = _merge_comment(raw, "target_comment", may_be_public=True)
    # A source comment is always a note: written before the merge, it moves with the
    # source's conversation before any mail could leave. The source's requester becomes
    # a CC of the target, so a public target comment is what reaches them.
    source_comment = _merge_comment(raw, "source_comment", may_be_public=False)
    with actions.unit_of_work():
        if source_comment is not None:
            for source in sources:
                writes.add_comment(source, source_comment, writes.CALLER, request.user)
        record = actions.bulk_merge_tickets(sources, target, actor=request.user, via=Via.API)
        if target_comment is not None:
            target.refresh_from_db()
            writes.add_comment(target, target_comment, writes.CALLER, request.user)
        job = ApiJob.objects.create(
            user=request.user,
            kind=jobs.MERGE,
            status=JobStatus.DONE,
            request={"target": number, "ids": numbers},
            total=len(numbers),
            processed=len(numbers),
            bulk_change=record,
            finished_at=timezone.now(),
            result={
                "results": [
                    {"id": n, "action": "merge", "success": True, "status": "Merged"}
                    for n in numbers
                ]
            },
        )
    return {"job_status": jobs.job_status(job, api_base(request))}


@endpoint("GET")
def job_status(request: HttpRequest, job_id: int):
    """A job of the asking user's (anyone else's is "not found")."""
    job = ApiJob.objects.filter(pk=job_id, user=request.user).first()
    if job is None:
        raise not_found()
    return {"job_status": jobs.job_status(job, api_base(request))}
