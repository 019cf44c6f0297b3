"""Merging a ticket into another, undoing it, who may, and the desk pages for it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.utils import timezone

from tests.conftest import PASSWORD
from tiski.tickets import actions
from tiski.tickets.actions import merged_targets
from tiski.tickets.changes import TicketChange
from tiski.tickets.models import (
    Attachment,
    Event,
    MessageKind,
    Status,
    Ticket,
    TicketMerge,
    Via,
)

RECORDED: list[TicketChange] = []


def record_change(change: TicketChange) -> None:
    """A ticket-change handler for these tests: keeps what was announced."""
    RECORDED.append(change)


@pytest.fixture
def recorded(settings):
    RECORDED.clear()
    settings.TISKI_TICKET_CHANGE_HANDLERS = ["tests.tickets.test_ticket_merge.record_change"]
    return RECORDED


@pytest.fixture
def agent(make_user):
    return make_user(name="Minna Virtanen")


@pytest.fixture
def story(make_contact, make_ticket, agent):
    """Liisa wrote twice about one leaking coffee maker; Pekka is copied on the first."""
    liisa = make_contact(email="liisa@asiakas.fi", name="Liisa Lahtinen")
    pekka = make_contact(email="pekka@asiakas.fi", name="Pekka Lahtinen")
    boss = make_contact(email="pomo@asiakas.fi", name="Pomo")
    start = timezone.now() - timedelta(hours=5)
    source = make_ticket(
        subject="Keitin vuotaa",
        text="Keitin vuotaa vettä.",
        requester=liisa,
        created_at=start,
        tags=["reklamaatio"],
        ccs=[pekka],
    )
    target = make_ticket(
        subject="Vuotava kahvinkeitin",
        text="Kirjoitin jo aiemmin keittimestä.",
        requester=liisa,
        created_at=start + timedelta(hours=1),
        tags=["kahvinkeitin"],
        ccs=[boss],
    )
    reply = actions.add_message(
        source,
        kind=MessageKind.PUBLIC,
        actor=agent,
        via=Via.AGENT,
        text="Lähetämme uuden tiivisteen.",
        created_at=start + timedelta(hours=2),
    )
    note = actions.add_message(
        source,
        kind=MessageKind.INTERNAL,
        actor=agent,
        via=Via.AGENT,
        text="Kuva liitteenä.",
        attachments=[actions.NewAttachment("kuva.png", ContentFile(b"png"), "image/png")],
        created_at=start + timedelta(hours=3),
    )
    actions.update_ticket(source, actor=agent, via=Via.AGENT, status=Status.PENDING)
    for ticket in (source, target):
        ticket.refresh_from_db()
    return {
        "source": source,
        "target": target,
        "liisa": liisa,
        "pekka": pekka,
        "boss": boss,
        "reply": reply,
        "note": note,
        "start": start,
    }


def conversation(ticket: Ticket) -> list[tuple[str, str]]:
    return [(m.kind, m.text) for m in ticket.messages.order_by("created_at", "id")]


def test_merge_moves_the_conversation_in_time_order_and_closes_the_source(
    story, agent, recorded, django_capture_on_commit_callbacks
):
    """Messages interleave by time on the target; the source is closed with a note to it."""
    source, target = story["source"], story["target"]
    with django_capture_on_commit_callbacks(execute=True):
        record = actions.merge_tickets(source, target, actor=agent, via=Via.AGENT)
    source.refresh_from_db()
    target.refresh_from_db()

    assert conversation(target) == [
        (MessageKind.CUSTOMER, "Keitin vuotaa vettä."),
        (MessageKind.CUSTOMER, "Kirjoitin jo aiemmin keittimestä."),
        (MessageKind.PUBLIC, "Lähetämme uuden tiivisteen."),
        (MessageKind.INTERNAL, "Kuva liitteenä."),
        (MessageKind.SYSTEM, target.messages.get(kind=MessageKind.SYSTEM).text),
    ]
    note = target.messages.get(kind=MessageKind.SYSTEM)
    assert f"#{source.number}" in note.text and note.meta["merged_in"] == source.number
    assert note.author_user == agent
    assert Attachment.objects.get().message.ticket == target
    assert target.messages.get(pk=story["reply"].pk).meta["merged_from"] == source.number
    assert set(target.ccs.all()) == {story["liisa"], story["pekka"], story["boss"]} - {
        target.requester
    }
    assert set(target.tags.values_list("name", flat=True)) == {"reklamaatio", "kahvinkeitin"}
    assert target.last_agent_reply_at == story["reply"].created_at

    assert source.status == Status.CLOSED and source.closed_at is not None
    system = source.messages.get()
    assert system.kind == MessageKind.SYSTEM and system.meta["merged_into"] == target.number
    closing = source.events.get(field="status", new_value=Status.CLOSED)
    assert closing.meta == {"merge": record.pk} and closing.actor == agent
    assert source.events.filter(field="merged_into", new_value=str(target.number)).exists()
    assert target.events.get(field="merged_in").meta == {"merge": record.pk, "messages": 3}

    assert record.source_before["status"] == Status.PENDING
    assert [pk for pk, _before in record.moved["messages"]] == [
        m.pk for m in target.messages.filter(meta__merged_from=source.number).order_by("created_at")
    ]
    # One change per ticket; the moved messages are not announced as new,
    # so no handler mails the moved public reply again.
    by_ticket = {c.ticket_id: c for c in recorded}
    assert set(by_ticket) == {source.pk, target.pk}
    assert by_ticket[target.pk].message_kinds == {MessageKind.SYSTEM}
    assert "merged_in" in by_ticket[target.pk].fields and "ccs" in by_ticket[target.pk].fields
    assert by_ticket[target.pk].tags_added == ("reklamaatio",)
    assert by_ticket[source.pk].fields["status"] == (Status.PENDING, Status.CLOSED)


def test_undo_moves_back_exactly_what_moved(story, agent, make_contact):
    """Undo returns the moved rows and the old status; what came to the target later stays."""
    source, target = story["source"], story["target"]
    before_source = conversation(source)
    before_target_stamp = target.last_agent_reply_at
    record = actions.merge_tickets(source, target, actor=agent, via=Via.AGENT)
    later = actions.add_message(
        target,
        kind=MessageKind.CUSTOMER,
        actor=None,
        via=Via.CHANNEL,
        author_contact=story["liisa"],
        text="Tiiviste tuli, kiitos.",
    )
    actions.add_tags(target, ["kiitos"], actor=agent, via=Via.AGENT)

    actions.undo_ticket_merge(record, actor=agent, via=Via.AGENT)
    source.refresh_from_db()
    target.refresh_from_db()
    record.refresh_from_db()

    # The source's own messages, plus the merge note it got.
    assert conversation(source)[:-1] == before_source
    assert conversation(source)[-1][0] == MessageKind.SYSTEM
    assert not source.messages.filter(meta__has_key="merged_from").exists()
    assert Attachment.objects.get().message.ticket == source
    assert later.pk in set(target.messages.values_list("pk", flat=True))
    assert set(target.ccs.all()) == {story["boss"]}
    assert set(target.tags.values_list("name", flat=True)) == {"kahvinkeitin", "kiitos"}
    assert target.last_agent_reply_at == before_target_stamp
    assert source.status == Status.PENDING and source.closed_at is None
    reopen = source.events.filter(field="status").order_by("-id").first()
    assert (reopen.old_value, reopen.new_value) == (Status.CLOSED, Status.PENDING)
    assert source.events.filter(field="merged_into_undone").exists()
    assert target.events.filter(field="merged_in_undone").exists()
    assert target.events.filter(field="ccs", new_value="").exists()  # the CC removal is recorded
    assert record.undone_at is not None and record.undone_by == agent
    assert merged_targets([source.pk]) == {}

    with pytest.raises(ValidationError):
        actions.undo_ticket_merge(record, actor=agent, via=Via.AGENT)
    # Undone, the ticket can be merged again.
    again = actions.merge_tickets(source, target, actor=agent, via=Via.AGENT)
    assert again.pk != record.pk and TicketMerge.objects.filter(undone_at__isnull=True).count() == 1


def test_a_solved_ticket_merges_and_comes_back_solved(make_ticket, agent):
    """Solved is not closed: it may be merged, and undo puts back its solved time too."""
    source, target = make_ticket(subject="A"), make_ticket(subject="B")
    actions.update_ticket(source, actor=agent, via=Via.AGENT, status=Status.SOLVED)
    source.refresh_from_db()
    solved_at = source.solved_at
    record = actions.merge_tickets(source, target, actor=agent, via=Via.AGENT)
    source.refresh_from_db()
    assert source.status == Status.CLOSED
    actions.undo_ticket_merge(record, actor=agent, via=Via.AGENT)
    source.refresh_from_db()
    assert source.status == Status.SOLVED and source.solved_at == solved_at


def test_merged_targets_follow_chains(make_ticket, agent):
    """#1 into #2 and later #2 into #3: #1's conversation is on #3; undo shortens the chain."""
    one, two, three, other = (make_ticket(subject=s) for s in "1234")
    actions.merge_tickets(one, two, actor=agent, via=Via.AGENT)
    second = actions.merge_tickets(two, three, actor=agent, via=Via.AGENT)
    assert merged_targets([one.pk, two.pk, three.pk, other.pk]) == {
        one.pk: three.pk,
        two.pk: three.pk,
    }
    # The first merge's messages went on with #2: they are on #3 now.
    assert one.messages.count() == 1  # only its "merged into" note
    assert three.messages.filter(meta__merged_from=two.number).count() == 2
    actions.undo_ticket_merge(second, actor=agent, via=Via.AGENT)
    assert merged_targets([one.pk, two.pk]) == {one.pk: two.pk}
    assert two.messages.filter(meta__merged_from=one.number).count() == 1


# --- who may, and what may not be merged ------------------------------------------


def test_the_agent_must_see_both_tickets(make_user, make_team, make_ticket):
    """A ticket of a restricted team the agent is not in cannot be a merge source or target."""
    secret = make_team("Johto", restricted=True)
    agent = make_user()
    mine = make_ticket(subject="Oma")
    hidden = make_ticket(subject="Salainen", team=secret)
    for source, target in ((mine, hidden), (hidden, mine)):
        with pytest.raises(PermissionDenied):
            actions.merge_tickets(source, target, actor=agent, via=Via.AGENT)
    assert not TicketMerge.objects.exists()
    assert mine.messages.count() == 1 and hidden.messages.count() == 1


def test_light_agents_cannot_merge(make_user, make_ticket):
    light = make_user(role="light_agent")
    with pytest.raises(PermissionDenied):
        actions.merge_tickets(make_ticket(), make_ticket(), actor=light, via=Via.AGENT)
    assert not TicketMerge.objects.exists()


def test_what_cannot_be_merged(make_ticket, agent):
    """Not into itself, not closed ones, not into a merged-away one, not with open children."""
    first, second, third = make_ticket(subject="1"), make_ticket(subject="2"), make_ticket()
    with pytest.raises(ValidationError, match="itself"):
        actions.merge_tickets(first, first, actor=agent, via=Via.AGENT)

    closed = make_ticket(subject="Suljettu")
    actions.update_ticket(closed, actor=agent, via=Via.AGENT, status=Status.CLOSED)
    for source, target in ((closed, first), (first, closed)):
        with pytest.raises(ValidationError, match="closed"):
            actions.merge_tickets(source, target, actor=agent, via=Via.AGENT)

    actions.merge_tickets(first, second, actor=agent, via=Via.AGENT)
    with pytest.raises(ValidationError, match=f"#{second.number}"):
        actions.merge_tickets(third, first, actor=agent, via=Via.AGENT)
    with pytest.raises(ValidationError, match="already merged"):
        actions.merge_tickets(first, third, actor=agent, via=Via.AGENT)

    parent = make_ticket(subject="Isä")
    child = make_ticket(subject="Lapsi")
    actions.update_ticket(child, actor=agent, via=Via.AGENT, parent=parent)
    with pytest.raises(ValidationError, match="child"):
        actions.merge_tickets(parent, third, actor=agent, via=Via.AGENT)
    assert TicketMerge.objects.count() == 1


def test_undo_needs_an_open_target_the_agent_sees(make_user, make_team, make_ticket, agent):
    source, target = make_ticket(subject="A"), make_ticket(subject="B")
    record = actions.merge_tickets(source, target, actor=agent, via=Via.AGENT)
    outsider_team = make_team("Muut", restricted=True)
    actions.update_ticket(target, actor=agent, via=Via.AGENT, team=outsider_team)
    with pytest.raises(PermissionDenied):
        actions.undo_ticket_merge(record, actor=agent, via=Via.AGENT)
    actions.update_ticket(target, actor=None, via=Via.SYSTEM, team=None, status=Status.CLOSED)
    with pytest.raises(ValidationError, match="closed"):
        actions.undo_ticket_merge(record, actor=agent, via=Via.AGENT)
    record.refresh_from_db()
    assert record.undone_at is None


# --- the desk ---------------------------------------------------------------------


@pytest.fixture
def agent_client(client, agent):
    client.login(username=agent.email, password=PASSWORD)
    return client


def test_merge_from_the_ticket_page(agent_client, story, make_ticket, make_team):
    """Pick one of the requester's open tickets, confirm, merge; both pages show the record."""
    source, target = story["source"], story["target"]
    hidden = make_ticket(requester=story["liisa"], team=make_team("Johto", restricted=True))
    page = agent_client.get(source.get_absolute_url()).content.decode()
    assert f'href="/tickets/{source.number}/merge/"' in page and 'id="merge-ticket-link"' in page

    picker = agent_client.get(f"/tickets/{source.number}/merge/").content.decode()
    assert f'data-merge-target="{target.number}"' in picker
    assert f'data-merge-target="{hidden.number}"' not in picker  # not visible to this agent
    assert f'data-merge-target="{source.number}"' not in picker

    confirm = agent_client.get(f"/tickets/{source.number}/merge/?target={target.number}")
    body = confirm.content.decode()
    assert 'id="confirm-merge"' in body and 'data-moving="3"' in body
    assert not TicketMerge.objects.exists()  # looking is not merging

    done = agent_client.post(f"/tickets/{source.number}/merge/", {"target": target.number})
    assert done.status_code == 302 and done["Location"] == target.get_absolute_url()
    record = TicketMerge.objects.get()
    target_page = agent_client.get(target.get_absolute_url()).content.decode()
    assert f'data-undo-merge="{record.pk}"' in target_page
    assert "Lähetämme uuden tiivisteen." in target_page
    assert target_page.count(f'data-merged-from="{source.number}"') == 3
    source_page = agent_client.get(source.get_absolute_url()).content.decode()
    assert 'id="merged-note"' in source_page and f'data-undo-merge="{record.pk}"' in source_page
    assert 'id="merge-ticket-link"' not in source_page

    undone = agent_client.post(f"/tickets/{target.number}/merge/undo/", {"merge": record.pk})
    assert undone.status_code == 302 and undone["Location"] == source.get_absolute_url()
    source.refresh_from_db()
    assert source.status == Status.PENDING
    after = agent_client.get(source.get_absolute_url()).content.decode()
    assert 'id="merged-note"' not in after and f'data-undo-merge="{record.pk}"' not in after


def test_merge_page_refuses_what_cannot_be_merged(agent_client, make_ticket, make_team, agent):
    """Unknown, invisible and closed targets give an error and change nothing."""
    source = make_ticket(subject="Lähde")
    hidden = make_ticket(subject="Salainen", team=make_team("Johto", restricted=True))
    closed = make_ticket(subject="Vanha")
    actions.update_ticket(closed, actor=agent, via=Via.AGENT, status=Status.CLOSED)
    for number in ("999999", str(hidden.number), "abc"):
        response = agent_client.post(f"/tickets/{source.number}/merge/", {"target": number})
        assert response.status_code == 400 and 'id="merge-error"' in response.content.decode()
        assert "Salainen" not in response.content.decode()
    response = agent_client.get(f"/tickets/{source.number}/merge/?target_number={closed.number}")
    assert 'id="merge-error"' in response.content.decode()
    assert 'id="confirm-merge"' not in response.content.decode()
    assert not TicketMerge.objects.exists()


def test_undo_url_only_takes_merges_of_that_ticket(agent_client, make_ticket, agent):
    """A merge id of another pair posted under this ticket's number is a 404."""
    a, b, c = make_ticket(), make_ticket(), make_ticket()
    record = actions.merge_tickets(a, b, actor=agent, via=Via.AGENT)
    response = agent_client.post(f"/tickets/{c.number}/merge/undo/", {"merge": record.pk})
    assert response.status_code == 404
    record.refresh_from_db()
    assert record.undone_at is None


def test_timeline_words_for_merge_events(agent_client, make_ticket, agent):
    """The conversation shows the merge notes once, and the undo as an event line."""
    source, target = make_ticket(subject="A"), make_ticket(subject="B")
    record = actions.merge_tickets(source, target, actor=agent, via=Via.AGENT)
    note = target.messages.get(kind=MessageKind.SYSTEM)
    merged_in = target.events.get(field="merged_in")
    page = agent_client.get(target.get_absolute_url()).content.decode()
    assert f'id="message-{note.pk}"' in page
    assert f'data-event-id="{merged_in.pk}"' not in page  # the note says it already
    actions.undo_ticket_merge(record, actor=agent, via=Via.AGENT)
    undone = Event.objects.get(ticket=target, field="merged_in_undone")
    page = agent_client.get(target.get_absolute_url()).content.decode()
    line = page.split(f'data-event-id="{undone.pk}"', 1)[1].split("</span>", 1)[0]
    assert f"#{source.number}" in line and agent.name in line
