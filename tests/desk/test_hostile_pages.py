"""Every desk page survives what customers write, and shows it inert.

Subjects, messages (plain text and HTML), contact and organisation names are
built from a list of hostile fragments: HTML marked-section and comment
openers (Django's ``striptags`` raises on ``<![``), script and event-handler
payloads, unbalanced tags, NUL bytes, bidirectional overrides and very long
words. The test walks every URL pattern of the desk (as an admin, who sees
everything) and asserts each page answers without a server error and no
payload appears unescaped. A new page is walked by construction.
"""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from django.db import connection

from tests.conftest import PASSWORD
from tiski.api.zendesk.mapping import END_USER_BASE
from tiski.customers.models import Organisation
from tiski.notifications.models import Notification
from tiski.tickets import actions
from tiski.tickets.models import Message, MessageKind, Via

from .test_restricted_leaks import desk_patterns

# (fragment, what must never appear raw in an HTML page); None: no markup to look for.
HOSTILE: list[tuple[str, str | None]] = [
    ("<![", "<!["),
    ("<![CDATA[tiskiPwn]]>", "<![CDATA["),
    ("<!--", "<!--"),
    ("<!-- tiskiPwn -->", "<!-- tiskiPwn"),
    ("<!", None),
    ("</script><script>tiskiPwn()</script>", "<script>tiskiPwn"),
    ("<svg onload=tiskiPwn()>", "<svg onload"),
    ("<img src=x onerror=tiskiPwn()>", "<img src=x"),
    ('"><b>tiskiPwn</b>', "<b>tiskiPwn"),
    ("'><i>tiskiPwn</i>", "<i>tiskiPwn"),
    ("</textarea></title></td></table><u>tiskiPwn", "<u>tiskiPwn"),
    ("<div><b><i>tiskiUnbalanced", "<i>tiskiUnbalanced"),
    ("</main></body>tiskiPwn", "</body>tiskiPwn"),
    ('<a href="javascript:tiskiPwn()">x</a>', 'href="javascript:'),
    # Text in HTML: its entities are text once decoded, so no needle.
    ("&lt;b&gt;tiskiEntity", None),
    ("{{ request.user.password }}{% debug %}", None),
    ("%s %(x)s {0} %", None),
    ("nul\x00byte", None),
    ("\u202etxt.exe\u202c \u2067rtl", None),
    ("x" * 4000, None),
]
HTML_BODY = (
    '<p>Hei {frag}</p><div class="msg msg-internal" id="reply-form">Väärennetty huomio</div>'
    '<table><tr><td>{frag}<img src="https://tracker.example/p.gif" onerror="tiskiPwn()">'
)
# Pages the walk must reach with a 200: the issue names them.
MUST_SHOW = {
    "inbox",
    "survey",
    "rate",
    "ticket",
    "ticket-conversation",
    "contact",
    "contacts",
    "organisation",
    "organisations",
    "contact-timeline",
    "organisation-timeline",
    "search",
    "suggest",
    "notifications",
    "contact-merge",
    "merge-suggestions",
    "ticket-merge",
    "ticket-new",
}


def _name_safe(fragment: str) -> str:
    # PostgreSQL stores no NUL in text: the ticket and message actions drop
    # it; contact and organisation names come from other code, so they get
    # the fragment without it there.
    return fragment.replace("\x00", "") if connection.vendor == "postgresql" else fragment


@pytest.fixture
def hostile(admin_user, make_contact, make_field):
    made = []
    # A side-panel card puts the customer's name and subject in a link's address.
    from tiski.sidepanel.models import SidePanelCard

    SidePanelCard.objects.create(
        name="CRM",
        url_template="https://crm.example/?n={{requester.name}}&s={{ticket.subject}}"
        "&o={{organisation.name}}",
    )
    # A customer's words in a custom field show in the side panel and timeline.
    make_field("hostile_text", customer_visible=True)
    for i, (fragment, _needle) in enumerate(HOSTILE):
        org = Organisation.objects.create(name=_name_safe(f"Yritys {fragment}")[:200])
        contact = make_contact(
            email=f"vihamielinen{i}@example.com",
            name=_name_safe(f"Maija {fragment}")[:200],
            organisation=org,
        )
        # A look-alike so merge suggestions list the hostile name too.
        make_contact(email=f"kaksoiskappale{i}@example.com", name=contact.name)
        ticket = actions.create_ticket(
            requester=contact,
            subject=f"Tilaus {fragment}",
            text=f"Hei {fragment} loppu\n\n> lainattu {fragment}",
            actor=None,
            via=Via.CHANNEL,
            channel="email",
            fields={"hostile_text": fragment[:255]},
        )
        actions.add_message(
            ticket,
            kind=MessageKind.CUSTOMER,
            actor=None,
            via=Via.CHANNEL,
            author_contact=contact,
            text="",
            html=HTML_BODY.format(frag=fragment),
        )
        actions.add_message(
            ticket,
            kind=MessageKind.INTERNAL,
            actor=admin_user,
            via=Via.AGENT,
            text=f"Huomio {fragment}",
        )
        Notification.objects.create(
            user=admin_user, ticket=ticket, text=f"Ilmoitus {_name_safe(fragment)}"
        )
        made.append({"ticket": ticket, "contact": contact, "org": org, "fragment": fragment})
    # The reports count these tickets too (their change handler runs after commit).
    from tiski.reports import facts

    facts.refresh([item["ticket"].pk for item in made])
    return made


def _fill(route: str, name: str, item: dict) -> str | None:
    ticket, contact, org = item["ticket"], item["contact"], item["org"]
    message = ticket.messages.filter(kind=MessageKind.CUSTOMER).last()
    values = {
        "number": ticket.number,
        "message_id": message.pk,
        "mailbox_id": 1,
        "outbound_id": 999999,
        "provider": "postmark",
        "filename": "x.txt",
        # The invitation page (set a password) takes a signed link, not customer text.
        "uidb64": "MQ",
        "token": "set-password",
        # Report pages and exports by name (the customers report lists subjects).
        "name": "customers",
        "fmt": "xlsx",
        # The API: the item's own contact and organisation; no such job or file.
        "contact_id": contact.pk,
        "org_id": org.pk,
        "attachment_id": 999999,
        "job_id": 999999,
        "macro_id": 999999,
        "delivery_id": 999999,
        "row_id": 999999,
        "account_id": 999999,
        "bot_id": 999999,
        "side_id": 999999,
        "card_id": 999999,
        "template_pk": 999999,
        "public_key": "no-such-widget",
        # The Zendesk-compatible API: the item's contact as a Zendesk end user.
        "user_id": contact.pk + END_USER_BASE,
        "team_id": 999999,
        "field_id": 1,
        # The knowledge base and the public help centre.
        "lang": "fi",
        "language": "fi",
        "slug": "ei-ole",
        "rest": "ei-ole",
        "key": "ei-ole",  # a help-centre image's random key
    }
    pks = {
        "contact": contact.pk,
        "contact-timeline": contact.pk,
        "contact-merge": contact.pk,
        "organisation": org.pk,
        "organisation-timeline": org.pk,
    }
    if "<int:invitation_id>" in route:
        # The public survey pages put the ticket's subject in their question.
        from django.utils import timezone

        from tiski.surveys.links import make_token
        from tiski.surveys.models import SurveyInvitation

        invitation = SurveyInvitation.objects.create(
            kind="csat", ticket=ticket, contact=ticket.requester, sent_at=timezone.now()
        )
        values.update(invitation_id=invitation.pk, token=make_token(invitation), score=3)
    url = route
    while "<" in url:
        start, end = url.index("<"), url.index(">")
        param = url[start + 1 : end].split(":")[-1]
        if param == "pk":
            if name not in pks:
                return None  # a rule, macro, call or attachment: not customer text
            value = pks[name]
        else:
            value = values[param]
        url = url[:start] + str(value) + url[end + 1 :]
    return "/" + url


class _InlineCode(HTMLParser):
    """What the Content-Security-Policy would block: inline script, handlers, styles."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = {name for name, _value in attrs}
        # JSON-LD (the help centre's structured data) is data the browser never runs.
        data_only = dict(attrs).get("type") == "application/ld+json"
        if tag == "script" and "src" not in names and not data_only:
            self.found.append("inline <script>")
        self.found += [f"{tag} {name}=" for name in names if name.startswith("on")]
        self.found += [f"{tag} {name}=" for name in names if name in ("style", "hx-on")]
        self.found += [
            f"{tag} {name}=javascript:"
            for name, value in attrs
            if (value or "").strip().lower().startswith("javascript:")
        ]


def _assert_inert(body: str, url: str) -> None:
    for fragment, needle in HOSTILE:
        if needle:
            assert needle not in body, f"{url} shows {needle!r} unescaped (from {fragment!r})"
    parser = _InlineCode()
    parser.feed(body)
    assert not parser.found, f"{url} has inline code: {parser.found}"


def test_message_preview_is_made_once_and_never_parsed_in_a_template(hostile):
    """The timeline's text comes from Message.preview, made by the actions."""
    item = hostile[0]  # "<![": the fragment that made striptags raise
    text_message = item["ticket"].messages.filter(kind=MessageKind.CUSTOMER).first()
    assert text_message.preview.startswith("Hei <![ loppu")
    assert "lainattu" in text_message.preview  # no fold marker on a hand-made message
    html_message = item["ticket"].messages.filter(kind=MessageKind.CUSTOMER).last()
    # In HTML, `<![` opens a bogus comment: the sanitiser drops it with what follows to `>`.
    assert html_message.preview.startswith("Hei") and "Väärennetty huomio" in html_message.preview
    assert "<p>" not in html_message.preview and "onerror" not in html_message.preview
    nul = Message.objects.get(ticket=hostile[17]["ticket"], text__startswith="Hei nul")
    assert "\x00" not in nul.text and nul.preview.startswith("Hei nulbyte")
    rtl = Message.objects.get(ticket=hostile[18]["ticket"], text__startswith="Hei")
    assert "\u202e" not in rtl.preview and "\u2067" not in rtl.preview


def test_contact_timeline_with_marked_section_opener(client, admin_user, make_contact):
    """A plain-text message with `<![` no longer makes the timeline answer 500."""
    contact = make_contact(name="Teemu Testaaja")
    actions.create_ticket(
        requester=contact,
        subject="Hei",
        text="Katso <![ tätä ja <!-- tuota",
        actor=None,
        via=Via.CHANNEL,
        channel="email",
    )
    client.login(username=admin_user.email, password=PASSWORD)
    response = client.get(f"/customers/contacts/{contact.pk}/timeline/")
    assert response.status_code == 200
    assert "Katso &lt;![ tätä ja &lt;!-- tuota" in response.content.decode()


# Pages that take a query: each fragment is also searched for.
QUERIED = {"inbox", "search", "suggest", "contacts", "contact-lookup", "organisations"}


def test_every_desk_page_renders_hostile_customer_text(client, admin_user, hostile):
    client.login(username=admin_user.email, password=PASSWORD)
    shown: set[str] = set()
    for index, item in enumerate(hostile):
        for route, pattern in desk_patterns():
            name = pattern.name or ""
            if name in ("logout", "healthz") or route.startswith("email/"):
                continue
            if "<" not in route and index and name not in QUERIED:
                continue  # a list of everything: once is enough
            url = _fill(route, name, item)
            if url is None:
                continue
            query = {"q": item["fragment"][:200]} if name in QUERIED else {}
            if name == "inbox":
                query["view"] = "all"
            response = client.get(url, query)
            assert response.status_code < 500, f"GET {url} answered {response.status_code}"
            if response.status_code == 200:
                shown.add(name)
            if response.streaming or "text/html" not in response.get("Content-Type", ""):
                continue
            _assert_inert(response.content.decode(errors="replace"), url)
    assert MUST_SHOW <= shown, f"not shown: {sorted(MUST_SHOW - shown)}"


def test_nul_in_a_query_parameter_is_dropped(client, admin_user):
    """PostgreSQL refuses NUL: a search for it must not answer 500."""
    client.login(username=admin_user.email, password=PASSWORD)
    for url in ("/search/", "/contacts/", "/organisations/", "/"):
        response = client.get(url, {"q": "kah\x00vi"})
        assert response.status_code == 200, url
        assert response.wsgi_request.GET["q"] == "kahvi"
