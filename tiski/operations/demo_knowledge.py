"""The demo desk's knowledge base: a few real-sounding articles in both languages.

Written through `tiski.knowledge.actions`, like an agent writing them in
the editor: sanitised, versioned and indexed. One article is internal and
one is a draft, so the demo shows that the help centre leaves both out.
`show_portal_and_usage` lets one organisation share its requests in the
customer portal and records articles sent on tickets, so the article
list's "Tickets solved" has figures. `make_brand` gives the service side its
own help centre at http://huolto.localhost:<port>/ (browsers send any
*.localhost to this machine), with only the devices category.
"""

from __future__ import annotations

from dataclasses import dataclass

from tiski.accounts.models import User
from tiski.customers.actions import save_organisation
from tiski.customers.models import Organisation
from tiski.knowledge import actions, public_version, search
from tiski.knowledge.models import (
    ArticleSend,
    ArticleStatus,
    Brand,
    Category,
    HelpCentreSettings,
    Section,
)
from tiski.tickets.models import Ticket


@dataclass(frozen=True)
class DemoArticle:
    section: str
    fi: tuple[str, str, str]  # title, summary, body HTML
    en: tuple[str, str, str] | None = None
    internal: bool = False
    draft: bool = False


CATEGORIES = [
    (
        "tilaukset-ja-toimitukset",
        "Tilaukset ja toimitukset",
        "Orders and delivery",
        "Tilaaminen, toimitusajat ja paketin seuranta.",
        "Ordering, delivery times and tracking.",
    ),
    (
        "laskutus-ja-maksut",
        "Laskutus ja maksut",
        "Billing and payments",
        "Laskut, eräpäivät ja maksutavat.",
        "Invoices, due dates and ways to pay.",
    ),
    (
        "laitteet-ja-huolto",
        "Laitteet ja huolto",
        "Devices and service",
        "Kahvinkeittimien ja tulostimien käyttö ja huolto.",
        "Using and servicing your devices.",
    ),
]

SECTIONS = [
    ("toimitus", "tilaukset-ja-toimitukset", "Toimitus", "Delivery", False),
    ("palautukset", "tilaukset-ja-toimitukset", "Palautukset", "Returns", False),
    ("laskut", "laskutus-ja-maksut", "Laskut", "Invoices", False),
    ("usein-kysyttya-laskuista", "laskutus-ja-maksut", "Usein kysyttyä", "FAQ", True),
    ("kahvinkeittimet", "laitteet-ja-huolto", "Kahvinkeittimet", "Coffee makers", False),
]

ARTICLES = [
    DemoArticle(
        "toimitus",
        (
            "Missä tilaukseni on?",
            "Näin seuraat pakettia tilausvahvistuksen seurantalinkistä.",
            "<p>Lähetämme seurantalinkin sähköpostiin heti, kun paketti lähtee varastolta.</p>"
            "<h2>Paketin seuraaminen</h2><ol><li>Avaa tilausvahvistus sähköpostistasi.</li>"
            "<li>Valitse <strong>Seuraa lähetystä</strong>.</li>"
            "<li>Näet paketin sijainnin ja arvioidun toimituspäivän.</li></ol>"
            '<div class="callout callout-info">'
            "<p>Toimitus kestää yleensä 2–4 arkipäivää.</p></div>",
        ),
        (
            "Where is my order?",
            "How to track your parcel with the link in your order confirmation.",
            "<p>We email you a tracking link as soon as the parcel leaves our warehouse.</p>"
            "<h2>Tracking your parcel</h2><ol><li>Open your order confirmation.</li>"
            "<li>Choose <strong>Track shipment</strong>.</li>"
            "<li>You see where the parcel is and when it should arrive.</li></ol>",
        ),
    ),
    DemoArticle(
        "toimitus",
        (
            "Toimitusosoitteen muuttaminen",
            "Toimitusosoitteen voi vaihtaa, kunnes tilaus on lähtenyt.",
            "<p>Voit muuttaa toimitusosoitetta niin kauan kuin tilauksen tila on "
            "<em>Käsittelyssä</em>.</p><ul><li>Kirjaudu verkkokauppaan.</li>"
            "<li>Avaa tilaus ja valitse <strong>Muuta osoitetta</strong>.</li></ul>"
            "<p>Jos paketti on jo matkalla, ota yhteyttä asiakaspalveluun.</p>",
        ),
        (
            "Changing the delivery address",
            "You can change the address until the order has shipped.",
            "<p>You can change the delivery address while the order is "
            "<em>Processing</em>.</p><ul><li>Sign in to the web shop.</li>"
            "<li>Open the order and choose <strong>Change address</strong>.</li></ul>",
        ),
    ),
    DemoArticle(
        "palautukset",
        (
            "Tuotteen palauttaminen",
            "Palautusoikeus on 30 päivää, ja palautus on maksuton.",
            "<p>Sinulla on 30 päivän palautusoikeus.</p><h2>Näin palautat</h2>"
            "<ol><li>Tulosta palautuslappu tilaussivulta.</li>"
            "<li>Pakkaa tuote alkuperäiseen pakkaukseen.</li>"
            "<li>Vie paketti lähimpään noutopisteeseen.</li></ol>"
            "<table><thead><tr><th>Tuote</th><th>Palautusaika</th></tr></thead>"
            "<tbody><tr><td>Laitteet</td><td>30 päivää</td></tr>"
            "<tr><td>Kahvit ja tarvikkeet</td><td>14 päivää, avaamattomana</td></tr>"
            "</tbody></table>",
        ),
        (
            "Returning a product",
            "You have 30 days to return a product, free of charge.",
            "<p>You may return products within 30 days.</p><ol>"
            "<li>Print the return label from the order page.</li>"
            "<li>Pack the product in its original box.</li>"
            "<li>Take it to your nearest pick-up point.</li></ol>",
        ),
    ),
    DemoArticle(
        "laskut",
        (
            "Laskun eräpäivän siirtäminen",
            "Eräpäivää voi siirtää kerran enintään 14 päivällä.",
            "<p>Voit siirtää laskun eräpäivää kerran, enintään 14 päivää.</p>"
            "<ul><li>Avaa lasku OmaTilillä.</li><li>Valitse <strong>Siirrä eräpäivää</strong>.</li>"
            "</ul>"
            '<div class="callout callout-warning"><p>Siirto on maksuton, jos teet sen ennen '
            "alkuperäistä eräpäivää.</p></div>",
        ),
        (
            "Moving an invoice due date",
            "You can move the due date once by up to 14 days.",
            "<p>You can move an invoice's due date once, by at most 14 days, in your account.</p>",
        ),
    ),
    DemoArticle(
        "usein-kysyttya-laskuista",
        (
            "Voinko maksaa laskun osissa?",
            "Kyllä: yli 100 euron laskun voi jakaa kolmeen erään.",
            "<p>Kyllä. Yli 100 euron laskun voi jakaa kolmeen kuukausierään ilman lisäkuluja.</p>",
        ),
        (
            "Can I pay an invoice in instalments?",
            "Yes: invoices over 100 euros can be split in three.",
            "<p>Yes. An invoice over 100 euros can be paid in three monthly instalments.</p>",
        ),
    ),
    DemoArticle(
        "usein-kysyttya-laskuista",
        (
            "Miksi sain muistutuslaskun?",
            "Muistutus lähtee, kun maksua ei näy eräpäivän jälkeen.",
            "<p>Muistutuslasku lähtee, jos maksu ei ole näkynyt meillä viiden päivän kuluessa "
            "eräpäivästä. Jos maksoit jo, muistutuksen voi jättää huomiotta.</p>",
        ),
    ),
    DemoArticle(
        "kahvinkeittimet",
        (
            "Kahvinkeittimen kalkinpoisto",
            "Kalkinpoisto kerran kuussa pitää keittimen toimivana.",
            "<p>Kova vesi jättää keittimeen kalkkia, joka hidastaa keittämistä.</p>"
            "<h2>Tarvitset</h2><ul><li>kalkinpoistoainetta</li><li>vettä</li></ul>"
            "<h2>Näin teet</h2><ol><li>Sekoita aine veteen pakkauksen ohjeen mukaan.</li>"
            "<li>Keitä seos keittimen läpi.</li><li>Keitä puhdasta vettä kahdesti.</li></ol>"
            "<pre>Ohjelma: HUOLTO → KALKINPOISTO</pre>",
        ),
        (
            "Descaling a coffee maker",
            "Descale once a month to keep the coffee maker working.",
            "<p>Hard water leaves scale that slows brewing.</p><ol>"
            "<li>Mix the descaler with water.</li><li>Run it through the machine.</li>"
            "<li>Run clean water through twice.</li></ol>",
        ),
    ),
    DemoArticle(
        "kahvinkeittimet",
        (
            "Takuukorjauksen käsittely (sisäinen)",
            "Miten takuukorjaus kirjataan ja lähetetään huoltoon.",
            "<p>Vain asiakaspalvelijoille: pyydä asiakkaalta ostokuitti ja sarjanumero, "
            "lisää tikettiin tunniste <code>takuu</code> ja tilaa nouto huoltokumppanilta.</p>",
        ),
        internal=True,
    ),
    DemoArticle(
        "palautukset",
        (
            "Vaihtotuotteen tilaaminen (luonnos)",
            "",
            "<p>Tämä ohje on vielä kesken.</p>",
        ),
        draft=True,
    ),
]


def make_knowledge_base(author: User, *, desk_name: str = "") -> int:
    """The categories, sections and articles; returns how many articles were written."""
    if Section.objects.exists():
        return 0
    categories = {
        slug: actions.create_category(
            slug,
            {"fi": {"name": fi, "description": fi_d}, "en": {"name": en, "description": en_d}},
            position,
        )
        for position, (slug, fi, en, fi_d, en_d) in enumerate(CATEGORIES)
    }
    sections = {
        slug: actions.create_section(
            categories[category],
            slug,
            {"fi": {"name": fi}, "en": {"name": en}},
            position=position,
            is_faq=faq,
        )
        for position, (slug, category, fi, en, faq) in enumerate(SECTIONS)
    }
    for demo in ARTICLES:
        title, summary, body = demo.fi
        first = actions.create_article(
            section=sections[demo.section],
            author=author,
            language="fi",
            title=title,
            description=summary,
            body_html=body,
            internal=demo.internal,
            publish=not demo.draft,
        )
        if demo.en is not None:
            title, summary, body = demo.en
            actions.save_translation(
                first.article,
                "en",
                author=author,
                title=title,
                description=summary,
                body_html=body,
                status=ArticleStatus.PUBLISHED,
            )
    if desk_name:
        row = HelpCentreSettings.load()
        row.name = desk_name
        row.footer = "Asiakaspalvelu ma–pe 8–16 · 010 123 4567"
        row.save()
    return len(ARTICLES)


# The organisation whose people share their requests in the demo's portal.
SHARING_ORGANISATION = "Kahvila Kuppi Oy"
# How many tickets an agent answered with an article from the knowledge base.
ANSWERED_WITH_ARTICLES = 40


def show_portal_and_usage(admin: User) -> None:
    """One organisation shares its requests in the portal, and agents have sent
    articles on tickets, most of them solved since: the article list's counts."""
    organisation = Organisation.objects.filter(name=SHARING_ORGANISATION).first()
    if organisation is not None and organisation.portal_shared is None:
        save_organisation(
            organisation,
            actor=admin,
            name=organisation.name,
            domains=list(organisation.domains.values_list("domain", flat=True)),
            notes=organisation.notes,
            portal_shared=True,
        )
    if ArticleSend.objects.exists():
        return
    sent = 0
    for ticket in Ticket.objects.filter(assignee__isnull=False).order_by("number"):
        language = ticket.requester.language if ticket.requester_id else "fi"
        # What the ticket page's side panel suggested to the agent.
        hits = search.suggest(ticket.subject, language, scope=search.AGENT, limit=1)
        if hits:
            actions.record_send(hits[0].translation.article, ticket, ticket.assignee)
            sent += 1
        if sent >= ANSWERED_WITH_ARTICLES:
            break


# A second help centre for the maintenance side, on its own host name. Any
# *.localhost name reaches this machine in a browser, and ALLOWED_HOSTS does
# not cover it, so it is a brand host (portal/hosts.py) in the demo as it
# would be at tuki.example.fi in production.
BRAND_HOST = "huolto.localhost"


def make_brand() -> Brand:
    brand, created = Brand.objects.get_or_create(
        host=BRAND_HOST,
        defaults={
            "name": "Papumylly Huolto",
            "colour": "#7a3b12",
            "footer": "Huoltopalvelu ma–pe 7–17 · 010 123 4568",
            "footer_links": "Papumylly Oy | https://www.papumylly.example",
            "language": "fi",
            "tag": "huolto",
        },
    )
    if created:
        brand.categories.set(Category.objects.filter(slug="laitteet-ja-huolto"))
        public_version.bump()
    return brand
