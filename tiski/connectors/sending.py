"""What every outbox shares: claim once, retry with backoff, fail clearly, sweep.

Both outboxes (`OutboundEmail` for mail, `OutboundMessage` for the other
channels) keep the same status values and columns (status, attempts,
next_attempt_at, last_error, permanent_failure), so one piece of code
serves both:

- ``claim`` moves a due row from queued/retrying to sending under a row
  lock (SKIP LOCKED on PostgreSQL); only the worker that claimed it sends,
  so a duplicated task or two racing workers send once;
- ``record_failure`` schedules the next try after a temporary error (the
  provider's Retry-After when it gave one, else 1, 5, 15, 60 and 240
  minutes) and fails the row with the error after a permanent one or the
  last try;
- ``retry`` is the agent's Retry button (two clicks, one retry);
- ``sweep`` queues due retries and lost hand-offs again and marks rows a
  crashed worker left in "sending" failed: whether the provider accepted
  them is unknown, so an agent decides.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from django.db import connection, models, transaction
from django.db.models import Q
from django.utils import timezone

from tiski.core.tasks import enqueue as enqueue_task
from tiski.core.tasks import enqueue_many as enqueue_tasks
from tiski.core.tasks import runs_in_place

log = logging.getLogger(__name__)

QUEUED, SENDING, SENT, RETRYING, FAILED = "queued", "sending", "sent", "retrying", "failed"

# Minutes to wait after the 1st, 2nd, ... temporary failure; then give up.
BACKOFF_MINUTES = (1, 5, 15, 60, 240)
# A provider asking for more than this is treated as down for now.
MAX_RETRY_AFTER = timedelta(hours=6)
STUCK_AFTER = timedelta(minutes=10)
# A queued row's own task normally runs within seconds of the commit; the
# sweeper only steps in for rows whose hand-off was lost.
QUEUED_GRACE = timedelta(minutes=1)
REASON_GAVE_UP = "Gave up after %(attempts)d attempts: %(error)s"


class SendResult:
    SENT = "sent"
    RETRYING = "retrying"
    FAILED = "failed"
    BUSY = "busy"  # another worker holds the row
    UNCHANGED = "unchanged"  # not queued, not due, or gone


def retry_delay(attempts: int, retry_after: float | None = None) -> timedelta | None:
    """How long to wait after the ``attempts``-th failure; None: stop trying."""
    if not 1 <= attempts <= len(BACKOFF_MINUTES):
        return None
    delay = timedelta(minutes=BACKOFF_MINUTES[attempts - 1])
    if retry_after is not None:
        delay = min(max(delay, timedelta(seconds=retry_after)), MAX_RETRY_AFTER)
    return delay


def claim(
    model: type[models.Model], pk: int, now: datetime, *, related: Sequence[str] = ()
) -> tuple[Any, str]:
    """Move the row to "sending" if it is due; (row, "") or (None, why not)."""
    with transaction.atomic():
        rows = model.objects.select_related(*related)  # type: ignore[attr-defined]
        features = connection.features
        skip_locked = features.has_select_for_update_skip_locked
        if skip_locked:
            # PostgreSQL: a row another worker is claiming is skipped, not waited for.
            of = ("self",) if features.has_select_for_update_of else ()
            rows = rows.select_for_update(skip_locked=True, of=of)
        # SQLite has no row locks; its IMMEDIATE transactions take the write
        # lock at BEGIN, so claims are serialised all the same.
        row = rows.filter(pk=pk).first()
        if row is None:
            exists = skip_locked and model.objects.filter(pk=pk).exists()  # type: ignore[attr-defined]
            return None, SendResult.BUSY if exists else SendResult.UNCHANGED
        if row.status not in (QUEUED, RETRYING) or row.next_attempt_at > now:
            return None, SendResult.UNCHANGED
        row.status = SENDING
        row.attempts += 1
        # next_attempt_at doubles as "sending since" for the stuck-row sweep.
        row.next_attempt_at = now
        row.save(update_fields=["status", "attempts", "next_attempt_at"])
    return row, ""


def record_failure(
    row: Any, error: str, *, permanent: bool, retry_after: float | None = None
) -> str:
    """After a failed send of a claimed row: retry later, or fail with the error."""
    delay = None if permanent else retry_delay(row.attempts, retry_after)
    if delay is not None:
        changes: dict[str, Any] = {
            "status": RETRYING,
            "next_attempt_at": timezone.now() + delay,
            "last_error": error[:5000],
        }
        result = SendResult.RETRYING
    else:
        if not permanent:
            error = REASON_GAVE_UP % {"attempts": row.attempts, "error": error}
        changes = {"status": FAILED, "permanent_failure": permanent, "last_error": error[:5000]}
        result = SendResult.FAILED
    type(row).objects.filter(pk=row.pk, status=SENDING).update(**changes)
    for name, value in changes.items():
        setattr(row, name, value)
    log.warning("Outgoing %s %s %s: %s", type(row).__name__, row.pk, result, error)
    return result


def enqueue(task_name: str, pk: int) -> None:
    """Hand the row to a worker; a lost hand-off is picked up by the sweeper."""
    try:
        enqueue_task(task_name, pk)
    except Exception:  # noqa: BLE001 - the row is committed; the sweep retries it
        log.exception("Could not queue %s %s", task_name, pk)


def enqueue_many(
    task_name: str, pks: Sequence[int], *, many_task: str = "", per_message: int = 0
) -> None:
    """`enqueue` for many rows (a batch written together), in one go; if the
    hand-off fails part way, the sweeper picks up the rest.

    With ``many_task`` (a task taking a list of ids) the rows go to the
    workers ``per_message`` at a time, one message each, instead of one
    message per row: Celery's work per message was a tenth of a time-rule
    pass. ``task_name`` stays the one-row task (existing queued messages,
    the sweep, the embedded default).
    """
    if runs_in_place():  # each task runs here and now: one failing must not stop the others
        for pk in pks:
            enqueue(task_name, pk)
        return
    try:
        if many_task and per_message > 0:
            batches = [list(pks[i : i + per_message]) for i in range(0, len(pks), per_message)]
            enqueue_tasks(many_task, [(batch,) for batch in batches])
        else:
            enqueue_tasks(task_name, [(pk,) for pk in pks])
    except Exception:  # noqa: BLE001 - the rows are committed; the sweep retries them
        log.exception("Could not queue %s for %d rows", task_name, len(pks))


def retry(model: type[models.Model], pk: int, task_name: str) -> bool:
    """Queue a failed row again (the agent's Retry); False if it was not failed.

    The conditional update makes two clicks one retry.
    """
    now = timezone.now()
    with transaction.atomic():
        changed = model.objects.filter(pk=pk, status=FAILED).update(  # type: ignore[attr-defined]
            status=QUEUED, permanent_failure=False, attempts=0, next_attempt_at=now, last_error=""
        )
        if changed:
            transaction.on_commit(lambda: enqueue(task_name, pk))
    return bool(changed)


def sweep(
    model: type[models.Model], task_name: str, *, interrupted: str, now: datetime | None = None
) -> dict[str, int]:
    """Periodic: send due retries, re-queue lost hand-offs, flag interrupted sends."""
    now = now or timezone.now()
    rows = model.objects  # type: ignore[attr-defined]
    stuck = rows.filter(status=SENDING, next_attempt_at__lte=now - STUCK_AFTER).update(
        status=FAILED, permanent_failure=False, last_error=interrupted
    )
    if stuck:
        log.warning("%d %s rows were interrupted while sending; marked failed", stuck, model)
    due = list(
        rows.filter(
            Q(status=RETRYING, next_attempt_at__lte=now)
            | Q(status=QUEUED, next_attempt_at__lte=now - QUEUED_GRACE)
        )
        .order_by("next_attempt_at", "id")
        .values_list("id", flat=True)[:500]
    )
    for pk in due:
        enqueue(task_name, pk)
    return {"requeued": len(due), "interrupted": stuck}
