"""Tickets of the relevance set: what customers of a coffee shop and web store write.

Each ticket has a key the queries name. The texts are written for this set
(in the way customers write: inflected, compound-heavy, with possessives,
typos of their own and numbers), not taken from anywhere.
"""

from __future__ import annotations

# key: (language, subject, message text)
DOCUMENTS: dict[str, tuple[str, str, str]] = {
    "keitin-rikki": (
        "fi",
        "Kahvinkeittimeni ei lämpene",
        "Hei, ostin teiltä kahvinkeittimen viime kuussa ja nyt se ei enää lämpene. "
        "Valo palaa mutta vesi pysyy kylmänä. Voiko keittimen palauttaa takuuseen?",
    ),
    "keitin-vuotaa": (
        "fi",
        "Vuotava keitin",
        "Keittimestänne valuu vettä pöydälle joka aamu. Onko tiiviste viallinen?",
    ),
    "keitin-kalkki": (
        "fi",
        "Kalkinpoisto",
        "Miten kalkinpoisto tehdään espressokeittimelle? Ohjekirjassa ei kerrota "
        "kalkinpoistoaineen määrää.",
    ),
    "lasku-virhe": (
        "fi",
        "Laskussa virhe",
        "Laskullani on veloitettu kaksi kertaa sama tilaus. Pyydän hyvityslaskua "
        "toisesta veloituksesta. Laskun numero 40017.",
    ),
    "lasku-erapaiva": (
        "fi",
        "Eräpäivän siirto",
        "Voisinko saada lisää maksuaikaa? Eräpäivä on ensi maanantaina enkä ehdi "
        "maksaa laskuja ajoissa.",
    ),
    "lasku-verkkolasku": (
        "fi",
        "Verkkolaskuosoite",
        "Yrityksemme haluaa jatkossa laskut verkkolaskuina. Verkkolaskuosoitteemme on "
        "003712345678 ja välittäjä Basware.",
    ),
    "laskut-kopio": (
        "fi",
        "Kopiot laskuista",
        "Tarvitsisin kopiot kaikista laskuistanne tältä vuodelta kirjanpitoa varten.",
    ),
    "toimitus-osoite": (
        "fi",
        "Toimitusosoitteen muutos",
        "Muutimme toissa viikolla. Voitteko vaihtaa tilaukseni toimitusosoitteen "
        "Vaasankatu 12:een?",
    ),
    "toimitus-myohassa": (
        "fi",
        "Paketti myöhässä",
        "Tilasin kahvipavut kaksi viikkoa sitten eikä pakettia ole vieläkään kuulunut. "
        "Seurantakoodi ei näytä mitään.",
    ),
    "toimitus-pakettiautomaatti": (
        "fi",
        "Noutopiste",
        "Voiko tilauksen toimittaa pakettiautomaattiin? Lähin automaatti on Prisman aulassa.",
    ),
    "toimitus-rikki": (
        "fi",
        "Rikkinäinen lähetys",
        "Lähetyksessä tullut kahvimylly oli rikki, kannessa on halkeama. "
        "Liitteenä kuva pakkauksesta.",
    ),
    "tilaus-peruutus": (
        "fi",
        "Tilauksen peruminen",
        "Haluan perua eilen tekemäni tilauksen numero 58213, tilasin vahingossa "
        "väärän jauhatuksen.",
    ),
    "tilaus-vahvistus": (
        "fi",
        "Ei tilausvahvistusta",
        "En ole saanut tilausvahvistusta sähköpostiini, vaikka kortiltani on jo veloitettu.",
    ),
    "tilaus-lisays": (
        "fi",
        "Lisäys tilaukseen",
        "Voisinko lisätä tilaukseeni vielä kaksi pussia tummapaahtoista?",
    ),
    "salasana": (
        "fi",
        "Salasana unohtunut",
        "En pääse kirjautumaan verkkokauppaan, salasanani on unohtunut eikä "
        "palautuslinkki tule perille.",
    ),
    "tili-poisto": (
        "fi",
        "Asiakastilin poisto",
        "Pyydän poistamaan asiakastilini ja kaikki henkilötietoni rekisteristänne.",
    ),
    "uutiskirje": (
        "fi",
        "Uutiskirjeen peruutus",
        "Miten saan uutiskirjeenne tilauksen loppumaan? Peruutuslinkki ei toimi.",
    ),
    "takuu-mylly": (
        "fi",
        "Takuukorjaus",
        "Kahvimyllyni terät ovat tylsyneet puolessa vuodessa. Kuuluuko tämä takuun piiriin?",
    ),
    "palautus": (
        "fi",
        "Tuotteen palautus",
        "Haluaisin palauttaa käyttämättömän maitovaahdottimen. Miten palautus tehdään "
        "ja saanko rahat takaisin tililleni?",
    ),
    "vaahdotin-aani": (
        "fi",
        "Vaahdotin pitää ääntä",
        "Uusi maidonvaahdottimeni pitää kovaa surisevaa ääntä. Onko tämä normaalia?",
    ),
    "lahjakortti": (
        "fi",
        "Lahjakortin käyttö",
        "Sain lahjaksi lahjakortin mutta verkkokauppa ei hyväksy koodia kassalla.",
    ),
    "alennuskoodi": (
        "fi",
        "Alennuskoodi ei toimi",
        "Kampanjan alennuskoodi PAPU20 ei toimi ostoskorissa.",
    ),
    "yritysasiakas": (
        "fi",
        "Tarjouspyyntö toimistolle",
        "Olemme 40 hengen toimisto ja etsimme kahvinkeitintä sekä kuukausittaista "
        "papujen toimitusta. Pyydämme tarjousta.",
    ),
    "kahvi-maku": (
        "fi",
        "Kahvi maistuu kitkerältä",
        "Viimeisin erä tummapaahtoista maistuu oudon kitkerältä, aivan eri makuiselta "
        "kuin aiemmin.",
    ),
    "papu-saatavuus": (
        "fi",
        "Etiopia loppu?",
        "Onko Etiopian kahvipapuja tulossa lisää? Verkkokaupassa lukee loppuunmyyty.",
    ),
    "aukiolo": (
        "fi",
        "Myymälän aukioloajat",
        "Onko myymälänne auki juhannuksena? Nettisivuilla ei ole poikkeusaukioloaikoja.",
    ),
    "kuitti": (
        "fi",
        "Kuitti hukassa",
        "Kadotin kuittini. Saanko uuden kuitin takuuta varten? Ostin keittimen "
        "Tampereen myymälästä.",
    ),
    "maksu-epaonnistui": (
        "fi",
        "Maksu ei mennyt läpi",
        "Korttimaksu epäonnistui kolme kertaa, mutta pankkini mukaan rahat on varattu tililtäni.",
    ),
    "virtanen-soitto": (
        "fi",
        "Soittopyyntö",
        "Pyydän soittoa numeroon 040 123 4567, terveisin Pekka Virtanen.",
    ),
    "korjaus-kesto": (
        "fi",
        "Korjauksen kesto",
        "Kuinka kauan korjaukseen lähettämäni espressokeittimen huolto kestää?",
    ),
    "asennus": (
        "fi",
        "Asennusohjeet",
        "Löytyykö suomenkielisiä asennusohjeita vesisäiliön suodattimelle?",
    ),
    "tilaus-maanantai": (
        "fi",
        "Toimitus maanantaina",
        "Ehditäänkö tilaukseni toimittaa vielä maanantaina? Tarvitsen kahvit tiistain kokoukseen.",
    ),
    "sahkoposti-vaihto": (
        "fi",
        "Sähköpostiosoitteen vaihto",
        "Vaihdoin työpaikkaa. Voitteko päivittää sähköpostiosoitteeni asiakastietoihin?",
    ),
    "varaosat": (
        "fi",
        "Varaosien tilaus",
        "Mistä voin tilata varaosia vanhaan keittimeeni? Tarvitsen uuden lasikannun.",
    ),
    "kapselit": (
        "fi",
        "Kapseleiden yhteensopivuus",
        "Sopivatko teidän kahvikapselinne Nespresso-laitteeseen?",
    ),
    "english-printer": (
        "en",
        "Receipt printer stopped",
        "The receipt printers in our shop stopped working after your update yesterday.",
    ),
    "english-refund": (
        "en",
        "Refund request",
        "I returned the grinder two weeks ago and have not received my refund yet.",
    ),
    "english-delivery": (
        "en",
        "Late delivery",
        "My order was supposed to be delivered on Friday, but the parcel has not arrived.",
    ),
    "english-invoice": (
        "en",
        "Wrong invoice",
        "The invoices you sent us list the wrong VAT number. Please correct them.",
    ),
    "english-password": (
        "en",
        "Cannot log in",
        "I forgot my password and the reset emails never reach my inbox.",
    ),
    "english-machine": (
        "en",
        "Coffee machine leaking",
        "Our office coffee machine is leaking water from the bottom.",
    ),
    "english-subscription": (
        "en",
        "Cancel subscription",
        "Please cancel my monthly bean subscription from next month onwards.",
    ),
    "english-warranty": (
        "en",
        "Warranty question",
        "Is the milk frother covered by warranty if the motor burns out?",
    ),
    "english-discount": (
        "en",
        "Discount code",
        "The discount code from your newsletter is rejected at checkout.",
    ),
    "english-opening": (
        "en",
        "Opening hours",
        "Are your shops open on Midsummer Eve?",
    ),
    "english-shipping": (
        "en",
        "Shipping abroad",
        "Do you ship orders to Sweden, and how much does shipping cost?",
    ),
}
