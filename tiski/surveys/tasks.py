"""Background work of the surveys app."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="tiski.surveys.nps_round")
def nps_round() -> dict[str, int]:
    """Periodic: send the NPS round when it is due (safe to run often: it checks the interval)."""
    from .send import send_nps_round

    result = send_nps_round()
    return {"sent": result.sent, "skipped": result.skipped, "ran": int(result.ran)}
