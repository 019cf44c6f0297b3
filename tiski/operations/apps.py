from django.apps import AppConfig


class OperationsConfig(AppConfig):
    """The top floor: running Tiski (serve, worker, scheduler, health check)
    and filling it (demo data, the scale generator). Nothing imports it."""

    name = "tiski.operations"
    label = "operations"
