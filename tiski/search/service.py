"""Running a search: tickets (full text, ranked, with snippets), contacts, organisations.

Ticket searches always start from ``Ticket.objects.visible_to(user)``; the
query's filters narrow that queryset with ordinary ORM filters, and only
then does the full-text engine rank what is left. Snippets are computed for
the ids of the page just ranked, which all came out of that queryset, so a
ticket the user may not see cannot reach a result, a count or a snippet.

Two engines share one interface: PostgreSQL (stored tsvector, GIN index,
``ts_rank`` and ``ts_headline``) and SQLite (FTS5, ``bm25`` and
``snippet``). The database in use picks one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import TYPE_CHECKING, Protocol

from django.contrib.postgres.search import SearchQuery, SearchRank
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection
from django.db.models import Case, Exists, F, OuterRef, Q, QuerySet, Subquery, Value, When
from django.db.models.functions import Substr
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from django.utils.http import urlencode
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from tiski.core.config_cache import kept
from tiski.customers.models import (
    Contact,
    Identity,
    IdentityKind,
    Organisation,
    OrganisationDomain,
)
from tiski.customers.phones import search_fragments, to_e164
from tiski.tickets import custom_fields
from tiski.tickets.models import (
    UNSOLVED_STATUSES,
    Message,
    MessageKind,
    Tag,
    Ticket,
    TicketField,
    TicketFieldValue,
)

from . import analysis, matching, vocabulary
from .indexing import FTS_TABLE
from .models import SYNONYM_CACHE_KEY, SavedSearch, SearchDocument, SynonymGroup
from .query import FIELD_FILTER_PREFIX, ParsedQuery, QueryError, parse

if TYPE_CHECKING:
    from tiski.accounts.models import User

# Counts stop here: "1000+" is as useful as an exact figure and never scans
# every match of a common word.
COUNT_CAP = 1000
# A common word can match a large share of a million tickets; ranking all
# of them would read every matching vector. Only the newest matches are
# ranked, which keeps a common-word search bounded and still puts the best
# of the recent conversations first. Below this many matches the ranking
# is exact.
RANK_CANDIDATES = 2000
# The type-ahead shows five tickets while the agent types; the best of the
# newest 200 matches are enough there, and Enter opens the full search.
# Ranking all 2,000 candidates read about 10,000 buffers for a three-letter
# prefix at a million tickets.
TYPEAHEAD_CANDIDATES = 200
# How the candidates are found (PostgresEngine._newest_matching_ids): the
# matches among the newest DENSITY_WINDOW tickets estimate how common the
# words are; above DENSE_MATCHES estimated matches the older ones are found
# by walking down the ticket key, below it through the GIN index.
DENSITY_WINDOW = 5_000
DENSE_MATCHES = 20_000
# Private-use characters mark highlights inside the database's snippet, so
# the text can be HTML-escaped before the marks become <mark> tags.
MARK_START, MARK_END = "\ue000", "\ue001"
SNIPPET_CHARS = 240
MIN_NAME_QUERY = 3


@dataclass(frozen=True)
class TicketHit:
    ticket: Ticket
    snippet: SafeString
    rank: float = 0.0


@dataclass
class TicketResults:
    query_string: str
    parsed: ParsedQuery | None
    hits: list[TicketHit] = field(default_factory=list)
    count: int = 0
    error: str = ""

    @property
    def count_label(self) -> str:
        return f"{COUNT_CAP}+" if self.count > COUNT_CAP else str(self.count)

    @property
    def jump_to(self) -> Ticket | None:
        """The ticket a bare ``#1234`` names, when the user may see it."""
        if self.parsed and self.parsed.only_numbers and len(self.hits) == 1:
            return self.hits[0].ticket
        return None


# --- highlighting -----------------------------------------------------------


def highlight(raw: str | None) -> SafeString:
    """Escape a snippet from the database and turn its marks into <mark>."""
    text = " ".join((raw or "").split())
    if len(text) > SNIPPET_CHARS * 2:
        text = text[: SNIPPET_CHARS * 2] + "…"
    # Close a mark the cut left open, and drop stray marks a customer typed.
    opened = False
    out: list[str] = []
    for piece in _split_marks(escape(text)):
        if piece == MARK_START:
            if not opened:
                out.append("<mark>")
                opened = True
        elif piece == MARK_END:
            if opened:
                out.append("</mark>")
                opened = False
        else:
            out.append(piece)
    if opened:
        out.append("</mark>")
    return mark_safe("".join(out))  # noqa: S308 - escaped above, only <mark> added


def query_lemmas(parsed: ParsedQuery) -> frozenset[str]:
    """The dictionary forms (or stems) of the query's words, for highlighting."""
    found: set[str] = set()
    for text in (*parsed.terms, *parsed.phrases):
        for word in analysis.words(text):
            found |= analysis.analyse_word(word).lemmas
    return frozenset(found)


def mark_inflected(raw: str, lemmas: frozenset[str]) -> str:
    """Also mark the snippet's words that are forms of a query word.

    The database marks the word forms it matched itself; a search for
    "lasku" found the ticket through the lemma, so "laskussa" and "laskun"
    are marked here by the same analysis (`analysis.analyse_word`, Voikko or
    Snowball) the index was built with. Marked text is left as it is.
    """
    if not raw or not lemmas:
        return raw or ""

    def mark(match: re.Match[str]) -> str:
        word = match.group(0)
        if analysis.analyse_word(analysis.fold(word)).lemmas & lemmas:
            return f"{MARK_START}{word}{MARK_END}"
        return word

    out: list[str] = []
    inside = False
    for piece in _split_marks(raw):
        if piece in (MARK_START, MARK_END):
            inside = piece == MARK_START
            out.append(piece)
        else:
            out.append(piece if inside else analysis.WORD_RE.sub(mark, piece))
    return "".join(out)


def _split_marks(text: str) -> list[str]:
    pieces: list[str] = []
    current: list[str] = []
    for char in text:
        if char in (MARK_START, MARK_END):
            pieces.append("".join(current))
            pieces.append(char)
            current = []
        else:
            current.append(char)
    pieces.append("".join(current))
    return pieces


# --- filters ----------------------------------------------------------------


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _condition(key: str, values: tuple[str, ...], user: User) -> Q:
    """One filter as a Q; any of the values matches."""
    if key == "status":
        return Q(status__in=values)
    if key == "priority":
        return Q(priority__in=values)
    if key == "channel":
        return Q(channel__in=values)
    cond = Q(pk__in=[])
    for value in values:
        if key == "type":
            cond |= (
                Q(type__slug__iexact=value)
                | Q(type__name_fi__iexact=value)
                | Q(type__name_en__iexact=value)
            )
        elif key == "team":
            if value == "none":
                cond |= Q(team__isnull=True)
            elif value.isdigit():
                cond |= Q(team_id=int(value))
            else:
                cond |= Q(team__name__iexact=value)
        elif key == "assignee":
            if value == "me":
                cond |= Q(assignee_id=user.pk)
            elif value == "none":
                cond |= Q(assignee__isnull=True)
            elif value.isdigit():
                cond |= Q(assignee_id=int(value))
            elif "@" in value:
                cond |= Q(assignee__email__iexact=value)
            else:
                cond |= Q(assignee__name__icontains=value)
        elif key == "tag":
            cond |= Q(
                Exists(
                    Ticket.tags.through.objects.filter(
                        ticket_id=OuterRef("pk"), tag__name=Tag.normalise(value)
                    )
                )
            )
        elif key == "from":
            cond |= _from_condition(value)
    return cond


def _field_condition(key: str, values: tuple[str, ...]) -> Q:
    """``field:<key>:<value>``: an indexed look-up on (field, lookup), the
    values cleaned as the field cleans them (31.12.2026, a choice's label)."""
    field = TicketField.objects.filter(key=key).first()
    if field is None:
        raise QueryError(_("There is no ticket field “%(key)s”.") % {"key": key})
    rows = TicketFieldValue.objects.filter(ticket_id=OuterRef("pk"), field=field)
    cond = Q(pk__in=[])
    for value in values:
        if value == "none":
            cond |= ~Q(Exists(rows))
            continue
        try:
            cleaned = custom_fields.clean_value(field, value)
        except ValidationError as error:
            raise QueryError(" ".join(error.messages)) from None
        if not cleaned:  # an unticked box
            cond |= ~Q(Exists(rows))
            continue
        matching = rows.filter(lookup=custom_fields.lookup_of(cleaned))
        if len(cleaned) > custom_fields.LOOKUP_LENGTH:
            matching = matching.filter(value__iexact=cleaned)
        cond |= Q(Exists(matching))
    return cond


def _from_condition(value: str) -> Q:
    identities = Identity.objects.filter(contact_id=OuterRef("requester_id"))
    if value.startswith("@"):
        return Q(Exists(identities.filter(value__endswith=value.lower())))
    if "@" in value or value.lstrip("+").isdigit():
        return Q(Exists(identities.filter(value=value)))
    # A name or part of an address: "from:liisa".
    return Q(requester__name__icontains=value) | Q(
        Exists(identities.filter(value__icontains=value.lower()))
    )


def _any_condition(key: str, values: tuple[str, ...], user: User) -> Q:
    if key.startswith(FIELD_FILTER_PREFIX):
        return _field_condition(key.removeprefix(FIELD_FILTER_PREFIX), values)
    return _condition(key, values, user)


def apply_filters(qs: QuerySet[Ticket], parsed: ParsedQuery, user: User) -> QuerySet[Ticket]:
    """The query's filters on ``qs``; raises QueryError for a custom field
    that does not exist or a value it cannot hold."""
    for key, values in parsed.filters.items():
        qs = qs.filter(_any_condition(key, values, user))
    for key, values in parsed.excluded_filters.items():
        qs = qs.exclude(_any_condition(key, values, user))
    if parsed.numbers:
        qs = qs.filter(number__in=parsed.numbers)
    if parsed.created_from:
        qs = qs.filter(created_at__gte=_start_of(parsed.created_from))
    if parsed.created_until:
        qs = qs.filter(created_at__lt=_start_of(parsed.created_until))
    return qs


# --- engines ----------------------------------------------------------------


class Engine(Protocol):
    def exclude_words(self, qs: QuerySet[Ticket], parsed: ParsedQuery) -> QuerySet[Ticket]: ...

    def ranked(
        self, qs: QuerySet[Ticket], parsed: ParsedQuery, limit: int
    ) -> list[tuple[int, float]]: ...

    def count(self, qs: QuerySet[Ticket], parsed: ParsedQuery) -> int: ...

    def snippets(self, ids: list[int], parsed: ParsedQuery) -> dict[int, str]: ...


# How long a process keeps the synonym table before reading it again.
SYNONYM_CACHE_SECONDS: int | None = 60


def synonym_table() -> dict[str, list[str]]:
    """Each word of an admin's synonym groups → the other words of its groups.

    Cached: every search reads it, and it changes when an admin edits the
    list (which clears the cache; other processes see it within a minute).
    """
    table = cache.get(SYNONYM_CACHE_KEY)
    if table is None:
        table = {}
        for group in SynonymGroup.objects.all():
            words = [analysis.fold(w) for w in group.word_list()]
            for word in words:
                table.setdefault(word, []).extend(w for w in words if w != word)
        cache.set(SYNONYM_CACHE_KEY, table, SYNONYM_CACHE_SECONDS)
    return table


class RawTsQuery(SearchQuery):
    """A tsquery written as SQL by `matching.postgres_tsquery`.

    A SearchQuery subclass, so the ORM accepts it wherever a search query
    goes (the ``search_vector=`` lookup, SearchRank).
    """

    def __init__(self, sql: str, params: list[str]) -> None:
        super().__init__("", search_type="raw")
        self.sql, self.params = sql, params

    def as_sql(self, compiler, connection, **extra):  # type: ignore[no-untyped-def]
        return self.sql, list(self.params)


def corrections_for(parsed: ParsedQuery) -> dict[str, list[str]]:
    """Words of the index one typing error away from the query's unknown words."""
    return {
        term: vocabulary.corrections(term)
        for term in parsed.terms
        if matching.needs_correction(term)
    }


class PostgresEngine:
    def __init__(self, rank_candidates: int = RANK_CANDIDATES) -> None:
        self.rank_candidates = rank_candidates
        self.candidates: int | None = None
        self.synonyms = synonym_table()
        self.corrections: dict[tuple[str, ...], dict[str, list[str]]] = {}

    def _tsquery_sql(
        self, parsed: ParsedQuery, *, negative_only: bool = False
    ) -> tuple[str, list[str]]:
        if parsed.terms not in self.corrections:
            self.corrections[parsed.terms] = corrections_for(parsed)
        return matching.postgres_tsquery(
            parsed, self.synonyms, self.corrections[parsed.terms], negative_only=negative_only
        )

    def tsquery(self, parsed: ParsedQuery, *, negative_only: bool = False) -> SearchQuery:
        return RawTsQuery(*self._tsquery_sql(parsed, negative_only=negative_only))

    def exclude_words(self, qs: QuerySet[Ticket], parsed: ParsedQuery) -> QuerySet[Ticket]:
        unwanted = SearchDocument.objects.filter(
            search_vector=self.tsquery(parsed, negative_only=True)
        ).values("ticket_id")
        return qs.exclude(pk__in=unwanted)

    def _matching(self, qs: QuerySet[Ticket], parsed: ParsedQuery) -> QuerySet[Ticket]:
        return qs.filter(search_document__search_vector=self.tsquery(parsed))

    def ranked(
        self, qs: QuerySet[Ticket], parsed: ParsedQuery, limit: int
    ) -> list[tuple[int, float]]:
        # Two steps with predictable plans: the newest matching visible ids
        # (GIN bitmap scan joined to the visible tickets, or a walk down the
        # ticket primary key for a very common word), then the ranks of just
        # those documents, fetched by primary key.
        ids = self._newest_matching_ids(qs, parsed)
        self.candidates = len(ids)
        if not ids:
            return []
        rows = (
            # The fetch above keeps its LIMIT whatever the ranking takes: a
            # smaller one made PostgreSQL walk the whole ticket key for a
            # rare word (7 s for "9000" at a million tickets).
            SearchDocument.objects.filter(ticket_id__in=ids[: self.rank_candidates])
            # normalization 1: divide by 1 + log(length), so a long thread that
            # repeats a word does not bury a ticket whose subject names it.
            .annotate(
                rank=SearchRank(F("search_vector"), self.tsquery(parsed), normalization=1),
                # At equal relevance, a case still open comes before a closed one.
                unsolved=Case(
                    When(ticket__status__in=UNSOLVED_STATUSES, then=Value(1)),
                    default=Value(0),
                ),
            )
            .order_by("-rank", "-unsolved", "-ticket_id")
            .values_list("ticket_id", "rank")[:limit]
        )
        return [(ticket_id, float(rank)) for ticket_id, rank in rows]

    def _newest_matching_ids(self, qs: QuerySet[Ticket], parsed: ParsedQuery) -> list[int]:
        """Up to RANK_CANDIDATES matching visible ids, newest first.

        PostgreSQL's estimate of how many documents a query matches is
        rough (an OR of prefixes and compound parts), and each of the two
        plans is ruinous in the other's case: walking down the ticket key
        finds a common word's newest matches at once but reads every
        document for a word that matches nothing (3 s at a million
        tickets), while the GIN bitmap is instant for a rare word and reads
        the whole table for a common one. So the newest DENSITY_WINDOW
        tickets are looked at first, and what they find decides the plan
        for the rest.
        """
        matching = self._matching(qs, parsed)
        newest = Ticket.objects.order_by("-id").values_list("id", flat=True).first()
        if newest is None:
            return []
        floor = newest - DENSITY_WINDOW
        recent = list(
            matching.filter(id__gt=floor)
            .order_by("-id")
            .values_list("id", flat=True)[:RANK_CANDIDATES]
        )
        if len(recent) >= RANK_CANDIDATES or floor <= 0:
            return recent
        older = matching.filter(id__lte=floor)
        if len(recent) * newest / DENSITY_WINDOW > DENSE_MATCHES:
            older = older.order_by("-id")  # common: the next matches are near
        else:
            # Rare: the GIN index finds them all; ordering by an expression
            # keeps PostgreSQL from walking the key instead.
            older = older.order_by((F("id") + 0).desc())
        rest = older.values_list("id", flat=True)[: RANK_CANDIDATES - len(recent)]
        return recent + list(rest)

    def count(self, qs: QuerySet[Ticket], parsed: ParsedQuery) -> int:
        # ranked() saw up to RANK_CANDIDATES matches, more than the count cap.
        if self.candidates is not None:
            return min(self.candidates, COUNT_CAP + 1)
        return _bounded_count(self._matching(qs, parsed))

    def snippets(self, ids: list[int], parsed: ParsedQuery) -> dict[int, str]:
        """A headline from each ticket's best message: the first one that matches."""
        if not ids:
            return {}
        tsq, params = self._tsquery_sql(parsed)
        options = (
            f"StartSel={MARK_START}, StopSel={MARK_END}, MaxWords=30, MinWords=12, "
            'MaxFragments=2, FragmentDelimiter=" … "'
        )
        sql = f"""
            SELECT x.ticket_id, ts_headline(x.config::regconfig, x.text, {tsq}, %s)
            FROM (
                SELECT DISTINCT ON (m.ticket_id) m.ticket_id, d.config, left(m.text, 20000) AS text
                FROM {Message._meta.db_table} m
                JOIN {SearchDocument._meta.db_table} d ON d.ticket_id = m.ticket_id
                WHERE m.ticket_id = ANY(%s) AND m.kind <> %s AND m.text <> ''
                ORDER BY m.ticket_id,
                    (to_tsvector(d.config::regconfig, left(m.text, 20000)) @@ {tsq}) DESC,
                    m.created_at, m.id
            ) x
        """
        with connection.cursor() as cursor:
            cursor.execute(sql, [*params, options, ids, str(MessageKind.SYSTEM), *params])
            return dict(cursor.fetchall())


class SqliteEngine:
    # bm25 weights per FTS column: subject, people (requester), body, then
    # the analysed lemmas and compound parts of all of them.
    WEIGHTS = "10.0, 4.0, 1.0, 0.6, 0.3"

    def __init__(self) -> None:
        self.synonyms = synonym_table()
        self.corrections: dict[tuple[str, ...], dict[str, list[str]]] = {}

    def match(self, parsed: ParsedQuery) -> str:
        if parsed.terms not in self.corrections:
            self.corrections[parsed.terms] = corrections_for(parsed)
        return matching.fts5_match(parsed, self.synonyms, self.corrections[parsed.terms])

    @staticmethod
    def _ids_sql(qs: QuerySet[Ticket]) -> tuple[str, list]:
        sql, params = qs.order_by().values("pk").query.sql_with_params()
        return sql, list(params)

    def exclude_words(self, qs: QuerySet[Ticket], parsed: ParsedQuery) -> QuerySet[Ticket]:
        unwanted = matching.fts5_match(parsed, self.synonyms, negative_only=True)
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s", [unwanted])
            ids = [row[0] for row in cursor.fetchall()]
        return qs.exclude(pk__in=ids)

    def ranked(
        self, qs: QuerySet[Ticket], parsed: ParsedQuery, limit: int
    ) -> list[tuple[int, float]]:
        inner, params = self._ids_sql(qs)
        unsolved = ", ".join(f"'{status}'" for status in UNSOLVED_STATUSES)
        sql = (
            f"SELECT f.rowid, bm25({FTS_TABLE}, {self.WEIGHTS}) AS score FROM {FTS_TABLE} f "
            f"JOIN {Ticket._meta.db_table} t ON t.id = f.rowid "
            f"WHERE {FTS_TABLE} MATCH %s AND f.rowid IN ({inner}) "
            # At equal relevance, a case still open comes before a closed one.
            f"ORDER BY score, t.status IN ({unsolved}) DESC, f.rowid DESC LIMIT %s"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [self.match(parsed), *params, limit])
            # bm25 is "lower is better"; flip it so higher means better everywhere.
            return [(ticket_id, -score) for ticket_id, score in cursor.fetchall()]

    def count(self, qs: QuerySet[Ticket], parsed: ParsedQuery) -> int:
        inner, params = self._ids_sql(qs)
        sql = (
            f"SELECT count(*) FROM (SELECT 1 FROM {FTS_TABLE} "
            f"WHERE {FTS_TABLE} MATCH %s AND rowid IN ({inner}) LIMIT %s)"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [self.match(parsed), *params, COUNT_CAP + 1])
            return int(cursor.fetchone()[0])

    def snippets(self, ids: list[int], parsed: ParsedQuery) -> dict[int, str]:
        if not ids:
            return {}
        listed = ",".join(str(int(i)) for i in ids)
        sql = (
            f"SELECT rowid, snippet({FTS_TABLE}, 2, %s, %s, '…', 24) FROM {FTS_TABLE} "
            f"WHERE {FTS_TABLE} MATCH %s AND rowid IN ({listed})"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [MARK_START, MARK_END, self.match(parsed)])
            return dict(cursor.fetchall())


def engine(rank_candidates: int = RANK_CANDIDATES) -> Engine:
    if connection.vendor == "postgresql":
        return PostgresEngine(rank_candidates)
    return SqliteEngine()  # FTS5 ranks every match fast enough at the embedded scale


def _bounded_count(qs: QuerySet) -> int:
    return qs.order_by()[: COUNT_CAP + 1].count()


def _first_message_texts(ids: list[int]) -> dict[int, str]:
    """Snippets for searches without words: how each conversation begins."""
    first = (
        Message.objects.filter(ticket_id=OuterRef("pk"))
        .exclude(kind=MessageKind.SYSTEM)
        .order_by("created_at", "id")
        .annotate(start=Substr("text", 1, SNIPPET_CHARS))
        .values("start")[:1]
    )
    rows = Ticket.objects.filter(pk__in=ids).annotate(start=Subquery(first))
    return dict(rows.values_list("pk", "start"))


# --- public API -------------------------------------------------------------


def search_tickets(
    user: User, query_string: str, limit: int = 20, *, quick: bool = False
) -> TicketResults:
    """Ranked tickets the user may see, with highlighted snippets.

    A query with words is ranked by relevance; one with filters only lists
    the matching tickets, most recently updated first. ``quick`` is the
    type-ahead's: on PostgreSQL only the newest TYPEAHEAD_CANDIDATES
    matches are ranked, and nothing is counted beyond the hits.
    """
    try:
        parsed = parse(query_string)
        qs = apply_filters(Ticket.objects.visible_to(user), parsed, user)
    except QueryError as exc:
        return TicketResults(query_string, None, error=str(exc))
    results = TicketResults(query_string, parsed)
    if parsed.is_empty:
        return results
    search = engine(TYPEAHEAD_CANDIDATES if quick else RANK_CANDIDATES)
    if parsed.excluded and not parsed.has_text:
        qs = search.exclude_words(qs, parsed)
    try:
        if parsed.has_text:
            ranked = search.ranked(qs, parsed, limit)
            counted = len(ranked) >= limit and not quick
            results.count = search.count(qs, parsed) if counted else len(ranked)
        else:
            ranked = [
                (pk, 0.0)
                for pk in qs.order_by("-updated_at", "-id").values_list("pk", flat=True)[:limit]
            ]
            results.count = _bounded_count(qs) if len(ranked) >= limit else len(ranked)
    except DatabaseError:
        # An FTS5 or tsquery edge case the quoting did not foresee must not
        # become a 500 page.
        return TicketResults(
            query_string, parsed, error=_("This search could not be run. Try other words.")
        )
    ids = [pk for pk, _rank in ranked]
    if not ids:
        return results
    # Loaded through the same visible, filtered queryset the ids came from.
    tickets = qs.filter(pk__in=ids).select_related("requester", "assignee", "team", "type")
    by_id = {t.pk: t for t in tickets}
    if parsed.has_text:
        lemmas = query_lemmas(parsed)
        raw = {
            pk: mark_inflected(text, lemmas) for pk, text in search.snippets(ids, parsed).items()
        }
    else:
        raw = _first_message_texts(ids)
    results.hits = [
        TicketHit(by_id[pk], highlight(raw.get(pk)), rank) for pk, rank in ranked if pk in by_id
    ]
    return results


def _words(query: str | ParsedQuery) -> list[str]:
    if isinstance(query, str):
        try:
            query = parse(query)
        except QueryError:
            return []
    words = [w for w in (*query.terms, *query.phrases) if len(w) >= 2]
    if not any(len(w) >= MIN_NAME_QUERY for w in words):
        return []
    return words


# Matches per word and source considered for contact results (a few screens
# of them); a word matching more than this is too common to narrow anything.
CONTACT_CANDIDATES = 500


# Finnish names are often written without ä, ö and å (in addresses, on
# foreign keyboards): "Makinen" must find Mäkinen and "Mäkinen" Makinen.
_LETTER_VARIANTS = {"a": "aä", "ä": "aä", "o": "oö", "ö": "oö", "å": "aå"}
MAX_NAME_VARIANTS = 16


def name_variants(word: str) -> list[str]:
    """The word with each a/ä/å and o/ö written either way (at most 16 forms)."""
    forms = [""]
    for char in word.lower():
        options = _LETTER_VARIANTS.get(char, char)
        if len(forms) * len(options) > MAX_NAME_VARIANTS:
            options = char
        forms = [form + option for form in forms for option in options]
    return forms


def _any_of(field: str, forms: list[str]) -> Q:
    condition = Q()
    for form in forms:
        condition |= Q(**{f"{field}__icontains": form})
    return condition


def _contacts_matching(word: str) -> set[int]:
    """Contacts whose name, identity or organisation holds the word (in any ä/a form)."""
    forms = name_variants(word)
    # Unordered on purpose: the candidates are put in name order later, and
    # ordering here made PostgreSQL walk the contacts in name order testing
    # each one's organisation (96 ms at 333,000 contacts for "kii") instead
    # of finding the few organisations through their trigram index.
    found = set(
        Contact.objects.filter(_any_of("name", forms))
        .order_by()
        .values_list("pk", flat=True)[:CONTACT_CANDIDATES]
    )
    found |= set(
        Identity.objects.filter(value__icontains=word.lower())
        .order_by()
        .values_list("contact_id", flat=True)[:CONTACT_CANDIDATES]
    )
    organisations = (
        Organisation.objects.filter(_any_of("name", forms))
        .order_by()
        .values("pk")[:CONTACT_CANDIDATES]
    )
    found |= set(
        Contact.objects.filter(organisation__in=organisations)
        .order_by()
        .values_list("pk", flat=True)[:CONTACT_CANDIDATES]
    )
    return found


def search_contacts(query: str | ParsedQuery, limit: int = 10) -> list[Contact]:
    """Contacts whose name, any address or number, or organisation holds every word.

    Plain substring matching: names and addresses are short and not
    language, so stemming would not help, and a part of an address
    ("liisa@", "0401234") must match. Names match with ä/ö written as a/o
    and the other way round, and a word that matches nobody is tried with
    its corrections (one typing error). On PostgreSQL trigram indexes from
    the migration serve these LIKEs; on SQLite the contacts table is small
    enough for the embedded default.
    """
    words = _words(query)
    if not words:
        return []
    candidates = _contacts_by_number(" ".join(words))
    if candidates:
        return _contacts_in_order(candidates, limit)
    # Each word's candidates come from three index-served lookups (trigram
    # indexes on PostgreSQL) rather than one OR over a join: with OR the
    # planner walks every contact in name order testing each, which at
    # hundreds of thousands of contacts took over a second for a word that
    # matches nobody.
    candidates: set[int] | None = None
    for word in words:
        found = _contacts_matching(word)
        if not found:
            # One typing error in a name ("Virtanenn"): the names customers
            # and agents wrote are in the index's vocabulary.
            for near in vocabulary.corrections(word):
                found |= _contacts_matching(near)
        candidates = found if candidates is None else candidates & found
        if not candidates:
            return []
    return _contacts_in_order(candidates, limit)


# A whole query that is one address ("Liisa@Esimerkki.fi", "<liisa@esimerkki.fi>",
# "mailto:…") or one number however it is written ("040 123 4567", "+358 (0)40-123 4567").
_EMAIL_QUERY = re.compile(r"^(?:mailto:)?<?([^\s<>@]+@[^\s<>@]+\.[^\s<>@]+)>?$", re.IGNORECASE)
_PHONE_QUERY = re.compile(r"^\+?[\d\s().\-/]+$")
MIN_PHONE_DIGITS = 7


def contact_for_identity(query: str) -> Contact | None:
    """The one contact whose address or number the whole query is, else None.

    The search box jumps straight to that contact's page, as ``#1234`` jumps
    to a ticket; any other query gets the normal results.
    """
    text = query.strip()
    email = _EMAIL_QUERY.match(text)
    if email:
        kind, value = IdentityKind.EMAIL, email.group(1).lower()
    elif _PHONE_QUERY.match(text) and sum(c.isdigit() for c in text) >= MIN_PHONE_DIGITS:
        kind, value = IdentityKind.PHONE, to_e164(text) or ""
    else:
        return None
    owners = list(
        Identity.objects.filter(kind=kind, value=value).values_list("contact_id", flat=True)[:2]
    )
    return Contact.objects.filter(pk=owners[0]).first() if len(owners) == 1 else None


def _contacts_by_number(text: str) -> set[int]:
    """Contacts with a phone number the query spells in any common way.

    Numbers are stored in E.164, so "044 758 6049" (three words that each
    match too much or nothing) becomes the one fragment "+358447586049".
    """
    fragments = search_fragments(text)
    if not fragments:
        return set()
    return set(
        Identity.objects.filter(kind=IdentityKind.PHONE, value__contains=fragments[0]).values_list(
            "contact_id", flat=True
        )[:CONTACT_CANDIDATES]
    )


def _first_by_name(qs: QuerySet, candidates: set[int], limit: int) -> list:
    """The first ``limit`` of the candidate rows in name order, loaded from ``qs``.

    Picked from the candidates' own names: asked to sort in SQL, PostgreSQL
    walked the whole name index looking for the few candidates.
    """
    named = qs.model.objects.filter(pk__in=candidates).order_by().values_list("name", "pk")
    ordered = sorted(named, key=lambda row: (row[0].casefold(), row[1]))
    first = [pk for _name, pk in ordered[:limit]]
    by_pk = qs.filter(pk__in=first).in_bulk()
    return [by_pk[pk] for pk in first if pk in by_pk]


def _contacts_in_order(candidates: set[int], limit: int) -> list[Contact]:
    qs = Contact.objects.select_related("organisation").prefetch_related("identities")
    return _first_by_name(qs, candidates, limit)


def search_organisations(query: str | ParsedQuery, limit: int = 10) -> list[Organisation]:
    """Organisations whose name or one of whose email domains holds every word."""
    words = _words(query)
    if not words:
        return []
    candidates: set[int] | None = None
    for word in words:
        found = set(
            Organisation.objects.filter(_any_of("name", name_variants(word)))
            .order_by()
            .values_list("pk", flat=True)[:CONTACT_CANDIDATES]
        )
        found |= set(
            OrganisationDomain.objects.filter(domain__icontains=word.lower())
            .order_by()
            .values_list("organisation_id", flat=True)[:CONTACT_CANDIDATES]
        )
        candidates = found if candidates is None else candidates & found
        if not candidates:
            return []
    return _first_by_name(Organisation.objects.prefetch_related("domains"), candidates, limit)


def search_url(query: str) -> str:
    return reverse("search:search") + "?" + urlencode({"q": query})


def saved_views_for(user: User) -> list[tuple[str, str, str]]:
    """The user's saved searches as (name, query, url), in their order.

    For the inbox sidebar's personal views.
    """
    def read() -> list[tuple[str, str, str]]:
        rows = SavedSearch.objects.filter(user=user).values_list("name", "query")
        return [(name, query, search_url(query)) for name, query in rows]

    # Kept by the web process until a saved search changes (core/config_cache.py).
    return kept(f"saved-searches:{user.pk}", read)
