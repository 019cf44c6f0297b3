"""`tiski worker`: a Celery worker (needs REDIS_URL; the embedded default runs tasks inline)."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Run a Celery worker for background tasks (with --beat, also the scheduler)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--concurrency", type=int, default=2)
        parser.add_argument(
            "--beat", action="store_true", help="Also run the periodic scheduler in this worker."
        )
        parser.add_argument("--loglevel", default="INFO")

    def handle(self, *args, concurrency: int, beat: bool, loglevel: str, **options) -> None:
        if settings.CELERY_BROKER_URL.startswith("memory://"):
            raise CommandError(
                "Set REDIS_URL (or CELERY_BROKER_URL) first: without a broker Tiski runs "
                "background tasks inside the web process and needs no worker."
            )
        from tiski.celery import app

        argv = ["worker", f"--concurrency={concurrency}", f"--loglevel={loglevel}"]
        if beat:
            argv.append("--beat")
        app.worker_main(argv)
