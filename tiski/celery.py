"""The Celery application.

In the embedded default tasks run eagerly in the calling process; with
REDIS_URL set they go to Redis and `tiski worker` runs them.
"""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tiski.settings")

app = Celery("tiski")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
