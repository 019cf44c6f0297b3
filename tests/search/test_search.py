"""Ticket search: the index follows the actions, ranks, filters, highlights and never leaks."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from tiski.accounts.models import Role
from tiski.customers.models import Organisation, OrganisationDomain
from tiski.search import indexing
from tiski.search.models import SearchDocument
from tiski.search.service import (
    highlight,
    search_contacts,
    search_organisations,
    search_tickets,
)
from tiski.tickets import actions
from tiski.tickets.models import MessageKind, Ticket, TicketType, Via


def numbers(results) -> list[int]:
    return [hit.ticket.number for hit in results.hits]


@pytest.fixture
def agent(make_user):
    return make_user(role=Role.ADMIN)


def test_new_ticket_is_found_by_subject_and_message(agent, indexed_ticket):
    """create_ticket indexes the subject and the first message after commit."""
    ticket = indexed_ticket(subject="Laskutusvirhe", text="Sain kaksi laskua samasta tilauksesta")
    assert SearchDocument.objects.filter(ticket=ticket).exists()
    assert numbers(search_tickets(agent, "Laskutusvirhe")) == [ticket.number]
    assert numbers(search_tickets(agent, "samasta")) == [ticket.number]
    assert numbers(search_tickets(agent, "olematon")) == []


def test_reply_and_update_reindex(agent, indexed_ticket, committed):
    """add_message and update_ticket refresh the entry through the change handler."""
    ticket = indexed_ticket(subject="Kysymys", text="Hei")
    with committed():
        actions.add_message(
            ticket, kind=MessageKind.INTERNAL, actor=agent, via=Via.AGENT, text="varaosa tilattu"
        )
    assert numbers(search_tickets(agent, "varaosa")) == [ticket.number]
    with committed():
        actions.update_ticket(ticket, actor=agent, via=Via.AGENT, subject="Jääkaappi hajosi")
    assert numbers(search_tickets(agent, "jääkaappi")) == [ticket.number]
    assert numbers(search_tickets(agent, "Kysymys")) == []


def test_requester_name_and_address_are_searchable(agent, indexed_ticket, make_contact):
    liisa = make_contact(email="liisa.virtanen@asiakas.fi", name="Liisa Virtanen")
    ticket = indexed_ticket(subject="Hei", text="Moi", requester=liisa)
    assert numbers(search_tickets(agent, "Virtanen")) == [ticket.number]
    assert numbers(search_tickets(agent, "liisa.virtanen@asiakas.fi")) == [ticket.number]


def test_subject_match_outranks_body_match(agent, indexed_ticket):
    body = indexed_ticket(subject="Yleinen kysymys", text="Minun näppäimistö ei toimi kunnolla")
    subject = indexed_ticket(subject="Näppäimistö rikki", text="Kirjaimet eivät näy")
    assert numbers(search_tickets(agent, "näppäimistö")) == [subject.number, body.number]


def test_all_words_must_match_and_phrases_keep_order(agent, indexed_ticket):
    both = indexed_ticket(subject="Paperi", text="paperi juuttuu tulostimeen")
    one = indexed_ticket(subject="Paperi", text="juuttuu jumiin")
    assert numbers(search_tickets(agent, "paperi tulostimeen")) == [both.number]
    assert numbers(search_tickets(agent, '"paperi juuttuu"')) == [both.number]
    assert numbers(search_tickets(agent, '"juuttuu paperi"')) == []
    assert set(numbers(search_tickets(agent, "juuttuu"))) == {both.number, one.number}
    assert numbers(search_tickets(agent, "juuttuu -tulostimeen")) == [one.number]
    assert numbers(search_tickets(agent, "-tulostimeen")) == [one.number]


def test_prefix_finds_half_typed_words(agent, indexed_ticket):
    ticket = indexed_ticket(subject="Salasana unohtui", text="En pääse kirjautumaan")
    assert numbers(search_tickets(agent, "salas")) == [ticket.number]


def test_finnish_inflections_on_both_databases(agent, indexed_ticket, make_contact):
    """A Finnish ticket is found by other inflections of its words."""
    finn = make_contact(email="matti@asiakas.fi", name="Matti", language="fi")
    ticket = indexed_ticket(subject="Ongelma", text="Tulostimen paperi on loppu", requester=finn)
    doc = SearchDocument.objects.get(ticket=ticket)
    # Analysed in Python, stored with the simple configuration on PostgreSQL.
    assert (doc.language, doc.config) == ("fi", "simple")
    assert numbers(search_tickets(agent, "tulostin")) == [ticket.number]
    assert numbers(search_tickets(agent, "paperit")) == [ticket.number]


def test_english_inflections_are_found(agent, indexed_ticket, make_contact):
    john = make_contact(email="john@example.com", name="John", language="en")
    ticket = indexed_ticket(subject="Problem", text="The printers stopped working", requester=john)
    assert SearchDocument.objects.get(ticket=ticket).language == "en"
    assert numbers(search_tickets(agent, "printer works")) == [ticket.number]


def test_fts5_on_sqlite(agent, indexed_ticket):
    """The embedded default searches an FTS5 table keyed by ticket id."""
    if connection.vendor != "sqlite":
        pytest.skip("SQLite only")
    ticket = indexed_ticket(subject="Sähkökatko", text="Valot sammuivat")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT rowid FROM search_ticket_fts WHERE search_ticket_fts MATCH ?", ["valot"]
        )
        assert cursor.fetchall() == [(ticket.pk,)]
    assert numbers(search_tickets(agent, "sammuivat")) == [ticket.number]


def test_deleting_a_ticket_removes_it_from_the_index(agent, indexed_ticket):
    ticket = indexed_ticket(subject="Poistettava", text="roskaa")
    Ticket.objects.filter(pk=ticket.pk).delete()
    assert not SearchDocument.objects.filter(ticket_id=ticket.pk).exists()
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM search_ticket_fts WHERE rowid = %s", [ticket.pk])
            assert cursor.fetchone()[0] == 0


def test_snippets_highlight_and_escape(agent, indexed_ticket):
    indexed_ticket(
        subject="Verkkokauppa",
        text="Kassalla näkyy <script>alert(1)</script> ja maksu epäonnistui taas",
    )
    [hit] = search_tickets(agent, "maksu").hits
    assert "<mark>maksu</mark>" in hit.snippet
    assert "<script>" not in hit.snippet
    assert "&lt;script&gt;" in hit.snippet or "script" not in hit.snippet


def test_highlight_only_lets_marks_through():
    html = highlight("a <b>\ue000x\ue001 \ue001 \ue000y")
    assert html == "a &lt;b&gt;<mark>x</mark>  <mark>y</mark>"


def test_filters(agent, make_team, make_user, indexed_ticket, make_contact, committed):
    sales = make_team("Myynti")
    seller = make_user(teams=(sales,), name="Sanna Myyjä")
    complaint = TicketType.objects.get_or_create(
        slug="complaint", defaults={"name_fi": "Reklamaatio", "name_en": "Complaint"}
    )[0]
    liisa = make_contact(email="liisa@asiakas.fi", name="Liisa")
    a = indexed_ticket(
        subject="Laite rikki",
        text="laite",
        team=sales,
        assignee=seller,
        priority="high",
        type=complaint,
        tags=["vip"],
        requester=liisa,
    )
    b = indexed_ticket(subject="Laite kysely", text="laite", priority="low")
    with committed():
        actions.update_ticket(b, actor=agent, via=Via.AGENT, status="pending")

    def found(query: str) -> set[int]:
        results = search_tickets(agent, query)
        assert not results.error, results.error
        return set(numbers(results))

    assert found("laite") == {a.number, b.number}
    assert found("laite status:pending") == {b.number}
    assert found("laite -status:pending") == {a.number}
    assert found("laite tila:avoin") == {a.number}
    assert found("laite priority:high") == {a.number}
    assert found("laite type:complaint") == {a.number}
    assert found("laite tyyppi:reklamaatio") == {a.number}
    assert found("laite team:myynti") == {a.number}
    assert found(f"laite team:{sales.pk}") == {a.number}
    assert found("laite team:none") == {b.number}
    assert found("laite assignee:none") == {b.number}
    assert found(f"laite assignee:{seller.email}") == {a.number}
    assert found("laite assignee:sanna") == {a.number}
    assert found("laite tag:VIP") == {a.number}
    assert found("laite -tag:vip") == {b.number}
    assert found("laite from:liisa@asiakas.fi") == {a.number}
    assert found("laite from:@asiakas.fi") == {a.number}
    assert found("laite from:liisa") == {a.number}
    assert found("laite channel:email") == {a.number, b.number}
    assert found("laite channel:phone") == set()
    # Filters alone list tickets without full text, newest first.
    assert found("status:pending") == {b.number}
    assert found("tag:vip priority:high") == {a.number}


def test_assignee_me(make_user, indexed_ticket):
    me = make_user()
    mine = indexed_ticket(subject="Minun", text="x", assignee=me)
    indexed_ticket(subject="Muiden", text="x")
    assert numbers(search_tickets(me, "assignee:me")) == [mine.number]


def test_created_bounds(agent, indexed_ticket):
    tz = timezone.get_current_timezone()
    old = indexed_ticket(
        subject="Vanha", text="x", created_at=timezone.datetime(2025, 12, 31, 23, 30, tzinfo=tz)
    )
    new = indexed_ticket(
        subject="Uusi", text="x", created_at=timezone.datetime(2026, 1, 1, 0, 30, tzinfo=tz)
    )
    assert numbers(search_tickets(agent, "created>=2026-01-01")) == [new.number]
    assert numbers(search_tickets(agent, "created<2026-01-01")) == [old.number]
    assert numbers(search_tickets(agent, "luotu:31.12.2025")) == [old.number]


def test_number_finds_the_ticket(agent, indexed_ticket):
    ticket = indexed_ticket(subject="Numerolla", text="x")
    results = search_tickets(agent, f"#{ticket.number}")
    assert results.jump_to == ticket
    assert search_tickets(agent, f"#{ticket.number + 100}").jump_to is None


def test_bad_query_is_an_error_not_a_crash(agent, client):
    results = search_tickets(agent, "created>yesterday")
    assert results.error and results.hits == []
    client.force_login(agent)
    response = client.get("/search/", {"q": "created>yesterday"})
    assert response.status_code == 200
    assert "yesterday" in response.content.decode()


@pytest.mark.parametrize(
    "query", ['"', "'", "\\", "a'b", 'NEAR("x")', "x AND OR NOT", "*", ":*", "!!", "a & | b"]
)
def test_awkward_input_never_breaks(agent, indexed_ticket, query):
    indexed_ticket(subject="Jotain", text="tekstiä")
    results = search_tickets(agent, query)
    assert isinstance(results.hits, list)


def test_counts_are_bounded_and_counted_past_the_page(agent, indexed_ticket):
    for i in range(4):
        indexed_ticket(subject=f"Sama sana {i}", text="yhteinen")
    results = search_tickets(agent, "yhteinen", limit=2)
    assert len(results.hits) == 2 and results.count == 4


def test_reindex_rebuilds_a_deleted_index(agent, make_ticket, capsys):
    """Tickets made without the handler (or an index wiped) come back with reindex."""
    tickets = [make_ticket(subject=f"Kadonnut {i}", text="hukassa") for i in range(3)]
    indexing.clear()
    assert search_tickets(agent, "hukassa").hits == []
    call_command("reindex", batch_size=2)
    assert set(numbers(search_tickets(agent, "hukassa"))) == {t.number for t in tickets}
    assert "3/3" in capsys.readouterr().out
    # --missing adds only what is absent and leaves the rest.
    SearchDocument.objects.filter(ticket=tickets[0]).delete()
    call_command("reindex", missing=True)
    assert SearchDocument.objects.count() == 3


def test_reindex_recreates_dropped_storage(agent, make_ticket):
    ticket = make_ticket(subject="Palautus", text="takaisin")
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("DROP TABLE search_ticket_fts")
        else:
            cursor.execute(f"DROP INDEX {indexing.GIN_INDEX}")
    call_command("reindex")
    assert numbers(search_tickets(agent, "takaisin")) == [ticket.number]


def test_contacts_and_organisations(make_contact):
    org = Organisation.objects.create(name="Putkiliike Oy")
    OrganisationDomain.objects.create(organisation=org, domain="putki.fi")
    liisa = make_contact(email="liisa@putki.fi", name="Liisa Laine", organisation=org)
    make_contact(email="matti@muu.fi", name="Matti Muu")
    assert search_contacts("laine") == [liisa]
    assert search_contacts("liisa@putki") == [liisa]
    assert search_contacts("putkiliike liisa") == [liisa]
    assert search_contacts("li") == []  # too short to be useful
    assert search_organisations("putki") == [org]
    assert search_organisations("putki.fi") == [org]
    assert search_organisations("status:open") == []


def test_contacts_and_organisations_come_in_name_order_whichever_field_matched(make_contact):
    """Candidates found by name, by address and by organisation are listed
    together by name, letter case aside, and the limit keeps the first."""
    org = Organisation.objects.create(name="Kiinteistöhuolto Oy")
    OrganisationDomain.objects.create(organisation=org, domain="huolto.fi")
    by_domain = Organisation.objects.create(name="Aalto Huolto Oy")
    OrganisationDomain.objects.create(organisation=by_domain, domain="kiinteisto.fi")
    via_org = make_contact(email="x@huolto.fi", name="Ville Virta", organisation=org)
    via_address = make_contact(email="kiinteisto@example.fi", name="aino Aalto")
    via_name = make_contact(email="m@example.fi", name="Kiira Mäki")
    make_contact(email="muu@example.fi", name="Matti Muu")
    assert search_contacts("kii") == [via_address, via_name, via_org]
    assert search_contacts("kii", limit=2) == [via_address, via_name]
    assert search_organisations("kii") == [by_domain, org]
    assert search_organisations("kii huolto") == [by_domain, org]
    assert search_organisations("kii aalto") == [by_domain]


@pytest.mark.parametrize("count", [5, 30])
def test_no_n_plus_one(make_user, make_team, indexed_ticket, django_assert_max_num_queries, count):
    """A page of 5 and of 30 results costs the same number of queries."""
    team = make_team()
    agent = make_user(teams=(team,))
    for i in range(count):
        indexed_ticket(subject=f"Kuormitus {i}", text="kuormitustesti", team=team, tags=["x"])
    search_tickets(agent, "kuormitustesti")  # the synonym list is read once, then cached
    with django_assert_max_num_queries(6):
        results = search_tickets(agent, "kuormitustesti", limit=count)
        [str(hit.ticket.requester) + str(hit.ticket.team) + hit.snippet for hit in results.hits]
    assert len(results.hits) == count


def test_names_match_with_and_without_scandinavian_letters(make_contact):
    makinen = make_contact(email="pekka@example.fi", name="Pekka Mäkinen")
    osterberg = make_contact(email="olle@example.se", name="Olle Osterberg")
    assert search_contacts("Makinen") == [makinen]
    assert search_contacts("mäkinen") == [makinen]
    assert search_contacts("Österberg") == [osterberg]


def test_a_name_with_one_typing_error_is_found(make_contact, indexed_ticket):
    virtanen = make_contact(email="pekka.v@example.fi", name="Pekka Virtanen")
    # The vocabulary learns names from indexed tickets.
    indexed_ticket(subject="Soittopyyntö", text="Soittakaa", requester=virtanen)
    assert search_contacts("Virtanenn") == [virtanen]
    assert search_contacts("Virtnen") == [virtanen]
    assert search_contacts("Xirtanenq") == []


def test_at_equal_relevance_an_open_ticket_comes_before_a_solved_one(
    agent, indexed_ticket, committed
):
    from tiski.tickets import actions
    from tiski.tickets.models import Status, Via

    open_one = indexed_ticket(subject="Vesisäiliö vuotaa", text="Apua")
    solved = indexed_ticket(subject="Vesisäiliö vuotaa", text="Apua")
    with committed():
        actions.update_ticket(solved, actor=None, via=Via.SYSTEM, status=Status.SOLVED)
    # The solved ticket is newer, so without the rule it would come first.
    assert numbers(search_tickets(agent, "vesisäiliö")) == [open_one.number, solved.number]


def test_the_type_ahead_ranks_only_the_newest_matches(agent, indexed_ticket, monkeypatch):
    """The dropdown ranks the newest TYPEAHEAD_CANDIDATES matches; the full
    search ranks them all, so an old ticket naming the word in its subject
    still comes first there."""
    from tiski.search import service

    monkeypatch.setattr(service, "TYPEAHEAD_CANDIDATES", 2)
    best = indexed_ticket(subject="Kiinteistö kiinteistö", text="kiinteistö kiinteistö")
    newer = [indexed_ticket(subject=f"Asia {i}", text="koskee kiinteistöä") for i in range(2)]
    full = numbers(search_tickets(agent, "kiinteistö"))
    quick = numbers(search_tickets(agent, "kiinteistö", quick=True))
    assert full[0] == best.number and set(full) == {best.number, *(t.number for t in newer)}
    if connection.vendor == "postgresql":
        assert sorted(quick) == sorted(t.number for t in newer)
    else:  # FTS5 ranks every match at the embedded scale
        assert quick == full


@pytest.mark.parametrize("dense_matches", [0, 10**9])
def test_older_matches_are_found_whichever_way_the_density_points(
    agent, indexed_ticket, monkeypatch, dense_matches
):
    """Past the newest tickets, the rest of the matches are found by walking
    the key (a common word) or through the index (a rare one): the same
    tickets either way, newest first, with the words' ranks deciding."""
    from tiski.search import service

    monkeypatch.setattr(service, "DENSITY_WINDOW", 2)
    monkeypatch.setattr(service, "DENSE_MATCHES", dense_matches)
    rare = indexed_ticket(subject="Harvinainen kahvinkeitin", text="kahvinkeitin vuotaa")
    common = [indexed_ticket(subject=f"Tilaus {i}", text="kiitos tilauksesta") for i in range(4)]
    indexed_ticket(subject="Muuta", text="ei mitään yhteistä")
    indexed_ticket(subject="Vielä muuta", text="ei tätäkään")
    assert numbers(search_tickets(agent, "kahvinkeitin")) == [rare.number]
    assert sorted(numbers(search_tickets(agent, "kiitos"))) == sorted(t.number for t in common)
