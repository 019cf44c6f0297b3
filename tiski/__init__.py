"""Tiski: a self-hosted omnichannel customer service desk."""

from .celery import app as celery_app

__all__ = ["celery_app"]
