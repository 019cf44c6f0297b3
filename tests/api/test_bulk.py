"""Bulk updates as a job: the desk's bulk change (one undo), progress polled."""

from __future__ import annotations

from tiski.tickets.models import BulkChange


def test_bulk_update_job(
    api_for, make_user, make_team, make_ticket, django_capture_on_commit_callbacks
):
    team = make_team()
    agent = make_user(teams=(team,))
    tickets = [make_ticket(team=team, tags=["vanha"]) for _ in range(3)]
    api = api_for(agent)
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(
            "/api/v1/tickets/bulk",
            {
                "tickets": [t.number for t in tickets] + [999999],
                "status": "pending",
                "assignee_id": agent.pk,
                "add_tags": ["uusi"],
                "remove_tags": ["vanha"],
            },
        )
    assert response.status_code == 202, response.content
    assert response.json()["total"] == 4
    job = api.get(response["Location"]).json()
    assert job["status"] == "done" and job["processed"] == 4
    assert job["changed"] == sorted(t.number for t in tickets)
    assert list(job["skipped"]) == ["999999"] and job["skipped"]["999999"]
    record = BulkChange.objects.get()
    assert record.via == "api" and len(record.tickets) == 3
    for ticket in tickets:
        ticket.refresh_from_db()
        assert ticket.status == "pending" and ticket.assignee == agent
        assert list(ticket.tags.values_list("name", flat=True)) == ["uusi"]


def test_bulk_limits(api_for, make_user):
    api = api_for(make_user())
    assert api.post("/api/v1/tickets/bulk", {"tickets": list(range(1, 102))}).status_code == 422
    assert api.post("/api/v1/tickets/bulk", {"tickets": []}).status_code == 422


def test_a_job_is_its_owners(api_for, make_user, make_ticket):
    owner = make_user()
    response = api_for(owner).post("/api/v1/tickets/bulk", {"tickets": [make_ticket().number]})
    assert api_for(make_user()).get(response["Location"]).status_code == 404
