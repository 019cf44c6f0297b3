"""Queue a Celery task by its name, so the caller needs no import of the task's module.

Importing a task object ties the caller to the module that defines it, and
that module usually imports the caller back (intake -> tasks -> intake).
A name is all a broker needs. In the embedded default (tasks eager) Celery's
``send_task`` would post to a broker that is not there, so the task is
looked up in the app's registry, after autodiscovery, and run in place.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from tiski.celery import app


def runs_in_place() -> bool:
    """True in the embedded default: a queued task runs at once, in this process."""
    return bool(app.conf.task_always_eager)


def enqueue(name: str, *args: Any, **kwargs: Any) -> Any:
    if runs_in_place():
        if name not in app.tasks:
            app.loader.import_default_modules()  # every installed app's tasks.py
        return app.tasks[name].apply(args=args, kwargs=kwargs)
    return app.send_task(name, args=args, kwargs=kwargs)


def enqueue_many(name: str, calls: Iterable[Sequence[Any]]) -> None:
    """`enqueue` of one task once per argument list in ``calls``, in order.

    A time-rule pass queues thousands of mails after one commit: the
    messages go through one producer taken from the pool once, instead of
    one taken and given back per message.
    """
    if runs_in_place():
        for args in calls:
            enqueue(name, *args)
        return
    with app.producer_or_acquire() as producer:
        for args in calls:
            app.send_task(name, args=tuple(args), producer=producer)
