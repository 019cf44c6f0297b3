"""Keeping the ticket index current, and rebuilding it.

Every ticket action ends in a `TicketChange` after commit; the handler in
`handlers.py` queues `tasks.index_ticket`, which calls `index_tickets`:
re-read the ticket and write its index entry again. This module imports
no task (the tasks import it), so there is no cycle between them. A
batch of tickets is read in one statement (subject, requester name and
identities, every message), its words are analysed in Python
(`analysis`: lemmas and compound parts), and the batch is written in one
statement (PostgreSQL) or one executemany (SQLite), so a single ticket and
a million take the same code path. Reindexing is idempotent: a lost or
repeated task changes nothing but freshness, and `tiski reindex --missing`
repairs gaps.

Text that belongs to a ticket but lives in an app above this one (side
conversations with third parties, in connectors) joins the body through
the sources named in ``settings.TISKI_SEARCH_TEXT_SOURCES``: each is a
function returning the SQL of a subquery of ``txt`` rows for the ticket
aliased ``t``, so the batch stays one statement and search imports nothing
from above.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from tiski.customers.models import Contact, Identity
from tiski.tickets.models import Message, MessageKind, Ticket

from . import analysis, vocabulary
from .models import SearchDocument

log = logging.getLogger(__name__)

FTS_TABLE = "search_ticket_fts"
GIN_INDEX = "search_doc_vector_gin"
# tsvector values are limited to 1 MB; a conversation longer than this is
# indexed by its first part (positions past 16,383 count as one anyway).
MAX_BODY_CHARS = 200_000


def _tables() -> dict[str, str]:
    return {
        "ticket": Ticket._meta.db_table,
        "contact": Contact._meta.db_table,
        "identity": Identity._meta.db_table,
        "message": Message._meta.db_table,
        "doc": SearchDocument._meta.db_table,
        "fts": FTS_TABLE,
    }


# --- reading the text ------------------------------------------------------

# One row per ticket: subject, requester (name and identities), and every
# message but system notes, oldest first; HTML-only messages lose their tags.
_PG_TEXTS = """
SELECT t.id, coalesce(t.subject, ''),
    coalesce(c.name, '') || ' ' || coalesce(ids.vals, ''),
    left(coalesce(body.txt, ''){pg_extra}, %(max_body)s),
    CASE c.language WHEN 'fi' THEN 'fi' WHEN 'en' THEN 'en' ELSE 'simple' END
FROM {ticket} t
JOIN {contact} c ON c.id = t.requester_id
LEFT JOIN LATERAL (
    SELECT string_agg(i.value, ' ') AS vals FROM {identity} i WHERE i.contact_id = c.id
) ids ON true
LEFT JOIN LATERAL (
    SELECT string_agg(
        CASE WHEN m.text <> '' THEN m.text
             ELSE regexp_replace(m.html, '<[^>]*>', ' ', 'g') END,
        E'\\n' ORDER BY m.created_at, m.id) AS txt
    FROM {message} m WHERE m.ticket_id = t.id AND m.kind <> %(system)s
) body ON true
WHERE {where}
"""

_SQLITE_TEXTS = """
SELECT t.id, coalesce(t.subject, ''),
    coalesce(c.name, '') || ' ' || coalesce(
        (SELECT group_concat(i.value, ' ') FROM {identity} i WHERE i.contact_id = c.id), ''),
    substr(coalesce((
        SELECT group_concat(txt, char(10)) FROM (
            SELECT CASE WHEN m.text <> '' THEN m.text ELSE m.html END AS txt
            FROM {message} m WHERE m.ticket_id = t.id AND m.kind <> %(system)s
            ORDER BY m.created_at, m.id)
    ), ''){sqlite_extra}, 1, %(max_body)s),
    CASE c.language WHEN 'fi' THEN 'fi' WHEN 'en' THEN 'en' ELSE 'simple' END
FROM {ticket} t JOIN {contact} c ON c.id = t.requester_id
WHERE {where}
"""

_TAG_RE = re.compile(r"<[^>]*>")


def _extra_sources() -> list[str]:
    return [import_string(path)() for path in getattr(settings, "TISKI_SEARCH_TEXT_SOURCES", [])]


def _extra_text() -> dict[str, str]:
    """The body's tail from the text sources, for each database's statement."""
    sources = _extra_sources()
    if not sources:
        return {"pg_extra": "", "sqlite_extra": ""}
    union = " UNION ALL ".join(f"SELECT x.txt FROM ({sql}) x" for sql in sources)
    return {
        "pg_extra": f" || E'\\n' || coalesce((SELECT string_agg(u.txt, E'\\n') "
        f"FROM ({union}) u), '')",
        "sqlite_extra": f" || char(10) || coalesce((SELECT group_concat(u.txt, char(10)) "
        f"FROM ({union}) u), '')",
    }


@dataclass(frozen=True)
class IndexRow:
    """One ticket's text as the index stores it, analysed once in Python."""

    ticket_id: int
    subject: str
    people: str
    body: str
    language: str

    @cached_property
    def subject_words(self) -> list[str]:
        return analysis.words(self.subject)

    @cached_property
    def other_words(self) -> list[str]:
        # Names are analysed too: "Virtaselle" finds Virtanen.
        return analysis.words(self.people + "\n" + _TAG_RE.sub(" ", self.body))

    @cached_property
    def subject_tokens(self) -> list[str]:
        return analysis.tokens_of_words(self.subject_words)

    @cached_property
    def other_tokens(self) -> list[str]:
        seen = set(self.subject_tokens)
        return [t for t in analysis.tokens_of_words(self.other_words) if t not in seen]

    def tokens_of(self, mark: str) -> str:
        """The lemma (``=``) or part (``~``) tokens of the whole ticket, unmarked."""
        every = self.subject_tokens + self.other_tokens
        return " ".join(t[1:] for t in every if t[0] == mark)


# --- PostgreSQL ----------------------------------------------------------

# The raw words with the `simple` configuration (exact and prefix matches,
# headlines), then the analysed tokens as they are: lemmas and compound
# parts of the subject weigh like the subject, the rest least.
_PG_UPSERT = """
INSERT INTO {doc} (ticket_id, language, config, updated_at, search_vector)
SELECT r.id, r.language, 'simple', now(),
    setweight(to_tsvector('simple', r.subject), 'A')
    || setweight(to_tsvector('simple', r.people), 'B')
    || setweight(to_tsvector('simple', r.body), 'C')
    || setweight(array_to_tsvector(array_remove(string_to_array(r.subject_tokens, ' '), '')), 'A')
    || setweight(array_to_tsvector(array_remove(string_to_array(r.other_tokens, ' '), '')), 'D')
FROM unnest(%(ids)s::bigint[], %(languages)s::text[], %(subjects)s::text[],
            %(people)s::text[], %(bodies)s::text[], %(subject_tokens)s::text[],
            %(other_tokens)s::text[])
    AS r(id, language, subject, people, body, subject_tokens, other_tokens)
ON CONFLICT (ticket_id) DO UPDATE SET
    language = EXCLUDED.language,
    config = EXCLUDED.config,
    updated_at = EXCLUDED.updated_at,
    search_vector = EXCLUDED.search_vector
"""


def _write_postgres(cursor: Any, rows: list[IndexRow]) -> None:
    cursor.execute(
        _PG_UPSERT.format(**_tables()),
        {
            "ids": [r.ticket_id for r in rows],
            "languages": [r.language for r in rows],
            "subjects": [r.subject for r in rows],
            "people": [r.people for r in rows],
            "bodies": [_TAG_RE.sub(" ", r.body) for r in rows],
            "subject_tokens": [" ".join(r.subject_tokens) for r in rows],
            "other_tokens": [" ".join(r.other_tokens) for r in rows],
        },
    )


# --- SQLite (FTS5) -------------------------------------------------------

_SQLITE_DOC = """
INSERT INTO {doc} (ticket_id, language, config, updated_at, search_vector)
VALUES (%s, %s, 'simple', %s, NULL)
ON CONFLICT (ticket_id) DO UPDATE SET
    language = excluded.language, config = excluded.config, updated_at = excluded.updated_at
"""

_SQLITE_FTS_DELETE = "DELETE FROM {fts} WHERE {where_rowid}"

_SQLITE_FTS_INSERT = (
    "INSERT INTO {fts} (rowid, subject, people, body, lemmas, parts) "
    "VALUES (%s, %s, %s, %s, %s, %s)"
)


def _write_sqlite(cursor: Any, rows: list[IndexRow], where_rowid: str, params: dict) -> None:
    names = _tables()
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    cursor.executemany(_SQLITE_DOC.format(**names), [(r.ticket_id, r.language, now) for r in rows])
    cursor.execute(_SQLITE_FTS_DELETE.format(where_rowid=where_rowid, **names), params)
    cursor.executemany(
        _SQLITE_FTS_INSERT.format(**names),
        [
            (
                r.ticket_id,
                r.subject,
                r.people,
                _TAG_RE.sub(" ", r.body),
                r.tokens_of(analysis.LEMMA),
                r.tokens_of(analysis.PART),
            )
            for r in rows
        ],
    )


def _run(where: str, where_rowid: str, params: dict) -> None:
    params = {**params, "system": str(MessageKind.SYSTEM), "max_body": MAX_BODY_CHARS}
    names = _tables()
    postgres = connection.vendor == "postgresql"
    texts = _PG_TEXTS if postgres else _SQLITE_TEXTS
    with connection.cursor() as cursor:
        cursor.execute(texts.format(where=where, **names, **_extra_text()), params)
        rows = [IndexRow(*row) for row in cursor.fetchall()]
        # Each distinct word once: the vocabulary's test then runs per word of
        # the language, not per word of every message (1-5% of an import's CPU
        # in two profiles of the importer).
        distinct: set[str] = set()
        for r in rows:
            distinct.update(r.subject_words)
            distinct.update(r.other_words)
        vocabulary.record(distinct)
        if postgres:
            if rows:
                _write_postgres(cursor, rows)
        else:
            _write_sqlite(cursor, rows, where_rowid, params)


def index_tickets(ticket_ids: Sequence[int]) -> None:
    """(Re)index these tickets; ids of deleted tickets are simply skipped."""
    ids = sorted({int(i) for i in ticket_ids})
    if not ids:
        return
    with transaction.atomic():
        if connection.vendor == "postgresql":
            _run("t.id = ANY(%(ids)s)", "", {"ids": ids})
        else:
            # SQLite has no array parameters; the ids are ints we just made.
            listed = ",".join(str(i) for i in ids)
            _run(f"t.id IN ({listed})", f"rowid IN ({listed})", {})


def index_range(low: int, high: int) -> None:
    """(Re)index tickets with low <= id < high: the unit of a rebuild."""
    with transaction.atomic():
        _run(
            "t.id >= %(low)s AND t.id < %(high)s",
            "rowid >= %(low)s AND rowid < %(high)s",
            {"low": low, "high": high},
        )


def ensure_storage() -> None:
    """Recreate the FTS5 table (SQLite) or GIN index (PostgreSQL) if missing.

    The migration makes them; this lets `reindex` recover from an index that
    was dropped by hand or lost in a partial restore.
    """
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Look first: CREATE INDEX, even IF NOT EXISTS, refuses to run in
            # a transaction that has just written to the table.
            cursor.execute("SELECT to_regclass(%s)", [GIN_INDEX])
            if cursor.fetchone()[0] is not None:
                return
            cursor.execute(
                f"CREATE INDEX IF NOT EXISTS {GIN_INDEX} ON {SearchDocument._meta.db_table} "
                "USING gin (search_vector)"
            )
        elif connection.vendor == "sqlite":
            for statement in sqlite_schema():
                cursor.execute(statement)


def sqlite_schema() -> list[str]:
    """The FTS5 table and the trigger that drops a row with its document.

    Diacritics are kept: in Finnish ä and ö are letters of their own
    (``sää`` is not ``saa``). The trigger makes a ticket's deletion, which
    cascades to its SearchDocument, also remove its text from the index.
    """
    doc = SearchDocument._meta.db_table
    return [
        f"CREATE VIRTUAL TABLE IF NOT EXISTS {FTS_TABLE} USING fts5("
        "subject, people, body, lemmas, parts, tokenize = 'unicode61 remove_diacritics 0')",
        f"CREATE TRIGGER IF NOT EXISTS search_doc_delete_fts AFTER DELETE ON {doc} "
        f"BEGIN DELETE FROM {FTS_TABLE} WHERE rowid = old.ticket_id; END",
    ]


def clear() -> None:
    """Forget the whole index (a rebuild from nothing follows)."""
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"TRUNCATE {SearchDocument._meta.db_table}")
        else:
            cursor.execute(f"DELETE FROM {FTS_TABLE}")
            cursor.execute(f"DELETE FROM {SearchDocument._meta.db_table}")


def rebuild(
    *,
    batch_size: int = 5000,
    missing_only: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Index every ticket (or only those without an entry), in id-range batches.

    Each batch commits on its own, so search keeps working while a rebuild
    runs and an interrupted rebuild keeps what it did. Returns the number of
    tickets in the ranges walked.
    """
    ensure_storage()
    doc_table = SearchDocument._meta.db_table
    tickets = Ticket.objects.all()
    if missing_only:
        tickets = tickets.filter(search_document__isnull=True)
    total = tickets.count()
    if total == 0:
        return 0
    empty_start = not missing_only and not SearchDocument.objects.exists()
    # Filling an empty PostgreSQL table is several times faster without the
    # GIN index; it is built once at the end instead of updated per row.
    # Only outside a transaction: inside one, the index would stay dropped
    # (and locked) for everyone until the caller commits.
    drop_gin = empty_start and connection.vendor == "postgresql" and not connection.in_atomic_block
    if drop_gin:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP INDEX IF EXISTS {GIN_INDEX}")
    done = 0
    try:
        if missing_only:
            # Few and scattered: pick them by id rather than walk every range.
            ids = list(tickets.order_by("id").values_list("id", flat=True))
            for start in range(0, len(ids), batch_size):
                chunk = ids[start : start + batch_size]
                index_tickets(chunk)
                done += len(chunk)
                if progress:
                    progress(done, total)
            return done
        last_id = 0
        while True:
            # The next batch's bounds come from the primary key index, so
            # gaps in ids never make a batch empty or huge.
            bounds = list(
                Ticket.objects.filter(id__gt=last_id)
                .order_by("id")
                .values_list("id", flat=True)[:batch_size]
            )
            if not bounds:
                break
            index_range(bounds[0], bounds[-1] + 1)
            last_id = bounds[-1]
            done += len(bounds)
            if progress:
                progress(done, total)
    finally:
        if drop_gin:
            ensure_storage()
            with connection.cursor() as cursor:
                cursor.execute(f"ANALYZE {doc_table}")
    return done
