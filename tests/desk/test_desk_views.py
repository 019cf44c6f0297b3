"""The agent desk through Django's test client: every page, every write."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests.conftest import PASSWORD
from tiski.accounts.models import Role
from tiski.tickets import actions
from tiski.tickets.models import MessageKind, Status, Ticket, Via


@pytest.fixture
def agent(make_user, make_team):
    team = make_team("Asiakastuki")
    return make_user(teams=(team,), name="Minna Virtanen", email="minna@yritys.fi")


@pytest.fixture
def agent_client(client, agent):
    client.login(username=agent.email, password=PASSWORD)
    return client


def test_login_with_email_case_insensitive(client, agent):
    response = client.post(
        reverse("desk:login"), {"username": "MINNA@yritys.fi", "password": PASSWORD}
    )
    assert response.status_code == 302
    assert client.get(reverse("desk:inbox")).status_code == 200


def test_anonymous_is_sent_to_login(client):
    response = client.get(reverse("desk:inbox"))
    assert response.status_code == 302 and reverse("desk:login") in response["Location"]


def test_inbox_views_and_counts(agent_client, agent, make_ticket):
    mine = make_ticket(subject="Minun tikettini", assignee=agent)
    unassigned = make_ticket(subject="Kenenkään tiketti")
    pending = make_ticket(subject="Odottava")
    actions.update_ticket(pending, actor=agent, via=Via.AGENT, status=Status.PENDING)

    page = agent_client.get(reverse("desk:inbox") + "?view=mine").content.decode()
    assert mine.subject in page and unassigned.subject not in page
    page = agent_client.get(reverse("desk:inbox") + "?view=unassigned").content.decode()
    assert unassigned.subject in page and mine.subject not in page
    page = agent_client.get(reverse("desk:inbox") + "?view=pending").content.decode()
    assert pending.subject in page and unassigned.subject not in page

    counts = agent_client.get(reverse("desk:view-counts"), HTTP_ACCEPT="application/json").json()
    assert counts["mine"] == 1
    assert counts["unassigned"] == 2  # the pending one is unassigned too
    assert counts["open"] == 3
    assert counts["pending"] == 1
    assert counts["solved"] == 0


def test_inbox_filters(agent_client, agent, make_ticket):
    urgent = make_ticket(subject="Palovaroitin piippaa", priority="urgent", channel="phone")
    normal = make_ticket(subject="Tavallinen")
    actions.set_tags(normal, ["lasku"], actor=agent, via=Via.AGENT)
    url = reverse("desk:inbox") + "?view=open"
    page = agent_client.get(url + "&priority=urgent").content.decode()
    assert urgent.subject in page and normal.subject not in page
    page = agent_client.get(url + "&channel=phone").content.decode()
    assert urgent.subject in page and normal.subject not in page
    page = agent_client.get(url + "&tag=lasku").content.decode()
    assert normal.subject in page and urgent.subject not in page
    page = agent_client.get(url + "&assignee=none&status=new").content.decode()
    assert normal.subject in page and urgent.subject in page


def test_keyset_pagination_walks_every_ticket_once(
    agent_client, settings, make_ticket, make_contact
):
    settings.TISKI_PAGE_SIZE = 3
    requester = make_contact()
    created = {make_ticket(subject=f"Tiketti {i}", requester=requester).number for i in range(8)}
    seen: list[int] = []
    url = reverse("desk:inbox") + "?view=open&partial=rows"
    for _ in range(5):
        response = agent_client.get(url)
        page = response.context["page"]
        seen += [t.number for t in page.tickets]
        if not page.next_cursor:
            break
        url = reverse("desk:inbox") + f"?view=open&partial=rows&cursor={page.next_cursor}"
    assert sorted(seen) == sorted(created)
    assert len(seen) == len(set(seen))


def test_inbox_query_count_does_not_grow_with_rows(
    agent_client, make_ticket, django_assert_max_num_queries
):
    for i in range(3):
        make_ticket(subject=f"A{i}")
    with django_assert_max_num_queries(25) as small:
        agent_client.get(reverse("desk:inbox") + "?view=open")
    for i in range(20):
        make_ticket(subject=f"B{i}")
    with django_assert_max_num_queries(len(small.captured_queries)):
        agent_client.get(reverse("desk:inbox") + "?view=open")


def test_ticket_page_shows_conversation_in_order(agent_client, agent, make_ticket):
    ticket = make_ticket(text="Asiakkaan ensimmäinen viesti")
    actions.add_message(
        ticket, kind=MessageKind.PUBLIC, actor=agent, via=Via.AGENT, text="Vastaus asiakkaalle"
    )
    actions.add_message(
        ticket, kind=MessageKind.INTERNAL, actor=agent, via=Via.AGENT, text="Sisäinen huomio"
    )
    actions.update_ticket(ticket, actor=agent, via=Via.AGENT, priority="high")
    page = agent_client.get(ticket.get_absolute_url()).content.decode()
    first = page.index("Asiakkaan ensimmäinen viesti")
    reply = page.index("Vastaus asiakkaalle")
    note = page.index("Sisäinen huomio")
    assert first < reply < note
    assert "msg-internal" in page and "msg-public" in page and "msg-customer" in page
    assert "Minna Virtanen" in page and "sys-event" in page


def test_reply_with_attachment_and_status(agent_client, agent, make_ticket, mailbox):
    ticket = make_ticket()
    last = ticket.messages.last().pk
    upload = SimpleUploadedFile("ohje.pdf", b"%PDF-1.4 test", content_type="application/pdf")
    response = agent_client.post(
        reverse("desk:ticket-reply", args=[ticket.number]),
        {
            "kind": "public",
            "text": "Tässä ohje.",
            "status_after": "pending",
            "last_seen_message": last,
            "attachments": [upload],
        },
    )
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == Status.PENDING
    reply = ticket.messages.get(kind=MessageKind.PUBLIC)
    attachment = reply.attachments.get()
    assert attachment.filename == "ohje.pdf" and attachment.size == len(b"%PDF-1.4 test")
    download = agent_client.get(reverse("desk:attachment", args=[attachment.pk, "ohje.pdf"]))
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == b"%PDF-1.4 test"
    assert "attachment" in download["Content-Disposition"]


def test_collision_warning_before_sending(agent_client, agent, make_ticket, mailbox):
    ticket = make_ticket()
    seen = ticket.messages.last().pk
    actions.add_message(
        ticket,
        kind=MessageKind.CUSTOMER,
        actor=None,
        via=Via.CHANNEL,
        author_contact=ticket.requester,
        text="Lisätietoa tuli juuri",
    )
    url = reverse("desk:ticket-reply", args=[ticket.number])
    response = agent_client.post(
        url, {"kind": "public", "text": "Luonnos", "last_seen_message": seen}
    )
    assert response.status_code == 409
    page = response.content.decode()
    assert "Lisätietoa tuli juuri" in page and "collision-warning" in page
    assert "Luonnos" in page  # the draft is kept
    assert not ticket.messages.filter(kind=MessageKind.PUBLIC).exists()
    newest = response.context["reply_form"]["last_seen_message"].value()
    response = agent_client.post(
        url,
        {
            "kind": "public",
            "text": "Luonnos",
            "last_seen_message": newest,
            "confirm_collision": "on",
        },
    )
    assert response.status_code == 302
    assert ticket.messages.filter(kind=MessageKind.PUBLIC).count() == 1


def test_light_agent_cannot_send_public_reply(client, make_user, make_ticket):
    light = make_user(role=Role.LIGHT_AGENT)
    client.login(username=light.email, password=PASSWORD)
    ticket = make_ticket()
    page = client.get(ticket.get_absolute_url()).content.decode()
    assert 'value="public"' not in page
    response = client.post(
        reverse("desk:ticket-reply", args=[ticket.number]), {"kind": "public", "text": "yritän"}
    )
    assert response.status_code == 403
    assert not ticket.messages.filter(kind=MessageKind.PUBLIC).exists()


def test_side_panel_update(agent_client, agent, make_ticket, make_team):
    other_team = make_team("Myynti")
    ticket = make_ticket()
    response = agent_client.post(
        reverse("desk:ticket-update", args=[ticket.number]),
        {
            "status": "open",
            "priority": "urgent",
            "assignee": agent.pk,
            "team": "",
            "type": "",
            "due_at": "2026-12-01T12:00",
            "tags": "vip, lasku",
        },
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    ticket.refresh_from_db()
    assert ticket.priority == "urgent" and ticket.assignee == agent
    assert ticket.due_at is not None
    assert set(ticket.tags.values_list("name", flat=True)) == {"vip", "lasku"}
    assert ticket.events.filter(field="priority", actor=agent).exists()
    # moving it to a team the agent is not in keeps it visible (assigned, not restricted)
    agent_client.post(
        reverse("desk:ticket-update", args=[ticket.number]),
        {
            "status": "open",
            "priority": "urgent",
            "assignee": agent.pk,
            "team": other_team.pk,
            "tags": "",
        },
    )
    ticket.refresh_from_db()
    assert ticket.team == other_team


def test_take_ticket(agent_client, agent, make_ticket):
    ticket = make_ticket()
    agent_client.post(reverse("desk:ticket-take", args=[ticket.number]))
    ticket.refresh_from_db()
    assert ticket.assignee == agent and ticket.status == Status.OPEN


def test_create_ticket_for_new_contact_and_existing(agent_client, agent, make_contact):
    response = agent_client.post(
        reverse("desk:ticket-new"),
        {
            "new_name": "Pekka Puhelin",
            "new_phone": "+358 40 123 4567",
            "new_email": "",
            "subject": "Soitti laskusta",
            "text": "Asiakas kysyi laskun eräpäivää.",
            "first_message_kind": "customer",
            "channel": "phone",
            "priority": "normal",
        },
    )
    assert response.status_code == 302
    ticket = Ticket.objects.get(subject="Soitti laskusta")
    assert ticket.requester.name == "Pekka Puhelin"
    assert ticket.requester.phones == ["+358401234567"]
    assert ticket.channel == "phone"
    assert ticket.messages.get().meta["entered_by"] == agent.pk

    existing = make_contact(email="vanha@asiakas.fi", name="Vanha Asiakas")
    agent_client.post(
        reverse("desk:ticket-new"),
        {
            "requester": existing.pk,
            "subject": "Toinen asia",
            "text": "Muistiinpano",
            "first_message_kind": "internal",
            "channel": "manual",
            "priority": "low",
        },
    )
    second = Ticket.objects.get(subject="Toinen asia")
    assert second.requester == existing
    assert second.messages.get().kind == MessageKind.INTERNAL


def test_create_ticket_requires_contact(agent_client):
    response = agent_client.post(
        reverse("desk:ticket-new"),
        {
            "subject": "x",
            "text": "y",
            "first_message_kind": "customer",
            "channel": "phone",
            "priority": "normal",
        },
    )
    assert response.status_code == 400
    assert not Ticket.objects.exists()


def test_contact_lookup_and_pages(agent_client, make_ticket, make_contact):
    contact = make_contact(email="liisa@firma.fi", name="Liisa Lahtinen")
    ticket = make_ticket(requester=contact, subject="Liisan asia")
    found = agent_client.get(reverse("desk:contact-lookup") + "?q=liisa").content.decode()
    assert "Liisa Lahtinen" in found
    page = agent_client.get(reverse("desk:contact", args=[contact.pk])).content.decode()
    assert ticket.subject in page
    assert (
        "Liisa Lahtinen" in agent_client.get(reverse("desk:contacts") + "?q=firma").content.decode()
    )


def test_language_switch(agent_client, agent):
    page = agent_client.get(reverse("desk:inbox")).content.decode()
    assert "Minun avoimet" in page
    agent_client.post(reverse("desk:set-language"), {"language": "en", "next": "/"})
    agent.refresh_from_db()
    assert agent.language == "en"
    page = agent_client.get(reverse("desk:inbox")).content.decode()
    assert "My open" in page


def test_healthz(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json()["database"] == "ok"


def test_healthz_reports_database_down(client, monkeypatch):
    from django.db import connection

    def broken_cursor(*args, **kwargs):
        raise RuntimeError("database down")

    monkeypatch.setattr(connection, "cursor", broken_cursor)
    response = client.get("/healthz")
    assert response.status_code == 503 and response.json()["status"] == "error"


def test_admin_is_for_superusers(client, admin_user, agent):
    client.login(username=agent.email, password=PASSWORD)
    assert client.get("/admin/").status_code == 302
    client.login(username=admin_user.email, password=PASSWORD)
    assert client.get("/admin/").status_code == 302  # admins work in Settings
    admin_user.is_superuser = True
    admin_user.save(update_fields=["is_superuser"])
    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/accounts/user/").status_code == 200
    assert client.get("/admin/tickets/tickettype/").status_code == 200


def test_move_and_split_messages(agent_client, agent, make_ticket, make_contact):
    customer = make_contact()
    first = make_ticket(subject="Ensimmäinen", requester=customer)
    second = make_ticket(subject="Toinen", requester=customer)
    stray = actions.add_message(
        first,
        kind=MessageKind.CUSTOMER,
        actor=None,
        via=Via.CHANNEL,
        author_contact=customer,
        text="Tämä kuuluu toiseen",
    )
    url = reverse("desk:message-move", args=[first.number, stray.pk])
    response = agent_client.post(url, {"target": f"#{second.number}"})
    assert response.status_code == 302 and response["Location"] == second.get_absolute_url()
    stray.refresh_from_db()
    assert stray.ticket == second and stray.meta["moved_from"] == first.number
    assert first.events.filter(field="message_moved").exists()
    assert "Tämä kuuluu toiseen" in agent_client.get(second.get_absolute_url()).content.decode()

    other_question = actions.add_message(
        second,
        kind=MessageKind.CUSTOMER,
        actor=None,
        via=Via.CHANNEL,
        author_contact=customer,
        text="Ja vielä toinen asia",
    )
    agent_client.post(
        reverse("desk:message-move", args=[second.number, other_question.pk]), {"split": "1"}
    )
    other_question.refresh_from_db()
    new_ticket = other_question.ticket
    assert new_ticket not in (first, second) and new_ticket.requester == customer
    # a bad target keeps the message where it was
    agent_client.post(
        reverse("desk:message-move", args=[new_ticket.number, other_question.pk]), {"target": "abc"}
    )
    other_question.refresh_from_db()
    assert other_question.ticket == new_ticket


def test_notifications_bell_lists_and_marks_read(agent_client, agent, make_user, make_ticket):
    from tiski.notifications.models import Notification

    ticket = make_ticket(subject="Muistutus")
    Notification.objects.create(user=agent, ticket=ticket, text="Tiketti odottaa vastausta")
    Notification.objects.create(user=make_user(), ticket=ticket, text="Jonkun muun ilmoitus")
    page = agent_client.get(reverse("desk:notifications")).content.decode()
    assert "Tiketti odottaa vastausta" in page and "Jonkun muun" not in page
    assert 'class="bell-badge">1<' in page
    page = agent_client.post(reverse("desk:notifications-read")).content.decode()
    assert "Tiketti odottaa vastausta" not in page
    assert Notification.objects.get(user=agent).read_at is not None


def test_saved_searches_show_as_personal_views(agent_client, agent, make_user):
    from tiski.search.models import SavedSearch

    SavedSearch.objects.create(user=agent, name="VIP-laskut", query="tag:vip lasku")
    SavedSearch.objects.create(user=make_user(), name="Toisen haku", query="x")
    page = agent_client.get(reverse("desk:inbox")).content.decode()
    assert "VIP-laskut" in page and "Toisen haku" not in page
    assert "/search/?q=tag%3Avip+lasku" in page or "/search/?q=tag:vip" in page


def test_side_panel_save_refreshes_header_and_conversation(agent_client, agent, make_ticket):
    """The htmx save answers with the header badges and the conversation out of band,
    so the page shows the new status and priority and the change's events at once."""
    ticket = make_ticket()
    response = agent_client.post(
        reverse("desk:ticket-update", args=[ticket.number]),
        {"status": "pending", "priority": "urgent", "assignee": "", "team": "", "tags": ""},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    page = response.content.decode()
    head = page[page.index('id="ticket-head"') :]
    head = head[: head.index("</header>")]
    assert 'hx-swap-oob="true"' in head
    assert "status-pending" in head and "prio-urgent" in head
    conversation = page[page.index('id="conversation"') :]
    assert 'hx-swap-oob="true"' in conversation[:200]
    # The status change is in the refreshed conversation, in words (Finnish desk).
    assert "data-event-id" in conversation and "Odottaa" in conversation


def test_assignee_is_notified_by_whom_and_not_when_taking(
    agent_client, agent, make_user, make_ticket, django_capture_on_commit_callbacks
):
    """Giving a ticket to a colleague puts a notice naming the giver in their bell;
    taking a ticket yourself does not."""
    from tiski.notifications.models import Notification

    colleague = make_user(name="Kalle Kollega", language="en")
    ticket = make_ticket(subject="Lasku puuttuu")
    with django_capture_on_commit_callbacks(execute=True):
        agent_client.post(
            reverse("desk:ticket-update", args=[ticket.number]),
            {
                "status": "open",
                "priority": "normal",
                "assignee": colleague.pk,
                "team": "",
                "tags": "",
            },
            HTTP_HX_REQUEST="true",
        )
    notice = Notification.objects.get(user=colleague)
    assert notice.ticket == ticket
    assert notice.text == f"{agent} assigned this ticket to you: Lasku puuttuu"
    assert not Notification.objects.filter(user=agent).exists()

    with django_capture_on_commit_callbacks(execute=True):
        agent_client.post(reverse("desk:ticket-take", args=[ticket.number]))
    ticket.refresh_from_db()
    assert ticket.assignee == agent
    assert not Notification.objects.filter(user=agent).exists()
    assert Notification.objects.count() == 1


def test_a_rule_or_the_routing_giving_a_ticket_is_named_in_the_notice(
    make_user, make_ticket, django_capture_on_commit_callbacks
):
    from tiski.notifications.models import Notification

    first = make_user(name="Eka Agentti", language="en")
    second = make_user(name="Toka Agentti", language="fi")
    ticket = make_ticket(subject="Palautus")
    with django_capture_on_commit_callbacks(execute=True):
        actions.update_ticket(
            ticket, actor=None, via=Via.RULE, event_meta={"rule": "Jakaja"}, assignee=first
        )
    with django_capture_on_commit_callbacks(execute=True):
        actions.update_ticket(ticket, actor=None, via=Via.SYSTEM, assignee=second)
    assert Notification.objects.get(user=first).text == (
        "Rule “Jakaja” assigned this ticket to you: Palautus"
    )
    assert Notification.objects.get(user=second).text == (
        "Automaattinen reititys antoi tämän tiketin sinulle: Palautus"
    )
