"""The in-process scheduler of the embedded default."""

from __future__ import annotations

from tiski.operations.scheduler import Job, jobs_from_settings, run_due


def test_jobs_run_on_their_interval_and_failures_do_not_stop_others(db):
    calls: list[str] = []

    def broken():
        calls.append("broken")
        raise RuntimeError("boom")

    jobs = [Job("a", 60, lambda: calls.append("a")), Job("broken", 10, broken)]
    assert run_due(jobs, now=1000) == ["a", "broken"]
    assert run_due(jobs, now=1005) == []
    assert run_due(jobs, now=1011) == ["broken"]
    assert run_due(jobs, now=1061) == ["a", "broken"]
    assert calls == ["a", "broken", "broken", "a", "broken"]


def test_schedule_names_registered_tasks(db):
    names = {job.name for job in jobs_from_settings()}
    assert {"sla-deadlines", "absence-handover"} <= names
