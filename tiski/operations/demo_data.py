"""A believable desk to click around in: `tiski demo` fills an empty database.

The company is Papumylly Oy, a fictional Finnish webshop for coffee machines,
grinders, beans and accessories. Everything is generated from a seeded
``random.Random`` so two runs with the same seed give the same desk, and every
ticket is written through the ticket actions (create_ticket, add_message,
update_ticket) with back-dated ``created_at`` values. That way the demo has
the same events, report timestamps and status history as real traffic, and
shows off the audit trail instead of hiding it.

The customer and agent texts are demo *content* (what customers would type),
not interface strings, so they are plain Finnish or English data rather than
gettext messages; only what we print to the operator is translated.
"""

from __future__ import annotations

import random
import unicodedata
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import IO, NamedTuple
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Count, F
from django.utils import timezone
from django.utils.translation import gettext as _

from tiski.accounts.models import Role, Team, User
from tiski.customers.actions import add_identity, get_or_create_contact
from tiski.customers.models import Contact, IdentityKind, Organisation, OrganisationDomain
from tiski.macros.models import Macro
from tiski.macros.services import render_for
from tiski.rules.models import TimeRule
from tiski.surveys.demo import add_csat_history
from tiski.tickets import actions, changes, custom_fields
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
from tiski.tickets.routing import hand_over_absences

from . import demo_api, demo_fields, demo_knowledge, demo_messaging, demo_sms
from . import demo_showcase as showcase
from .demo_collab import show_collaboration
from .demo_files import demo_attachment

HELSINKI = ZoneInfo("Europe/Helsinki")
SHOP = "Papumylly"
SHOP_DOMAIN = "papumylly.example"
SUPPORT = "Asiakastuki"
SALES = "Myynti"
TICKET_COUNT = 200
CHILD_COUNT = 6
HISTORY_DAYS = 60
# Solved tickets are closed by the shipped time rule this long after solving.
CLOSE_AFTER = timedelta(days=4)
# The shipped rules remind a customer after 3 days pending and solve after 7:
# older demo tickets would have moved on, so only younger ones wait.
PENDING_MAX_AGE = timedelta(days=2, hours=20)
# The time rules run every few minutes: how late after its moment a rule acts.
RULE_PASS = timedelta(minutes=5)


# --- people -----------------------------------------------------------------


@dataclass(frozen=True)
class DemoAgent:
    email: str
    name: str
    role: str
    teams: tuple[str, ...]
    language: str = "fi"
    out_of_office: bool = False


AGENTS = (
    DemoAgent("admin@tiski.example", "Sanna Korhonen", Role.ADMIN, (SUPPORT, SALES)),
    DemoAgent("mikko.virtanen@tiski.example", "Mikko Virtanen", Role.AGENT, (SUPPORT,)),
    DemoAgent(
        "laura.heikkinen@tiski.example",
        "Laura Heikkinen",
        Role.AGENT,
        (SUPPORT,),
        out_of_office=True,
    ),
    DemoAgent(
        "jussi.nieminen@tiski.example", "Jussi Nieminen", Role.AGENT, (SALES,), language="en"
    ),
    DemoAgent("pekka.lahtinen@tiski.example", "Pekka Lahtinen", Role.LIGHT_AGENT, (SUPPORT, SALES)),
)

TEAMS = (
    (SUPPORT, "Tilaukset, toimitukset, reklamaatiot ja laitetuki."),
    (SALES, "Tarjoukset, yritysasiakkaat ja jälleenmyyjät."),
)

# (name, domain, English-speaking)
ORGANISATIONS = (
    ("Kahvila Kuppi Oy", "kahvilakuppi.example", False),
    ("Rakennus Laine Oy", "rakennuslaine.example", False),
    ("Tilitoimisto Numerot Ky", "numerot.example", False),
    ("Hotelli Järvenranta Oy", "jarvenranta.example", False),
    ("Mainostoimisto Kipinä Oy", "kipina.example", False),
    ("Asianajotoimisto Virta & Salo Oy", "virtasalo.example", False),
    ("Hämeen Metalli Oy", "hameenmetalli.example", False),
    ("Koodiverstas Oy", "koodiverstas.example", False),
    ("Kauneushoitola Helmi", "hoitolahelmi.example", False),
    ("Lounasravintola Pata Oy", "ravintolapata.example", False),
    ("Nordic Freight Solutions Ltd", "nordicfreight.example", True),
    ("Baltic Design Studio", "balticdesign.example", True),
)
PRIVATE_DOMAINS_FI = ("kotiposti.example", "netti.example", "sahkoposti.example")
PRIVATE_DOMAINS_EN = ("mailbox.example", "inbox.example")

FIRST_NAMES_FI = (
    "Aino",
    "Eero",
    "Helmi",
    "Juha",
    "Kaisa",
    "Lauri",
    "Minna",
    "Ville",
    "Oona",
    "Timo",
    "Riikka",
    "Antti",
    "Satu",
    "Olli",
    "Tiina",
    "Markku",
    "Elina",
    "Jari",
    "Hanna",
    "Petri",
    "Noora",
    "Kari",
    "Leena",
    "Tuomas",
    "Sari",
    "Janne",
    "Heidi",
    "Matti",
    "Anu",
    "Sami",
)
LAST_NAMES_FI = (
    "Mäkinen",
    "Järvinen",
    "Lehtonen",
    "Koskinen",
    "Salonen",
    "Hämäläinen",
    "Laaksonen",
    "Rantanen",
    "Karjalainen",
    "Tuominen",
    "Lindholm",
    "Savolainen",
    "Kettunen",
    "Ahonen",
    "Peltonen",
    "Räsänen",
    "Jokinen",
    "Leinonen",
    "Heiskanen",
    "Turunen",
    "Seppälä",
    "Nurmi",
)
FIRST_NAMES_EN = (
    "Emily",
    "James",
    "Sophie",
    "Daniel",
    "Olivia",
    "Thomas",
    "Grace",
    "Mark",
    "Laura",
    "Peter",
    "Hannah",
    "Ian",
)
LAST_NAMES_EN = (
    "Smith",
    "Taylor",
    "Brown",
    "Wilson",
    "Evans",
    "Clarke",
    "Hughes",
    "Walker",
    "Bennett",
    "Reid",
)

PRODUCTS = (
    "Papumylly Aroma 12",
    "Papumylly Barista Pro",
    "Papumylly Automatica X5",
    "Kahvikulta Duo",
    "Kahvikulta Classic 10",
    "Moka Rapido 300",
)
OFFICE_MACHINES = ("Papumylly Automatica X5", "Papumylly Office 200", "Kahvikulta Business 8")


# --- conversations ------------------------------------------------------------


class Script(NamedTuple):
    """One language's text for a scenario; ``{placeholders}`` vary per ticket.

    ``question`` is the agent's first reply (it asks for something or gives a
    first answer), ``follow_up`` the customer's answer to it, ``answer`` the
    reply that solves the ticket and ``note`` an internal note.
    """

    subject: str
    opening: str
    question: str
    follow_up: str
    answer: str
    note: str


@dataclass(frozen=True)
class Scenario:
    type_slug: str
    team: str | None
    tags: tuple[str, ...]
    fi: Script
    en: Script | None = None
    business: bool = False  # needs a requester from an organisation
    priorities: tuple[int, int, int, int] = (15, 60, 20, 5)  # low, normal, high, urgent
    # (step, file kind): what the customer or agent attaches at that step
    files: tuple[tuple[str, str], ...] = ()
    # (step, ready answer shortcut): the agent writes that step with the ready answer
    macros: tuple[tuple[str, str], ...] = ()


SCENARIOS: tuple[Scenario, ...] = (
    Scenario(
        "order",
        SUPPORT,
        ("toimitus",),
        Script(
            "Tilaus {order} ei ole vielä saapunut",
            "Tilasin {date} verkkokaupastanne tuotteen {product}, tilausnumero {order}. "
            "Tilausvahvistuksen mukaan toimitusaika oli 2–4 arkipäivää, mutta pakettia ei ole "
            "kuulunut eikä seurantakoodia ole tullut. Voisitteko tarkistaa, missä tilaus menee?",
            "Kiitos viestistäsi ja pahoittelut viivästyksestä. Tilauksesi {order} on lähtenyt "
            "varastoltamme ja on Postin kuljetuksessa seurantakoodilla {tracking}. Voisitko vielä "
            "vahvistaa, että toimitusosoite on oikein, niin pyydän Postia selvittämään lähetyksen?",
            "Osoite on oikein. Seurannan mukaan paketti on ollut lajittelukeskuksessa jo neljä "
            "päivää.",
            "Tein Postille selvityspyynnön, ja lähetys on nyt matkalla valitsemaasi "
            "pakettiautomaattiin. Saat noutoilmoituksen tekstiviestinä huomenna. Hyvitimme "
            "viivästyksen vuoksi toimituskulut maksutavallesi.",
            "Posti vahvisti, että lähetys {tracking} oli jumissa Vantaan lajittelussa. "
            "Toimituskulut 6,90 € hyvitetty.",
        ),
        Script(
            "Order {order} has not arrived",
            "I ordered a {product} from your web shop on {date_en}, order number {order}. The "
            "confirmation said delivery takes 2–4 working days, but nothing has arrived and I "
            "never got a tracking code. Could you check where my order is?",
            "Thank you for your message and sorry for the delay. Your order {order} has left our "
            "warehouse and is with Posti, tracking code {tracking}. Could you confirm your "
            "delivery address so I can ask Posti to look into it?",
            "The address is correct. Tracking says the parcel has been at the sorting centre "
            "for four days.",
            "I filed an enquiry with Posti and the parcel is now on its way to your parcel "
            "locker; you will get a text message tomorrow. We have refunded the shipping fee "
            "for the trouble.",
            "Posti confirmed {tracking} was stuck in the Vantaa sorting centre. Shipping fee "
            "refunded.",
        ),
    ),
    Scenario(
        "complaint",
        SUPPORT,
        ("reklamaatio", "takuu"),
        Script(
            "Reklamaatio: {product} ei käynnisty",
            "Ostin teiltä keittimen {product} noin kaksi kuukautta sitten (tilaus {order}). Eilen "
            "aamulla se ei enää käynnistynyt: virtavalo vilkkuu punaisena eikä laite lämpene. "
            "Olen kokeillut toista pistorasiaa ja tehnyt kalkinpoiston. Laite on takuussa, miten "
            "toimitaan?",
            "Ikävä kuulla, että keittimesi on rikki. Laite on takuussa, joten hoidamme asian. "
            "Voisitko lähettää kuvan laitteen pohjassa olevasta tyyppikilvestä, josta näkyy "
            "sarjanumero? Sen jälkeen saat maksuttoman palautustarran.",
            "Tässä kuva tyyppikilvestä, sarjanumero on {serial}. Toivottavasti uusi laite tulee "
            "pian, aamut ilman kahvia ovat vaikeita!",
            "Kiitos! Vika on selvästi laitteessa, joten lähetimme sinulle suoraan uuden keittimen. "
            "Se lähtee tänään, ja paketissa on palautustarra vanhalle laitteelle. Palautathan "
            "rikkinäisen keittimen 14 päivän kuluessa.",
            "Sarjanumero {serial} kuuluu erään, jossa on ollut lämmitysvastuksen vikoja. "
            "Korvaava laite lähetetty, vanha huoltoon tutkittavaksi.",
        ),
        Script(
            "Complaint: {product} will not turn on",
            "I bought a {product} from you about two months ago (order {order}). Yesterday "
            "morning it stopped working: the power light blinks red and it does not heat up. I "
            "tried another socket and descaled it. It is under warranty, what should I do?",
            "Sorry to hear your machine has broken down. It is under warranty, so we will sort "
            "it out. Could you send a photo of the rating plate under the machine showing the "
            "serial number? We will then send you a free return label.",
            "Here is the photo, the serial number is {serial}. Hope the new one comes soon, "
            "mornings without coffee are hard!",
            "Thanks! The fault is clearly in the machine, so we are sending you a new one today "
            "with a return label for the old one in the box. Please return the faulty machine "
            "within 14 days.",
            "Serial {serial} is from the batch with heating element faults. Replacement sent.",
        ),
        priorities=(0, 35, 50, 15),
        files=(("follow_up", "rating_plate"),),
    ),
    Scenario(
        "quote-request",
        SALES,
        ("tarjous", "yritysasiakas"),
        Script(
            "Tarjouspyyntö: kahviautomaatti toimistoon",
            "Olemme {company} ja muutamme uusiin toimitiloihin ensi kuussa. Tarvitsisimme "
            "kahviautomaatin noin 40 hengen toimistoon, mieluiten papukeittimen, joka tekee myös "
            "maitokahvit. Pyytäisin tarjousta laitteesta ja huoltosopimuksesta. Onko teillä myös "
            "leasing-vaihtoehtoa?",
            "Kiitos tarjouspyynnöstä! 40 hengen toimistoon suosittelemme automaattia "
            "{office_machine}, joka tekee tarvittaessa yli 150 kuppia päivässä. Tarkkaa tarjousta "
            "varten: onko tiloissa vesiliitäntä ja montako kuppia arvioitte juotavan päivässä?",
            "Keittiössä on vesiliitäntä. Arvioisin noin sata kuppia päivässä, kahvinjuojia "
            "riittää.",
            "Liitteenä tarjous: {office_machine} vesiliitäntäasennuksella {price} € (alv 0 %), "
            "huoltosopimus 39 €/kk sisältäen kaksi huoltokäyntiä vuodessa. Leasing 36 kk onnistuu "
            "hintaan 119 €/kk. Tarjous on voimassa 30 päivää. Sovitaanko lyhyt esittelykäynti?",
            "Iso toimisto, mahdollisesti lisää laitteita muihin toimipisteisiin. Seuraa kahden "
            "viikon päästä.",
        ),
        Script(
            "Quote request: coffee machine for our office",
            "We are {company} and moving to new premises next month. We need a coffee machine "
            "for an office of about 40 people, ideally bean-to-cup with milk drinks. Could you "
            "quote the machine and a service contract? Do you offer leasing?",
            "Thank you for your request! For 40 people we recommend the {office_machine}, which "
            "easily makes 150 cups a day. To quote exactly: is there a water connection, and how "
            "many cups a day do you expect?",
            "There is a water connection in the kitchen. About a hundred cups a day, I'd say.",
            "Please find our quote attached: {office_machine} with water connection installed "
            "{price} € (excl. VAT), service contract 39 €/month with two visits a year. A 36-month "
            "lease is 119 €/month. The quote is valid for 30 days. Shall we book a demo visit?",
            "Large office, possibly more sites later. Follow up in two weeks.",
        ),
        business=True,
        priorities=(10, 60, 25, 5),
    ),
    Scenario(
        "question",
        SUPPORT,
        ("lasku",),
        Script(
            "Laskussa {invoice} väärä summa",
            "Sain laskun {invoice}, jonka summa on {amount} €. Tilaukseni {order} loppusumma "
            "kassalla oli kuitenkin noin 20 € pienempi, koska käytin alennuskoodia. Alennus ei "
            "näytä olevan mukana laskussa. Voisitteko korjata?",
            "Kiitos, kun huomautit. Tarkistan asian laskutuksesta. Muistatko, mikä alennuskoodi "
            "tilauksessa oli käytössä?",
            "Koodi oli KEVÄT20, se tuli uutiskirjeessänne.",
            "Alennus oli pudonnut laskulta järjestelmävirheen vuoksi. Mitätöimme laskun {invoice} "
            "ja lähetimme uuden, oikean laskun sähköpostiisi. Eräpäivä siirtyy kahdella viikolla. "
            "Pahoittelemme vaivaa!",
            "Alennuskoodi KEVÄT20 ei siirtynyt laskulle. Ilmoitettu verkkokaupan kehittäjille.",
        ),
        Script(
            "Wrong amount on invoice {invoice}",
            "I received invoice {invoice} for {amount} €. The total at checkout for order "
            "{order} was about 20 € less because I used a discount code, which seems to be "
            "missing from the invoice. Could you correct it?",
            "Thank you for pointing this out, I'll check with billing. Do you remember which "
            "discount code you used?",
            "It was SPRING20, from your newsletter.",
            "The discount was dropped from the invoice by a system error. We have cancelled "
            "invoice {invoice} and emailed you a corrected one with the due date moved by two "
            "weeks. Sorry for the trouble!",
            "Discount code not carried to the invoice. Reported to the web shop developers.",
        ),
        files=(("answer", "invoice"),),
    ),
    Scenario(
        "support-request",
        SUPPORT,
        ("verkkokauppa", "tili"),
        Script(
            "Salasana unohtunut, en pääse kirjautumaan",
            "En pääse kirjautumaan verkkokauppaanne. Olen yrittänyt salasanan palautusta, mutta "
            "viestiä ei tule sähköpostiini eikä roskapostiin. Tililläni on keskeneräinen tilaus "
            "ja kanta-asiakasetuja.",
            "Kiitos yhteydenotosta. Tilisi löytyy osoitteellasi, ja lähetin juuri uuden "
            "palautuslinkin. Tuliko viesti nyt perille? Linkki on voimassa tunnin.",
            "Nyt tuli, mutta linkki sanoo, että se on vanhentunut.",
            "Pahoittelut, linkkien voimassaolossa oli vika, joka on nyt korjattu. Lähetin uuden "
            "linkin, jonka pitäisi toimia. Kanta-asiakasetusi ja ostoskorisi ovat tallessa.",
            "Sama palautuslinkkiongelma kolmella asiakkaalla tällä viikolla, ilmoitettu "
            "kehitykseen.",
        ),
        Script(
            "Forgot my password, cannot log in",
            "I can't log in to your web shop. I tried resetting my password but the email never "
            "arrives, not even in spam. I have an unfinished order and loyalty benefits on my "
            "account.",
            "Thanks for getting in touch. Your account exists and I have just sent a new reset "
            "link. Did it arrive this time? The link is valid for an hour.",
            "It arrived, but the link says it has expired.",
            "Sorry, there was a bug in the link expiry which is now fixed. I sent you a new link "
            "that should work. Your benefits and basket are safe.",
            "Same reset link problem for three customers this week, reported to development.",
        ),
    ),
    Scenario(
        "question",
        SUPPORT,
        ("huolto", "ohjeet"),
        Script(
            "Kalkinpoisto-ohjeet keittimeen {product}",
            "Keittimen näyttöön tuli ilmoitus kalkinpoistosta, mutta käyttöohje on hukassa. Miten "
            "kalkinpoisto tehdään ja mitä ainetta suosittelette?",
            "Kalkinpoisto tehdään näin: 1) tyhjennä vesisäiliö ja täytä se puolella litralla "
            "vettä ja kalkinpoistoainetta, 2) aseta astia höyryputken alle, 3) valitse Huolto > "
            "Kalkinpoisto ja seuraa näytön ohjeita. Ohjelma kestää noin 25 minuuttia. "
            "Suosittelemme omaa kalkinpoistoainettamme (500 ml). Onnistuiko?",
            "Kiitos, onnistui! Kuinka usein kalkinpoisto pitäisi tehdä?",
            "Hienoa! Kalkinpoisto kannattaa tehdä 2–3 kuukauden välein tai aina, kun keitin sitä "
            "pyytää. Vedensuodatin pidentää väliä. Käyttöohjeen PDF löytyy tuotesivulta.",
            "Tämä kysytään usein: lisätään kalkinpoisto-ohje ohjepankkiin.",
        ),
        Script(
            "How do I descale my {product}?",
            "My machine says it needs descaling but I have lost the manual. How do I do it and "
            "which descaler do you recommend?",
            "Here's how: 1) empty the water tank and fill it with half a litre of water and "
            "descaler, 2) put a container under the steam wand, 3) choose Maintenance > "
            "Descaling and follow the display. It takes about 25 minutes. We recommend our own "
            "descaler (500 ml). Did it work?",
            "Thanks, that worked! How often should I descale?",
            "Great! Every 2–3 months or whenever the machine asks. A water filter makes the "
            "interval longer. The manual PDF is on the product page.",
            "Frequently asked: add a descaling guide to the help centre.",
        ),
        priorities=(40, 55, 5, 0),
    ),
    Scenario(
        "order",
        SUPPORT,
        ("tilausmuutos",),
        Script(
            "Muutos tilaukseen {order}",
            "Tein tilauksen {order} tänä aamuna. Haluaisin vaihtaa keittimen värin mustasta "
            "valkoiseen ja lisätä tilaukseen kaksi pulloa kalkinpoistoainetta. Ehtiikö muutoksen "
            "vielä tehdä?",
            "Ehtii! Tilauksesi ei ole vielä keräilyssä, ja valkoista on varastossa. Lisäykset "
            "nostavat summaa 19,80 €. Hyväksytkö muutoksen, niin päivitän tilauksen?",
            "Kyllä, hyväksyn.",
            "Tilaus {order} on päivitetty ja uusi tilausvahvistus lähetetty. Toimitus lähtee "
            "huomenna.",
            "Ilmoitettu varastolle muutoksesta ennen keräilyä.",
        ),
    ),
    Scenario(
        "order",
        SUPPORT,
        ("palautus",),
        Script(
            "Palautus: {product}",
            "Haluaisin palauttaa tilaamani keittimen {product} (tilaus {order}). Laite on "
            "avaamaton, mutta se ei mahdu keittiön yläkaappien alle. Miten palautus tehdään?",
            "Avaamattoman tuotteen voi palauttaa 30 päivän kuluessa. Lähetin sähköpostiisi "
            "palautustarran. Haluatko rahat takaisin vai vaihdatko tuotteen matalampaan malliin?",
            "Rahat takaisin riittää, kiitos.",
            "Palautus on saapunut varastolle ja {amount} € on hyvitetty maksutavallesi. Summa "
            "näkyy tililläsi muutaman päivän kuluessa.",
            "Palautus tarkastettu, tuote myyntikuntoinen.",
        ),
        Script(
            "Return: {product}",
            "I'd like to return the {product} I ordered (order {order}). It is unopened, but "
            "it doesn't fit under our kitchen cabinets. How do I return it?",
            "Unopened items can be returned within 30 days; I've emailed you a return label. "
            "Would you like a refund or to exchange it for a lower model?",
            "A refund is fine, thanks.",
            "Your return has reached our warehouse and {amount} € has been refunded to your "
            "payment method. It should show in a few days.",
            "Return checked, item resaleable.",
        ),
        priorities=(30, 65, 5, 0),
        files=(("question", "return_label"),),
    ),
    Scenario(
        "complaint",
        SUPPORT,
        ("reklamaatio", "väärä-tuote"),
        Script(
            "Sain väärän tuotteen",
            "Tilasin keittimen {product}, mutta paketissa oli aivan eri malli. Tilausnumero on "
            "{order}. Tarvitsisin oikean laitteen pian, koska se on lahja ensi viikolle.",
            "Pahoittelemme sekaannusta! Lähetämme oikean tuotteen pikatoimituksena. Onko väärä "
            "tuote vielä avaamattomassa pakkauksessa?",
            "On avaamaton, laitoin sen takaisin laatikkoon.",
            "Oikea {product} lähti pikatoimituksena ja on perillä huomenna. Kuljettaja noutaa "
            "väärän tuotteen samalla käynnillä, palautustarra tulee mukana.",
            "Keräilyvirhe: hyllypaikat vierekkäin, pyydetty varastoa merkitsemään selkeämmin.",
        ),
        Script(
            "I received the wrong product",
            "I ordered a {product} but the box contained a different model. Order number "
            "{order}. I need the right one soon, it's a present for next week.",
            "Sorry about the mix-up! We'll send the right product by express. Is the wrong one "
            "still unopened?",
            "Yes, unopened, I put it back in the box.",
            "The correct {product} went out by express and arrives tomorrow. The driver will "
            "collect the wrong one on the same visit.",
            "Picking error: shelf locations next to each other, asked the warehouse to relabel.",
        ),
        priorities=(0, 40, 50, 10),
    ),
    Scenario(
        "support-request",
        SUPPORT,
        ("huolto", "kahvimylly"),
        Script(
            "Kahvimylly pitää kovaa ääntä",
            "Myllärin M3 -kahvimyllymme on alkanut rahista kovaa, ja jauhatus on epätasaista. "
            "Mylly on noin vuoden vanha. Voiko sen puhdistaa itse, vai pitääkö se lähettää "
            "huoltoon?",
            "Syynä on usein myllyyn joutunut pieni kivi tai kahvipölyn kertyminen teriin. Irrota "
            "yläterä kiertämällä vastapäivään ja puhdista terät harjalla. Auttoiko puhdistus?",
            "Terien välistä löytyi pieni kivi. Ääni on nyt pienempi, mutta ei täysin poissa.",
            "Kivi on voinut vaurioittaa terää. Lähetämme takuun puitteissa uuden teräsarjan, "
            "jonka vaihto onnistuu kotona; vaihto-ohje on paketissa.",
            "Takuuvaihto: teräsarja M3 lähetetty veloituksetta.",
        ),
    ),
    Scenario(
        "lead",
        SALES,
        ("jälleenmyynti",),
        Script(
            "Jälleenmyyntiyhteistyö",
            "Olemme {company} ja pyöritämme kahvilaa, jonka yhteydessä on pieni myymälä. "
            "Haluaisimme myydä kahvimyllyjä ja tarvikkeita. Millaiset jälleenmyyntiehdot teillä "
            "on?",
            "Kiitos kiinnostuksesta! Jälleenmyyjille meillä on porrastettu alennus alkaen 25 %, "
            "kun vuosiostot ylittävät 3 000 €. Mitkä tuoteryhmät kiinnostavat ja kuinka iso "
            "myymälä on?",
            "Erityisesti myllyt ja maitovaahdottimet. Myymälä on noin 60 neliötä.",
            "Lähetin sähköpostitse sopimusluonnoksen ja jälleenmyyjähinnaston. Voin tulla "
            "esittelemään tuotteet paikan päälle, sopisiko ensi viikko?",
            "Hyvä liidi, kahvila keskustassa. Lisätty myynnin seurantalistaan.",
        ),
        business=True,
        priorities=(20, 65, 15, 0),
    ),
    Scenario(
        "question",
        None,
        ("lasku",),
        Script(
            "Kopio laskusta tilaukselle {order}",
            "Tarvitsisin kirjanpitoa varten kopion laskusta tilaukselle {order}. Laskussa pitäisi "
            "näkyä yrityksemme nimi {company} ja Y-tunnus.",
            "Lähetin laskukopion sähköpostiisi, ja lisäsin siihen yrityksenne nimen ja "
            "Y-tunnuksen. Löytyikö kaikki tarvittava?",
            "Löytyi, kiitos! Voisivatko laskut jatkossa tulla verkkolaskuina?",
            "Onnistuu. Päivitimme verkkolaskuosoitteenne asiakastietoihin, joten seuraavat laskut "
            "tulevat suoraan taloushallintoonne.",
            "Verkkolaskuosoite päivitetty asiakasrekisteriin.",
        ),
        Script(
            "Copy of the invoice for order {order}",
            "For our bookkeeping I need a copy of the invoice for order {order}, showing our "
            "company name {company} and business ID.",
            "I've emailed you a copy with your company name and business ID added. Is "
            "everything there?",
            "Yes, thanks! Could future invoices come as e-invoices?",
            "Sure. We've added your e-invoice address to your customer details, so the next "
            "invoices go straight to your accounting system.",
            "E-invoice address updated in the customer register.",
        ),
        business=True,
        priorities=(45, 55, 0, 0),
        files=(("question", "invoice"),),
    ),
    Scenario(
        "quote-request",
        SALES,
        ("tarjous", "kahvipavut"),
        Script(
            "Tarjous: kahvipavut kuukausittain",
            "Haluaisimme tilata toimistollemme kahvipapuja säännöllisesti, noin {qty} kg "
            "kuukaudessa. Onko teillä kestotilausta ja määräalennuksia?",
            "Kestotilaus onnistuu! Yli 10 kilon kuukausitilauksissa alennus on 15 %. Millainen "
            "paahto teillä maistuu? Voimme lähettää maistiaispakkauksen.",
            "Maistiaiset olisivat hienoja. Toimistolla juodaan enimmäkseen tummaa paahtoa.",
            "Maistiaispakkaus (kolme tummaa paahtoa) lähti tänään. Liitteenä tarjous "
            "kestotilauksesta {qty} kg/kk, hinta {price} € kuukaudessa toimituksineen.",
            "Seuraa maistiaisten jälkeen, soitto viikon päästä.",
        ),
        business=True,
        priorities=(20, 70, 10, 0),
    ),
    Scenario(
        "complaint",
        SUPPORT,
        ("reklamaatio", "kuljetusvaurio"),
        Script(
            "Paketti saapui rikkinäisenä",
            "Tilaukseni {order} tuli tänään, mutta laatikko oli pahasti ruttaantunut ja keittimen "
            "{product} vesisäiliö on haljennut. Otin kuvat paketista ja laitteesta.",
            "Olipa ikävä yllätys, pahoittelut! Hoidamme kuljetusvauriot nopeasti. Voisitko "
            "lähettää kuvat vastauksena tähän viestiin?",
            "Tässä kuvat laatikosta ja säiliöstä.",
            "Kiitos kuvista. Lähetämme uuden vesisäiliön heti, eikä rikkinäistä osaa tarvitse "
            "palauttaa. Teimme kuljetusyhtiölle vahinkoilmoituksen.",
            "Vahinkoilmoitus tehty Postille, lähetys {tracking}.",
        ),
        Script(
            "Parcel arrived damaged",
            "My order {order} arrived today but the box was badly crushed and the water tank "
            "of the {product} is cracked. I took photos of the parcel and the machine.",
            "What a nasty surprise, sorry! We handle transport damage quickly. Could you reply "
            "with the photos?",
            "Photos of the box and the tank attached.",
            "Thanks for the photos. A new water tank is on its way and you don't need to return "
            "the broken part. We have filed a damage report with the carrier.",
            "Damage report filed with Posti for {tracking}.",
        ),
        priorities=(0, 45, 45, 10),
        files=(("follow_up", "damaged_parcel"),),
        macros=(("question", "kuvat"),),
    ),
    Scenario(
        "question",
        SUPPORT,
        ("takuu",),
        Script(
            "Takuun kesto",
            "Kuinka pitkä takuu keittimellä {product} on? Ostin sen viime vuonna joulun alla. "
            "Onko takuu voimassa, jos olen itse vaihtanut tiivisteen?",
            "Laitteilla on kahden vuoden takuu ostopäivästä. Tiivisteen vaihto ei vaikuta "
            "takuuseen, kun käytetty osa on alkuperäinen. Mistä tiiviste oli hankittu?",
            "Ostin sen teiltä viime keväänä.",
            "Silloin kaikki on kunnossa: takuusi on voimassa joulukuuhun asti. Kuitti löytyy "
            "tililtäsi kohdasta Tilaukset, jos sitä joskus tarvitaan.",
            "Tarkistettu tilaushistoriasta: alkuperäinen tiiviste ostettu meiltä.",
        ),
        priorities=(45, 55, 0, 0),
    ),
    Scenario(
        "support-request",
        SUPPORT,
        ("käyttöopastus",),
        Script(
            "Espresso maistuu happamalta",
            "Uusi {product} tekee espressoa, joka maistuu happamalta ja vetiseltä. Käytän tummaa "
            "paahtoa. Mitä voisin säätää?",
            "Hapan ja vetinen espresso kertoo yleensä liian karkeasta jauhatuksesta. Säädä "
            "jauhatusta kaksi pykälää hienommaksi. Kuinka monta sekuntia uutto kestää nyt?",
            "Uutto kesti noin 15 sekuntia. Hienommalla jauhatuksella 24 sekuntia, ja maku on "
            "paljon parempi!",
            "Loistavaa, noin 25 sekuntia on hyvä tavoite. Mukavia kahvihetkiä!",
            "Lisätään jauhatuksen säätö uusien asiakkaiden tervetuloviestiin.",
        ),
        Script(
            "Espresso tastes sour",
            "My new {product} makes espresso that tastes sour and watery. I use a dark roast. "
            "What should I adjust?",
            "Sour and watery usually means the grind is too coarse. Try two steps finer. How "
            "many seconds does the shot take now?",
            "About 15 seconds. With a finer grind it's 24 and tastes much better!",
            "Brilliant, around 25 seconds is a good target. Enjoy your coffee!",
            "Add grind adjustment tips to the welcome email.",
        ),
        priorities=(35, 60, 5, 0),
    ),
    Scenario(
        "order",
        SALES,
        ("yritysasiakas",),
        Script(
            "Tilaus: viisi keitintä toimipisteisiin",
            "Tilaisimme viisi keitintä {product} toimipisteisiimme laskulla. Toimitus eri "
            "osoitteisiin, lista liitteenä. Laskutus {company}, viitteenä {order}.",
            "Kiitos tilauksesta! Laskutus onnistuu 14 päivän maksuajalla. Onko kaikissa "
            "osoitteissa vastaanottaja paikalla arkisin klo 8–16?",
            "Kyllä, kaikissa toimipisteissä on henkilökuntaa arkisin.",
            "Tilaus on vahvistettu ja laitteet lähtevät huomenna. Jokaiseen osoitteeseen tulee "
            "oma seurantakoodi tekstiviestinä.",
            "Yritystilaus, 10 % määräalennus hyväksytty.",
        ),
        business=True,
        priorities=(5, 60, 30, 5),
    ),
    Scenario(
        "order",
        SUPPORT,
        ("toimitus",),
        Script(
            "Toimitusosoitteen muutos tilaukseen {order}",
            "Huomasin, että tilauksessa {order} on vanha osoitteeni. Voisitteko vaihtaa "
            "toimituksen uuteen osoitteeseen Rantakatu 14 B 9, 40100 Jyväskylä?",
            "Tilaus on jo lähtenyt, mutta voimme pyytää Postia ohjaamaan sen. Onko "
            "pakettiautomaatti uuden kodin lähellä sinulle sopiva?",
            "Automaatti sopii hyvin, kiitos.",
            "Posti ohjaa lähetyksen {tracking} uutta osoitettasi lähimpään automaattiin. Saat "
            "noutoilmoituksen tekstiviestinä.",
            "Osoitteenmuutos Postin yrityspalvelun kautta tehty.",
        ),
    ),
    Scenario(
        "question",
        None,
        ("lahjakortti",),
        Script(
            "Lahjakortti ei kelpaa kassalla",
            "Sain lahjaksi teidän lahjakorttinne, mutta verkkokauppa ei hyväksy koodia kassalla. "
            "Koodi on {giftcode}. Mitä teen väärin?",
            "Tarkistin koodin: lahjakortti on voimassa ja saldoa on 50 €. Kirjoititko koodin "
            "väliviivojen kanssa? Kassa vaatii muodon, jossa väliviivat ovat mukana.",
            "Ilman viivoja kirjoitin. Nyt meni läpi!",
            "Hienoa, että onnistui! Korjaamme kassan hyväksymään koodin myös ilman väliviivoja.",
            "Kassan koodikenttä on liian tarkka väliviivojen suhteen, tiketti kehitykselle.",
        ),
        priorities=(30, 65, 5, 0),
    ),
    Scenario(
        "complaint",
        SUPPORT,
        ("reklamaatio", "maitovaahdotin"),
        Script(
            "Maitovaahdotin vuotaa",
            "Kuohu-maitovaahdotin, jonka ostin kuukausi sitten (tilaus {order}), vuotaa pohjasta. "
            "Pöytä on joka kerta märkä. Voiko tiivisteen vaihtaa vai onko laite viallinen?",
            "Kiitos ilmoituksesta. Vuoto pohjasta viittaa viallisen kannen tiivisteeseen. Onko "
            "vaahdotin pesty astianpesukoneessa? Pohjaosaa ei saa pestä koneessa.",
            "Ei ole, olen pessyt sen käsin ohjeiden mukaan.",
            "Silloin kyse on valmistusviasta. Lähetimme uuden vaahdottimen, ja vanhan voi "
            "kierrättää sähkölaiteromuna, sitä ei tarvitse palauttaa.",
            "Kolmas vuotava Kuohu tässä kuussa, ilmoitettu maahantuojalle.",
        ),
        priorities=(5, 60, 30, 5),
    ),
    Scenario(
        "quote-request",
        SALES,
        ("tarjous", "tapahtumat"),
        Script(
            "Kahvilaitteen vuokraus messuille",
            "Osallistumme Helsingin messuille ja tarvitsisimme osastollemme kahvilaitteen neljäksi "
            "päiväksi. Arviolta 300 kuppia päivässä. Vuokraatteko laitteita tapahtumiin?",
            "Vuokraamme! Messukäyttöön sopii {office_machine} ja kaksi maidonjäähdytintä. Mihin "
            "osoitteeseen ja milloin laitteet tuodaan?",
            "Messukeskus, Messuaukio 1. Rakennuspäivä on torstaina, messut perjantaista "
            "maanantaihin.",
            "Tarjous liitteenä: vuokra neljäksi päiväksi {price} € (alv 0 %) sisältäen "
            "toimituksen, asennuksen, noudon ja 20 kg papuja. Vahvistathan varauksen viikkoa "
            "ennen.",
            "Tapahtumavuokraus: tarkista laitteiden saatavuus ennen vahvistusta.",
        ),
        business=True,
        priorities=(10, 55, 30, 5),
    ),
    Scenario(
        "question",
        None,
        ("markkinointi",),
        Script(
            "Poistakaa minut postituslistalta",
            "Saan teiltä uutiskirjeitä monta kertaa viikossa, vaikka en ole niitä tilannut. "
            "Poistakaa osoitteeni postituslistalta.",
            "Pahoittelut häiriöstä. Poistin osoitteesi uutiskirjeen vastaanottajista. Haluatko, "
            "että poistamme samalla myös asiakastilisi?",
            "Tiliä ei tarvitse poistaa, kunhan viestit loppuvat.",
            "Selvä! Osoitteesi on poistettu kaikilta postituslistoilta. Tilausvahvistukset tulevat "
            "edelleen normaalisti.",
            "Tarkistettu: markkinointilupa oli tullut tilauksen yhteydessä virheellisesti "
            "oletuksena.",
        ),
        priorities=(50, 50, 0, 0),
    ),
    Scenario(
        "question",
        SALES,
        ("hintalupaus",),
        Script(
            "Hintalupaus: {product}",
            "Sama keitin {product} on toisessa verkkokaupassa 40 € halvempi. Onko teillä "
            "hintalupausta? Tilaisin mieluummin teiltä.",
            "Kiitos, että kysyit meiltä! Hintalupaus koskee kotimaisia verkkokauppoja, joilla "
            "tuote on varastossa. Voisitko lähettää linkin tarjoukseen?",
            "Tässä linkki, hinta on voimassa viikon loppuun.",
            "Tarkistettu! Teimme sinulle henkilökohtaisen alennuskoodin, joka tiputtaa hinnan "
            "samaan. Koodi on voimassa viikon loppuun.",
            "Hintalupaus myönnetty, kilpailijan tuote varastossa.",
        ),
        priorities=(25, 70, 5, 0),
    ),
    Scenario(
        "order",
        SUPPORT,
        ("varaosat",),
        Script(
            "Varaosatilaus: tiiviste ja suodatinkori",
            "Tarvitsisin keittimeen {product} uuden uuttoyksikön tiivisteen ja kahden kupin "
            "suodatinkorin. Verkkokaupasta en löytänyt niitä. Voiko ne tilata teiltä?",
            "Voi! Osat eivät ole verkkokaupassa, mutta saamme ne maahantuojalta. Tiiviste 12,90 € "
            "ja suodatinkori 18,50 €. Teenkö tilauksen valmiiksi?",
            "Kyllä kiitos, samaan osoitteeseen kuin edellinen tilaukseni.",
            "Tilaus tehty ({order}). Osat lähtevät meiltä heti, kun ne saapuvat maahantuojalta, "
            "arviolta viikon kuluessa.",
            "Varaosatilaus maahantuojalle tehty, ei varastossa.",
        ),
        priorities=(30, 65, 5, 0),
    ),
    Scenario(
        "lead",
        SALES,
        ("kahvila", "liidi"),
        Script(
            "Uuden kahvilan laitteet",
            "Avaamme syksyllä kahvilan Tampereelle ja kartoitamme laitteita: espressokone, kaksi "
            "myllyä ja suodatinkahvilaite. Voisitteko soittaa, kun ehditte?",
            "Onnea uuteen kahvilaan! Soitan mielelläni. Sopisiko torstai klo 10? Sillä välin voit "
            "tutustua ammattilaislaitteisiimme liitteenä olevassa esitteessä.",
            "Torstai sopii hyvin. Numeroni on tilaustiedoissa.",
            "Kiitos mukavasta puhelusta! Liitteenä yhteenveto ja alustava tarjous laitepaketista "
            "{price} €. Tarjoukseen sisältyy asennus ja barista-koulutus.",
            "Soitettu: budjetti noin 15 000 €, avaus syyskuussa. Kuuma liidi.",
        ),
        business=True,
        priorities=(10, 60, 25, 5),
    ),
    Scenario(
        "complaint",
        SUPPORT,
        ("reklamaatio", "puuttuva-osa"),
        Script(
            "Paketista puuttui maitokannu",
            "Keittimen {product} mukana piti tulla maitokannu, mutta paketissa ei sitä ollut. "
            "Tilausnumero {order}.",
            "Pahoittelut! Lähetämme puuttuvan maitokannun heti. Onko toimitusosoite sama kuin "
            "tilauksessa?",
            "On sama.",
            "Maitokannu lähti tänään kirjeenä, ja se on perillä parin päivän kuluessa.",
            "Pakkauslinjalla puuttunut kannu useammasta erästä, ilmoitettu varastolle.",
        ),
        priorities=(10, 70, 20, 0),
    ),
    Scenario(
        "support-request",
        None,
        ("maksut",),
        Script(
            "Maksu ei mennyt läpi, mutta rahat lähtivät",
            "Yritin maksaa tilauksen verkkopankissa, mutta sivu kaatui. Rahat ({amount} €) on "
            "veloitettu tililtäni, mutta tilausvahvistusta ei tullut. Mitä nyt?",
            "Ikävä tilanne, selvitetään! Näemme keskeneräisen maksun. Voisitko kertoa, mistä "
            "pankista maksu tehtiin ja mihin aikaan?",
            "Maksoin Osuuspankista noin klo 21 eilen.",
            "Maksu löytyi ja tilaus {order} on nyt vahvistettu. Se lähtee varastolta huomenna. "
            "Kiitos kärsivällisyydestä!",
            "Maksuvälittäjän katkos eilen klo 20.50–21.15, useampi tilaus jäi roikkumaan.",
        ),
        Script(
            "Payment failed but money was taken",
            "I tried to pay for my order but the page crashed. {amount} € was charged from my "
            "account, but I got no confirmation. What now?",
            "Sorry, let's sort this out! We can see an unfinished payment. Which bank did you "
            "pay with, and at what time?",
            "Nordea, around 9 pm yesterday.",
            "Found it: order {order} is now confirmed and ships tomorrow. Thanks for your "
            "patience!",
            "Payment provider outage yesterday 20:50–21:15.",
        ),
        priorities=(0, 50, 40, 10),
    ),
    Scenario(
        "quote-request",
        SALES,
        ("tarjous", "asennus"),
        Script(
            "Asennuspalvelu toimistokeittimelle",
            "Ostimme teiltä keittimen {office_machine}. Tarjoatteko asennusta vesijohtoon? "
            "Toimisto on {company}:n tiloissa Espoossa.",
            "Tarjoamme! Asennus vaatii keittiöön hanaliitännän. Onko sellainen valmiina, vai "
            "pitääkö se rakentaa?",
            "Hana on valmiina tiskialtaan alla.",
            "Asennus {price} € (alv 0 %) sisältäen suodattimen ja käyttökoulutuksen. Asentajamme "
            "voi tulla jo ensi viikolla, vahvistatko ajan?",
            "Asentajan aikataulu: ti ja to vapaana.",
        ),
        business=True,
        priorities=(15, 70, 15, 0),
    ),
)

NUDGE = {
    "fi": (
        "Hei, tuliko viestini perille? En ole vielä saanut vastausta.",
        "Onko tähän jo tullut jotain tietoa? Asia on minulle aika kiireellinen.",
    ),
    "en": (
        "Hi, did you get my message? I haven't heard back yet.",
        "Any news on this? It's quite urgent for me.",
    ),
}
THANKS = {
    "fi": ("Kiitos paljon avusta!", "Kiitos, nyt kaikki kunnossa.", "Kiitos nopeasta avusta!"),
    "en": ("Thanks a lot for your help!", "Thank you, all sorted now."),
}
HOLD_REPLY = {
    "fi": (
        "Selvitämme asiaa laitevalmistajan kanssa ja palaamme asiaan heti, kun saamme "
        "heiltä vastauksen. Arvioitu aika on 3–5 arkipäivää.",
        "Olemme tilanneet tarvittavan osan maahantuojalta. Ilmoitamme, kun se on saapunut "
        "varastollemme.",
    ),
    "en": (
        "We are checking this with the manufacturer and will get back to you as soon as "
        "they reply, usually within 3–5 working days.",
        "We have ordered the part from the importer and will let you know when it arrives.",
    ),
}
HOLD_NOTES = (
    "Odotetaan maahantuojan vastausta, kysytty sähköpostilla.",
    "Varaosa tilattu, toimitusaika noin viikko.",
    "Kysytty kuljetusliikkeeltä, vastaus luvattu perjantaina.",
)
# Work another team must do before the parent ticket can be finished.
CHILD_WORK = {
    SALES: (
        "Jatkotoimet myynnille",
        "Asiakas haluaa tarjouksen korvaavasta laitteesta. "
        "Voisitteko laatia sen? Taustat ylätiketissä #{number}.",
    ),
    SUPPORT: (
        "Jatkotoimet asiakastuelle",
        "Asiakkaalle on luvattu asennusapua. Sopisitteko "
        "asennusajan? Taustat ylätiketissä #{number}.",
    ),
}

CHANNEL_WEIGHTS = {
    Channel.EMAIL: 48,
    Channel.PHONE: 20,
    Channel.WEB_FORM: 10,
    Channel.CHAT: 8,
    Channel.WHATSAPP: 5,
    Channel.SMS: 4,
    Channel.MANUAL: 5,
}
PHONE_CHANNELS = (Channel.PHONE, Channel.WHATSAPP, Channel.SMS)
SHORT_CHANNELS = (Channel.CHAT, Channel.WHATSAPP, Channel.SMS)
AGENT_CHANNELS = (Channel.PHONE, Channel.MANUAL)  # an agent types the first message
PRIORITIES = (Priority.LOW, Priority.NORMAL, Priority.HIGH, Priority.URGENT)


def _status_weights(age: timedelta) -> dict[str, int]:
    """Recent tickets are still being worked on; old ones are mostly closed.

    A ticket older than the pending limit is not pending: the shipped rules
    would have reminded the customer and then solved it.
    """
    weights = _weights_by_age(age)
    if age >= PENDING_MAX_AGE and Status.PENDING in weights:
        weights[Status.SOLVED] = weights.get(Status.SOLVED, 0) + weights.pop(Status.PENDING)
    return weights


def _weights_by_age(age: timedelta) -> dict[str, int]:
    days = age.total_seconds() / 86400
    if days < 1.5:
        return {
            Status.NEW: 45,
            Status.OPEN: 30,
            Status.PENDING: 12,
            Status.ON_HOLD: 8,
            Status.SOLVED: 5,
        }
    if days < 7:
        return {
            Status.NEW: 6,
            Status.OPEN: 22,
            Status.PENDING: 22,
            Status.ON_HOLD: 12,
            Status.SOLVED: 38,
        }
    if days < 14:
        return {
            Status.OPEN: 8,
            Status.PENDING: 10,
            Status.ON_HOLD: 8,
            Status.SOLVED: 34,
            Status.CLOSED: 40,
        }
    return {
        Status.OPEN: 3,
        Status.PENDING: 3,
        Status.ON_HOLD: 4,
        Status.SOLVED: 5,
        Status.CLOSED: 85,
    }


class StatusRule(NamedTuple):
    name: str
    from_status: str
    to_status: str
    after: timedelta


def status_time_rules() -> list[StatusRule]:
    """The active time rules that only wait in a status and then set another.

    Read from the database rather than copied, so the demo follows the rules
    this desk really has (the shipped "solve after 7 days pending" and
    "close 4 days after solving", or an admin's edits of them).
    """
    found = []
    for rule in TimeRule.objects.filter(active=True).order_by("position", "id"):
        conditions = rule.conditions.get("all", []) if isinstance(rule.conditions, dict) else []
        status = [c for c in conditions if c.get("type") == "status" and c.get("op") == "equals"]
        waits = [
            c
            for c in conditions
            if c.get("type") == "hours_since"
            and c.get("since") == "status_changed"
            and c.get("op") == "at_least"
            and not c.get("business")
        ]
        sets = [a for a in rule.actions if a.get("type") == "set_status"]
        if len(conditions) == 2 and status and waits and len(sets) == len(rule.actions) == 1:
            found.append(
                StatusRule(
                    rule.name,
                    status[0]["value"],
                    sets[0]["status"],
                    timedelta(hours=waits[0]["hours"]),
                )
            )
    return found


# --- the generator ------------------------------------------------------------


@dataclass
class Step:
    """One thing that happens to a ticket, ``delay`` hours after the previous one."""

    delay: float
    run: Callable[[Ticket, datetime], None]


@dataclass
class Plan:
    created_at: datetime
    status: str
    scenario: Scenario
    contact: Contact
    language: str
    channel: str
    team: Team | None
    priority: str
    parent: Plan | None = None
    ticket: Ticket | None = None
    children: list[Plan] = field(default_factory=list)


class _Demo:
    def __init__(self, seed: int, now: datetime) -> None:
        self.rng = random.Random(seed)
        self.now = now
        self.types = {t.slug: t for t in TicketType.objects.all()}
        self.teams: dict[str, Team] = {}
        self.agents: dict[str, User] = {}
        self.logins: list[tuple[str, str]] = []
        self.contacts_fi: list[Contact] = []
        self.contacts_en: list[Contact] = []
        self.phones: dict[int, str] = {}
        self.emails: dict[int, str] = {}
        self.taken_phones: set[str] = set()
        self.status_rules = status_time_rules()
        self.macros: dict[str, Macro] = {}
        self.macro_uses: Counter[int] = Counter()

    # people and companies

    def make_people(self) -> None:
        password = settings.TISKI_DEMO_PASSWORD
        for name, description in TEAMS:
            self.teams[name], _created = Team.objects.get_or_create(
                name=name, defaults={"description": description}
            )
        today = self.now.astimezone(HELSINKI).replace(hour=0, minute=0, second=0, microsecond=0)
        for spec in AGENTS:
            user = User.objects.filter(email__iexact=spec.email).first()
            if user is None:
                extra = {}
                if spec.out_of_office:
                    extra = {
                        "out_of_office_from": today - timedelta(days=1),
                        "out_of_office_until": today + timedelta(days=7),
                    }
                user = User.objects.create_user(
                    spec.email,
                    password,
                    name=spec.name,
                    role=spec.role,
                    language=spec.language,
                    is_superuser=spec.role == Role.ADMIN,
                    signature=f"{spec.name}\n{SHOP} Oy",
                    **extra,
                )
                # Only accounts we created have the demo password; never reset
                # the password of a person who already exists.
                self.logins.append((user.email, password))
            for team_name in spec.teams:
                self.teams[team_name].members.add(user)
            self.agents[spec.email] = user
        away = self.agents[AGENTS[2].email]
        if away.absence_delegate_id is None:
            # Laura's open tickets go to Mikko while she is away.
            away.absence_delegate = self.agents[AGENTS[1].email]
            away.save(update_fields=["absence_delegate"])

    def make_customers(self) -> None:
        rng = self.rng
        fi_names = [(f, s) for f in FIRST_NAMES_FI for s in LAST_NAMES_FI]
        en_names = [(f, s) for f in FIRST_NAMES_EN for s in LAST_NAMES_EN]
        rng.shuffle(fi_names)
        rng.shuffle(en_names)
        domains_fi: list[str] = []
        domains_en: list[str] = []
        for name, domain, english in ORGANISATIONS:
            link = OrganisationDomain.objects.filter(domain=domain).first()
            if link is None:
                organisation = Organisation.objects.create(name=name)
                OrganisationDomain.objects.create(organisation=organisation, domain=domain)
            (domains_en if english else domains_fi).append(domain)

        # 68 Finnish-speaking and 12 English-speaking people; about half work
        # for one of the organisations, the rest write from private addresses.
        for index, (first, last) in enumerate(fi_names[:68]):
            domain = (
                domains_fi[index % len(domains_fi)]
                if index < 34
                else rng.choice(PRIVATE_DOMAINS_FI)
            )
            phone_only = index >= 63
            self.contacts_fi.append(self._contact(first, last, domain, "fi", phone_only))
        for index, (first, last) in enumerate(en_names[:12]):
            domain = domains_en[index % 2] if index < 6 else rng.choice(PRIVATE_DOMAINS_EN)
            self.contacts_en.append(self._contact(first, last, domain, "en", False))

    def _contact(
        self, first: str, last: str, domain: str, language: str, phone_only: bool
    ) -> Contact:
        name = f"{first} {last}"
        phone = self._new_phone(language)
        if phone_only:
            contact, _created = get_or_create_contact(
                IdentityKind.PHONE, phone, name=name, language=language
            )
        else:
            local = _ascii(f"{first}.{last}").lower()
            email = f"{local}@{domain}"
            contact, _created = get_or_create_contact(
                IdentityKind.EMAIL, email, name=name, language=language
            )
            self.emails[contact.pk] = email
            if self.rng.random() < 0.65:
                add_identity(contact, IdentityKind.PHONE, phone)
            else:
                phone = ""
        if phone:
            self.phones[contact.pk] = phone
        return contact

    def _new_phone(self, language: str) -> str:
        while True:
            if language == "fi":
                number = (
                    f"+358 {self.rng.choice(('40', '44', '45', '50'))} "
                    f"{self.rng.randint(1000000, 9999999)}"
                )
            else:
                number = f"+44 7700 {self.rng.randint(100000, 999999)}"
            if number not in self.taken_phones:
                self.taken_phones.add(number)
                return number

    # what the admin set up before the history began

    def make_settings(self) -> None:
        admin = self.agents[AGENTS[0].email]
        showcase.make_mailbox(self.teams[SUPPORT])
        showcase.set_business_hours(admin, self.now.astimezone(HELSINKI).date())
        self.macros = showcase.make_macros(admin, self.teams)
        showcase.make_webhook(admin)
        showcase.make_side_panel_card(admin)
        demo_knowledge.make_knowledge_base(admin, desk_name="Papumylly Oy")
        demo_fields.make_ticket_fields()

    # tickets

    def plan_tickets(self) -> list[Plan]:
        rng = self.rng
        plans: list[Plan] = []
        business_fi = [c for c in self.contacts_fi if c.organisation_id]
        business_en = [c for c in self.contacts_en if c.organisation_id]
        english = [s for s in SCENARIOS if s.en is not None]
        for _index in range(TICKET_COUNT - CHILD_COUNT):
            created = self._random_time()
            if rng.random() < 0.15:
                language, scenario = "en", rng.choice(english)
                pool = business_en if scenario.business else self.contacts_en
            else:
                language, scenario = "fi", rng.choice(SCENARIOS)
                pool = business_fi if scenario.business else self.contacts_fi
            contact = rng.choice(pool)
            channel = self._channel_for(contact)
            weights = _status_weights(self.now - created)
            status = rng.choices(list(weights), list(weights.values()))[0]
            team = None
            if scenario.team and rng.random() < 0.85:
                team = self.teams[scenario.team]
            priority = rng.choices(PRIORITIES, scenario.priorities)[0]
            plans.append(
                Plan(created, status, scenario, contact, language, channel, team, priority)
            )

        # A few tickets send part of their work to the other team as a child.
        candidates = [
            p
            for p in plans
            if p.status in (Status.OPEN, Status.ON_HOLD)
            and p.team is not None
            and self.now - p.created_at > timedelta(days=1)
        ]
        for parent in rng.sample(candidates, min(CHILD_COUNT, len(candidates))):
            offset = timedelta(hours=rng.uniform(2, 20))
            created = min(parent.created_at + offset, self.now - timedelta(minutes=30))
            other = SALES if parent.team and parent.team.name == SUPPORT else SUPPORT
            child = Plan(
                created,
                rng.choice((Status.OPEN, Status.ON_HOLD, Status.SOLVED)),
                parent.scenario,
                parent.contact,
                "fi",
                Channel.MANUAL,
                self.teams[other],
                parent.priority,
                parent=parent,
            )
            parent.children.append(child)
            plans.append(child)
        self._show_a_solved_complaint(plans)
        plans.sort(key=lambda p: p.created_at)
        return plans

    def _show_a_solved_complaint(self, plans: list[Plan]) -> None:
        """At least one complaint ends solved, its product group filled in to
        solve it (the field is required for that). The draw above depends on
        the time of day, and a complaint solved more than a few days ago is
        closed by the shipped rule: at some moments none was left solved."""
        complaints = [
            p for p in plans if p.scenario.type_slug == "complaint" and p.parent is None
        ]
        recent = [
            p
            for p in complaints
            if timedelta(hours=6) < self.now - p.created_at < CLOSE_AFTER - timedelta(days=1)
        ]
        if any(p.status in (Status.SOLVED, Status.CLOSED) for p in recent):
            return
        if recent:
            recent[0].status = Status.SOLVED
        elif childless := [p for p in complaints if not p.children]:
            # Moved to yesterday: nothing of it happens before it is made.
            latest = max(childless, key=lambda p: p.created_at)
            latest.created_at = self.now - timedelta(days=1, hours=2)
            latest.status = Status.SOLVED

    def _random_time(self) -> datetime:
        """A moment in the last 60 days, mostly on weekdays in office hours.

        Skewed towards the recent past, so that the queue has fresh work in
        every status instead of only weeks of closed tickets.
        """
        rng = self.rng
        while True:
            days_ago = HISTORY_DAYS * rng.random() ** 1.8
            day = self.now.astimezone(HELSINKI) - timedelta(days=days_ago)
            if day.weekday() >= 5 and rng.random() < 0.7:
                continue
            hour = rng.randint(8, 16) if rng.random() < 0.8 else rng.randint(6, 22)
            moment = day.replace(hour=hour, minute=rng.randint(0, 59), second=rng.randint(0, 59))
            if moment < self.now - timedelta(minutes=20):
                return moment

    def _channel_for(self, contact: Contact) -> str:
        channel = self.rng.choices(list(CHANNEL_WEIGHTS), list(CHANNEL_WEIGHTS.values()))[0]
        if channel in PHONE_CHANNELS and contact.pk not in self.phones:
            return Channel.EMAIL
        if channel not in PHONE_CHANNELS and contact.pk not in self.emails:
            return Channel.PHONE
        return channel

    def _agent_for(self, team: Team | None, at: datetime) -> User:
        """Someone who may reply publicly, works in the ticket's team and is not away."""
        candidates = [
            u
            for u in self.agents.values()
            if u.can_reply_publicly
            and not u.is_out_of_office(at)
            and (team is None or any(t == team.name for t in self._teams_of(u)))
        ]
        return self.rng.choice(candidates)

    def _teams_of(self, user: User) -> tuple[str, ...]:
        return next(a.teams for a in AGENTS if a.email == user.email)

    def _note_author(self, assignee: User) -> User:
        # The warehouse's light agent leaves some notes; mostly the assignee does.
        light = self.agents[AGENTS[4].email]
        return light if self.rng.random() < 0.25 else assignee

    def run(self, plan: Plan) -> None:
        if plan.parent is not None:
            self._run_child(plan)
        else:
            self._run_ticket(plan)
        if plan.ticket is not None:
            self._apply_status_rules(plan.ticket)

    def _apply_status_rules(self, ticket: Ticket) -> None:
        """What the shipped status time rules did to this ticket, at the time they did it.

        A solved ticket older than the close rule's wait was closed by that
        rule (a few minutes after its moment, as the periodic pass runs), and
        the event names the rule, so the first real pass finds nothing to do.
        """
        for _step in range(len(self.status_rules)):
            ticket.refresh_from_db()
            rule = next(
                (
                    r
                    for r in self.status_rules
                    if r.from_status == ticket.status
                    and ticket.status_changed_at is not None
                    and ticket.status_changed_at + r.after <= self.now + RULE_PASS
                ),
                None,
            )
            if rule is None:
                return
            jitter = timedelta(seconds=self.rng.uniform(0, RULE_PASS.total_seconds()))
            at = min(
                ticket.status_changed_at + rule.after + jitter, self.now - timedelta(minutes=1)
            )
            try:
                actions.update_ticket(
                    ticket,
                    actor=None,
                    via=Via.RULE,
                    status=rule.to_status,
                    at=at,
                    event_meta={"rule": rule.name},
                )
            except ValidationError:
                return  # e.g. a parent with an open child ticket: the rule could not either

    def _values(self, plan: Plan, agent: User) -> dict[str, str]:
        rng = self.rng
        contact = plan.contact
        company = (
            contact.organisation.name
            if contact.organisation_id
            else ("yrityksemme" if plan.language == "fi" else "our company")
        )
        ordered = plan.created_at - timedelta(days=rng.randint(3, 12))
        return {
            "first": contact.name.split(" ")[0],
            "name": contact.name,
            "company": company,
            "product": rng.choice(PRODUCTS),
            "office_machine": rng.choice(OFFICE_MACHINES),
            "order": f"PM-{rng.randint(240000, 259999)}",
            "invoice": str(rng.randint(7100000, 7199999)),
            "amount": f"{rng.randint(29, 899)},{rng.choice(('00', '90', '95'))}",
            "price": f"{rng.randint(12, 90) * 100:,}".replace(",", "\u00a0"),
            "qty": str(rng.choice((5, 8, 10, 12, 15, 20))),
            "serial": f"{rng.choice('ABCDEFGH')}{rng.randint(10, 99)}"
            f"-{rng.randint(100000, 999999)}",
            "tracking": f"JJFI{rng.randint(10**15, 10**16 - 1)}",
            "giftcode": f"PM-{rng.randint(1000, 9999)}-{rng.randint(1000, 9999)}",
            "date": f"{ordered.day}.{ordered.month}.",
            "date_en": f"{ordered.day} {ordered:%B}",
            "agent": agent.name,
            "agent_first": agent.get_short_name(),
        }

    def _customer_text(self, plan: Plan, body: str, values: dict[str, str], channel: str) -> str:
        # Chats and forms have no letter around them; neither has what an agent
        # typed while the customer talked (a call, a visit).
        if channel in SHORT_CHANNELS or channel in (Channel.WEB_FORM, *AGENT_CHANNELS):
            return body
        if plan.language == "en":
            greeting = self.rng.choice(("Hello,", "Hi,", "Dear customer service,"))
            return f"{greeting}\n\n{body}\n\nBest regards,\n{values['name']}"
        greeting = self.rng.choice(("Hei,", "Hyvää päivää,", "Moi!", "Hei asiakaspalvelu,"))
        signoff = self.rng.choice(("Terveisin", "Ystävällisin terveisin", "T."))
        return f"{greeting}\n\n{body}\n\n{signoff}\n{values['name']}"

    def _agent_text(self, plan: Plan, body: str, values: dict[str, str], channel: str) -> str:
        if channel in SHORT_CHANNELS:
            return f"Hei {values['first']}! {body}\n– {values['agent_first']}"
        if plan.language == "en":
            return (
                f"Hi {values['first']},\n\n{body}\n\nKind regards,\n{values['agent']}\n"
                f"{SHOP} customer service"
            )
        return (
            f"Hei {values['first']},\n\n{body}\n\nYstävällisin terveisin\n{values['agent']}\n"
            f"{SHOP} asiakaspalvelu"
        )

    def _message_id(self, domain: str) -> str:
        return f"<{self.rng.getrandbits(64):016x}.{self.rng.getrandbits(32):08x}@{domain}>"

    def _run_ticket(self, plan: Plan) -> None:
        rng = self.rng
        script = (
            plan.scenario.en if plan.language == "en" and plan.scenario.en else plan.scenario.fi
        )
        assignee = self._agent_for(plan.team, plan.created_at)
        values = self._values(plan, assignee)
        email = self.emails.get(plan.contact.pk)
        email_domain = email.rpartition("@")[2] if email else ""
        # Calls, walk-ins and web forms are answered by email (or by text
        # message when we have no address); the customer answers the same way.
        talk = plan.channel
        if plan.channel in (Channel.PHONE, Channel.MANUAL, Channel.WEB_FORM):
            talk = Channel.EMAIL if email else Channel.SMS
        if status := self._closable(plan):
            plan.status = status

        def customer(text: str, status_after: str | None = None, step: str = "") -> Callable:
            def write(ticket: Ticket, at: datetime) -> None:
                actions.add_message(
                    ticket,
                    kind=MessageKind.CUSTOMER,
                    actor=None,
                    via=Via.CHANNEL,
                    author_contact=plan.contact,
                    channel=talk,
                    text=self._customer_text(plan, text.format_map(values), values, talk),
                    attachments=self._files(plan, step, values, talk),
                    external_id=self._message_id(email_domain) if talk == Channel.EMAIL else "",
                    created_at=at,
                    status_after=status_after,
                )

            return write

        def reply(
            text: str, status_after: str | None = None, step: str = "", macro: str = ""
        ) -> Callable:
            def write(ticket: Ticket, at: datetime) -> None:
                ready = self.macros.get(macro or dict(plan.scenario.macros).get(step, ""))
                if ready is not None:
                    # Written with a ready answer, as the desk's picker fills it in.
                    body = render_for(ready, ticket, assignee)
                    self.macro_uses[ready.pk] += 1
                else:
                    body = self._agent_text(plan, text.format_map(values), values, talk)
                actions.add_message(
                    ticket,
                    kind=MessageKind.PUBLIC,
                    actor=assignee,
                    via=Via.AGENT,
                    channel=talk,
                    text=body,
                    attachments=self._files(plan, step, values, talk),
                    external_id=self._message_id(SHOP_DOMAIN) if talk == Channel.EMAIL else "",
                    meta={"macro": ready.pk, "macro_name": ready.name} if ready else None,
                    created_at=at,
                    status_after=status_after,
                )

            return write

        def note(text: str, author: User | None = None) -> Callable:
            def write(ticket: Ticket, at: datetime) -> None:
                actions.add_message(
                    ticket,
                    kind=MessageKind.INTERNAL,
                    actor=author or self._note_author(assignee),
                    via=Via.AGENT,
                    text=text.format_map(values),
                    created_at=at,
                )

            return write

        def assign(ticket: Ticket, at: datetime) -> None:
            actions.update_ticket(ticket, actor=assignee, via=Via.AGENT, assignee=assignee, at=at)

        def set_status(status: str) -> Callable:
            def write(ticket: Ticket, at: datetime) -> None:
                actions.update_ticket(ticket, actor=assignee, via=Via.AGENT, status=status, at=at)

            return write

        def agent_delay() -> float:
            return min(rng.expovariate(1 / 5), 48) + 0.1

        def customer_delay() -> float:
            return min(rng.expovariate(1 / 10), 72) + 0.2

        # Who typed the first message: the customer through a channel, or an
        # agent who took a call (and owns the ticket from the start).
        status = plan.status
        lang = plan.language
        by_agent = plan.channel in AGENT_CHANNELS and status != Status.NEW
        assigned = by_agent or (status != Status.NEW and rng.random() < 0.85)
        steps: list[Step] = []
        if assigned and not by_agent:
            steps.append(Step(rng.uniform(0.1, 3), assign))
        if status == Status.NEW:
            if rng.random() < 0.2:
                steps.append(Step(customer_delay(), customer(rng.choice(NUDGE[lang]))))
            if plan.team and rng.random() < 0.1:
                light = self.agents[AGENTS[4].email]
                steps.append(Step(rng.uniform(0.2, 2), note(script.note, light)))
        elif status == Status.OPEN:
            if rng.random() < 0.4:
                steps.append(Step(rng.uniform(0.2, 2), note(script.note)))
            # Unassigned tickets only leave "new" through a reply.
            if not assigned or rng.random() < 0.6:
                steps.append(Step(agent_delay(), reply(script.question, step="question")))
                steps.append(Step(customer_delay(), customer(script.follow_up, step="follow_up")))
        elif status == Status.PENDING:
            if rng.random() < 0.3:
                steps.append(Step(rng.uniform(0.2, 2), note(script.note)))
            steps.append(Step(agent_delay(), reply(script.question, Status.PENDING, "question")))
        elif status == Status.ON_HOLD:
            # Half of the agents use the ready answer for "we are looking into it".
            hold = reply(
                rng.choice(HOLD_REPLY[lang]),
                Status.ON_HOLD,
                macro="selvitys" if rng.random() < 0.5 else "",
            )
            steps.append(Step(agent_delay(), hold))
            steps.append(Step(rng.uniform(0.1, 1), note(rng.choice(HOLD_NOTES))))
        else:  # solved or closed
            if rng.random() < 0.4:
                steps.append(Step(rng.uniform(0.2, 2), note(script.note)))
            if rng.random() < 0.55:
                steps.append(
                    Step(agent_delay(), reply(script.question, Status.PENDING, "question"))
                )
                steps.append(Step(customer_delay(), customer(script.follow_up, step="follow_up")))
            steps.append(Step(agent_delay(), reply(script.answer, Status.SOLVED, "answer")))
            if rng.random() < 0.15:
                # A thank-you reopens the ticket; the agent solves it again.
                steps.append(Step(customer_delay(), customer(rng.choice(THANKS[lang]))))
                steps.append(Step(rng.uniform(0.2, 4), set_status(Status.SOLVED)))

        # Squeeze the story into the time that has passed since the ticket
        # came in, leaving room for the automatic close of closed tickets.
        end = self.now - timedelta(minutes=5)
        if status == Status.CLOSED:
            end -= CLOSE_AFTER
        self._fit(plan.created_at, steps, end)

        opening = script.opening.format_map(values)
        if plan.channel == Channel.PHONE:
            lead = {"fi": "Puhelu, asiakkaan kertomaa:", "en": "Phone call, the customer said:"}
            opening = f"{lead[lang]}\n{opening}" if by_agent else opening
        ticket = actions.create_ticket(
            requester=plan.contact,
            subject=script.subject.format_map(values),
            actor=assignee if by_agent else None,
            via=Via.AGENT if by_agent else Via.CHANNEL,
            channel=plan.channel,
            text=self._customer_text(plan, opening, values, plan.channel),
            type=self.types.get(plan.scenario.type_slug),
            priority=plan.priority,
            team=plan.team,
            assignee=assignee if by_agent else None,
            tags=self._tags(plan),
            due_at=self._due(plan),
            external_id=self._message_id(email_domain) if plan.channel == Channel.EMAIL else "",
            created_at=plan.created_at,
            fields=demo_fields.values_for(
                plan.scenario.type_slug, script.subject + script.opening, values
            ),
        )
        plan.ticket = ticket
        at = plan.created_at
        for step in steps:
            at += timedelta(hours=step.delay)
            step.run(ticket, at)

    def _files(
        self, plan: Plan, step: str, values: dict[str, str], channel: str
    ) -> list[actions.NewAttachment]:
        """What is attached at this step of the scenario; nothing by text message."""
        kind = dict(plan.scenario.files).get(step)
        if kind is None or channel == Channel.SMS:
            return []
        filename, content, content_type = demo_attachment(kind, values, plan.language)
        return [actions.NewAttachment(filename, ContentFile(content, name=filename), content_type)]

    def _closable(self, plan: Plan) -> str | None:
        """A ticket too young to have been closed automatically stays solved."""
        if plan.status == Status.CLOSED and plan.created_at > self.now - CLOSE_AFTER - timedelta(
            days=1
        ):
            return Status.SOLVED
        return None

    @staticmethod
    def _fit(start: datetime, steps: list[Step], end: datetime) -> None:
        """Scale step delays down so the last step happens before ``end``."""
        available = (end - start).total_seconds() / 3600
        total = sum(step.delay for step in steps)
        if total > available > 0:
            factor = available / total * 0.95
            for step in steps:
                step.delay *= factor

    def _run_child(self, plan: Plan) -> None:
        parent = plan.parent
        assert parent is not None and parent.ticket is not None
        assignee = self._agent_for(plan.team, plan.created_at)
        handover_agent = self._agent_for(parent.team, plan.created_at)
        values = self._values(plan, assignee)
        subject, body = CHILD_WORK[plan.team.name if plan.team else SUPPORT]
        child = actions.create_ticket(
            requester=plan.contact,
            subject=f"{subject}: {parent.ticket.subject}",
            actor=handover_agent,
            via=Via.AGENT,
            channel=Channel.MANUAL,
            text=body.format(number=parent.ticket.number),
            first_message_kind=MessageKind.INTERNAL,
            type=parent.ticket.type,
            priority=plan.priority,
            team=plan.team,
            created_at=plan.created_at,
            # The work sent off is about the same order and product.
            fields=custom_fields.values_of(parent.ticket),
        )
        plan.ticket = child
        at = plan.created_at + timedelta(minutes=1)
        actions.update_ticket(
            child, actor=handover_agent, via=Via.AGENT, parent=parent.ticket, at=at
        )
        latest = self.now - timedelta(minutes=5)
        at = min(at + timedelta(hours=self.rng.uniform(0.5, 6)), latest)
        actions.update_ticket(child, actor=assignee, via=Via.AGENT, assignee=assignee, at=at)
        if plan.status == Status.ON_HOLD:
            at = min(at + timedelta(minutes=20), latest)
            actions.add_message(
                child,
                kind=MessageKind.INTERNAL,
                actor=assignee,
                via=Via.AGENT,
                text=self.rng.choice(HOLD_NOTES),
                created_at=at,
                status_after=Status.ON_HOLD,
            )
        elif plan.status == Status.SOLVED:
            at = min(at + timedelta(hours=2), latest)
            text = (
                "Olemme hoitaneet asian ja lähetimme sinulle erillisen vahvistuksen "
                "sähköpostilla. Kiitos kärsivällisyydestäsi!"
            )
            actions.add_message(
                child,
                kind=MessageKind.PUBLIC,
                actor=assignee,
                via=Via.AGENT,
                channel=Channel.EMAIL,
                text=self._agent_text(plan, text, values, Channel.EMAIL),
                created_at=at,
                status_after=Status.SOLVED,
            )

    def _tags(self, plan: Plan) -> list[str]:
        tags = list(plan.scenario.tags)
        if plan.contact.organisation_id and self.rng.random() < 0.3:
            tags.append("vip")
        if plan.priority == Priority.URGENT:
            tags.append("kiireellinen")
        if plan.language == "en":
            tags.append("english")
        return tags

    def _due(self, plan: Plan) -> datetime | None:
        if (
            plan.scenario.type_slug in ("quote-request", "order", "lead")
            and self.rng.random() < 0.45
        ):
            return plan.created_at + timedelta(days=self.rng.randint(2, 10))
        if plan.priority == Priority.URGENT:
            return plan.created_at + timedelta(hours=self.rng.choice((4, 8, 24)))
        return None

    # the last hours before the demo starts

    def count_macro_uses(self) -> None:
        for pk, uses in self.macro_uses.items():
            Macro.objects.filter(pk=pk).update(usage_count=F("usage_count") + uses)

    def merge_a_duplicate(self) -> TicketMerge | None:
        """A customer who wrote twice: the second ticket merged into the first.

        The newest short open email conversation of the last days is the
        target; the wider windows are for a demo made at an hour when the
        last days' conversations are all still going on (seen at a quarter
        to seven on a Sunday: the demo then had no merge to show).
        """
        latest = self.now - timedelta(minutes=10)
        for days in (4, 14, 60):
            candidates = (
                Ticket.objects.filter(
                    status=Status.OPEN,
                    channel=Channel.EMAIL,
                    assignee__isnull=False,
                    parent__isnull=True,
                    created_at__gte=self.now - timedelta(days=days),
                )
                .exclude(assignee__out_of_office_from__lte=self.now)  # merged by someone at work
                .annotate(children_count=Count("children"))
                .filter(children_count=0)
                .order_by("-created_at")
            )
            for target in candidates:
                if target.messages.count() > 3:
                    continue
                last = target.messages.order_by("-created_at").values_list("created_at", flat=True)[
                    0
                ]
                # Forty minutes after the customer's last message, or sooner
                # when that would be in the future.
                at = min(last + timedelta(minutes=40), latest)
                if last < at:
                    assert target.assignee is not None
                    return showcase.merge_duplicate(target, target.assignee, at)
        return None

    def make_phone_day(self, exclude: set[int]) -> showcase.PhoneDay | None:
        admin = self.agents[AGENTS[0].email]
        mikko = self.agents[AGENTS[1].email]
        line = showcase.make_phone_line(admin, self.teams[SUPPORT], self.agents)
        # A caller with an open ticket Mikko can see, with room for one more message.
        open_ticket = None
        for ticket in (
            Ticket.objects.visible_to(mikko)
            .filter(status__in=(Status.OPEN, Status.PENDING), requester_id__in=self.phones)
            # quiet since before the call, so the call follows the conversation
            .filter(updated_at__lt=self.now - timedelta(hours=3, minutes=30))
            .exclude(pk__in=exclude)
            .annotate(message_count=Count("messages"))
            .filter(message_count__lte=4)
            .order_by("-updated_at")
        ):
            open_ticket = (ticket, self.phones[ticket.requester_id])
            break
        if open_ticket is None:
            return None
        others = [
            self.phones[c.pk]
            for c in self.contacts_fi
            if c.pk in self.phones and c.pk != open_ticket[0].requester_id
        ]
        known = self.rng.sample(others, 3)
        return showcase.make_calls(
            line, self.agents, open_ticket, known, self._new_phone("fi"), self.now
        )

    def make_sms(self) -> Ticket | None:
        """The SMS number and a conversation from a customer the desk knows by phone."""
        admin = self.agents[AGENTS[0].email]
        account = demo_sms.make_sms_account(admin, self.teams[SUPPORT])
        known = sorted(self.phones.items())
        if not known:
            return None
        if len(known) > 2:
            # Another known customer than the SMS and WhatsApp ones.
            demo_sms.make_incomplete_and_stop(account, known[-3][1])
        return demo_sms.make_sms_conversation(account, known[-1][1], self.now)

    def make_messaging(self) -> None:
        """A Telegram bot, a WhatsApp number and an Instagram account, each with a conversation."""
        admin = self.agents[AGENTS[0].email]
        demo_messaging.make_telegram(admin, self.teams[SUPPORT], self.now)
        demo_messaging.make_instagram(admin, self.teams[SUPPORT], self.now)
        known = sorted(self.phones.items())
        if len(known) > 1:
            # Another known customer than the SMS one: WhatsApp finds them by number.
            demo_messaging.make_whatsapp(admin, self.teams[SUPPORT], known[-2][1], self.now)


def _ascii(text: str) -> str:
    """Finnish letters folded for email local parts: ä -> a, ö -> o."""
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


def populate(*, stdout: IO[str] | None = None, seed: int = 1) -> list[tuple[str, str]]:
    """Fill an empty desk with demo data and return the logins that were created.

    A database that already has tickets is left alone (and ``[]`` returned),
    so running ``tiski demo`` again never mixes demo data into real work or
    duplicates it.
    """
    if Ticket.objects.exists():
        if stdout:
            stdout.write(_("The database already has tickets; no demo data was added.") + "\n")
        return []
    demo = _Demo(seed, timezone.now())
    # The handlers of the thousands of changes below run after the commit,
    # the bulk forms (SLA, search, report facts) once for them all: one by
    # one they took over a minute on PostgreSQL.
    with changes.batched(), transaction.atomic():
        demo.make_people()
        demo.make_customers()
        demo.make_settings()
        plans = demo.plan_tickets()
        for plan in plans:
            demo.run(plan)
        demo.count_macro_uses()
        # Laura's absence began yesterday and the periodic job handed her open
        # tickets to her stand-in then, before today's work below: without it
        # the merge and the teamwork looked for open tickets among hers
        # (excluded, she is away) and at some minutes of the night found none.
        hand_over_absences(demo.now)
        merged = demo.merge_a_duplicate()
        demo.make_phone_day(exclude={merged.source_id, merged.target_id} if merged else set())
        demo.make_sms()
        demo.make_messaging()
        showcase.make_saved_searches(demo.agents)
        showcase.make_chat(
            demo.agents[AGENTS[0].email],
            demo.teams[SUPPORT],
            demo.agents[AGENTS[1].email],
            demo.now,
        )
        demo_knowledge.show_portal_and_usage(demo.agents[AGENTS[0].email])
        demo_knowledge.make_brand()
        demo_api.keep_zendesk_script(demo.agents[AGENTS[0].email], demo.teams[SUPPORT])
        show_collaboration(
            team=demo.teams[SUPPORT],
            lead=demo.agents[AGENTS[0].email],
            agent=demo.agents[AGENTS[1].email],
            expert=demo.agents[AGENTS[4].email],
        )
        # Again for what the steps above assigned to her: the first pass of the
        # periodic absence job then finds nothing to hand over.
        hand_over_absences(demo.now)
        add_csat_history(seed=seed, now=demo.now)  # the satisfaction answers of solved tickets
        # After the surveys: tickets moved in from Zendesk got none from Tiski.
        showcase.move_in_history(demo.agents[AGENTS[1].email], demo.now)
    if stdout:
        stdout.write(
            _("Demo data: %(agents)d agents, %(contacts)d contacts, %(tickets)d tickets.")
            % {
                "agents": len(demo.agents),
                "contacts": len(demo.contacts_fi) + len(demo.contacts_en),
                "tickets": Ticket.objects.count(),
            }
            + "\n"
        )
    return demo.logins
