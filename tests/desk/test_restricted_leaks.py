"""Nothing of a restricted team's ticket reaches an agent of another team.

The test walks every URL pattern the desk exposes, fills in the restricted
ticket's number and its attachment, contact and organisation ids, and
checks the responses (and the websocket) for any trace of the ticket. A new
URL whose parameters the test cannot fill makes it fail, so new pages are
covered by construction.
"""

from __future__ import annotations

import pytest
from asgiref.sync import async_to_sync
from channels.testing.websocket import WebsocketCommunicator
from django.core.files.base import ContentFile
from django.urls import URLPattern, URLResolver, get_resolver

from tests.conftest import PASSWORD
from tiski.api.zendesk.mapping import END_USER_BASE
from tiski.customers.models import Organisation
from tiski.tickets import actions
from tiski.tickets.models import MessageKind, Via

SECRET_SUBJECT = "Salainen irtisanomisasia"
SECRET_TEXT = "Henkilöstöasia jota muut eivät saa nähdä"
SECRET_FILE = "palkkatiedot-salainen.pdf"
SECRET_NOTE = "Luottamuksellinen muistiinpano"


def desk_patterns() -> list[tuple[str, URLPattern]]:
    found: list[tuple[str, URLPattern]] = []

    def walk(patterns, prefix: str, namespace: str) -> None:
        for p in patterns:
            if isinstance(p, URLResolver):
                if p.namespace == "admin":
                    continue
                walk(p.url_patterns, prefix + str(p.pattern), p.namespace or namespace)
            else:
                found.append((prefix + str(p.pattern), p))

    walk(get_resolver().url_patterns, "", "")
    return found


@pytest.fixture
def secret(make_team, make_user, make_contact, make_ticket):
    hr = make_team("Henkilöstö", restricted=True)
    hr_agent = make_user(teams=(hr,), email="hr@yritys.fi")
    org = Organisation.objects.create(name="Yritys Oy")
    requester = make_contact(email="tyontekija@yritys.fi", name="Tero Työntekijä", organisation=org)
    ticket = make_ticket(
        subject=SECRET_SUBJECT,
        text=SECRET_TEXT,
        requester=requester,
        team=hr,
        assignee=hr_agent,
        tags=["salainen-tagi"],
    )
    actions.add_message(
        ticket,
        kind=MessageKind.INTERNAL,
        actor=hr_agent,
        via=Via.AGENT,
        text=SECRET_NOTE,
        attachments=[
            actions.NewAttachment(
                filename=SECRET_FILE,
                content=ContentFile(b"%PDF secret"),
                content_type="application/pdf",
            )
        ],
    )
    attachment = ticket.messages.get(kind=MessageKind.INTERNAL).attachments.get()
    # The facts reports count (the change handler runs after commit, never here).
    from tiski.reports import facts

    facts.refresh([ticket.pk])
    from tiski.connectors.models import Mailbox, OutboundEmail
    from tiski.macros.models import Macro

    mailbox = Mailbox.objects.create(address="hr@yritys.fi")
    outbound = OutboundEmail.objects.create(
        mailbox=mailbox,
        ticket=ticket,
        kind="reply",
        to=["tyontekija@yritys.fi"],
        subject=SECRET_SUBJECT,
        body_text=SECRET_TEXT,
        rfc_message_id="secret@yritys.fi",
        status="failed",
        permanent_failure=True,
    )
    macro = Macro.objects.create(name="Yleinen", shortcut="yleinen", text_fi="Hei")
    from tiski.connectors.models import SideConversation, SideMessage

    # A side conversation about the secret, with a third party's answer.
    side = SideConversation.objects.create(
        ticket=ticket, subject=SECRET_SUBJECT, to=["toimittaja@example.com"]
    )
    SideMessage.objects.create(conversation=side, incoming=True, text=SECRET_TEXT)
    from tiski.rules.models import RuleFiring, TimeRule, Trigger

    # Rules that fired on the secret ticket: their pages name it (admins only).
    trigger = Trigger.objects.create(
        name="Tagi", events=["ticket_created"], actions=[{"type": "add_tags", "tags": ["x"]}]
    )
    # Its own time rule: a transactional test may run after the shipped ones were flushed.
    time_rule = TimeRule.objects.create(
        name="Aika",
        conditions={"all": [{"type": "hours_since", "since": "created", "hours": 1}]},
        actions=[{"type": "add_tags", "tags": ["x"]}],
    )
    for kind, rule in (("trigger", trigger), ("time", time_rule)):
        RuleFiring.objects.create(
            rule_kind=kind,
            rule_id=rule.pk,
            rule_name=rule.name,
            ticket=ticket,
            summary="tags →salainen-tagi",
        )
    from tiski.notifications.models import Notification

    # The HR agent's own notice about the secret (a mention quoting the note).
    notification = Notification.objects.create(
        user=hr_agent, ticket=ticket, kind="mention", params={"excerpt": SECRET_NOTE}
    )
    return {
        "ticket": ticket,
        "notification": notification,
        "attachment": attachment,
        "contact": requester,
        "org": org,
        "team": hr,
        "outbound": outbound,
        "macro": macro,
        "side": side,
        "trigger": trigger,
        "time_rule": time_rule,
        "agent": hr_agent,
    }


def fill(route: str, name: str, secret) -> str:
    """Turn a route like 'tickets/<int:number>/' into a URL aimed at the secret."""
    values = {
        "number": str(secret["ticket"].number),
        "filename": SECRET_FILE,
        # Email webhooks and the OAuth connect flow (staff only).
        "provider": "postmark",
        "mailbox_id": "1",
        "outbound_id": str(secret["outbound"].pk),
        # SMS webhooks (no such number: 404) and the retry of a message of another channel.
        "account_id": "999999",
        "bot_id": "999999",
        "template_pk": "999999",
        "row_id": "999999",
        "message_id": str(secret["attachment"].message_id),
        # Report exports and subscriptions: the customers report lists subjects.
        "name": "customers",
        "fmt": "csv",
        # The API: the secret's file, requester and organisation; someone's job.
        "attachment_id": str(secret["attachment"].pk),
        "contact_id": str(secret["contact"].pk),
        "org_id": str(secret["org"].pk),
        "macro_id": str(secret["macro"].pk),
        "job_id": "999999",
        "delivery_id": "999999",
        # The web chat's public endpoints: an unknown widget key is a 404.
        "public_key": "no-such-widget",
        # A side conversation of the secret ticket.
        "side_id": str(secret["side"].pk),
        # A side-panel card of the secret ticket's page (the ticket is looked up first).
        "card_id": "999999",
        # The Zendesk-compatible API: the secret's requester (a Zendesk end
        # user), the secret team (a Zendesk group), a built-in ticket field.
        "user_id": str(secret["contact"].pk + END_USER_BASE),
        "team_id": str(secret["team"].pk),
        "field_id": "1",
    }
    pk_by_name = {
        "attachment": secret["attachment"].pk,
        "contact": secret["contact"].pk,
        "organisation": secret["org"].pk,
        "contact-timeline": secret["contact"].pk,
        "contact-merge": secret["contact"].pk,
        "contact-edit": secret["contact"].pk,
        "organisation-edit": secret["org"].pk,
        "organisation-timeline": secret["org"].pk,
        "expand": secret["macro"].pk,
        # Someone else's notice: 404, and never marked read.
        "notification-open": secret["notification"].pk,
        # Someone else's browser subscription (none such): 404.
        "push-remove": 999999,
        # no such call or merge: these must answer 404 without a trace either
        "pop": 999999,
        "log": 999999,
        "merge-undo": 999999,
        "bulk-undo": 999999,
        # Settings editors (admins only): agents get 403 before any lookup.
        "macro-edit": secret["macro"].pk,
        "macro-delete": secret["macro"].pk,
        **dict.fromkeys(
            (
                "mailbox-edit",
                "mailbox-test-send",
                "mailbox-check-inbox",
                "mailbox-delete",
                "phone-line-edit",
                "phone-line-token",
                "phone-line-delete",
                "sms-account-edit",
                "sms-account-test",
                "sms-account-delete",
                "chat-widget-edit",
                "telegram-bot-edit",
                "telegram-bot-webhook",
                "telegram-bot-check",
                "telegram-bot-delete",
                "whatsapp-account-edit",
                "whatsapp-account-check",
                "whatsapp-account-delete",
                "whatsapp-template-new",
                "whatsapp-template-edit",
                "whatsapp-template-delete",
                "meta-account-edit",
                "meta-account-check",
                "meta-account-delete",
                "calendar-edit",
                "sla-policy-edit",
                "sla-policy-move",
                "sla-policy-delete",
                "calendar-delete",
                "synonym-edit",
                "synonym-delete",
                # Webhooks (admins only) and one's own API tokens.
                "webhook-edit",
                "webhook-rotate",
                "webhook-delete",
                "webhook-log",
                "webhook-resend",
                "revoke",
                # API clients and side-panel cards (admins only).
                "api-client-secret",
                "api-client-revoke",
                "side-panel-card-edit",
                "side-panel-card-delete",
                # Help-centre brands (admins only).
                "brand-edit",
                "brand-delete",
            ),
            999999,
        ),
    }
    # Settings (admins only), aimed at the secret team, its agent, its tag.
    from tiski.tickets.models import Tag, TicketType

    hr_agent = secret["agent"]
    pk_by_name.update(
        {
            "agent-edit": hr_agent.pk,
            "agent-resend": hr_agent.pk,
            "team-edit": secret["team"].pk,
            "ticket-type-edit": TicketType.objects.first().pk,
            "ticket-type-move": TicketType.objects.first().pk,
            # no such ticket field: 404 for admins, 403 for the outsider
            "ticket-field-edit": 999999,
            "ticket-field-move": 999999,
            "tag": Tag.objects.get(name="salainen-tagi").pk,
            # no such synonym group: 404 for admins, 403 for the outsider
            "synonym-edit": 999999,
            "synonym-delete": 999999,
        }
    )
    # Public survey pages: a made-up link is refused without a trace.
    values.update({"uidb64": "MQ", "token": "set-password", "invitation_id": "1", "score": "1"})
    # The knowledge base and the public help centre: no such article or image.
    values.update(
        {"lang": "fi", "language": "fi", "slug": "ei-ole", "rest": "ei-ole", "key": "ei-ole"}
    )
    pk_by_name.update(dict.fromkeys(("edit", "status", "history", "restore"), 999999))
    # The rule settings pages: admins only, aimed at rules that fired on the secret.
    for kind, rule in (("trigger", secret["trigger"]), ("time", secret["time_rule"])):
        for view in ("edit", "active", "move", "duplicate", "delete", "firings"):
            pk_by_name[f"{kind}-{view}"] = rule.pk
    url = route
    while "<" in url:
        start, end = url.index("<"), url.index(">")
        param = url[start + 1 : end].split(":")[-1]
        if param == "pk":
            if name not in pk_by_name:
                raise AssertionError(f"don't know which id to put in {route} ({name})")
            value = str(pk_by_name[name])
        elif param in values:
            value = values[param]
        else:
            raise AssertionError(f"don't know how to fill <{param}> in {route}")
        url = url[:start] + value + url[end + 1 :]
    return "/" + url.lstrip("^").rstrip("$")


def assert_no_trace(body: str, url: str, secret) -> None:
    for needle in (
        SECRET_SUBJECT,
        SECRET_TEXT,
        SECRET_NOTE,
        SECRET_FILE,
        "salainen-tagi",
        f'data-ticket-id="{secret["ticket"].pk}"',
    ):
        assert needle not in body, f"{url} shows {needle!r}"


def test_every_desk_url_hides_restricted_ticket(client, make_user, make_team, secret):
    sales = make_team("Myynti")
    outsider = make_user(teams=(sales,), email="myyja@yritys.fi")
    client.login(username=outsider.email, password=PASSWORD)
    rule_model = type(secret["trigger"])
    # The secret's trigger and the ones apps ship (surveys), as they were.
    rules_before = list(rule_model.objects.order_by("pk").values_list("pk", "active"))
    checked = 0
    for route, pattern in desk_patterns():
        url = fill(route, pattern.name or "", secret)
        client.force_login(outsider)  # the walk passes /logout/ too
        query = "?q=Tero&view=open&partial=rows" if "lookup" in url or url == "/" else ""
        response = client.get(url + query)
        body = (
            response.content.decode(errors="replace")
            if not response.streaming
            else b"".join(response.streaming_content).decode(errors="replace")
        )
        assert_no_trace(body, url, secret)
        if pattern.name == "portal-request":
            # The customer portal knows no desk user: it asks them to sign in as a customer.
            assert response.status_code == 302 and response["Location"].endswith("/portal/")
        elif "<int:number>" in route or pattern.name == "attachment":
            assert response.status_code in (404, 405), f"GET {url} gave {response.status_code}"
        checked += 1
        client.force_login(outsider)
        post = client.post(
            url,
            {"kind": "internal", "text": "x", "status": "solved", "priority": "low", "tags": ""},
        )
        post_body = post.content.decode(errors="replace") if not post.streaming else ""
        assert_no_trace(post_body, url, secret)
        if "<int:number>" in route and pattern.name != "portal-request":
            assert post.status_code in (404, 405), f"POST {url} gave {post.status_code}"
    assert checked >= 15
    ticket = secret["ticket"]
    ticket.refresh_from_db()
    assert ticket.status != "solved" and ticket.priority != "low"
    assert ticket.messages.count() == 2
    # The walk's POSTs did not switch off, copy or delete any rule either.
    assert list(rule_model.objects.order_by("pk").values_list("pk", "active")) == rules_before
    assert (secret["trigger"].pk, True) in rules_before
    secret["time_rule"].refresh_from_db()
    assert secret["time_rule"].active
    secret["notification"].refresh_from_db()
    assert secret["notification"].read_at is None


def test_counts_and_lists_exclude_restricted(client, make_user, make_team, secret):
    outsider = make_user(teams=(make_team("Myynti"),))
    client.login(username=outsider.email, password=PASSWORD)
    counts = client.get("/tickets/counts/", HTTP_ACCEPT="application/json").json()
    assert counts["open"] == 0 and counts["unassigned"] == 0
    assert f"team-{secret['team'].pk}" not in counts


@pytest.mark.django_db(transaction=True)
def test_websocket_never_pushes_restricted_ticket(make_user, make_team, secret):
    from tiski.asgi import application

    outsider = make_user(teams=(make_team("Myynti"),))

    async def scenario():
        from channels.db import database_sync_to_async
        from django.test import Client

        client = Client()
        await database_sync_to_async(client.force_login)(outsider)
        cookie = client.cookies["sessionid"].value
        communicator = WebsocketCommunicator(
            application,
            "/ws/desk/",
            headers=[
                (b"cookie", f"sessionid={cookie}".encode()),
                (b"host", b"127.0.0.1"),
                (b"origin", b"http://127.0.0.1"),
            ],
        )
        connected, _ = await communicator.connect()
        assert connected
        await communicator.send_json_to({"action": "watch", "ticket_id": secret["ticket"].pk})
        reply = await communicator.receive_json_from(timeout=2)
        assert reply == {"type": "error", "error": "forbidden"}

        await database_sync_to_async(actions.add_message)(
            secret["ticket"],
            kind=MessageKind.CUSTOMER,
            actor=None,
            via=Via.CHANNEL,
            author_contact=secret["contact"],
            text="Uusi salainen viesti",
        )
        assert await communicator.receive_nothing(timeout=0.5)
        await communicator.disconnect()

    async_to_sync(scenario)()


CHILD_BRIEF = "Tarkistakaa toimituksen tila varastosta"


def test_a_child_for_an_outside_team_shows_its_brief_and_nothing_of_the_parent(
    client, make_user, make_team, secret
):
    """The restricted ticket sends part of its work to another team as a child.
    That team works the child through every desk page and API URL, and sees the
    brief written for them, never the parent's subject, messages, files or tags."""
    sales = make_team("Myynti")
    outsider = make_user(teams=(sales,), email="myyja@yritys.fi")
    child = actions.create_child_ticket(
        secret["ticket"],
        subject="Toimituksen tarkistus",
        brief=CHILD_BRIEF,
        actor=secret["ticket"].assignee,
        via=Via.AGENT,
        team=sales,
    )
    aimed_at_child = {**secret, "ticket": child}
    client.force_login(outsider)
    page = client.get(child.get_absolute_url()).content.decode()
    assert CHILD_BRIEF in page and f"#{secret['ticket'].number}" in page
    checked = 0
    for route, pattern in desk_patterns():
        if pattern.name == "logout":
            continue
        url = fill(route, pattern.name or "", aimed_at_child)
        client.force_login(outsider)
        response = client.get(url)
        body = (
            response.content.decode(errors="replace")
            if not response.streaming
            else b"".join(response.streaming_content).decode(errors="replace")
        )
        assert_no_trace(body, url, secret)
        checked += 1
    assert checked >= 15
