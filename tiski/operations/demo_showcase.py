"""The demo's desk beyond its tickets: what the admin set up, and what happened
on the phone line, in the last hours before `tiski demo` started.

Everything goes through the owning app's own path, so the demo shows real
behaviour rather than rows made to look like it: business hours through the
Settings form (and into the settings log), a phone line whose calls arrive
as webhook events through `phone.services.ingest_event` (which makes the
callback tickets itself) and are logged with `log_call`, a duplicate ticket
merged with `tickets.actions.merge_tickets`. The texts are demo content in
Finnish and English, like the rest of the demo (see demo_data.py).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from django.core.exceptions import ValidationError
from django.http import QueryDict

from tiski.accounts.models import Team, User
from tiski.api.models import WebhookSubscription
from tiski.api.webhooks import signing as webhook_signing
from tiski.connectors.models import Mailbox
from tiski.connectors.phone import services as phone
from tiski.connectors.phone.models import AgentPhone, Call, PhoneLine
from tiski.connectors.phone.schemas import CallEventIn
from tiski.connectors.webchat import services as chat
from tiski.connectors.webchat.models import ChatWidget
from tiski.macros.models import Macro
from tiski.movein.models import Source
from tiski.movein.records import Comment, Export, Person, SourceTicket
from tiski.movein.writer import Writer
from tiski.search.models import SavedSearch
from tiski.setup import audit
from tiski.setup.forms_calendars import CalendarForm
from tiski.sidepanel.models import CardKind, SidePanelCard
from tiski.sla.models import Calendar
from tiski.tickets import actions
from tiski.tickets.models import (
    Channel,
    MessageKind,
    Priority,
    Status,
    Ticket,
    TicketMerge,
    TicketType,
    Via,
)

MAILBOX_ADDRESS = "asiakaspalvelu@papumylly.example"
LINE_NUMBER = "+358 9 4245 1000"
LINE_NAME = "Asiakaspalvelu"
EXTENSIONS = {
    "admin@tiski.example": "201",
    "mikko.virtanen@tiski.example": "202",
    "laura.heikkinen@tiski.example": "203",
    "jussi.nieminen@tiski.example": "204",
}


# --- the admin's settings -----------------------------------------------------


def make_mailbox(support: Team) -> Mailbox:
    """The shop's address. It receives nothing (no server in a demo): the
    first-hour checklist rightly still asks to connect a mailbox."""
    mailbox, _created = Mailbox.objects.get_or_create(
        address=MAILBOX_ADDRESS,
        defaults={
            "display_name": "Papumylly Oy",
            "auto_acknowledge": True,
            "default_team": support,
            "signature": "Papumylly Oy – asiakaspalvelu\npuh. 09 4245 1000\nwww.papumylly.example",
        },
    )
    return mailbox


def set_business_hours(admin: User, today: date) -> Calendar | None:
    """Papumylly's opening hours, saved as an admin saves them in Settings:
    longer weekdays, Saturday mornings, and a staff day the shop is closed."""
    calendar = Calendar.objects.filter(is_default=True).first() or Calendar.objects.first()
    if calendar is None:
        return None
    staff_day = today + timedelta(days=(4 - today.weekday()) % 7 + 14)  # a Friday
    data = QueryDict(mutable=True)
    data.update(
        {
            "name": calendar.name,
            "time_zone": calendar.time_zone,
            "country": calendar.country,
            "subdivision": calendar.subdivision,
            "is_default": "on" if calendar.is_default else "",
            "closed-date": staff_day.isoformat(),
        }
    )
    for day in range(5):
        data.setlist(f"day-{day}-start", ["08:00"])
        data.setlist(f"day-{day}-end", ["17:00"])
    data.setlist("day-5-start", ["10:00"])
    data.setlist("day-5-end", ["14:00"])
    form = CalendarForm(data, instance=calendar)
    if not form.is_valid():
        raise ValidationError(form.errors.as_text())
    changes = form.log_changes(audit.form_changes(form))
    saved = form.save()
    audit.record_setting_change(admin, "calendars", "changed", saved, changes)
    return saved


@dataclass(frozen=True)
class MacroSpec:
    shortcut: str
    name: str
    text_fi: str
    text_en: str
    set_status: str = ""
    add_tags: tuple[str, ...] = ()
    team: str | None = None
    personal: bool = False


SIGN_FI = "\n\nYstävällisin terveisin\n{{ agent.name }}\nPapumylly asiakaspalvelu"
SIGN_EN = "\n\nKind regards,\n{{ agent.name }}\nPapumylly customer service"

MACROS = (
    MacroSpec(
        "selvitys",
        "Selvitämme asiaa",
        "Hei {{ requester.first_name }},\n\nkiitos viestistäsi. Selvitämme asiaa "
        "laitevalmistajan kanssa ja palaamme asiaan heti, kun saamme heiltä vastauksen, "
        "yleensä 3–5 arkipäivässä. Asiasi numero on #{{ ticket.number }}." + SIGN_FI,
        "Hi {{ requester.first_name }},\n\nthank you for your message. We are checking this "
        "with the manufacturer and will get back to you as soon as we hear from them, usually "
        "within 3–5 working days. Your case number is #{{ ticket.number }}." + SIGN_EN,
        set_status=Status.ON_HOLD,
    ),
    MacroSpec(
        "kuvat",
        "Pyydä kuvat vauriosta",
        "Hei {{ requester.first_name }},\n\nolipa ikävä yllätys, pahoittelut! Hoidamme "
        "kuljetusvauriot nopeasti. Voisitko lähettää kuvat paketista ja vaurioituneesta "
        "tuotteesta vastauksena tähän viestiin? Niiden avulla teemme kuljetusyhtiölle "
        "vahinkoilmoituksen." + SIGN_FI,
        "Hi {{ requester.first_name }},\n\nwhat a nasty surprise, sorry! We handle transport "
        "damage quickly. Could you reply with photos of the parcel and the damaged item? We "
        "need them for the damage report to the carrier." + SIGN_EN,
    ),
    MacroSpec(
        "seuranta",
        "Tilauksen seuranta",
        "Hei {{ requester.first_name }},\n\ntilauksesi on lähtenyt varastoltamme. "
        "Seurantakoodi on tilausvahvistuksessa, ja lähetystä voi seurata Postin sivuilla. "
        "Jos paketti ei ole perillä kolmen arkipäivän kuluessa, vastaa tähän viestiin, niin "
        "selvitämme asian." + SIGN_FI,
        "Hi {{ requester.first_name }},\n\nyour order has left our warehouse. The tracking "
        "code is in your order confirmation and you can follow the parcel on Posti's site. If "
        "it has not arrived within three working days, reply to this message and we will look "
        "into it." + SIGN_EN,
        set_status=Status.PENDING,
        add_tags=("toimitus",),
    ),
    MacroSpec(
        "palautus",
        "Palautusohjeet",
        "Hei {{ requester.first_name }},\n\navaamattoman tuotteen voi palauttaa 30 päivän "
        "kuluessa. Palautus käy näin:\n1) Pakkaa tuote alkuperäiseen pakkaukseen.\n2) Kiinnitä "
        "paketin päälle palautustarra, jonka lähetämme sähköpostiisi.\n3) Vie paketti lähimpään "
        "Postin toimipisteeseen tai pakettiautomaattiin.\nHyvitämme summan maksutavallesi, kun "
        "palautus on saapunut varastollemme." + SIGN_FI,
        "Hi {{ requester.first_name }},\n\nunopened items can be returned within 30 days:\n"
        "1) Pack the item in its original box.\n2) Stick on the return label we email you.\n"
        "3) Take the parcel to a Posti outlet or parcel locker.\nWe refund your payment method "
        "once the return reaches our warehouse." + SIGN_EN,
        set_status=Status.PENDING,
        add_tags=("palautus",),
    ),
    MacroSpec(
        "tarjous",
        "Tarjouspyyntö vastaanotettu",
        "Hei {{ requester.first_name }},\n\nkiitos tarjouspyynnöstä! Myyntimme tekee "
        "{{ organisation.name }}:lle tarjouksen kahden arkipäivän kuluessa. Kerrothan, jos "
        "haluat, että tulemme esittelemään laitteet paikan päälle." + SIGN_FI,
        "Hi {{ requester.first_name }},\n\nthank you for your request! Our sales team will "
        "send {{ organisation.name }} a quote within two working days. Let us know if you "
        "would like us to demonstrate the machines on site." + SIGN_EN,
        set_status=Status.PENDING,
        add_tags=("tarjous",),
        team="Myynti",
    ),
    MacroSpec(
        "kalkki",
        "Kalkinpoisto-ohje",
        "Hei {{ requester.first_name }},\n\nkalkinpoisto tehdään näin: 1) tyhjennä "
        "vesisäiliö ja täytä se puolella litralla vettä ja kalkinpoistoainetta, 2) aseta astia "
        "höyryputken alle, 3) valitse Huolto > Kalkinpoisto ja seuraa näytön ohjeita. Ohjelma "
        "kestää noin 25 minuuttia." + SIGN_FI,
        "Hi {{ requester.first_name }},\n\nhere is how to descale: 1) empty the water tank and "
        "fill it with half a litre of water and descaler, 2) put a container under the steam "
        "wand, 3) choose Maintenance > Descaling and follow the display. It takes about 25 "
        "minutes." + SIGN_EN,
        add_tags=("huolto",),
    ),
    MacroSpec(
        "soitan",
        "Soitan sinulle",
        "Hei {{ requester.first_name }},\n\nsoitan sinulle tänään iltapäivällä, niin käydään "
        "asia läpi puhelimessa. Jos aika ei sovi, vastaa tähän viestiin ja kerro parempi "
        "ajankohta.\n\nTerveisin\n{{ agent.name }}",
        "Hi {{ requester.first_name }},\n\nI will call you this afternoon so we can go "
        "through this on the phone. If that does not suit you, reply with a better time.\n\n"
        "Best regards,\n{{ agent.name }}",
        personal=True,
    ),
)


def make_macros(admin: User, teams: dict[str, Team]) -> dict[str, Macro]:
    """The ready answers a small Finnish webshop would keep; one is the admin's own."""
    made: dict[str, Macro] = {}
    for spec in MACROS:
        macro = Macro(
            name=spec.name,
            shortcut=spec.shortcut,
            owner=admin if spec.personal else None,
            text_fi=spec.text_fi,
            text_en=spec.text_en,
            set_status=spec.set_status,
            set_team=teams.get(spec.team) if spec.team else None,
            add_tags=list(spec.add_tags),
        )
        macro.full_clean()
        macro.save()
        audit.record_setting_change(admin, "macros", "created", macro)
        made[spec.shortcut] = macro
    return made


def make_webhook(admin: User) -> WebhookSubscription:
    """Settings → Webhooks shows a subscription to the web shop, switched off.

    It points at an address nobody answers (the demo never calls out); an
    admin trying webhooks switches it on with a real URL. No API token is
    made: tokens are secret and shown only to whoever makes one.
    """
    webhook = WebhookSubscription.objects.create(
        name="Verkkokauppa",
        url="https://verkkokauppa.example/tiski/webhook",
        events=["ticket.created", "ticket.status_changed", "message.added"],
        secret=webhook_signing.new_secret(),
        active=False,
        created_by=admin,
    )
    audit.record_setting_change(admin, "webhooks", "created", webhook)
    return webhook


def make_side_panel_card(admin: User) -> SidePanelCard:
    """Every ticket page links to the requester in the web shop's customer admin.

    Only a link card: a data card would have the demo's server call out to
    a shop that does not exist, so it is left for an admin with a real one.
    """
    card = SidePanelCard.objects.create(
        name="Verkkokauppa",
        kind=CardKind.LINK,
        url_template="https://verkkokauppa.example/admin/asiakkaat?email={{requester.email}}",
    )
    audit.record_setting_change(admin, "side_panel_cards", "created", card)
    return card


def make_saved_searches(agents: dict[str, User]) -> list[SavedSearch]:
    """Searches agents saved as their own views, in the words they type."""
    wanted = {
        "admin@tiski.example": (
            ("Avoimet reklamaatiot", "tunniste:reklamaatio tila:ratkaisematon"),
            ("Takaisinsoitot", "tunniste:takaisinsoitto tila:ratkaisematon"),
            ("Kiireelliset", "prioriteetti:kiireellinen tila:ratkaisematon"),
        ),
        "mikko.virtanen@tiski.example": (
            ("Kuljetusvauriot", "tunniste:kuljetusvaurio"),
            ("Minun ratkaisemattomat", "käsittelijä:me tila:ratkaisematon"),
        ),
        "jussi.nieminen@tiski.example": (("Open quotes", "tag:tarjous status:unsolved"),),
    }
    made = []
    for email, searches in wanted.items():
        user = agents.get(email)
        if user is None:
            continue
        for position, (name, query) in enumerate(searches):
            search, _created = SavedSearch.objects.get_or_create(
                user=user, name=name, defaults={"query": query, "position": position}
            )
            made.append(search)
    return made


# --- the phone line ---------------------------------------------------------------


def make_phone_line(admin: User, support: Team, agents: dict[str, User]) -> PhoneLine:
    line = PhoneLine.objects.filter(number="+358942451000").first()
    if line is None:
        line = PhoneLine(number=LINE_NUMBER, name=LINE_NAME, team=support)
        line.save()
        audit.record_setting_change(admin, "phone_lines", "created", line)
    for email, extension in EXTENSIONS.items():
        user = agents.get(email)
        if user is not None:
            AgentPhone.objects.get_or_create(user=user, defaults={"extension": extension})
    return line


class _Line:
    """Sends a call's events the way the telephony system's webhook would."""

    def __init__(self, line: PhoneLine) -> None:
        self.line = line

    def event(self, call_id: str, event: str, at: datetime, **fields: object) -> Call:
        data = CallEventIn.model_validate(
            {
                "call_id": call_id,
                "event": event,
                "event_id": uuid.uuid5(uuid.NAMESPACE_URL, f"{call_id}/{event}").hex[:32],
                "timestamp": at.isoformat(),
                **fields,
            }
        )
        # Delivered a couple of seconds after it happened, as webhooks are.
        return phone.ingest_event(self.line, data, now=at + timedelta(seconds=2)).call

    def inbound(
        self,
        number: str,
        at: datetime,
        *,
        agent: User | None,
        talk: int = 0,
        cause: str = "answered",
    ) -> Call:
        call_id = f"demo-{uuid.uuid5(uuid.NAMESPACE_URL, f'{number}/{at.isoformat()}').hex[:12]}"
        ring: dict[str, object] = {"direction": "inbound", "from": number, "to": LINE_NUMBER}
        if agent is not None:
            ring["agent"] = {"email": agent.email}
        self.event(call_id, "ringing", at, **ring)
        if cause == "answered" and agent is not None:
            answered = at + timedelta(seconds=14)
            self.event(call_id, "answered", answered, agent={"email": agent.email})
            end = answered + timedelta(seconds=talk)
            return self.event(call_id, "ended", end, cause="answered", duration=talk)
        return self.event(call_id, "ended", at + timedelta(seconds=48), cause=cause)

    def outbound(self, number: str, at: datetime, *, agent: User, talk: int) -> Call:
        call_id = (
            f"demo-{uuid.uuid5(uuid.NAMESPACE_URL, f'out/{number}/{at.isoformat()}').hex[:12]}"
        )
        self.event(
            call_id,
            "outbound",
            at,
            direction="outbound",
            to=number,
            **{"from": LINE_NUMBER},
            agent={"email": agent.email},
        )
        answered = at + timedelta(seconds=9)
        self.event(call_id, "answered", answered, agent={"email": agent.email})
        return self.event(
            call_id, "ended", answered + timedelta(seconds=talk), cause="answered", duration=talk
        )


@dataclass
class PhoneDay:
    """What the phone line's afternoon left behind, for the tests and the summary."""

    logged_new: Call
    logged_existing: Call
    unlogged: Call
    missed_twice: list[Call]
    called_back: list[Call]


def make_calls(
    line: PhoneLine,
    agents: dict[str, User],
    open_ticket: tuple[Ticket, str],
    known_numbers: list[str],
    unknown_number: str,
    now: datetime,
) -> PhoneDay:
    """A few hours of calls ending just before now.

    ``open_ticket`` is an unsolved ticket of Mikko's team and its requester's
    number; ``known_numbers`` three numbers of other contacts. Answered calls
    are logged by the agent who took them (one onto the caller's open ticket,
    one as a new ticket, one not yet); a caller who could not get through
    twice has one callback ticket with both attempts; an unknown number that
    was missed and then called back has its callback resolved by that call.
    """
    send = _Line(line)
    mikko = agents["mikko.virtanen@tiski.example"]
    sanna = agents["admin@tiski.example"]
    ticket, open_number = open_ticket
    new_number, missed_number, quick_number = known_numbers[:3]

    # An unknown number rings while everyone is busy; Mikko calls back later.
    before = now - timedelta(hours=4, minutes=40)
    missed_unknown = send.inbound(unknown_number, before, agent=None, cause="busy")
    callback_call = send.outbound(
        unknown_number, now - timedelta(hours=3, minutes=55), agent=mikko, talk=132
    )

    # A customer with an open ticket calls about it; Mikko adds the call to it.
    at = now - timedelta(hours=3, minutes=10)
    existing = send.inbound(open_number, at, agent=mikko, talk=205)
    phone.log_call(
        existing,
        mikko,
        ticket=ticket,
        note=(
            "Asiakas soitti perään. Kerroin, että asia on työn alla, ja lupasin vastauksen "
            "sähköpostilla huomenna aamupäivällä."
        ),
    )

    # A new question by phone: logged as a new ticket.
    fresh = send.inbound(new_number, now - timedelta(hours=2, minutes=25), agent=sanna, talk=318)
    phone.log_call(
        fresh,
        sanna,
        subject="Kahvinkeittimen vesisäiliö vuotaa",
        note=(
            "Asiakkaan keittimen vesisäiliön pohjasta tippuu vettä. Ohjeistin tarkistamaan "
            "säiliön tiivisteen ja lähettämään kuvan, jos vuoto jatkuu. Soitan perään "
            "torstaina."
        ),
    )

    # Twice through to the queue and no answer: one callback ticket, two attempts.
    first_try = send.inbound(
        missed_number, now - timedelta(hours=1, minutes=12), agent=None, cause="abandoned"
    )
    second_try = send.inbound(
        missed_number, now - timedelta(minutes=34), agent=None, cause="no_answer"
    )

    # A short call Sanna took a moment ago and has not logged yet.
    quick = send.inbound(quick_number, now - timedelta(minutes=18), agent=sanna, talk=64)
    return PhoneDay(
        logged_new=fresh,
        logged_existing=existing,
        unlogged=quick,
        missed_twice=[first_try, second_try],
        called_back=[missed_unknown, callback_call],
    )


# --- a merged duplicate --------------------------------------------------------------


def merge_duplicate(target: Ticket, agent: User, at: datetime) -> TicketMerge:
    """The customer wrote again through the web form about the same thing;
    the agent merges the new ticket into the first one."""
    english = target.requester.language == "en"
    text = (
        "I sent you an email about this already but haven't heard back, so I'm writing here "
        "too. Could you let me know what's happening?"
        if english
        else "Lähetin tästä jo sähköpostia, mutta en ole saanut vastausta, joten kirjoitan "
        "vielä tätä kautta. Voisitteko kertoa, mikä tilanne on?"
    )
    duplicate = actions.create_ticket(
        requester=target.requester,
        subject=target.subject,
        actor=None,
        via=Via.CHANNEL,
        channel=Channel.WEB_FORM,
        text=text,
        type=target.type,
        priority=target.priority,
        team=target.team,
        created_at=at,
    )
    return actions.merge_tickets(duplicate, target, actor=agent, via=Via.AGENT)


# --- the web chat --------------------------------------------------------------------

CHAT_LINES = (
    ("visitor", "Hei! Onko Sumu-kahvinkeittimeen saatavilla varakannua?"),
    ("agent", "Hei Aino! On, varakannu on tuotenumerolla SK-12 ja se lähtee vielä tänään."),
    ("visitor", "Hienoa, tilaan sen heti. Kiitos!"),
)


def make_chat(admin: User, support: Team, agent: User, now: datetime) -> Ticket:
    """A chat widget on the shop's site and a short conversation on it, an hour ago.

    Written the way a visitor's socket writes it (the chat's services) and the
    desk writes a reply (the ticket actions)."""
    widget = ChatWidget.objects.create(
        name="Verkkokauppa",
        allowed_origins=["http://localhost:8000", "http://127.0.0.1:8000"],
        default_team=support,
        default_type=TicketType.objects.filter(active=True).first(),
        greeting_fi="Hei! Miten voimme auttaa?",
        greeting_en="Hi! How can we help?",
        greeting_sv="Hej! Hur kan vi hjälpa dig?",
        offline_message="Vastaamme sähköpostitse heti kun ehdimme.",
    )
    audit.record_setting_change(admin, "webchat", "created", widget)
    session = chat.start_session(widget, "fi")
    chat.identify(session, name="Aino Asiakas", email="aino.asiakas@example.com")
    at = now - timedelta(hours=1)
    for n, (who, text) in enumerate(CHAT_LINES):
        at += timedelta(minutes=2)
        if who == "visitor":
            chat.receive(session, client_id=f"demo-{n}", text=text, at=at)
        else:
            session.refresh_from_db()
            reply = actions.add_message(
                session.ticket,
                kind=MessageKind.PUBLIC,
                actor=agent,
                via=Via.AGENT,
                text=text,
                channel=Channel.CHAT,
                created_at=at,
            )
            # The visitor's widget showed it: the ticket page marks it seen.
            chat.mark_read(session, reply.pk)
    session.refresh_from_db()
    # The agent takes chats now (the account menu's toggle), so the demo
    # widget greets instead of showing the offline message.
    agent.chat_available = True
    agent.save(update_fields=["chat_available"])
    return session.ticket


def move_in_history(agent: User, now: datetime) -> None:
    """Two tickets from "the old desk", written by `tiski import-zendesk`'s writer:
    they keep their Zendesk times and are found by typing ZD#4711."""
    opened = now - timedelta(days=420)
    export = Export(source=Source.ZENDESK)
    export.people = {
        "1": Person("1", name=agent.name, email=agent.email, is_agent=True),
        "2": Person("2", name="Sirkka Vanhala", email="sirkka.vanhala@esimerkki.fi"),
    }
    for number, subject, words, reply, days in (
        (
            "4711",
            "Vanhan sopimuksen irtisanominen",
            "Haluan irtisanoa vanhan sopimuksen.",
            "Sopimus on irtisanottu.",
            1,
        ),
        (
            "4712",
            "Laskun eräpäivä",
            "Voinko siirtää laskun eräpäivää viikolla?",
            "Eräpäivä on siirretty.",
            2,
        ),
    ):
        start = opened + timedelta(days=int(number) - 4711)
        export.tickets.append(
            SourceTicket(
                source_id=number,
                subject=subject,
                # Long solved, so the old desk had closed it, as Zendesk does.
                status=Status.CLOSED,
                priority=Priority.NORMAL,
                channel=Channel.WEB_FORM,
                type_name="question",
                requester_id="2",
                created_at=start,
                updated_at=start + timedelta(days=days),
                tags=["zendesk"],
                fields={"Sopimusnumero": f"S-{number}"},
                comments=[
                    Comment(f"{number}1", "2", True, start, text=words),
                    Comment(f"{number}2", "1", True, start + timedelta(days=days), text=reply),
                ],
            )
        )
    Writer(export, Path("."), fetch_urls=False).run()
