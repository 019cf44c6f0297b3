"""update_many, create_many, merges, deletes and job statuses through /api/v2/."""

from __future__ import annotations

from django.core import mail

from tiski.accounts.models import Role
from tiski.api.models import ApiJob, Scope
from tiski.tickets import actions
from tiski.tickets.models import BulkChange, MessageKind, Status, Ticket, TicketMerge, Via


def test_update_many_with_one_change_for_all(
    zendesk_for, make_user, make_team, make_ticket, django_capture_on_commit_callbacks
):
    team, hr = make_team("Tuki"), make_team("HR", restricted=True)
    agent = make_user(teams=(team,))
    mine = [make_ticket(team=team, tags=["vanha"]) for _ in range(2)]
    closed = make_ticket(team=team)
    actions.update_ticket(closed, actor=None, via=Via.AGENT, status=Status.CLOSED)
    hidden = make_ticket(team=hr)
    zd = zendesk_for(agent)
    numbers = [t.number for t in (*mine, closed, hidden)] + [999999]
    with django_capture_on_commit_callbacks(execute=True):
        queued = zd.put(
            "/api/v2/tickets/update_many.json?ids=" + ",".join(map(str, numbers)),
            {
                "ticket": {
                    "status": "pending",
                    "assignee_id": agent.pk,
                    "additional_tags": ["uusi"],
                    "remove_tags": ["vanha"],
                    "comment": {"body": "Tarkistetaan", "public": False},
                }
            },
        )
    assert queued.status_code == 200, queued.content
    status = queued.json()["job_status"]
    assert (status["status"], status["total"], status["results"]) == ("queued", 5, None)
    done = zd.get(f"/api/v2/job_statuses/{status['id']}.json").json()["job_status"]
    assert done["status"] == "completed" and done["progress"] == 5
    results = {r["id"]: r for r in done["results"]}
    assert [r["id"] for r in done["results"]] == numbers  # in the order asked
    assert all(results[t.number]["success"] for t in mine)
    assert results[closed.number]["error"] == "RecordInvalid" and results[closed.number]["details"]
    # A ticket the agent cannot see is "not found", like one that does not exist.
    assert results[hidden.number] == {**results[999999], "id": hidden.number}
    assert results[hidden.number]["error"] == "RecordNotFound"
    for ticket in mine:
        ticket.refresh_from_db()
        assert (ticket.status, ticket.assignee) == (Status.PENDING, agent)
        assert [t.name for t in ticket.tags.all()] == ["uusi"]
        assert ticket.messages.filter(kind=MessageKind.INTERNAL, text="Tarkistetaan").exists()
    hidden.refresh_from_db()
    assert hidden.status == Status.NEW
    # One bulk change in the desk: one undo puts both back.
    record = BulkChange.objects.get()
    assert record.via == Via.API and len(record.tickets) == 2
    actions.undo_bulk_change(record, actor=agent, via=Via.AGENT)
    for ticket in mine:
        ticket.refresh_from_db()
        assert ticket.status == Status.NEW and [t.name for t in ticket.tags.all()] == ["vanha"]


def test_update_many_with_a_change_per_ticket(
    zendesk_for, make_user, make_ticket, django_capture_on_commit_callbacks
):
    agent = make_user()
    first, second = make_ticket(), make_ticket()
    zd = zendesk_for(agent)
    with django_capture_on_commit_callbacks(execute=True):
        queued = zd.put(
            "/api/v2/tickets/update_many",
            {
                "tickets": [
                    {"id": first.number, "priority": "urgent"},
                    {"id": second.number, "status": "hold", "tags": ["odottaa"]},
                ]
            },
        )
    job_id = queued.json()["job_status"]["id"]
    done = zd.get(f"/api/v2/job_statuses/{job_id}").json()["job_status"]
    assert [r["status"] for r in done["results"]] == ["Updated", "Updated"]
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.priority, first.status) == ("urgent", Status.NEW)
    assert second.status == Status.ON_HOLD and [t.name for t in second.tags.all()] == ["odottaa"]
    assert first.events.filter(via=Via.API, field="priority").exists()


def test_update_many_refuses_bad_bodies_at_once(zendesk_for, make_user, make_ticket):
    zd = zendesk_for(make_user())
    number = make_ticket().number
    for url, body in (
        (f"/api/v2/tickets/update_many.json?ids={number}", {"ticket": {"status": "kiva"}}),
        ("/api/v2/tickets/update_many.json", {"ticket": {"status": "open"}}),  # no ids
        ("/api/v2/tickets/update_many.json", {"tickets": [{"status": "open"}]}),  # no id
        ("/api/v2/tickets/update_many.json", {"tickets": [{"id": n} for n in range(1, 102)]}),
    ):
        answer = zd.put(url, body)
        assert answer.status_code in (400, 422), (body, answer.content)
        assert answer.json()["error"] in ("RecordInvalid", "InvalidParameter")
    assert not ApiJob.objects.exists()


def test_create_many_reports_each_ticket(
    zendesk_for, make_user, django_capture_on_commit_callbacks
):
    zd = zendesk_for(make_user())
    with django_capture_on_commit_callbacks(execute=True):
        queued = zd.post(
            "/api/v2/tickets/create_many.json",
            {
                "tickets": [
                    {"subject": "Yksi", "comment": {"body": "Hei"}},
                    {"subject": "Kaksi"},  # no comment: refused, the others still made
                    {"subject": "Kolme", "comment": {"body": "Moi"}, "priority": "high"},
                ]
            },
        )
    job_id = queued.json()["job_status"]["id"]
    results = zd.get(f"/api/v2/job_statuses/{job_id}.json").json()["job_status"]["results"]
    assert [(r["index"], r["success"]) for r in results] == [(0, True), (1, False), (2, True)]
    assert results[1]["error"] == "RecordInvalid" and results[1]["details"]
    made = Ticket.objects.filter(number__in=[results[0]["id"], results[2]["id"]])
    assert sorted(made.values_list("subject", flat=True)) == ["Kolme", "Yksi"]
    assert all(t.channel == "api" for t in made)


def test_a_job_status_is_its_owners(zendesk_for, make_user, make_ticket):
    owner = make_user()
    queued = zendesk_for(owner).put(
        f"/api/v2/tickets/update_many.json?ids={make_ticket().number}",
        {"ticket": {"priority": "low"}},
    )
    job_id = queued.json()["job_status"]["id"]
    answer = zendesk_for(make_user()).get(f"/api/v2/job_statuses/{job_id}.json")
    assert answer.status_code == 404 and answer.json()["error"] == "RecordNotFound"


def test_merge_with_comments_answers_a_job_status(
    zendesk_for, make_user, make_contact, make_ticket, mailbox, django_capture_on_commit_callbacks
):
    agent = make_user()
    liisa = make_contact(email="liisa@example.fi")
    target = make_ticket(subject="Tilaus 1", requester=liisa)
    sources = [make_ticket(subject=f"Tilaus {n}", requester=liisa) for n in (2, 3)]
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        answer = zendesk_for(agent).post(
            f"/api/v2/tickets/{target.number}/merge.json",
            {
                "ids": [s.number for s in sources],
                "target_comment": "Yhdistetty samaan asiaan",
                "source_comment": "Jatketaan toisessa tiketissä",
                "target_comment_is_public": False,
                "source_comment_is_public": None,  # Zenpy sends null: private
            },
        )
    assert answer.status_code == 200, answer.content
    status = answer.json()["job_status"]
    assert status["status"] == "completed" and status["total"] == 2
    assert [r["id"] for r in status["results"]] == [s.number for s in sources]
    for source in sources:
        source.refresh_from_db()
        assert source.status == Status.CLOSED
    assert TicketMerge.objects.filter(target=target, via=Via.API).count() == 2
    notes = target.messages.filter(kind=MessageKind.INTERNAL)
    assert notes.filter(text="Yhdistetty samaan asiaan", author_user=agent).count() == 1
    # Each source's comment was written on it, and moved with its conversation.
    assert notes.filter(text="Jatketaan toisessa tiketissä").count() == 2
    assert not mail.outbox  # private comments: nobody mailed


def test_merge_is_checked_whole_before_anything_changes(
    zendesk_for, make_user, make_team, make_ticket
):
    hr = make_team("HR", restricted=True)
    agent = make_user()
    target, fine = make_ticket(), make_ticket()
    closed, hidden = make_ticket(), make_ticket(team=hr)
    actions.update_ticket(closed, actor=None, via=Via.AGENT, status=Status.CLOSED)
    zd = zendesk_for(agent)
    url = f"/api/v2/tickets/{target.number}/merge.json"
    refused = zd.post(url, {"ids": [fine.number, closed.number]})
    assert refused.status_code == 422 and refused.json()["error"] == "RecordInvalid"
    hidden_answer = zd.post(url, {"ids": [fine.number, hidden.number]})
    assert hidden_answer.status_code == 422
    assert str(hidden.number) in str(hidden_answer.json()["details"])  # as if it did not exist
    assert zd.post(url, {"ids": []}).status_code == 422
    assert zd.post(url, {"ids": list(range(1, 7))}).status_code == 422  # Zendesk's five
    assert (
        zd.post(f"/api/v2/tickets/{hidden.number}/merge", {"ids": [fine.number]}).status_code == 404
    )
    light = zendesk_for(make_user(role=Role.LIGHT_AGENT))
    assert light.post(url, {"ids": [fine.number]}).status_code == 403
    assert not TicketMerge.objects.exists()
    fine.refresh_from_db()
    assert fine.status == Status.NEW


def test_delete_is_refused_and_nothing_is_deleted(zendesk_for, make_user, make_team, make_ticket):
    hr = make_team("HR", restricted=True)
    ticket, hidden = make_ticket(), make_ticket(team=hr)
    zd = zendesk_for(make_user())
    refused = zd.delete(f"/api/v2/tickets/{ticket.number}.json")
    assert refused.status_code == 403 and refused.json()["error"] == "Forbidden"
    assert refused.json()["description"]  # says what to do instead
    assert zd.delete(f"/api/v2/tickets/{hidden.number}.json").status_code == 404
    many = zd.delete("/api/v2/tickets/destroy_many.json", {"ids": f"{ticket.number}"})
    assert many.status_code == 403 and many.json()["error"] == "Forbidden"
    assert zd.delete("/api/v2/tickets/destroy_many.json", {"ids": "x"}).status_code == 400
    assert Ticket.objects.count() == 2


def test_a_read_token_cannot_change_many(zendesk_for, make_user, make_ticket):
    zd = zendesk_for(make_user(), scope=Scope.READ)
    number = make_ticket().number
    for answer in (
        zd.put(f"/api/v2/tickets/update_many.json?ids={number}", {"ticket": {"priority": "low"}}),
        zd.post("/api/v2/tickets/create_many.json", {"tickets": [{"comment": {"body": "x"}}]}),
        zd.post(f"/api/v2/tickets/{make_ticket().number}/merge.json", {"ids": [number]}),
        zd.delete(f"/api/v2/tickets/{number}.json"),
    ):
        assert answer.status_code == 403 and answer.json()["error"] == "Forbidden"
    assert not ApiJob.objects.exists() and not TicketMerge.objects.exists()


def test_a_public_target_comment_reaches_both_requesters(
    zendesk_for, make_user, make_contact, make_ticket, mailbox, django_capture_on_commit_callbacks
):
    """The source's requester becomes a CC of the target, so its public reply reaches them;
    a source comment is always a note (it moves with the conversation before any mail)."""
    target = make_ticket(requester=make_contact(email="liisa@example.fi"))
    source = make_ticket(requester=make_contact(email="pekka@example.fi"))
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        answer = zendesk_for(make_user()).post(
            f"/api/v2/tickets/{target.number}/merge.json",
            {
                "ids": [source.number],
                "target_comment": "Käsittelemme asiat yhdessä.",
                "target_comment_is_public": True,
                "source_comment": "Jatkamme toisessa pyynnössä.",
                "source_comment_is_public": True,
            },
        )
    assert answer.status_code == 200, answer.content
    (sent,) = mail.outbox
    assert "Käsittelemme asiat yhdessä." in sent.body
    assert set(sent.to + sent.cc) == {"liisa@example.fi", "pekka@example.fi"}
    kinds = dict(target.messages.values_list("text", "kind"))
    assert kinds["Käsittelemme asiat yhdessä."] == MessageKind.PUBLIC
    assert kinds["Jatkamme toisessa pyynnössä."] == MessageKind.INTERNAL
