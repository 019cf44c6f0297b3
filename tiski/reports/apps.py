from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "tiski.reports"
    label = "reports"
    verbose_name = _("Reports")

    def ready(self) -> None:
        from django.db.backends.signals import connection_created

        # Reports that live in their own module register themselves on import.
        from . import (
            escalations,  # noqa: F401
            histogram_sql,
            stale,
        )
        from .aggregates import register_sqlite

        # SQLite lacks percentile aggregates; each connection gets ours.
        connection_created.connect(register_sqlite, dispatch_uid="tiski.reports.percentiles")
        # ... and the histogram buckets (the monthly rollup's reads).
        connection_created.connect(
            histogram_sql.register_sqlite, dispatch_uid="tiski.reports.histogram_buckets"
        )
        # Facts that an organisation or calendar edit makes stale are recounted.
        stale.connect()
        # A survey sent gets its survey fact at once.
        from tiski.surveys.signals import invitations_sent

        from .survey_facts import on_invitations_sent

        invitations_sent.connect(on_invitations_sent, dispatch_uid="tiski.reports.survey_facts")
