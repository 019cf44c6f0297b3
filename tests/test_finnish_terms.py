"""The Finnish text: no numbers glued to words, one word per glossary concept.

`docs/glossary.md` names the Finnish word for each concept; this test keeps
the catalogue to it (in any inflected form) and away from the words it
replaced.
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import polib
import pytest
from django.contrib.humanize.templatetags.humanize import naturaltime
from django.utils import timezone, translation
from django.utils.timesince import timesince

ROOT = Path(__file__).resolve().parents[1]
CATALOGUE = ROOT / "tiski" / "locale" / "fi" / "LC_MESSAGES" / "django.po"
GLOSSARY = ROOT / "docs" / "glossary.md"

# A number (or a numeric placeholder) followed by a space and a letter in English...
SPACED = re.compile(r"(?:\d|%\(\w+\)[ds]|%[ds])[ \xa0][^\W\d_]")
# ...must not lose that space in Finnish ("1päivä").
GLUED = re.compile(r"(?:\d|%\(\w+\)[ds]|%[ds])[^\W\d_]")

# English term (as in the glossary) -> (stem every Finnish text about it contains,
# words that must not be used for it, whether the stem is required). Everyday
# words (ticket, team, status) only have their rejected alternatives checked:
# Finnish often leaves them implied ("nimesi käsittelijäksi" for "assigned
# the ticket to").
TERMS: dict[str, tuple[str, tuple[str, ...], bool]] = {
    "ticket": ("tiket", ("tukipyyntöä",), False),
    "requester": ("pyytäj", ("tilaaja",), True),
    "contact": ("yhteyshenkil", ("kontakti",), False),
    "identity": ("yhteystie", (), True),
    "organisation": ("organisaati", (), True),
    "agent": ("asiakaspalvelij", ("agentti", "agentit"), False),
    "light agent": ("kevytkäyttäj", ("kevytagentti", "rajoitettu asiakaspalvelija"), True),
    "admin": ("ylläpitäj", (), False),
    "team": ("tiimi", (), False),
    "assignee": ("käsittelij", ("vastuuhenkilö",), True),
    "status": ("tila", (), False),
    "priority": ("prioritee", ("tärkeys",), True),
    "due date": ("määräa", ("eräpäivä",), True),
    "tag": ("tunnist", ("tagi", "avainsana"), True),
    "public reply": ("julki", (), True),
    "internal note": ("sisäi", ("sisäinen huomautus", "sisäinen kommentti"), True),
    "ready answer": ("valmi", ("makro", "pikavastaus", "vakiovastaus"), True),
    "trigger": ("laukais", ("liipaisin", "triggeri"), True),
    "time rule": ("aikasään", ("ajastettu sääntö",), True),
    "action": ("toimenpi", ("toimintotyyp", "toiminto on", "yksi toiminto", "toiminnot"), True),
    "condition": ("eh", (), False),
    "SLA policy": ("palvelutasokäytän", ("sla-käytäntö",), True),
    "business calendar": ("aukiolokalenter", ("työaikakalenteri",), True),
    "child ticket": ("alatiket", ("emotiketti", "osa tikettiä", "lapsitiketti"), True),
    "parent ticket": ("ylätiket", ("emotiketti", "päätiketti", "isätiketti"), True),
    "merge": ("yhdist", ("sulauta", "yhdistely"), True),
    "handling time": ("käsittelya", ("työaika", "käsittelyn kesto"), True),
    "callback": ("takaisinsoit", ("soittopyyntö",), True),
    "mailbox": ("postilaatik", ("sähköpostilaatikko",), False),
    "acknowledgement": ("kuittau", (), True),
    "quarantine": ("karantee", (), True),
    "CC": ("kopion saaj", ("kopiovastaanottaja",), True),
    "view": ("näkym", (), False),
    "satisfaction survey": ("tyytyväisyyskysel", ("tyytyväisyystutkimus", "palautekysely"), True),
    "rating": ("arvio", ("arvosana", "luokitus"), True),
    "business time": ("aukioloa", ("työaika",), True),
    "mention": ("maini", ("tägä",), True),
    "follower": ("seuraaj", ("seurailija",), True),
    "notification": ("ilmoitu", ("notifikaatio",), False),
    "escalation": ("eskaloi", ("eskalaatio", "nosto "), True),
    "team lead": ("tiiminvetäj", ("tiiminjohtaja",), True),
    "knowledge base": ("tietopank", ("tietokanta", "osaamiskanta"), True),
    "article": ("artikkel", (), True),
    "category": ("kategori", ("luokka",), True),
    "help centre": ("ohjekesk", ("tukikeskus", "apukeskus"), True),
    "side conversation": ("sivukeskustel", ("rinnakkaiskeskustelu",), True),
    "digest": ("kooste", ("tiivistelmä",), True),
    "API client": ("api-sovellu", ("api-asiakas", "api-asiakkaa"), True),
    "side-panel card": ("sivupaneelin kort", ("sivupalkin kortti",), True),
    "ticket field": ("tikettikent", ("mukautettu kenttä", "lisäkenttä"), True),
}
# English words that contain a term but are another concept.
NOT_THE_TERM = re.compile(
    r"\bview(ing|s? count)|\bmerged? (suggestion|here)|\bcontact merge|\bteam membership|"
    r"\baction(s)? (?=types?:)|\bagent extension|\bagent_email|\bticket\.|\bticket_|"
    r"\bstatus:|\bstatus \(|\btag:|-tag|\bviewed|\{\{[^}]*\}\}"
)


@pytest.fixture(scope="module")
def finnish() -> list[polib.POEntry]:
    return [e for e in polib.pofile(str(CATALOGUE)) if not e.obsolete]


def _pairs(entry: polib.POEntry) -> list[tuple[str, str]]:
    if entry.msgid_plural:
        forms = list(entry.msgstr_plural.values())
        return [(entry.msgid, forms[0])] + [(entry.msgid_plural, f) for f in forms[1:]]
    return [(entry.msgid, entry.msgstr)]


def test_numbers_keep_their_space(finnish):
    """Where the English has "5 days", the Finnish has "5 päivää", never "5päivää"."""
    glued = [
        (english, text)
        for entry in finnish
        for english, text in _pairs(entry)
        if SPACED.search(english) and GLUED.search(text)
    ]
    assert not glued


def test_relative_times_in_finnish_have_spaces():
    """Django's own Finnish says "1päivä"; ours corrects it (and says "päästä" for the future)."""
    now = timezone.now()
    with translation.override("fi"):
        past = naturaltime(now - timedelta(days=1, hours=23))
        future = naturaltime(now + timedelta(days=3, hours=2))
        months = timesince(now - timedelta(days=65), now)
    assert not GLUED.search(past.replace("\xa0", " ")), past
    assert past.replace("\xa0", " ") == "1 päivä, 23 tuntia sitten"
    assert future.replace("\xa0", " ").endswith("päästä") and "nykyhetkestä" not in future
    assert not GLUED.search(months.replace("\xa0", " ")), months


def _glossary_terms() -> dict[str, str]:
    rows = {}
    for line in GLOSSARY.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 3 and cells[0] not in ("English", "---") and not cells[0].startswith("-"):
            rows[cells[0]] = cells[1]
    return rows


def test_glossary_and_this_test_name_the_same_concepts():
    glossary = _glossary_terms()
    assert set(glossary) == set(TERMS)
    for english, finnish_word in glossary.items():
        assert TERMS[english][0].lower() in finnish_word.lower(), english


@pytest.mark.parametrize("term", sorted(TERMS))
def test_each_concept_uses_one_word(finnish, term):
    stem, rejected, strict = TERMS[term]
    pattern = re.compile(rf"\b{re.escape(term)}(s|es)?\b", re.IGNORECASE if term.islower() else 0)
    wrong = []
    for entry in finnish:
        for english, text in _pairs(entry):
            lowered = text.lower()
            for word in rejected:
                if word in lowered:
                    wrong.append((english, text, f"uses {word!r}"))
            if not strict or entry.msgctxt or not pattern.search(NOT_THE_TERM.sub("", english)):
                continue
            # Short labels may be partitive or plural; the stem is in all forms.
            if stem.lower() not in lowered:
                wrong.append((english, text, f"lacks {stem!r}"))
    assert not wrong, "\n".join(map(str, wrong))


def test_admin_titles_and_counts_use_finnish_object_forms(client, admin_user):
    """ "Muokkaa tikettityyppiä" (partitive), and counts as "0 kohdetta", not "0 tunnisteet"."""
    from tests.conftest import PASSWORD
    from tiski.tickets.models import TicketType

    ticket_type = TicketType.objects.create(slug="testi", name_fi="Testi", name_en="Test")
    admin_user.is_superuser = True  # the Django admin is for superusers only
    admin_user.save()
    client.login(username=admin_user.email, password=PASSWORD)
    page = client.get(f"/admin/tickets/tickettype/{ticket_type.pk}/change/").content.decode()
    assert "<h1>Muokkaa tikettityyppiä</h1>" in page
    assert "<title>" in page and "Muokkaa tikettityyppiä | Tiski" in page
    listing = client.get("/admin/tickets/tag/").content.decode()
    assert "0 kohdetta" in listing and "0 tunnisteet" not in listing
