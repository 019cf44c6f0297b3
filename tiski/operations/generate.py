"""Synthetic desks for scale tests: `tiski generate-data --tickets N`.

What it makes
-------------
Agents in teams (one team restricted), organisations with email domains,
contacts with email and phone identities (about one contact per three
tickets, a few of them writing very often), and tickets spread over the last
three years with their conversations: Finnish and English, 1 to 30 messages
(about 5 on average) mixing customer messages, public replies and internal
notes, Message-IDs on email messages, tags, and the events the actions would
have written (created, tags, one per message, assignment, every status
change, closing). Old tickets are mostly closed, recent ones new, open or
pending, so the unsolved views hold a realistic backlog of about one per cent.

Why it bypasses tickets.actions
-------------------------------
The actions write one ticket at a time with a dozen queries each: a million
tickets through them would take many hours. This module is the one place
allowed to write tickets directly. It precomputes ids (reserved from the
table sequences on PostgreSQL), builds plain row tuples in memory and writes
each batch with COPY on PostgreSQL (executemany on SQLite), one transaction
per batch so an interrupted run leaves whole tickets only.

Invariants kept (the same ones the actions keep)
------------------------------------------------
- every ticket has at least one message; the first one is the customer's,
  at ``created_at``; messages are strictly ordered in time;
- ``first_agent_reply_at`` / ``last_agent_reply_at`` are the first / last
  public reply, ``last_customer_message_at`` the last customer message;
- a status change writes a ``field`` event (old -> new) and sets
  ``status_changed_at``; a customer message reopens a pending ticket;
  assigning a new ticket opens it; ``solved_at`` is set for solved and closed
  tickets only, ``closed_at`` for closed ones (closed some days after solving);
- every message has its ``message`` event (meta: message_id, message_kind),
  every tag its ``tags`` event, every ticket one ``created`` event;
- ``updated_at`` is the last activity (newest message or event);
- ticket numbers are unique, increase with ``created_at``, and the
  ``ticket_number`` Sequence is moved past the last one, so the next
  ``create_ticket`` continues after them.

It does not run rules, SLA clocks or the realtime push: generated history is
in the past, and nothing is listening.
"""

from __future__ import annotations

import json
import random
import time
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import IO, Any

from django.contrib.auth.hashers import make_password
from django.db import connection, models, transaction
from django.db.models import Max
from django.utils import timezone

from tiski.accounts.models import Role, Team, User
from tiski.core.models import Sequence as NumberSequence
from tiski.core.sanitize import plain_preview
from tiski.customers.models import Contact, Identity, Organisation, OrganisationDomain
from tiski.surveys.generate import generate_surveys
from tiski.surveys.models import SurveyInvitation
from tiski.tickets.models import (
    PRIORITY_RANK,
    Channel,
    Event,
    EventKind,
    Message,
    MessageKind,
    Priority,
    Status,
    Tag,
    Ticket,
    TicketType,
    Via,
)
from tiski.worktime.generate import generate_handling_time
from tiski.worktime.models import WorkEntry

TICKET_NUMBER_SEQUENCE = "ticket_number"
# The Sequence starts numbering after this when it does not exist yet
# (Sequence.next_value's default), so generated desks look like real ones.
FIRST_NUMBER_AFTER = 1000
HISTORY = timedelta(days=3 * 365)
CLOSE_AFTER = timedelta(days=4)
STAFF_DOMAIN = "tiski-data.example"
OUR_MAIL_DOMAIN = "mail.tiski-data.example"
DEFAULT_PASSWORD = "tiski-data-2024"

TEAM_NAMES = (
    "Asiakastuki",
    "Myynti",
    "Laskutus",
    "Tekninen tuki",
    "Palautukset",
    "Yritysasiakkaat",
)
# Billing sees invoices and personal data others should not: the restricted
# team exercises the narrow branch of visible_to() at scale.
RESTRICTED_TEAM = "Laskutus"

FIRST_FI = (
    "Aino Eero Helmi Juha Kaisa Lauri Minna Ville Oona Timo Riikka Antti Satu Olli Tiina "
    "Markku Elina Jari Hanna Petri Noora Kari Leena Tuomas Sari Janne Heidi Matti Anu Sami "
    "Pirjo Jukka Emma Veikko Iida Aleksi"
).split()
LAST_FI = (
    "Mäkinen Järvinen Lehtonen Koskinen Salonen Hämäläinen Laaksonen Rantanen Karjalainen "
    "Tuominen Lindholm Savolainen Kettunen Ahonen Peltonen Räsänen Jokinen Leinonen Heiskanen "
    "Turunen Seppälä Nurmi Kinnunen Väisänen Honkanen Pitkänen"
).split()
FIRST_EN = "Emily James Sophie Daniel Olivia Thomas Grace Mark Laura Peter Hannah Ian".split()
LAST_EN = "Smith Taylor Brown Wilson Evans Clarke Hughes Walker Bennett Reid Murphy".split()
ORG_WORDS = (
    "Kahvila Rakennus Tilitoimisto Hotelli Mainostoimisto Konepaja Koodiverstas Kauneushoitola "
    "Ravintola Kuljetus Sähkö Puutarha Kiinteistö Metalli Apteekki Optiikka Autokorjaamo"
).split()
ORG_PLACES = (
    "Laine Kivi Järvi Koski Mänty Kallio Ranta Harju Niemi Vaara Salo Lahti Pelto Aalto"
).split()
ORG_FORMS = ("Oy", "Oy", "Ky", "Ab", "Oyj")
PRIVATE_DOMAINS = ("kotiposti.example", "netti.example", "sahkoposti.example", "mailbox.example")
PRODUCTS = (
    "Papumylly Aroma 12",
    "Papumylly Barista Pro",
    "Papumylly Automatica X5",
    "Kahvikulta Duo",
    "Kahvikulta Classic 10",
    "Moka Rapido 300",
    "Jauhin Tarkka 60",
)
TAGS = (
    "toimitus reklamaatio takuu tarjous yritysasiakas lasku palautus vip kiireellinen english "
    "huolto varaosa maksu hyvitys verkkokauppa tilitiedot kalkinpoisto jauhin leasing "
    "toimitusaika uutiskirje salasana asennus"
).split()

# (weight, channel); email carries most traffic, as in every desk we know.
CHANNEL_WEIGHTS = (
    (55, Channel.EMAIL),
    (14, Channel.PHONE),
    (10, Channel.WEB_FORM),
    (10, Channel.CHAT),
    (5, Channel.WHATSAPP),
    (2, Channel.MESSENGER),
    (2, Channel.SMS),
    (2, Channel.MANUAL),
)
PRIORITY_WEIGHTS = (
    (12, Priority.LOW),
    (62, Priority.NORMAL),
    (20, Priority.HIGH),
    (6, Priority.URGENT),
)

# Status mix by the ticket's age in days: (max age, ((weight, status), ...)).
# Closed tickets younger than CLOSE_AFTER + their conversation become solved.
STATUS_BY_AGE: tuple[tuple[float, tuple[tuple[float, str], ...]], ...] = (
    (
        1,
        (
            (35, Status.NEW),
            (35, Status.OPEN),
            (12, Status.PENDING),
            (3, Status.ON_HOLD),
            (15, Status.SOLVED),
        ),
    ),
    (
        7,
        (
            (5, Status.NEW),
            (25, Status.OPEN),
            (20, Status.PENDING),
            (5, Status.ON_HOLD),
            (45, Status.SOLVED),
        ),
    ),
    (
        30,
        (
            (3, Status.OPEN),
            (4, Status.PENDING),
            (2, Status.ON_HOLD),
            (6, Status.SOLVED),
            (85, Status.CLOSED),
        ),
    ),
    (
        1e9,
        (
            (0.3, Status.OPEN),
            (0.2, Status.PENDING),
            (0.1, Status.ON_HOLD),
            (0.1, Status.SOLVED),
            (99.3, Status.CLOSED),
        ),
    ),
)

# --- conversation text --------------------------------------------------------
# Generated content, not interface strings: plain Finnish and English data.
# Texts are composed from fragments once, into pools; each message then only
# picks one, which keeps a million conversations varied and cheap to make.

SUBJECTS: dict[str, dict[str, tuple[str, ...]]] = {
    "fi": {
        "question": (
            "Kysymys tuotteesta {product}",
            "Miten {product} puhdistetaan?",
            "Onko {product} saatavilla?",
            "Aukioloajat ja nouto",
        ),
        "quote-request": (
            "Tarjouspyyntö: {product} toimistoon",
            "Tarjous 10 laitteesta",
            "Hintatiedustelu huoltosopimuksesta",
        ),
        "order": (
            "Tilaus {order} ei ole saapunut",
            "Tilauksen {order} muutos",
            "Toimitusosoitteen vaihto tilaukseen {order}",
            "Missä pakettini on?",
        ),
        "complaint": (
            "Reklamaatio: {product} ei käynnisty",
            "Rikkinäinen toimitus {order}",
            "{product} vuotaa vettä",
            "Väärä tuote paketissa",
        ),
        "support-request": (
            "{product}: virheilmoitus E{code}",
            "Jauhin pitää outoa ääntä",
            "Kalkinpoisto ei onnistu",
            "Sovellus ei yhdistä laitteeseen",
        ),
        "lead": (
            "Jälleenmyyntiyhteistyö",
            "Kiinnostaa yritysasiakkuus",
            "Messukontakti: kahviautomaatit",
        ),
    },
    "en": {
        "question": (
            "Question about the {product}",
            "How do I clean the {product}?",
            "Is the {product} in stock?",
            "Opening hours and pick-up",
        ),
        "quote-request": (
            "Quote request: {product} for our office",
            "Quote for 10 machines",
            "Price of a service contract",
        ),
        "order": (
            "Order {order} has not arrived",
            "Change to order {order}",
            "New delivery address for order {order}",
            "Where is my parcel?",
        ),
        "complaint": (
            "Complaint: {product} will not start",
            "Damaged delivery {order}",
            "{product} is leaking water",
            "Wrong item in the box",
        ),
        "support-request": (
            "{product}: error code E{code}",
            "Grinder makes a strange noise",
            "Descaling does not finish",
            "The app cannot find my machine",
        ),
        "lead": (
            "Reseller partnership",
            "Interested in a business account",
            "Trade fair contact: coffee machines",
        ),
    },
}

FRAGMENTS: dict[str, dict[str, tuple[tuple[str, ...], ...]]] = {
    "fi": {
        "customer": (
            ("Hei,", "Hyvä asiakaspalvelu,", "Moi!", "Hei vaan,", "Terve,"),
            (
                "ostin teiltä laitteen {product} ja nyt se ei toimi kuten pitäisi.",
                "tilaukseni on viivästynyt, eikä seurantakoodia ole tullut.",
                "laite näyttää virhekoodia eikä keitä kahvia ollenkaan.",
                "haluaisin tietää, voiko tilaukseen vielä lisätä tuotteita.",
                "paketti saapui, mutta laatikko oli rikki ja kannu haljennut.",
                "laskussa on eri summa kuin tilausvahvistuksessa.",
                "tarvitsisin tarjouksen kahviautomaatista noin 30 hengen toimistoon.",
                "jauhin pitää kovaa ääntä ja kahvista tulee laihaa.",
            ),
            (
                "Olen jo kokeillut käynnistää laitteen uudelleen.",
                "Kuitti ja tilausvahvistus löytyvät liitteenä.",
                "Toivoisin vastausta mahdollisimman pian, kiitos.",
                "Voitteko soittaa minulle iltapäivällä?",
                "Sama vika oli jo aiemmin, ja se korjattiin takuuhuollossa.",
                "",
            ),
            ("Ystävällisin terveisin", "Kiitos jo etukäteen!", "Terveisin", "Kiittäen"),
        ),
        "follow_up": (
            ("Kiitos vastauksesta.", "Hei taas,", "Kiitos nopeasta vastauksesta!", "Moi,"),
            (
                "Osoite on oikein, ja olen kotona koko viikon.",
                "Kokeilin ohjeiden mukaan, mutta vika ei poistunut.",
                "Tässä pyytämänne sarjanumero ja kuva tyyppikilvestä.",
                "Laite toimii nyt, kalkinpoisto auttoi.",
                "Valitsen mieluummin hyvityksen kuin uuden laitteen.",
                "Paketti ei vieläkään ole saapunut noutopisteeseen.",
            ),
            ("Milloin voin odottaa lisätietoa?", "Kiitos avusta!", "", "Odotan vastaustanne."),
        ),
        "public": (
            ("Hei,", "Kiitos viestistäsi!", "Hei ja kiitos yhteydenotosta,"),
            (
                "pahoittelemme viivästystä; tilauksesi on nyt kuljetuksessa ja perillä huomenna.",
                "laite on takuussa, joten lähetämme sinulle maksuttoman palautustarran.",
                "voisitko lähettää kuvan laitteen tyyppikilvestä, jossa näkyy sarjanumero?",
                "kokeilethan kalkinpoistoa ohjekirjan sivun 14 mukaisesti ja kerro, auttoiko se.",
                "hyvitimme toimituskulut maksutavallesi viivästyksen vuoksi.",
                "liitteenä tarjous sekä huoltosopimuksen ehdot; tarjous on voimassa 30 päivää.",
                "olemme korjanneet laskun ja lähetämme uuden sähköpostiisi.",
            ),
            ("Ole yhteydessä, jos voimme auttaa vielä jossain.", "Mukavaa päivänjatkoa!", ""),
            ("Ystävällisin terveisin, {agent}", "Terveisin {agent}, Asiakaspalvelu", "{agent}"),
        ),
        "internal": (
            ("Huom:", "Muistiinpano:", "Sisäinen:"),
            (
                "asiakas soitti, lupasin vastauksen huomiseen mennessä.",
                "tarkistettu varastosta: laite lähtee huomenna.",
                "odotetaan Postin selvitystä, muistutus ensi viikolla.",
                "sama sarjanumeroerä kuin aiemmissa vuototapauksissa.",
                "lasku korjattu taloushallinnossa, hyvityslasku tulossa.",
                "siirretty myynnille, iso yritysasiakas.",
            ),
        ),
    },
    "en": {
        "customer": (
            ("Hello,", "Hi,", "Dear customer service,", "Good morning,"),
            (
                "I bought a {product} from you and now it does not work properly.",
                "my order is late and I never received a tracking code.",
                "the machine shows an error code and does not brew at all.",
                "could I still add items to my order?",
                "the parcel arrived but the box was crushed and the jug is cracked.",
                "the invoice amount differs from the order confirmation.",
                "we need a quote for a coffee machine for an office of about 30 people.",
                "the grinder is very noisy and the coffee tastes weak.",
            ),
            (
                "I already tried restarting it.",
                "Receipt attached.",
                "I would appreciate a quick answer.",
                "Could you call me this afternoon?",
                "",
            ),
            ("Best regards", "Thanks in advance!", "Kind regards", "Cheers"),
        ),
        "follow_up": (
            ("Thanks for your answer.", "Hi again,", "Thank you for the quick reply!"),
            (
                "The address is correct and I am at home all week.",
                "I followed the instructions but the fault is still there.",
                "Here is the serial number and a photo of the rating plate.",
                "It works now, descaling helped.",
                "I would prefer a refund over a replacement.",
                "The parcel still has not reached the pick-up point.",
            ),
            ("When can I expect an update?", "Thanks for your help!", ""),
        ),
        "public": (
            ("Hi,", "Thank you for your message!", "Hello and thanks for getting in touch,"),
            (
                "sorry for the delay; your order is now on its way and arrives tomorrow.",
                "the machine is under warranty, so we are sending you a free return label.",
                "could you send a photo of the rating plate showing the serial number?",
                "please try descaling as described on page 14 of the manual and let us know.",
                "we have refunded the shipping fee for the trouble.",
                "please find our quote and the service terms attached; valid for 30 days.",
                "we have corrected the invoice and will email you a new one.",
            ),
            ("Let us know if there is anything else we can do.", "Have a nice day!", ""),
            ("Best regards, {agent}", "Kind regards, {agent}, Customer Service", "{agent}"),
        ),
        "internal": (
            ("Note:", "FYI:", "Internal:"),
            (
                "customer called, promised an answer by tomorrow.",
                "checked stock: the unit ships tomorrow.",
                "waiting for the carrier's investigation, follow up next week.",
                "same serial batch as the earlier leaking cases.",
                "invoice corrected by finance, credit note coming.",
                "handed to sales, large business customer.",
            ),
        ),
    },
}
POOL_SIZE = 400


def _compose(rng: random.Random, parts: tuple[tuple[str, ...], ...], agent_names: list[str]) -> str:
    pieces = [rng.choice(options) for options in parts]
    if len(pieces) < 3:
        text = " ".join(pieces)
    else:
        # Greeting (and sign-off, when there is one) on their own lines, as
        # people write mail; the body starts with a capital after the comma.
        closing = pieces[-1] if len(pieces) >= 4 else ""
        middle = pieces[1:-1] if closing else pieces[1:]
        body = " ".join(p for p in middle if p)
        body = body[:1].upper() + body[1:]
        text = f"{pieces[0]}\n\n{body}" + (f"\n\n{closing}" if closing else "")
    return text.format(
        product=rng.choice(PRODUCTS),
        agent=rng.choice(agent_names) if agent_names else "Tiski",
    )


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()


def _weighted(pairs: Sequence[tuple[float, Any]]) -> tuple[list[Any], list[float]]:
    values = [v for _w, v in pairs]
    cumulative: list[float] = []
    total = 0.0
    for weight, _v in pairs:
        total += weight
        cumulative.append(total)
    return values, cumulative


# --- writing rows -------------------------------------------------------------


class RowWriter:
    """Writes row tuples straight into tables: COPY on PostgreSQL, executemany elsewhere."""

    def __init__(self) -> None:
        self.vendor = connection.vendor
        self._extras: dict[tuple[type[models.Model], tuple[str, ...]], tuple[list[str], tuple]] = {}

    def extras(self, model: type[models.Model], fields: Sequence[str]) -> tuple[list[str], tuple]:
        """Columns the caller did not name, with their model defaults.

        Other apps add fields to tickets (SLA sort keys, search vectors); a
        NOT NULL column without a database default would make COPY fail, so
        every column that exists both on the model and in the table gets the
        field's default. Columns the model has but the table does not yet
        (an unapplied migration) are left out.
        """
        key = (model, tuple(fields))
        if key not in self._extras:
            named = {model._meta.get_field(name).column for name in fields}
            with connection.cursor() as cursor:
                in_table = {
                    c.name
                    for c in connection.introspection.get_table_description(
                        cursor, model._meta.db_table
                    )
                }
            columns, values = [], []
            for f in model._meta.concrete_fields:
                if f.column in named or f.primary_key or f.column not in in_table:
                    continue
                if getattr(f, "generated", False):
                    continue
                columns.append(f.column)
                values.append(f.get_default())
            self._extras[key] = (columns, tuple(values))
        return self._extras[key]

    def write(self, model: type[models.Model], fields: Sequence[str], rows: list[tuple]) -> None:
        if not rows:
            return
        connection.ensure_connection()
        table = connection.ops.quote_name(model._meta.db_table)
        extra_columns, extra_values = self.extras(model, fields)
        columns = [model._meta.get_field(name).column for name in fields] + extra_columns
        cols = ", ".join(connection.ops.quote_name(c) for c in columns)
        if self.vendor == "postgresql":
            raw = connection.connection
            with raw.cursor() as cursor:
                with cursor.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
                    if extra_values:
                        for row in rows:
                            copy.write_row(row + extra_values)
                    else:
                        for row in rows:
                            copy.write_row(row)
            return
        adapt = connection.ops.adapt_datetimefield_value
        converted = [
            tuple(adapt(v) if isinstance(v, datetime) else v for v in row + extra_values)
            for row in rows
        ]
        marks = ", ".join(["%s"] * len(columns))
        with connection.cursor() as cursor:
            cursor.executemany(f"INSERT INTO {table} ({cols}) VALUES ({marks})", converted)

    def reserve_ids(self, model: type[models.Model], count: int) -> int:
        """The first of ``count`` consecutive primary keys nobody else will get."""
        table = model._meta.db_table
        with connection.cursor() as cursor:
            if self.vendor == "postgresql":
                # Moving the sequence forward first means a ticket created by
                # the app while we generate gets an id past our range.
                cursor.execute(
                    "SELECT setval(pg_get_serial_sequence(%s, 'id'),"
                    " nextval(pg_get_serial_sequence(%s, 'id')) + %s - 1)",
                    [table, table, count],
                )
                last = cursor.fetchone()[0]
                return last - count + 1
        # SQLite: AUTOINCREMENT moves past explicit ids by itself; the caller
        # keeps its own counter so one max() is enough.
        current = model.objects.aggregate(m=Max("id"))["m"] or 0
        return current + 1


# --- the generator ------------------------------------------------------------


@dataclass
class GenerateResult:
    tickets: int = 0
    messages: int = 0
    events: int = 0
    contacts: int = 0
    first_number: int = 0
    last_number: int = 0
    seconds: float = 0.0
    logins: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class _People:
    agents: list[User]
    teams: list[Team]
    members: dict[int, list[int]]  # team id -> agent ids
    names: dict[int, str]  # agent id -> name


class Generator:
    def __init__(
        self,
        *,
        seed: int = 1,
        agents: int = 40,
        teams: int = 6,
        password: str = DEFAULT_PASSWORD,
        now: datetime | None = None,
        history: timedelta = HISTORY,
        stdout: IO[str] | None = None,
    ) -> None:
        self.rng = random.Random(seed)
        self.seed = seed
        self.agent_count = max(2, agents)
        self.team_count = max(1, teams)
        self.password = password
        self.now = (now or timezone.now()).astimezone(UTC)
        self.start = self.now - history
        self.stdout = stdout
        self.writer = RowWriter()
        self.channels = _weighted(CHANNEL_WEIGHTS)
        self.priorities = _weighted(PRIORITY_WEIGHTS)
        self.status_tables = [(age, _weighted(pairs)) for age, pairs in STATUS_BY_AGE]

    def log(self, text: str) -> None:
        if self.stdout:
            self.stdout.write(text + "\n")
            self.stdout.flush()

    # --- people and customers --------------------------------------------

    def make_people(self) -> _People:
        """Agents and teams; reused when they exist, so runs can add tickets."""
        teams = []
        for i in range(self.team_count):
            name = TEAM_NAMES[i] if i < len(TEAM_NAMES) else f"Tiimi {i + 1}"
            team, _created = Team.objects.get_or_create(
                name=name, defaults={"restricted": name == RESTRICTED_TEAM}
            )
            teams.append(team)
        # One hash for everyone: hashing 40 passwords with PBKDF2 would take
        # longer than writing thousands of tickets, and they share a password.
        hashed = make_password(self.password)
        agents: list[User] = []
        for i in range(self.agent_count):
            if i == 0:
                email, role = f"admin@{STAFF_DOMAIN}", Role.ADMIN
            else:
                email, role = f"agent{i:02d}@{STAFF_DOMAIN}", Role.AGENT
            name = f"{FIRST_FI[i % len(FIRST_FI)]} {LAST_FI[(i * 7) % len(LAST_FI)]}"
            user, created = User.objects.get_or_create(
                email=email,
                defaults={
                    "name": name,
                    "role": role,
                    "password": hashed,
                    "language": "en" if i % 9 == 4 else "fi",
                },
            )
            agents.append(user)
            if created and i > 0:
                # Round-robin membership with a second team for every third
                # agent; agent01 is never in the restricted team, so the
                # benchmark sees the OR-branches of visible_to at work.
                first = teams[(i - 1) % len(teams)]
                picks = {first}
                if i % 3 == 1 and len(teams) > 1:
                    picks.add(teams[i % len(teams)])
                if i == 1:
                    picks = {t for t in teams[:4] if not t.restricted} or {teams[0]}
                for team in picks:
                    team.members.add(user)
        members: dict[int, list[int]] = {t.pk: [] for t in teams}
        for team in teams:
            members[team.pk] = list(
                team.members.filter(is_active=True).values_list("pk", flat=True)
            )
            if not members[team.pk]:
                members[team.pk] = [agents[-1].pk]
        self.log(
            f"People: {len(agents)} agents in {len(teams)} teams "
            f"(restricted: {', '.join(t.name for t in teams if t.restricted) or '-'})"
        )
        return _People(agents, teams, members, {a.pk: a.name for a in agents})

    def make_customers(self, count: int) -> tuple[list[int], list[str], list[str]]:
        """Organisations, contacts and identities; returns (ids, languages, email domains)."""
        rng = self.rng
        org_count = max(1, count // 25)
        org_first = self.writer.reserve_ids(Organisation, org_count)
        org_rows, domain_rows, org_domains = [], [], []
        created = self.start - timedelta(days=30)
        for n in range(org_count):
            oid = org_first + n
            place = rng.choice(ORG_PLACES)
            name = f"{rng.choice(ORG_WORDS)} {place} {rng.choice(ORG_FORMS)}"
            domain = f"{_ascii(place)}-{oid}.example"
            org_rows.append((oid, name, "", created))
            domain_rows.append((oid, domain))
            org_domains.append((oid, domain))
        with transaction.atomic():
            self.writer.write(Organisation, ("id", "name", "notes", "created_at"), org_rows)
            self.writer.write(OrganisationDomain, ("organisation", "domain"), domain_rows)

        contact_first = self.writer.reserve_ids(Contact, count)
        ids, languages, domains = [], [], []
        contact_rows: list[tuple] = []
        identity_rows: list[tuple] = []

        def flush() -> None:
            with transaction.atomic():
                self.writer.write(
                    Contact,
                    ("id", "name", "language", "organisation", "notes", "created_at", "updated_at"),
                    contact_rows,
                )
                self.writer.write(
                    Identity,
                    ("contact", "kind", "value", "undeliverable_reason", "created_at"),
                    identity_rows,
                )
            contact_rows.clear()
            identity_rows.clear()

        for n in range(count):
            cid = contact_first + n
            english = rng.random() < 0.15
            first = rng.choice(FIRST_EN if english else FIRST_FI)
            last = rng.choice(LAST_EN if english else LAST_FI)
            org_id = None
            if rng.random() < 0.35:
                org_id, domain = org_domains[rng.randrange(len(org_domains))]
            else:
                domain = rng.choice(PRIVATE_DOMAINS)
            at = self.start - timedelta(days=rng.uniform(0, 365))
            contact_rows.append(
                (cid, f"{first} {last}", "en" if english else "fi", org_id, "", at, at)
            )
            if rng.random() < 0.92:
                email = f"{_ascii(first)}.{_ascii(last)}.{cid}@{domain}"
                identity_rows.append((cid, "email", email, "", at))
            else:
                email = ""
            if rng.random() < 0.4 or not email:
                identity_rows.append((cid, "phone", f"+35840{cid % 10**8:08d}", "", at))
            ids.append(cid)
            languages.append("en" if english else "fi")
            domains.append(domain if email else "")
            if len(contact_rows) >= 20_000:
                flush()
        flush()
        self.log(f"Customers: {org_count} organisations, {count} contacts")
        return ids, languages, domains

    # --- tickets ---------------------------------------------------------

    def generate(self, tickets: int, batch: int = 5000) -> GenerateResult:
        began = time.monotonic()
        result = GenerateResult()
        people = self.make_people()
        result.logins = [
            (people.agents[0].email, self.password),
            (people.agents[1].email, self.password),
        ]
        contact_ids, languages, domains = self.make_customers(max(1, tickets // 3))
        result.contacts = len(contact_ids)
        types = list(TicketType.objects.filter(active=True))
        tags = self._tags()
        pools = self._pools(list(people.names.values()))

        seq_value = NumberSequence.current(TICKET_NUMBER_SEQUENCE, start=FIRST_NUMBER_AFTER)
        highest = Ticket.objects.aggregate(m=Max("number"))["m"] or 0
        number = max(seq_value, highest) + 1
        result.first_number = number

        span = (self.now - self.start).total_seconds()
        state = _BatchState(self, people, contact_ids, languages, domains, types, tags, pools)
        done = 0
        last_log = time.monotonic()
        while done < tickets:
            size = min(batch, tickets - done)
            ticket_first = self.writer.reserve_ids(Ticket, size)
            # Creation times rise with the ticket number, so numbers, ids and
            # created_at sort the same way, as they do in a real desk.
            created = [
                self.start + timedelta(seconds=span * (done + i + self.rng.random()) / tickets)
                for i in range(size)
            ]
            state.build(ticket_first, number, created)
            with transaction.atomic():
                state.flush()
                # Inside the batch's transaction: a crash never leaves numbers
                # behind the sequence.
                NumberSequence.ensure_at_least(TICKET_NUMBER_SEQUENCE, number + size - 1)
            number += size
            done += size
            result.messages += state.message_count
            result.events += state.event_count
            now = time.monotonic()
            if now - last_log > 2 or done == tickets:
                elapsed = now - began
                self.log(
                    f"{done:>10,} / {tickets:,} tickets  {result.messages:>11,} messages  "
                    f"{done / elapsed:>7,.0f} tickets/s"
                )
                last_log = now
        result.tickets = done
        result.last_number = number - 1
        result.seconds = time.monotonic() - began
        self._analyse()
        return result

    def _tags(self) -> dict[str, int]:
        existing = {t.name: t.pk for t in Tag.objects.filter(name__in=TAGS)}
        missing = [Tag(name=n) for n in TAGS if n not in existing]
        Tag.objects.bulk_create(missing)
        return {t.name: t.pk for t in Tag.objects.filter(name__in=TAGS)}

    def _pools(self, agent_names: list[str]) -> dict[tuple[str, str], list[str]]:
        rng = self.rng
        pools: dict[tuple[str, str], list[str]] = {}
        for lang, roles in FRAGMENTS.items():
            for role, parts in roles.items():
                pools[(lang, role)] = [_compose(rng, parts, agent_names) for _ in range(POOL_SIZE)]
        return pools

    def _analyse(self) -> None:
        # Fresh statistics: the planner otherwise guesses on tables that grew
        # from empty to millions of rows within minutes (on the tag table it
        # guessed 350,000 rows for 50 tickets' tags and went parallel).
        # VACUUM on tickets also sets the visibility map, so counts can use
        # index-only scans as they would on a desk autovacuum has visited.
        if connection.vendor != "postgresql":
            return
        vacuum = not connection.in_atomic_block  # VACUUM cannot run in a transaction
        with connection.cursor() as cursor:
            quote = connection.ops.quote_name
            if vacuum:
                cursor.execute(f"VACUUM (ANALYZE) {quote(Ticket._meta.db_table)}")
            for model in (
                Ticket,
                Ticket.tags.through,
                Message,
                Event,
                Contact,
                Identity,
                Organisation,
            ):
                cursor.execute(f"ANALYZE {quote(model._meta.db_table)}")


TICKET_FIELDS = (
    "id",
    "number",
    "subject",
    "status",
    "type",
    "priority",
    "due_at",
    "requester",
    "assignee",
    "team",
    "channel",
    "parent",
    "created_at",
    "updated_at",
    "first_agent_reply_at",
    "last_agent_reply_at",
    "last_customer_message_at",
    "solved_at",
    "status_changed_at",
    "closed_at",
)
MESSAGE_FIELDS = (
    "id",
    "ticket",
    "kind",
    "author_user",
    "author_contact",
    "channel",
    "text",
    "html",
    "preview",
    "external_id",
    "meta",
    "created_at",
)
EVENT_FIELDS = (
    "ticket",
    "kind",
    "actor",
    "via",
    "field",
    "old_value",
    "new_value",
    "meta",
    "created_at",
)
# Mean hours before the next message, by who writes it.
DELAY_HOURS = {MessageKind.PUBLIC: 5.0, MessageKind.CUSTOMER: 18.0, MessageKind.INTERNAL: 0.7}
MINUTE = timedelta(minutes=1)


class _BatchState:
    """Builds the rows of one batch of tickets; kept between batches to reuse lookups."""

    def __init__(
        self,
        gen: Generator,
        people: _People,
        contact_ids: list[int],
        languages: list[str],
        domains: list[str],
        types: list[TicketType],
        tags: dict[str, int],
        pools: dict[tuple[str, str], list[str]],
    ) -> None:
        self.gen = gen
        self.rng = gen.rng
        self.people = people
        self.contact_ids = contact_ids
        self.languages = languages
        self.domains = domains
        self.types = types
        self.tag_items = list(tags.items())
        self.pools = pools
        self.all_agents = [a.pk for a in people.agents]
        self.team_ids = [t.pk for t in people.teams]
        restricted = {t.pk for t in people.teams if t.restricted}
        # Restricted teams get a smaller share, as billing does in practice.
        self.team_weights = [0.5 if tid in restricted else 1.0 for tid in self.team_ids]
        self.tickets: list[tuple] = []
        self.messages: list[tuple] = []
        self.events: list[tuple] = []
        self.ticket_tags: list[tuple] = []
        self.message_count = 0
        self.event_count = 0
        # The SLA queue's priority sort key, when that field exists in the
        # table: the actions keep it, so the generator must too.
        extra_columns, _values = gen.writer.extras(Ticket, TICKET_FIELDS)
        self.with_rank = "priority_rank" in extra_columns
        self.ticket_fields = TICKET_FIELDS + (("priority_rank",) if self.with_rank else ())

    def build(self, ticket_first: int, number: int, created: list[datetime]) -> None:
        self.tickets, self.messages, self.events, self.ticket_tags = [], [], [], []
        # Messages of this batch: reserve generously, ids need only be unique
        # and increasing; gaps are harmless.
        message_budget = len(created) * 30
        self.next_message = self.gen.writer.reserve_ids(Message, message_budget)
        first_message = self.next_message
        for i, at in enumerate(created):
            self._ticket(ticket_first + i, number + i, at)
        self.message_count = self.next_message - first_message
        self.event_count = len(self.events)
        if connection.vendor == "postgresql":
            # Hand the unused part of the reservation back, so ids stay dense.
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT setval(pg_get_serial_sequence(%s, 'id'), %s)",
                    [Message._meta.db_table, self.next_message - 1],
                )

    def flush(self) -> None:
        writer = self.gen.writer
        writer.write(Ticket, self.ticket_fields, self.tickets)
        writer.write(Ticket.tags.through, ("ticket", "tag"), self.ticket_tags)
        writer.write(Message, MESSAGE_FIELDS, self.messages)
        writer.write(Event, EVENT_FIELDS, self.events)

    def _status_for(self, age_days: float) -> str:
        for max_age, (values, cumulative) in self.gen.status_tables:
            if age_days < max_age:
                return self.rng.choices(values, cum_weights=cumulative)[0]
        return Status.CLOSED

    def _ticket(self, tid: int, number: int, created: datetime) -> None:
        rng = self.rng
        gen = self.gen
        now = gen.now
        # Some customers write far more often than others.
        index = int(len(self.contact_ids) * rng.random() ** 1.7)
        contact = self.contact_ids[index]
        lang = self.languages[index]
        domain = self.domains[index]
        channel = rng.choices(gen.channels[0], cum_weights=gen.channels[1])[0]
        if channel == Channel.EMAIL and not domain:
            channel = Channel.PHONE
        priority = rng.choices(gen.priorities[0], cum_weights=gen.priorities[1])[0]
        ttype = rng.choice(self.types) if self.types and rng.random() < 0.9 else None
        slug = ttype.slug if ttype else "question"
        age_days = (now - created).total_seconds() / 86400
        target = self._status_for(age_days)

        team = None
        if rng.random() < 0.88:
            team = rng.choices(self.team_ids, weights=self.team_weights)[0]
        assignee = None
        if target != Status.NEW:
            pool = self.people.members.get(team, self.all_agents) if team else self.all_agents
            assignee = rng.choice(pool)
        writer_agent = assignee or rng.choice(self.all_agents)

        # How many messages, and whose.
        if target == Status.NEW:
            count = 1 if rng.random() < 0.8 else 2
            kinds = [MessageKind.CUSTOMER] * count
        else:
            count = min(30, 1 + int(rng.expovariate(1 / 4.4)))
            if target in (Status.PENDING, Status.ON_HOLD):
                count = max(count, 2)
            kinds = [MessageKind.CUSTOMER]
            for _ in range(count - 1):
                previous = kinds[-1]
                if previous == MessageKind.PUBLIC:
                    kinds.append(MessageKind.CUSTOMER)
                elif rng.random() < 0.15:
                    kinds.append(MessageKind.INTERNAL)
                else:
                    kinds.append(MessageKind.PUBLIC)
            if count > 1:
                if target in (Status.SOLVED, Status.CLOSED, Status.PENDING):
                    kinds[-1] = MessageKind.PUBLIC
                elif target == Status.ON_HOLD:
                    kinds[-1] = MessageKind.INTERNAL
                elif target == Status.OPEN and kinds[-1] == MessageKind.PUBLIC:
                    kinds[-1] = MessageKind.CUSTOMER

        # When: delays by who writes next, squeezed into the time available.
        delays = [rng.expovariate(1 / DELAY_HOURS[kind]) + 0.03 for kind in kinds[1:]]
        total = sum(delays)
        room = (now - created).total_seconds() / 3600 - 0.05
        if target == Status.CLOSED:
            room -= CLOSE_AFTER.total_seconds() / 3600 + 12
            if room <= total:
                target = Status.SOLVED
                room += CLOSE_AFTER.total_seconds() / 3600 + 12
        if total > room:
            factor = max(room, 0.0) / total * 0.95 if total else 0.0
            delays = [d * factor for d in delays]
        times = [created]
        for delay in delays:
            # At least a second apart: the conversation order is unambiguous.
            times.append(times[-1] + timedelta(seconds=max(1.0, delay * 3600)))

        # Subject and rows.
        subjects = SUBJECTS[lang].get(slug) or SUBJECTS[lang]["question"]
        order_no = 100000 + (tid * 7919) % 900000
        subject = rng.choice(subjects).format(
            product=rng.choice(PRODUCTS), order=order_no, code=rng.randint(10, 99)
        )
        events = self.events
        messages = self.messages

        def event(
            at: datetime,
            kind: str,
            actor: int | None,
            via: str,
            fld: str = "",
            old: str = "",
            new: str = "",
            meta: str = "{}",
        ) -> None:
            events.append((tid, kind, actor, via, fld, old, new, meta, at))

        event(created, EventKind.CREATED, None, Via.CHANNEL, meta=json.dumps({"channel": channel}))
        chosen_tags = rng.sample(
            self.tag_items, k=min(len(self.tag_items), rng.choice((0, 1, 1, 2, 3)))
        )
        for name, tag_id in chosen_tags:
            self.ticket_tags.append((tid, tag_id))
            event(created, EventKind.FIELD, None, Via.RULE, "tags", "", name)

        status = Status.NEW
        status_at = created
        last_event_at = created

        def change(at: datetime, new_status: str, actor: int | None, via: str) -> None:
            nonlocal status, status_at, last_event_at
            if new_status == status:
                return
            event(at, EventKind.FIELD, actor, via, "status", status, new_status)
            status, status_at, last_event_at = new_status, at, max(last_event_at, at)

        first_agent = last_agent = last_customer = None
        # Assignment happens a little after creation, and at the latest when
        # the first agent writes; it opens the new ticket as update_ticket does.
        assign_at = created
        if assignee:
            assign_at = min(created + timedelta(minutes=rng.uniform(1, 90)), now - MINUTE)
            agent_times = [t for t, k in zip(times, kinds, strict=True) if k != "customer"]
            if agent_times:
                assign_at = min(assign_at, agent_times[0])
            assign_at = max(assign_at, created)

        def assign() -> None:
            nonlocal last_event_at
            event(assign_at, EventKind.FIELD, assignee, Via.AGENT, "assignee", "", str(assignee))
            last_event_at = max(last_event_at, assign_at)
            change(assign_at, Status.OPEN, assignee, Via.AGENT)

        pending_assign = assignee is not None
        last = len(kinds) - 1
        for position, (kind, at) in enumerate(zip(kinds, times, strict=True)):
            if pending_assign and position > 0 and assign_at <= at:
                assign()
                pending_assign = False
            mid = self.next_message
            self.next_message += 1
            external_id = ""
            if kind == MessageKind.CUSTOMER:
                text = rng.choice(self.pools[(lang, "customer" if position == 0 else "follow_up")])
                if position == 0:
                    label = "Tilausnumero" if lang == "fi" else "Order number"
                    text = f"{text}\n\n{label}: {order_no}"
                if channel == Channel.EMAIL:
                    external_id = f"<{number}.{position}.{gen.seed}@{domain}>"
                messages.append(
                    (
                        mid,
                        tid,
                        kind,
                        None,
                        contact,
                        channel,
                        text,
                        "",
                        plain_preview(text),
                        external_id,
                        "{}",
                        at,
                    )
                )
                last_customer = at
                via = Via.CHANNEL
                actor = None
            else:
                text = rng.choice(
                    self.pools[(lang, "public" if kind == MessageKind.PUBLIC else "internal")]
                )
                author = writer_agent
                msg_channel = channel if kind == MessageKind.PUBLIC else Channel.MANUAL
                if kind == MessageKind.PUBLIC and channel == Channel.EMAIL:
                    external_id = f"<{number}.{position}.{gen.seed}@{OUR_MAIL_DOMAIN}>"
                messages.append(
                    (
                        mid,
                        tid,
                        kind,
                        author,
                        None,
                        msg_channel,
                        text,
                        "",
                        plain_preview(text),
                        external_id,
                        "{}",
                        at,
                    )
                )
                via = Via.AGENT
                actor = author
                if kind == MessageKind.PUBLIC:
                    first_agent = first_agent or at
                    last_agent = at
            event(
                at,
                EventKind.MESSAGE,
                actor,
                via,
                meta=f'{{"message_id": {mid}, "message_kind": "{kind}"}}',
            )
            last_event_at = max(last_event_at, at)
            # Status moves the way add_message moves it.
            if kind == MessageKind.CUSTOMER:
                if status in (Status.PENDING, Status.SOLVED):
                    change(at, Status.OPEN, None, Via.CHANNEL)
            elif kind == MessageKind.PUBLIC:
                if position == last and target in (Status.SOLVED, Status.CLOSED, Status.PENDING):
                    change(
                        at, Status.SOLVED if target == Status.CLOSED else target, actor, Via.AGENT
                    )
                elif status == Status.NEW:
                    change(at, Status.OPEN, actor, Via.AGENT)
                elif position != last and rng.random() < 0.4:
                    change(at, Status.PENDING, actor, Via.AGENT)
            elif kind == MessageKind.INTERNAL and position == last and target == Status.ON_HOLD:
                change(at, Status.ON_HOLD, actor, Via.AGENT)

        end = times[-1]
        if pending_assign:
            assign()
            end = max(end, assign_at)
        # Whatever the conversation did not explain, an agent did by hand.
        final = Status.SOLVED if target == Status.CLOSED else target
        if status != final:
            at = min(end + timedelta(minutes=rng.uniform(1, 30)), now - timedelta(seconds=30))
            at = max(at, end)
            change(at, final, writer_agent, Via.AGENT)
        solved_at = status_at if status == Status.SOLVED else None
        closed_at = None
        if target == Status.CLOSED and solved_at is not None:
            closed_at = solved_at + CLOSE_AFTER + timedelta(minutes=rng.uniform(0, 600))
            closed_at = min(closed_at, now - MINUTE)
            change(closed_at, Status.CLOSED, None, Via.SYSTEM)

        due_at = None
        if priority == Priority.URGENT or (
            slug in ("quote-request", "order") and rng.random() < 0.3
        ):
            due_at = created + timedelta(days=rng.randint(1, 10))
        row = (
            tid,
            number,
            subject[:300],
            status,
            ttype.pk if ttype else None,
            priority,
            due_at,
            contact,
            assignee,
            team,
            channel,
            None,
            created,
            max(last_event_at, times[-1]),
            first_agent,
            last_agent,
            last_customer,
            solved_at,
            status_at,
            closed_at,
        )
        self.tickets.append(row + (PRIORITY_RANK[priority],) if self.with_rank else row)


def generate(
    tickets: int,
    *,
    seed: int = 1,
    batch: int = 5000,
    agents: int = 40,
    teams: int = 6,
    password: str = DEFAULT_PASSWORD,
    now: datetime | None = None,
    history: timedelta = HISTORY,
    stdout: IO[str] | None = None,
) -> GenerateResult:
    """Fill the database with ``tickets`` generated tickets (see the module docstring)."""
    generator = Generator(
        seed=seed,
        agents=agents,
        teams=teams,
        password=password,
        now=now,
        history=history,
        stdout=stdout,
    )
    result = generator.generate(tickets, batch=batch)
    generate_surveys(seed=seed, now=generator.now)  # satisfaction answers for the solved tickets
    generate_handling_time(  # the agents' time on the new tickets
        seed=seed,
        first_number=result.first_number,
        last_number=result.last_number,
        batch=batch,
        stdout=stdout,
    )
    # Statistics for these two as well: without them the planner guessed a
    # few hundred rows for "kind = 'csat'" (there were 300,000 at a million
    # tickets) and every ticket page's survey card spent 17-38 ms in a
    # bitmap AND over that index instead of one look-up by ticket.
    _analyse_tables([SurveyInvitation, WorkEntry])
    return result


def _analyse_tables(tables: Sequence[type[models.Model]]) -> None:
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for model in tables:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")


__all__: list[str] = ["GenerateResult", "generate"]
