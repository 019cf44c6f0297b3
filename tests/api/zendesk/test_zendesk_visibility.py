"""A token sees through /api/v2/ exactly what its user sees in the desk.

The walk takes every /api/v2/ route from the URL resolver (a new one is
walked by construction), aims it at a restricted team's ticket, its
requester, team and file, and sends GET and PUT as an agent of another team
with a token: no answer may carry a trace of the ticket, and ticket routes
answer 404 in Zendesk's shape.
"""

from __future__ import annotations

import json
import re

from django.core.files.base import ContentFile
from django.urls import URLPattern, URLResolver, get_resolver

from tiski.api.models import ApiJob, JobStatus
from tiski.api.zendesk.jobs import run_job
from tiski.api.zendesk.mapping import END_USER_BASE
from tiski.search.indexing import index_tickets
from tiski.tickets import actions
from tiski.tickets.models import MessageKind, TicketMerge, Via

SECRET_SUBJECT = "Salainen irtisanomisasia"
SECRET_TEXT = "Henkilöstöasia jota muut eivät saa nähdä"
SECRET_NOTE = "Luottamuksellinen muistiinpano"
SECRET_FILE = "palkkatiedot-salainen.pdf"
SECRET_TAG = "salainen-tagi"


def zendesk_routes() -> list[tuple[str, tuple[str, ...]]]:
    """Every /api/v2/ route with the methods its view answers."""
    found: list[tuple[str, tuple[str, ...]]] = []

    def walk(patterns, prefix: str) -> None:
        for p in patterns:
            if isinstance(p, URLResolver):
                walk(p.url_patterns, prefix + str(p.pattern))
            elif isinstance(p, URLPattern) and (prefix + str(p.pattern)).startswith("api/v2/"):
                found.append((prefix + str(p.pattern), getattr(p.callback, "methods", ("GET",))))

    walk(get_resolver().url_patterns, "")
    return found


def run_queued_jobs() -> None:
    for job_id in ApiJob.objects.filter(status=JobStatus.QUEUED).values_list("pk", flat=True):
        run_job(job_id)


def _secret(make_team, make_user, make_contact, make_ticket):
    hr = make_team("Henkilöstö", restricted=True)
    hr_agent = make_user(teams=(hr,))
    requester = make_contact(email="tyontekija@yritys.fi", name="Tero Työntekijä")
    ticket = make_ticket(
        subject=SECRET_SUBJECT, text=SECRET_TEXT, requester=requester, team=hr, tags=[SECRET_TAG]
    )
    actions.add_message(
        ticket,
        kind=MessageKind.INTERNAL,
        actor=hr_agent,
        via=Via.AGENT,
        text=SECRET_NOTE,
        attachments=[
            actions.NewAttachment(SECRET_FILE, ContentFile(b"%PDF secret"), "application/pdf")
        ],
    )
    attachment = ticket.messages.get(kind=MessageKind.INTERNAL).attachments.get()
    index_tickets([ticket.pk])  # so a search would find it, were it not hidden
    return ticket, hr, attachment


def test_every_v2_url_hides_a_restricted_ticket(
    zendesk_for, make_team, make_user, make_contact, make_ticket
):
    ticket, hr, attachment = _secret(make_team, make_user, make_contact, make_ticket)
    sales = make_team("Myynti")
    outsider = zendesk_for(make_user(teams=(sales,)))
    values = {
        "number": ticket.number,
        "user_id": END_USER_BASE + ticket.requester_id,
        "org_id": 999999,
        "team_id": hr.pk,
        "field_id": 1,
        "attachment_id": attachment.pk,
        # A job of the restricted team's agent, its results naming the ticket.
        "job_id": ApiJob.objects.create(
            user=make_user(teams=(hr,)),
            kind="zd_update_many",
            status=JobStatus.DONE,
            result={"results": [{"id": ticket.number, "details": SECRET_SUBJECT}]},
        ).pk,
    }
    queries = {
        "ids": str(ticket.number),
        "query": "Salainen",
        "start_time": "0",
    }
    change = {"status": "solved", "comment": {"body": "x"}}
    writes = {
        "ticket": change,
        "tickets": [{"id": ticket.number, **change}],
        "ids": [ticket.number],
        "target_comment": "x",
        "user": {"name": "x", "email": "x@example.fi"},
        "organization": {"name": "x"},
    }
    walked = 0
    for route, methods in zendesk_routes():
        url = "/" + re.sub(r"<int:(\w+)>", lambda m: str(values[m.group(1)]), route)
        first = "GET" if "GET" in methods else methods[0]
        answers = [
            outsider.send(first, url, queries, writes),
            outsider.get(url, {"query": f"tags:{SECRET_TAG}"}),
            outsider.put(url, writes),
            *(outsider.send(m, url, queries, writes) for m in methods if m not in ("GET", "PUT")),
        ]
        for answer in answers:
            body = b"".join(answer.streaming_content) if answer.streaming else answer.content
            text = body.decode(errors="replace")
            for needle in (SECRET_SUBJECT, SECRET_TEXT, SECRET_NOTE, SECRET_FILE, SECRET_TAG):
                assert needle not in text, f"{url} shows {needle!r}"
            assert answer.status_code < 500, url
        if any(f"<int:{name}>" in route for name in ("number", "attachment_id", "job_id")):
            # Every method the route answers: not found, in Zendesk's shape.
            for answer in [answers[0], *answers[3:]]:
                assert answer.status_code == 404, (url, answer.status_code)
                assert answer.json()["error"] == "RecordNotFound"
            assert answers[2].status_code in (404, 405), url
        walked += 1
    assert walked >= 40
    run_queued_jobs()  # update_many's job, aimed at the hidden ticket
    ticket.refresh_from_db()
    assert ticket.status == "new" and ticket.messages.count() == 2
    assert not TicketMerge.objects.exists()


def test_lists_search_and_export_leave_the_other_teams_ticket_out(
    zendesk_for, make_team, make_user, make_ticket
):
    team, other = make_team(), make_team()
    agent = make_user(teams=(team,))
    mine = make_ticket(subject="Tilaus 1", team=team)
    theirs = make_ticket(subject="Tilaus 2", team=other)  # not restricted, still not the agent's
    index_tickets([mine.pk, theirs.pk])
    zd = zendesk_for(agent)
    for url, params, key in (
        ("/api/v2/tickets.json", {}, "tickets"),
        ("/api/v2/tickets.json", {"page[size]": "1"}, "tickets"),
        ("/api/v2/tickets/show_many.json", {"ids": f"{mine.number},{theirs.number}"}, "tickets"),
        ("/api/v2/search.json", {"query": "type:ticket Tilaus"}, "results"),
        ("/api/v2/search.json", {"query": "status<solved"}, "results"),
        ("/api/v2/incremental/tickets.json", {"start_time": "0"}, "tickets"),
        ("/api/v2/incremental/tickets/cursor.json", {"start_time": "0"}, "tickets"),
    ):
        got = zd.get(url, params).json()
        assert [t["id"] for t in got[key]] == [mine.number], (url, params)
    assert zd.get("/api/v2/search/count.json", {"query": "Tilaus"}).json() == {"count": 1}
    for url in (
        f"/api/v2/tickets/{theirs.number}.json",
        f"/api/v2/tickets/{theirs.number}/comments.json",
    ):
        assert zd.get(url).status_code == 404
    refused = zd.put(f"/api/v2/tickets/{theirs.number}", {"ticket": {"priority": "urgent"}})
    assert refused.status_code == 404
    theirs.refresh_from_db()
    assert theirs.priority == "normal"


def test_attachment_of_a_visible_ticket_downloads(zendesk_for, admin_user, make_ticket):
    ticket = make_ticket()
    actions.add_message(
        ticket,
        kind=MessageKind.INTERNAL,
        actor=admin_user,
        via=Via.AGENT,
        text="liite",
        attachments=[actions.NewAttachment("kuitti.txt", ContentFile(b"kuitti"), "text/plain")],
    )
    zd = zendesk_for(admin_user)
    comments = zd.get(f"/api/v2/tickets/{ticket.number}/comments.json").json()["comments"]
    (file,) = comments[-1]["attachments"]
    assert file["file_name"] == "kuitti.txt"
    download = zd.get(file["content_url"].removeprefix("http://testserver"))
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == b"kuitti"
    assert download["Content-Disposition"].startswith("attachment")
    assert json.loads(zd.get(f"/api/v2/attachments/{file['id']}.json").content)["attachment"][
        "size"
    ] == len(b"kuitti")
