"""Periodic jobs inside `tiski run` for the embedded default.

With a broker (REDIS_URL), Celery beat runs CELERY_BEAT_SCHEDULE and
workers do the work. Without one, `tiski run` starts this small scheduler
in a background thread: the same schedule, the same task functions, called
in-process. One failing job is logged and retried at its next turn; it
never stops the others.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.db import close_old_connections

log = logging.getLogger(__name__)


@dataclass
class Job:
    name: str
    interval: float
    run: Callable[[], object]
    next_at: float = field(default=0.0)


def jobs_from_settings() -> list[Job]:
    from tiski.celery import app

    app.loader.import_default_modules()
    jobs = []
    for name, entry in getattr(settings, "CELERY_BEAT_SCHEDULE", {}).items():
        task = app.tasks.get(entry["task"])
        if task is None:
            log.warning("scheduled task %s (%s) is not registered", name, entry["task"])
            continue
        interval = float(entry["schedule"])
        jobs.append(Job(name, interval, lambda task=task: task.apply().get(propagate=True)))
    return jobs


def run_due(jobs: list[Job], now: float) -> list[str]:
    """Run every job whose time has come; returns the names that ran."""
    ran = []
    for job in jobs:
        if now < job.next_at:
            continue
        job.next_at = now + job.interval
        try:
            job.run()
        except Exception:
            log.exception("periodic job %s failed", job.name)
        finally:
            close_old_connections()
        ran.append(job.name)
    return ran


def start(stop: threading.Event, jobs: list[Job] | None = None) -> threading.Thread:
    jobs = jobs if jobs is not None else jobs_from_settings()

    def loop() -> None:
        while not stop.is_set():
            run_due(jobs, time.monotonic())
            stop.wait(5)

    thread = threading.Thread(target=loop, name="tiski-scheduler", daemon=True)
    thread.start()
    return thread
