"""The demo desk is complete, believable and consistent with the audit trail."""

from __future__ import annotations

import io
from collections import defaultdict

import pytest
from django.contrib.auth.hashers import check_password
from django.db import transaction
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from tiski.accounts.models import Role, Team, User
from tiski.connectors.phone.models import Call, Callback, PhoneLine
from tiski.core.placeholders import placeholders
from tiski.customers.models import Contact, Organisation
from tiski.macros.models import Macro
from tiski.operations.demo_data import populate
from tiski.search.models import SavedSearch
from tiski.search.query import parse
from tiski.search.service import apply_filters
from tiski.setup import onboarding
from tiski.setup.models import SettingChange
from tiski.sla.models import Calendar
from tiski.tickets.models import (
    Attachment,
    Channel,
    Event,
    EventKind,
    Message,
    MessageKind,
    Priority,
    Status,
    Ticket,
    TicketMerge,
    TicketType,
    Via,
)
from tiski.tickets.routing import hand_over_absences

FAST_HASHER = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker, tmp_path_factory):
    """Build the demo once for the module and roll it back afterwards.

    Generating 200 tickets takes a few seconds; doing it per test would
    make this file the slowest in the suite for no extra coverage. The
    attachments go to a folder of the module's own (tests that open them
    point MEDIA_ROOT there).
    """
    media = tmp_path_factory.mktemp("demo-media")
    with (
        django_db_blocker.unblock(),
        override_settings(PASSWORD_HASHERS=FAST_HASHER, MEDIA_ROOT=media),
    ):
        with transaction.atomic():
            out = io.StringIO()
            logins = populate(stdout=out)
            yield {"logins": logins, "output": out.getvalue(), "media": media}
            transaction.set_rollback(True)


def _merged_away(ticket: Ticket) -> bool:
    return TicketMerge.objects.filter(source=ticket, undone_at__isnull=True).exists()


def _solved_by_callback(ticket: Ticket) -> bool:
    return Callback.objects.filter(ticket=ticket, resolved_by_call__isnull=False).exists()


def _status_events(ticket_id: int) -> list[Event]:
    return list(
        Event.objects.filter(ticket_id=ticket_id, field="status").order_by("created_at", "id")
    )


def test_people_and_logins(demo, db, settings):
    """Five agents with the demo password, one admin, one light agent, one away."""
    logins = demo["logins"]
    assert len(logins) == 5
    assert ("admin@tiski.example", settings.TISKI_DEMO_PASSWORD) in logins
    users = {u.email: u for u in User.objects.all()}
    for email, password in logins:
        assert check_password(password, users[email].password)
    assert users["admin@tiski.example"].role == Role.ADMIN
    roles = [u.role for u in users.values()]
    assert roles.count(Role.ADMIN) == 1 and Role.LIGHT_AGENT in roles
    assert sum(u.is_out_of_office() for u in users.values()) == 1
    assert sorted(u.language for u in users.values()) == ["en", "fi", "fi", "fi", "fi"]
    assert set(Team.objects.values_list("name", flat=True)) == {"Asiakastuki", "Myynti"}
    assert f"{Ticket.objects.count()} " in demo["output"]


def test_counts_are_in_range(demo, db):
    """Roughly a dozen organisations, eighty contacts and two hundred tickets."""
    assert 10 <= Organisation.objects.count() <= 15
    assert Organisation.objects.filter(domains__isnull=False).distinct().count() >= 10
    assert 70 <= Contact.objects.count() <= 90
    assert Contact.objects.filter(language="en").count() >= 5
    with_email = Contact.objects.filter(identities__kind="email").distinct().count()
    with_phone = Contact.objects.filter(identities__kind="phone").distinct().count()
    assert with_email >= 0.8 * Contact.objects.count()
    assert with_phone >= 0.4 * Contact.objects.count()
    assert 180 <= Ticket.objects.count() <= 220
    per_ticket = Message.objects.count() / Ticket.objects.count()
    assert 2 <= per_ticket <= 6


def test_every_status_type_priority_channel_and_team_present(demo, db):
    """The desk shows every state a real one has."""
    tickets = Ticket.objects.all()
    assert set(tickets.values_list("status", flat=True)) == set(Status.values)
    assert set(tickets.values_list("type__slug", flat=True)) - {None} == set(
        TicketType.objects.values_list("slug", flat=True)
    )
    # Only what the phone line made by itself (callbacks, a call just logged) has no type yet.
    assert not tickets.filter(type__isnull=True).exclude(channel=Channel.PHONE).exists()
    assert set(tickets.values_list("priority", flat=True)) == set(Priority.values)
    used = set(tickets.values_list("channel", flat=True))
    assert {"email", "phone", "web_form", "chat", "whatsapp", "sms", "instagram", "manual"} <= used
    # Instagram: the colleague's answer from the Instagram app (an echo) is on the ticket.
    instagram = tickets.get(channel=Channel.INSTAGRAM)
    assert [m.kind for m in instagram.messages.order_by("created_at", "id")] == [
        "customer", "public", "customer", "customer"
    ]  # fmt: skip
    counts = {c: tickets.filter(channel=c).count() for c in used}
    assert counts[Channel.EMAIL] == max(counts.values())
    assert set(tickets.values_list("team__name", flat=True)) == {"Asiakastuki", "Myynti", None}
    assert tickets.filter(assignee__isnull=False).exists()
    assert tickets.filter(assignee__isnull=True).exists()
    assert tickets.filter(tags__isnull=False).distinct().count() >= 0.9 * tickets.count()
    assert tickets.filter(due_at__isnull=False).exists()
    assert 3 <= tickets.filter(parent__isnull=False).count() <= 10
    assert Message.objects.filter(kind=MessageKind.INTERNAL).exists()
    english = Ticket.objects.filter(requester__language="en").count()
    assert 0.08 <= english / tickets.count() <= 0.25


def test_history_is_in_the_past_and_messages_in_order(demo, db):
    """Tickets span about two months; each conversation runs forward in time."""
    now = timezone.now()
    created = list(Ticket.objects.values_list("created_at", flat=True))
    assert max(created) < now
    assert (now - min(created)).days >= 40
    by_ticket: dict[int, list[Message]] = defaultdict(list)
    for message in Message.objects.order_by("ticket_id", "id"):
        by_ticket[message.ticket_id].append(message)
    tickets = {t.pk: t for t in Ticket.objects.all()}
    for ticket_id, messages in by_ticket.items():
        times = [m.created_at for m in messages]
        assert times == sorted(times), ticket_id
        assert times[0] >= tickets[ticket_id].created_at
        assert times[-1] < now
        assert 1 <= len(messages) <= 6
        if tickets[ticket_id].channel == Channel.EMAIL:
            assert messages[0].external_id.startswith("<")


def test_events_are_in_order(demo, db):
    """Events were written in time order, starting with the creation."""
    events: dict[int, list[Event]] = defaultdict(list)
    for event in Event.objects.order_by("ticket_id", "id"):
        events[event.ticket_id].append(event)
    tickets = {t.pk: t for t in Ticket.objects.all()}
    for ticket_id, ticket_events in events.items():
        times = [e.created_at for e in ticket_events]
        assert times == sorted(times), ticket_id
        assert ticket_events[0].kind == EventKind.CREATED
        assert times[0] == tickets[ticket_id].created_at
        for event in ticket_events:
            if event.field == "tags":
                # Tags given at creation belong to the creation moment.
                assert event.created_at == tickets[ticket_id].created_at


def test_events_agree_with_status(demo, db):
    """Replaying each ticket's status events ends at its status."""
    for ticket in Ticket.objects.all():
        events = _status_events(ticket.pk)
        current = events[0].old_value if events else ticket.status
        assert current in (Status.NEW, Status.OPEN), ticket.number
        for event in events:
            assert event.old_value == current, ticket.number
            current = event.new_value
        assert current == ticket.status, ticket.number
        if _merged_away(ticket):
            # Closed by the agent's merge, which the event names.
            assert ticket.status == Status.CLOSED and events[-1].meta.get("merge")
            continue
        if _solved_by_callback(ticket):
            # The call that reached the customer solved it; no reply was needed.
            assert ticket.status == Status.SOLVED and events[-1].via == Via.SYSTEM
            continue
        if ticket.status in (Status.SOLVED, Status.CLOSED):
            assert Status.SOLVED in [e.new_value for e in events], ticket.number
            assert ticket.messages.filter(kind=MessageKind.PUBLIC).exists(), ticket.number
            assert ticket.solved_at is not None
        if ticket.status == Status.CLOSED and events[-1].meta.get("moved_in"):
            # Closed in the desk it moved in from, which the event names.
            assert ticket.closed_at is not None
        elif ticket.status == Status.CLOSED:
            # Closed by the shipped time rule, which the event names.
            assert events[-1].via == "rule" and events[-1].meta.get("rule")
            assert ticket.closed_at is not None
        if ticket.status == Status.NEW:
            assert ticket.assignee_id is None
            assert not ticket.messages.filter(kind=MessageKind.PUBLIC).exists()


def test_children_never_block_solved_parents(demo, db):
    for child in Ticket.objects.filter(parent__isnull=False).select_related("parent"):
        assert child.parent.team_id != child.team_id
        if child.parent.status in (Status.SOLVED, Status.CLOSED):
            assert child.status in (Status.SOLVED, Status.CLOSED)


def test_second_call_adds_nothing(demo, db):
    """Re-running `tiski demo` keeps the existing data as it is."""
    before = (
        Ticket.objects.count(),
        Message.objects.count(),
        Contact.objects.count(),
        User.objects.count(),
    )
    out = io.StringIO()
    assert populate(stdout=out) == []
    after = (
        Ticket.objects.count(),
        Message.objects.count(),
        Contact.objects.count(),
        User.objects.count(),
    )
    assert before == after
    assert out.getvalue()


# --- every capability the desk has shows in the demo (#13) ----------------------


def test_ready_answers_exist_and_replies_were_written_with_them(demo, db):
    """Shared ready answers and one personal, with placeholders; replies that used
    them are rendered (no placeholder left) and counted on the answer."""
    macros = list(Macro.objects.all())
    assert len(macros) >= 5
    personal = [m for m in macros if m.owner_id]
    assert len(personal) == 1 and personal[0].owner.email == "admin@tiski.example"
    for macro in macros:
        macro.full_clean()  # placeholders known, some text in each language
        assert placeholders(macro.text_fi) and macro.text_en
    assert any(m.set_status for m in macros) and any(m.add_tags for m in macros)
    used = Message.objects.filter(meta__macro__isnull=False)
    assert used.count() >= 3
    by_macro: dict[int, int] = defaultdict(int)
    for message in used.select_related("ticket__requester"):
        assert message.kind == MessageKind.PUBLIC
        assert "{{" not in message.text
        first_name = message.ticket.requester.name.split()[0]
        assert first_name in message.text  # {{ requester.first_name }} filled in
        macro = Macro.objects.get(pk=message.meta["macro"])
        assert message.meta["macro_name"] == macro.name
        by_macro[macro.pk] += 1
    for macro in macros:
        assert macro.usage_count == by_macro.get(macro.pk, 0), macro.name


def test_the_conversation_names_the_ready_answer(demo, db, client):
    message = Message.objects.filter(meta__macro__isnull=False).select_related("ticket").first()
    client.force_login(User.objects.get(email="admin@tiski.example"))
    html = client.get(message.ticket.get_absolute_url()).content.decode()
    assert f'data-macro="{message.meta["macro"]}"' in html
    assert message.meta["macro_name"] in html


def test_phone_line_with_answered_missed_and_called_back_calls(demo, db):
    """Calls came in as webhook events; answered ones are logged on tickets, a
    missed caller got one callback ticket for both attempts, and a callback
    made by calling back is resolved by that call."""
    line = PhoneLine.objects.get()
    assert line.team.name == "Asiakastuki" and line.active
    answered = Call.objects.filter(answered_at__isnull=False, direction="inbound")
    assert answered.count() >= 3
    logged = answered.filter(message__isnull=False)
    assert logged.count() >= 2
    for call in logged:
        assert call.message.kind == MessageKind.CALL
        assert call.message.ticket_id == call.ticket_id
        assert call.message.meta["call"] == call.pk
        assert call.message.meta["duration"] == call.duration > 0
    assert answered.filter(message__isnull=True).exists()  # not logged yet

    waiting = Callback.objects.get(resolved_at__isnull=True)
    missed = [c for c in Call.objects.filter(number=waiting.number) if c.missed]
    assert len(missed) == waiting.attempts == 2
    ticket = waiting.ticket
    assert ticket.status == Status.NEW and ticket.channel == Channel.PHONE
    assert "takaisinsoitto" in ticket.tags.values_list("name", flat=True)
    assert ticket.requester_id == missed[0].contact_id
    call_messages = ticket.messages.filter(kind=MessageKind.CALL).order_by("created_at")
    assert [m.meta["call"] for m in call_messages] == [
        c.pk for c in sorted(missed, key=lambda c: c.started_at)
    ]

    done = Callback.objects.get(resolved_by_call__isnull=False)
    back = done.resolved_by_call
    assert back.direction == "outbound" and back.answered_at and back.number == done.number
    assert done.ticket.status == Status.SOLVED
    assert done.resolved_at >= back.answered_at
    # The note that solved it is dated when the call was processed, not later.
    note = done.ticket.messages.get(meta__callback_resolved=True)
    assert note.created_at == done.resolved_at


def test_attachments_are_real_files_the_desk_serves(demo, db, client, settings):
    """Pictures show as thumbnails, documents download, and both open."""
    settings.MEDIA_ROOT = demo["media"]
    images = Attachment.objects.filter(content_type="image/png")
    pdfs = Attachment.objects.filter(content_type="application/pdf")
    assert images.count() >= 2 and pdfs.count() >= 2
    assert images.filter(message__kind=MessageKind.CUSTOMER).exists()
    assert pdfs.filter(message__kind=MessageKind.PUBLIC).exists()
    client.force_login(User.objects.get(email="admin@tiski.example"))
    for attachment in [*images[:2], *pdfs[:2]]:
        url = reverse("desk:attachment", args=[attachment.pk, attachment.filename])
        response = client.get(url)
        assert response.status_code == 200
        body = b"".join(response.streaming_content)
        assert len(body) == attachment.size
        if attachment.content_type == "image/png":
            assert body.startswith(b"\x89PNG\r\n\x1a\n") and body.endswith(b"IEND\xaeB`\x82")
        else:
            assert body.startswith(b"%PDF-1.") and body.rstrip().endswith(b"%%EOF")
            assert response["Content-Disposition"].startswith("attachment")
        page = client.get(attachment.message.ticket.get_absolute_url()).content.decode()
        if attachment.is_raster_image:
            assert f'<img class="thumb" src="{url}"' in page
        else:
            assert f'href="{url}" download' in page


def test_a_duplicate_was_merged(demo, db, client):
    """Merged through the action: the duplicate is closed and points at its target,
    whose conversation now holds the duplicate's message."""
    record = TicketMerge.objects.get()
    source, target = record.source, record.target
    assert record.is_active and record.actor is not None
    assert source.status == Status.CLOSED
    assert target.status in (Status.NEW, Status.OPEN, Status.PENDING, Status.ON_HOLD)
    assert source.requester_id == target.requester_id
    merged_event = Event.objects.get(ticket=source, field="merged_into")
    assert merged_event.new_value == str(target.number)
    moved = target.messages.filter(meta__merged_from=source.number)
    assert moved.count() == 1 and moved.get().kind == MessageKind.CUSTOMER
    assert not source.messages.exclude(kind=MessageKind.SYSTEM).exists()
    # Its page says it is closed (read-only), not the first status in the list.
    client.force_login(User.objects.get(email="admin@tiski.example"))
    page = client.get(source.get_absolute_url()).content.decode()
    assert '<option value="closed" selected>' in page
    assert 'id="save-fields"' not in page


def test_a_child_ticket_and_saved_searches(demo, db):
    assert Ticket.objects.filter(parent__isnull=False).exists()
    searches = list(SavedSearch.objects.select_related("user"))
    assert len(searches) >= 4
    assert len({s.user_id for s in searches}) >= 2
    for search in searches:
        parsed = parse(search.query)
        found = apply_filters(Ticket.objects.visible_to(search.user), parsed, search.user)
        assert found.exists(), search.name


def test_first_hour_checklist_is_honest_about_the_demo(demo, db):
    """The demo set hours, wrote ready answers, has colleagues and an
    acknowledgement; it has no real mailbox connection, and says so."""
    done = {step.key: step.done for step in onboarding.steps()}
    assert done == {
        "mailbox": False,
        "colleagues": True,
        "hours": True,
        "acknowledgement": True,
        "ready_answer": True,
    }
    calendar = Calendar.objects.get(is_default=True)
    assert calendar.weekly_hours["5"] == "10:00-14:00" and calendar.closed_dates
    logged = set(SettingChange.objects.values_list("section", flat=True))
    assert {"calendars", "macros", "phone_lines"} <= logged
    assert not SettingChange.objects.filter(actor__isnull=True).exists()


def test_nobody_away_holds_open_tickets(demo, db):
    """The absence job already ran when Laura's absence began: her open tickets
    are with her stand-in, and the job finds nothing more to do at start-up."""
    away = User.objects.get(email="laura.heikkinen@tiski.example")
    assert away.is_out_of_office() and away.absence_delegate is not None
    assert not Ticket.objects.unsolved().filter(assignee=away).exists()
    assert hand_over_absences(timezone.now()) == 0
    for event in Event.objects.filter(field="assignee", meta__absence_of=away.pk):
        assert event.new_value == str(away.absence_delegate_id)


def test_a_webhook_is_shown_switched_off_and_no_token_exists(demo, db):
    """Settings → Webhooks has one, switched off (it points nowhere); no API token is made."""
    from tiski.api.models import ApiToken, WebhookDelivery, WebhookSubscription

    webhook = WebhookSubscription.objects.get()
    assert not webhook.active and webhook.events
    assert not WebhookDelivery.objects.exists()
    assert not ApiToken.objects.exists()


def test_ticket_pages_link_to_the_customer_in_the_web_shop(demo, db, client):
    """Settings → Side-panel cards has a link card; the ticket page's cards show it."""
    from tiski.sidepanel.models import SidePanelCard

    card = SidePanelCard.objects.get()
    assert card.kind == "link" and "{{requester.email}}" in card.url_template
    ticket = Ticket.objects.filter(requester__identities__kind="email").first()
    client.force_login(User.objects.get(email="admin@tiski.example"))
    cards = client.get(f"/side-panel/{ticket.number}/").content.decode()
    email = ticket.requester.emails[0].replace("@", "%40")
    assert f"https://verkkokauppa.example/admin/asiakkaat?email={email}" in cards


def test_demo_shows_a_mention_a_follower_and_an_escalation(demo):
    """Mikko mentions the light agent Pekka in a note, Sanna leads Tuki and follows
    a ticket, and one ticket is escalated to her with a reason."""
    from tiski.notifications.mentions import resolve
    from tiski.notifications.models import Follow

    note = Message.objects.filter(kind=MessageKind.INTERNAL, text__startswith="@pekka.lahtinen")
    assert note.count() == 1
    mentioned = resolve(note[0].ticket, note[0].text)
    assert [u.email for u in mentioned.users] == ["pekka.lahtinen@tiski.example"]
    assert not mentioned.refused
    assert Follow.objects.filter(user__email="admin@tiski.example", reason="manual").exists()
    escalated = Ticket.objects.get(escalation_level=1)
    assert escalated.assignee.email == "admin@tiski.example"
    event = Event.objects.get(ticket=escalated, field="escalation_level")
    assert event.meta["reason"].startswith("Asiakas pyytää hyvitystä")
    # Sanna takes escalations by email, gathered into a morning digest.
    from tiski.notifications.models import MailSchedule, NotificationSetting

    schedule = MailSchedule.objects.get(user=escalated.assignee)
    assert schedule.frequency == "daily" and schedule.daily_hour == 8
    setting = NotificationSetting.objects.get(user=escalated.assignee, kind="escalated")
    assert setting.delivery == "email"


def test_demo_has_history_moved_in_from_zendesk(demo, db):
    """Two tickets came in through the Zendesk importer's writer: old times, old number."""
    from tiski.movein.models import SourceRecord
    from tiski.search.service import search_tickets

    records = SourceRecord.objects.filter(source="zendesk", kind="ticket")
    assert records.count() == 2
    # Tiski sent them no satisfaction survey: they were solved in Zendesk.
    from tiski.surveys.models import SurveyInvitation

    moved_ids = [int(r.object_id) for r in records]
    assert not SurveyInvitation.objects.filter(ticket_id__in=moved_ids).exists()
    moved = Ticket.objects.get(pk=records.get(source_id="4711").object_id)
    assert (timezone.now() - moved.created_at).days >= 400
    assert moved.status == Status.CLOSED and moved.first_agent_reply_at is not None
    admin = User.objects.get(email="admin@tiski.example")
    assert [hit.ticket.pk for hit in search_tickets(admin, "ZD#4711").hits] == [moved.pk]


def test_demo_has_a_ticket_from_the_old_zendesk_script(demo, db):
    """The shop's script opened and noted a ticket through /api/v2/'s own write path."""
    ticket = Ticket.objects.get(subject="Palautus saapunut: tilaus 90412")
    assert ticket.channel == Channel.API and ticket.priority == Priority.HIGH
    assert ticket.status == Status.OPEN and ticket.team.name == "Asiakastuki"
    assert sorted(t.name for t in ticket.tags.all()) == ["palautus", "verkkokauppa"]
    assert ticket.type.slug == "complaint" and ticket.assignee.is_admin
    kinds = list(ticket.messages.order_by("created_at", "id").values_list("kind", flat=True))
    assert kinds[:2] == [MessageKind.CUSTOMER, MessageKind.INTERNAL]
    assert ticket.events.filter(via=Via.API, field="status").exists()


def test_demo_shows_a_side_conversation_with_the_suppliers_answer(demo):
    from tiski.connectors.models import SideConversation

    conversation = SideConversation.objects.get()
    assert conversation.status == "open"
    assert [m.incoming for m in conversation.messages.all()] == [False, True]
    assert "torstaina" in conversation.messages.last().text
    lines = Event.objects.filter(ticket=conversation.ticket, field="side_conversation")
    assert [e.new_value for e in lines] == ["started", "reply"]
    # The supplier's answer is no message of the customer's conversation.
    assert not conversation.ticket.messages.filter(text__contains="torstaina").exists()


def test_demo_shows_organisation_requests_and_articles_that_solved_tickets(demo, db):
    """One organisation shares its requests in the portal, with more than one person
    asking, and the article list counts tickets solved with an article."""
    from tiski.customers.models import Organisation
    from tiski.knowledge.models import Article
    from tiski.knowledge.usage import with_solved_counts
    from tiski.portal.organisation import organisation_requests, shares_requests

    sharing = Organisation.objects.get(name="Kahvila Kuppi Oy")
    assert shares_requests(sharing)
    requesters = Ticket.objects.filter(requester__organisation=sharing).values("requester")
    assert requesters.distinct().count() >= 2
    colleague = sharing.contacts.filter(pk__in=requesters).first()
    assert organisation_requests(colleague).exists()
    counts = with_solved_counts(Article.objects.all()).values_list("solved_count", flat=True)
    assert max(counts) > 0


def test_demo_shows_an_incomplete_long_sms_and_an_opt_out(demo, db, client):
    """A text whose middle part never came, delivered by the sweep; the customer
    then sent STOP: the ticket says so and offers the reply by email instead."""
    from tiski.connectors.sms.models import SmsOptOut

    message = Message.objects.get(channel="sms", text__contains="[osa puuttuu]")
    assert message.meta["sms_parts_missing"] == [2]
    stop = SmsOptOut.objects.get()
    assert message.ticket.requester.identities.filter(value=stop.number).exists()
    client.force_login(User.objects.filter(role="admin").first())
    page = client.get(message.ticket.get_absolute_url()).content.decode()
    assert "data-sms-opt-out" in page and 'id="unreachable-warning"' in page
    if message.ticket.requester.identities.filter(kind="email").exists():
        assert 'value="email" id="reply-channel-email" checked' in page


def test_demo_shows_custom_fields_filled_in(demo, db):
    """Order numbers on tickets of every kind, and a product group on complaints
    (every solved one: it is required to solve them; the SMS complaint still
    waits for an agent to fill it in), written through the actions with events."""
    from tiski.tickets.models import TicketField, TicketFieldValue, TicketMerge

    order, group = TicketField.objects.order_by("position")
    assert (order.key, group.key) == ("order_number", "product_group")
    assert list(group.ticket_types.values_list("slug", flat=True)) == ["complaint"]
    # A duplicate merged into another ticket is closed by the merge, not
    # solved: the solve's required fields do not apply to it.
    merged = TicketMerge.objects.filter(undone_at__isnull=True).values("source_id")
    complaints = Ticket.objects.filter(
        type__slug="complaint", status__in=("solved", "closed")
    ).exclude(pk__in=merged)
    assert complaints.exists()
    with_group = TicketFieldValue.objects.filter(field=group, ticket__in=complaints)
    assert with_group.count() == complaints.count()
    assert TicketFieldValue.objects.filter(field=order).count() >= 10
    assert Event.objects.filter(field="custom:order_number").exists()
    assert Ticket.objects.filter(type__slug="complaint", status="solved").exists()


def test_demo_has_a_brand_with_its_own_help_centre(demo, db, client):
    """The maintenance brand answers on its own host name (any *.localhost
    reaches the machine in a browser) with its name and only its category."""
    from tiski.operations.demo_knowledge import BRAND_HOST

    home = client.get("/", HTTP_HOST=BRAND_HOST, follow=True)
    assert home.status_code == 200
    page = home.content.decode()
    assert "Papumylly Huolto" in page
    assert "Laitteet ja huolto" in page
    assert "Laskutus ja maksut" not in page
    desk_home = client.get("/help/fi/").content.decode()
    assert "Laskutus ja maksut" in desk_home and "Papumylly Huolto" not in desk_home
