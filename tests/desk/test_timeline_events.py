"""Every event the conversation shows reads as a sentence, in both languages.

No raw field names, ISO timestamps or database ids: values appear as people
know them (status labels, agent and team names, "#116" as a link).
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone, translation

from tiski.desk import timeline
from tiski.tickets import actions
from tiski.tickets.models import Event, EventKind, Status, TicketType, Via

ISO = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
RAW = re.compile(r"changed field|\b[a-z]+_[a-z_]+\b|\(none\) →")
# A bare number after an arrow or colon is an id leaking (numbers show as "#n").
BARE_ID = re.compile(r"(→|:)\s+\d+\b(?![-.:]|\s*(min|h)\b)")


@pytest.fixture
def busy_ticket(make_user, make_team, make_ticket, make_contact):
    """A ticket with every kind of event the actions write."""
    agent = make_user(role="admin", name="Minna Virtanen")
    colleague = make_user(name="Jukka Korhonen")
    team = make_team("Asiakastuki")
    other_team = make_team("Myynti")
    question = TicketType.objects.get_or_create(
        slug="kysymys", defaults={"name_fi": "Kysymys", "name_en": "Question"}
    )[0]
    # Pad the numbering so a ticket's id and number differ.
    for _i in range(3):
        make_ticket(subject="Täyte")
    parent = make_ticket(subject="Iso kokonaisuus")
    other = make_ticket(subject="Toinen")
    ticket = make_ticket(subject="Kahvinkeitin vuotaa", actor=agent)
    assert parent.pk != parent.number
    now = timezone.now()
    actions.update_ticket(
        ticket,
        actor=agent,
        via=Via.AGENT,
        status=Status.PENDING,
        priority="urgent",
        type=question,
        team=team,
        assignee=colleague,
        due_at=now + timedelta(days=2),
        subject="Kahvinkeitin vuotaa yhä",
        parent=parent,
    )
    actions.update_ticket(ticket, actor=agent, via=Via.AGENT, assignee=agent)
    actions.update_ticket(
        ticket, actor=None, via=Via.RULE, event_meta={"rule": "Siirrä myyntiin"}, team=other_team
    )
    actions.update_ticket(
        ticket, actor=agent, via=Via.AGENT, requester=make_contact(name="Pekka Puupää")
    )
    actions.update_ticket(ticket, actor=agent, via=Via.AGENT, due_at=None, parent=None, type=None)
    actions.set_tags(ticket, ["vip"], actor=agent, via=Via.AGENT)
    actions.set_tags(ticket, [], actor=agent, via=Via.AGENT)
    actions.add_ccs(ticket, [make_contact(name="Kopio Henkilö")], actor=agent, via=Via.AGENT)
    message = actions.add_message(
        other, kind="internal", actor=agent, via=Via.AGENT, text="Väärä tiketti"
    )
    actions.move_message(message, ticket, actor=agent, via=Via.AGENT)
    moved = actions.add_message(
        ticket, kind="internal", actor=agent, via=Via.AGENT, text="Tämä kuuluu toiseen"
    )
    actions.move_message(moved, other, actor=agent, via=Via.AGENT)
    call = actions.add_message(ticket, kind="call", actor=agent, via=Via.AGENT, text="Puhelu")
    actions.update_message_meta(call, {"duration": 95}, actor=None, via=Via.SYSTEM)
    actions.record_sla_event(ticket, "sla_warning", due_at=now, target="first_reply")
    actions.record_sla_event(ticket, "sla_breach", due_at=now, target="resolution")
    actions.update_ticket(
        ticket, actor=None, via=Via.RULE, event_meta={"rule": "Ratkaisija"}, status=Status.SOLVED
    )
    actions.update_ticket(ticket, actor=None, via=Via.CHANNEL, status=Status.OPEN)
    # A mail that mentioned another case: "link" here, "linked_from" for the other way.
    actions.link_tickets(ticket, other, actor=None, via=Via.CHANNEL)
    actions.link_tickets(other, ticket, actor=None, via=Via.CHANNEL)
    merged = make_ticket(subject="Sama asia")
    record = actions.merge_tickets(merged, ticket, actor=agent, via=Via.AGENT)
    actions.undo_ticket_merge(record, actor=agent, via=Via.AGENT)
    ticket.refresh_from_db()
    # The requester's satisfaction survey answer: a rating, changed, and a comment.
    actions.record_satisfaction(ticket, survey_id=1, scale="csat", score=2, old_score=None)
    actions.record_satisfaction(
        ticket,
        survey_id=1,
        scale="csat",
        score=4,
        old_score=2,
        comment="Kiitos!",
        comment_changed=True,
    )
    # Escalated to a team; an admin solves it over an open child ticket, which
    # is solved later: "every child ticket is solved".
    actions.escalate(ticket, actor=agent, via=Via.AGENT, reason="Asiakas vaatii", to_team=team)
    child = actions.create_child_ticket(ticket, subject="Hyvitys", actor=agent, via=Via.AGENT)
    actions.update_ticket(
        ticket, actor=agent, via=Via.AGENT, status=Status.SOLVED, override_open_children=True
    )
    actions.update_ticket(child, actor=agent, via=Via.AGENT, status=Status.SOLVED)
    # A side conversation with a supplier: started, answered, closed, opened again.
    from tiski.connectors.email import side
    from tiski.tickets import events

    with actions.unit_of_work():
        for what, actor, via in (
            (side.STARTED, agent, Via.AGENT),
            (side.REPLY, None, Via.CHANNEL),
            (side.CLOSED, agent, Via.AGENT),
            (side.REOPENED, None, Via.CHANNEL),
        ):
            events.record_side_conversation(
                ticket, 1, what=what, who="varasto@toimittaja.example", actor=actor, via=via
            )
    ticket.refresh_from_db()
    return {"ticket": ticket, "parent": parent, "other": other, "merged": merged}


def _texts(ticket) -> list[str]:
    return [str(e.text) for e in timeline.build_timeline(ticket) if e.event is not None]


def test_every_field_of_update_ticket_and_every_event_kind_has_a_renderer():
    """A new editable field or event kind without words fails here, not in the desk."""
    for name in actions.EDITABLE_FIELDS:
        assert name in timeline.FIELD_RENDERERS, name
    for kind in EventKind.values:
        assert kind in timeline.KIND_RENDERERS or kind in (EventKind.FIELD, EventKind.SLA), kind


@pytest.mark.parametrize("language", ["fi", "en"])
def test_every_event_reads_as_a_sentence(busy_ticket, language):
    ticket = busy_ticket["ticket"]
    merged = busy_ticket["merged"]
    fields_written = set(
        Event.objects.filter(ticket__in=[ticket, merged]).values_list("field", flat=True)
    )
    # The fixture really wrote every field the table knows.
    assert set(timeline.FIELD_RENDERERS) <= fields_written | {"merged_in", "merged_into"}
    with translation.override(language):
        texts = _texts(ticket) + _texts(merged)
    assert len(texts) >= 25
    for text in texts:
        assert not ISO.search(text), text
        assert not RAW.search(text), text
        assert not BARE_ID.search(text), text
    joined = "\n".join(texts)
    parent = busy_ticket["parent"]
    # The parent by its number, not its id; not a link, because the viewer may
    # not be allowed to open it (the ticket header links it for those who may).
    assert f"#{parent.number}" in joined and f'href="/tickets/{parent.number}/"' not in joined
    assert f"#{parent.pk}<" not in joined
    assert "Jukka Korhonen" in joined and "Myynti" in joined and "Pekka Puupää" in joined
    assert "Siirrä myyntiin" in joined and "Ratkaisija" in joined


def test_finnish_sentences_name_the_rule_and_use_labels(busy_ticket):
    with translation.override("fi"):
        texts = _texts(busy_ticket["ticket"])
    assert "Sääntö »Ratkaisija« ratkaisi tiketin" in texts
    assert any(t.startswith("Minna Virtanen muutti tilan: Uusi → Odottaa") for t in texts)
    assert "Minna Virtanen otti tiketin itselleen" in texts


def test_english_sentences(busy_ticket):
    with translation.override("en"):
        texts = _texts(busy_ticket["ticket"])
    assert "Rule “Ratkaisija” solved the ticket" in texts
    assert "Minna Virtanen took the ticket" in texts
    assert any("first reply" in t for t in texts) and any("resolution" in t for t in texts)


def test_an_unknown_field_says_something_changed_without_internals(make_ticket, make_user):
    ticket = make_ticket()
    Event.objects.create(
        ticket=ticket,
        kind=EventKind.FIELD,
        via=Via.SYSTEM,
        field="some_future_field",
        old_value="1",
        new_value="2026-11-25T07:19:20+00:00",
    )
    with translation.override("en"):
        texts = _texts(ticket)
    assert "Tiski changed the ticket" in texts


def test_a_rule_note_is_signed_by_the_rule(client, admin_user, make_ticket):
    """An internal note a rule wrote shows the rule as its author, not "Tiski"."""
    from tests.conftest import PASSWORD

    ticket = make_ticket()
    actions.add_message(
        ticket,
        kind="internal",
        actor=None,
        via=Via.RULE,
        text="Asiakas on VIP.",
        meta={"rule": "VIP-muistutus"},
    )
    client.login(username=admin_user.email, password=PASSWORD)
    page = client.get(ticket.get_absolute_url()).content.decode()
    assert '<span class="author">Sääntö »VIP-muistutus«</span>' in page


def test_routing_and_absence_hand_over_say_who_acted(make_ticket, make_user):
    agent = make_user(name="Ville Vastaaja")
    away = make_user(name="Paula Poissa")
    ticket = make_ticket()
    actions.update_ticket(ticket, actor=None, via=Via.SYSTEM, assignee=away)
    actions.update_ticket(
        ticket, actor=None, via=Via.SYSTEM, assignee=agent, event_meta={"absence_of": away.pk}
    )
    with translation.override("en"):
        texts = _texts(ticket)
    assert "Automatic routing assigned the ticket to Paula Poissa" in texts
    assert (
        "The out-of-office hand-over handed the ticket to Ville Vastaaja while Paula Poissa is away"
        in texts
    )
