"""Realistic handling time for generated desks (`tiski generate-data`).

For every generated ticket that has an assignee, the assignee worked on it
in a few sittings: one to open and read it, one per later round of the
conversation, each a few minutes long (log-normal: most sittings are short,
a few take most of an hour), spread between the ticket's creation and its
last activity. About one ticket in ten also gets minutes added by hand (a
phone call), and one in forty a correction by its agent. Like the ticket
generator, it writes rows directly in batches; nothing here runs in a
real desk.
"""

from __future__ import annotations

import math
import random
import uuid
from datetime import timedelta
from typing import IO

from django.db import transaction

from tiski.tickets.models import Ticket

from .counting import SESSION_CAP
from .models import EntrySource, WorkEntry

# Median sitting about four minutes; the log-normal's long tail gives the
# occasional hour-long investigation.
SITTING_MU = math.log(240)
SITTING_SIGMA = 0.9


def _sitting(rng: random.Random) -> int:
    return int(min(SESSION_CAP, max(15, rng.lognormvariate(SITTING_MU, SITTING_SIGMA))))


def generate_handling_time(
    *,
    seed: int = 1,
    first_number: int | None = None,
    last_number: int | None = None,
    batch: int = 5000,
    stdout: IO[str] | None = None,
) -> int:
    """Write handling time for the tickets numbered first..last (all when not given)."""
    rng = random.Random(seed * 7919 + 17)
    tickets = Ticket.objects.filter(assignee__isnull=False).order_by("id")
    if first_number is not None:
        tickets = tickets.filter(number__gte=first_number)
    if last_number is not None:
        tickets = tickets.filter(number__lte=last_number)
    rows = tickets.values_list(
        "id", "assignee_id", "created_at", "updated_at", "first_agent_reply_at", "status"
    )
    pending: list[WorkEntry] = []
    written = 0

    def flush() -> None:
        nonlocal written
        with transaction.atomic():
            WorkEntry.objects.bulk_create(pending, batch_size=batch)
        written += len(pending)
        pending.clear()

    for ticket_id, agent_id, created, updated, first_reply, status in rows.iterator(
        chunk_size=batch
    ):
        span = max((updated - created).total_seconds(), 0.0)
        # Untouched new tickets may have been opened once; answered ones several times.
        if first_reply is None and status == "new":
            sittings = 1 if rng.random() < 0.3 else 0
        else:
            sittings = 1 + min(6, int(rng.expovariate(0.8)))
        for _ in range(sittings):
            at = created + timedelta(seconds=rng.uniform(0, span))
            seconds = _sitting(rng)
            pending.append(
                WorkEntry(
                    ticket_id=ticket_id,
                    agent_id=agent_id,
                    source=EntrySource.MEASURED,
                    seconds=seconds,
                    at=at,
                    session=uuid.UUID(int=rng.getrandbits(128), version=4),
                    last_beat_at=at + timedelta(seconds=seconds),
                    created_at=at,
                )
            )
        if sittings and rng.random() < 0.1:
            at = created + timedelta(seconds=rng.uniform(0, span))
            pending.append(
                WorkEntry(
                    ticket_id=ticket_id,
                    agent_id=agent_id,
                    source=EntrySource.MANUAL,
                    seconds=60 * rng.choice((5, 5, 10, 10, 15, 20, 30, 45)),
                    at=at,
                    note=rng.choice(("Puhelu asiakkaalle", "Phone call", "Selvitys varastosta")),
                    recorded_by_id=agent_id,
                    created_at=at,
                )
            )
        if sittings and rng.random() < 0.025:
            at = updated
            pending.append(
                WorkEntry(
                    ticket_id=ticket_id,
                    agent_id=agent_id,
                    source=EntrySource.CORRECTION,
                    seconds=60 * rng.choice((-5, 5, 10, 20)),
                    at=at,
                    note="",
                    recorded_by_id=agent_id,
                    created_at=at,
                )
            )
        if len(pending) >= batch:
            flush()
    if pending:
        flush()
    if stdout is not None:
        stdout.write(f"Handling time: {written:,} entries\n")
    return written
