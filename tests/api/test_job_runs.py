"""A bulk job always ends: an unexpected error fails it, a lost task is run by
the sweep, a job whose worker died is failed by the sweep."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from tiski.api import job_runs, tasks
from tiski.api.models import ApiJob, JobStatus
from tiski.tickets import actions


def _bulk_body(tickets, status: str = "pending") -> dict:
    return {"tickets": [t.number for t in tickets], "status": status}


def test_an_unexpected_error_ends_the_job_as_failed_not_running(
    api_for, make_user, make_team, make_ticket, monkeypatch, django_capture_on_commit_callbacks
):
    team = make_team()
    agent = make_user(teams=(team,))
    ticket = make_ticket(team=team)

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(actions, "bulk_update_tickets", broken)
    api = api_for(agent)
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post("/api/v1/tickets/bulk", _bulk_body([ticket]))
    assert response.status_code == 202
    job = api.get(response["Location"]).json()
    assert job["status"] == "failed"
    assert ApiJob.objects.get().finished_at is not None
    ticket.refresh_from_db()
    assert ticket.status != "pending"


def test_the_sweep_runs_a_job_whose_task_was_lost(make_user, make_team, make_ticket):
    team = make_team()
    agent = make_user(teams=(team,))
    ticket = make_ticket(team=team)
    fresh = ApiJob.objects.create(user=agent, request=_bulk_body([ticket]), total=1)
    lost = ApiJob.objects.create(
        user=agent,
        request=_bulk_body([ticket]),
        total=1,
        created_at=timezone.now() - job_runs.QUEUED_GRACE - timedelta(seconds=5),
    )
    tasks.sweep_webhooks()
    lost.refresh_from_db()
    fresh.refresh_from_db()
    assert lost.status == JobStatus.DONE and lost.result["changed"] == [ticket.number]
    assert fresh.status == JobStatus.QUEUED  # its own task may still come
    ticket.refresh_from_db()
    assert ticket.status == "pending"


def test_the_sweep_fails_a_job_whose_worker_died(make_user):
    agent = make_user()
    started = timezone.now() - job_runs.RUNNING_LIMIT - timedelta(minutes=1)
    dead = ApiJob.objects.create(user=agent, status=JobStatus.RUNNING, created_at=started)
    busy = ApiJob.objects.create(user=agent, status=JobStatus.RUNNING)
    assert job_runs.sweep_jobs() == 1
    dead.refresh_from_db()
    busy.refresh_from_db()
    assert dead.status == JobStatus.FAILED and dead.error and dead.finished_at
    assert busy.status == JobStatus.RUNNING


def test_a_zendesk_job_goes_to_the_zendesk_runner():
    from tiski.api.zendesk import jobs as zendesk_jobs

    assert job_runs.runner_for(zendesk_jobs.UPDATE_MANY) is zendesk_jobs.run_job
    assert job_runs.runner_for("bulk_update") is job_runs.jobs.run_bulk_job
